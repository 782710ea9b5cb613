#include "render/compare.h"

#include <chrono>
#include <limits>

#include "media/convert.h"
#include "media/decoder.h"
#include "metrics/similarity.h"

namespace autocut {

namespace {

// A PlaneView of an 8-bit image view; rotated views (strided columns) are copied into
// `buffer` first.
PlaneView planeOf(const ImageView& v, std::vector<uint8_t>& buffer) {
  PlaneView p;
  p.width = v.width;
  p.height = v.height;
  p.bitDepth = 8;
  if (v.colStride == 1 && v.rowStride >= v.width) {
    p.data = v.data;
    p.stride = v.rowStride;
    return p;
  }
  buffer.resize(static_cast<size_t>(v.width) * v.height);
  for (int y = 0; y < v.height; ++y) {
    const uint8_t* in = v.data + y * v.rowStride;
    uint8_t* out = buffer.data() + static_cast<ptrdiff_t>(y) * v.width;
    for (int x = 0; x < v.width; ++x) out[x] = in[x * v.colStride];
  }
  p.data = buffer.data();
  p.stride = v.width;
  return p;
}

}  // namespace

QualityReport compare(const std::string& reference, const std::string& distorted,
                      const CompareOptions& options) {
  DecoderOptions decoderOptions;
  decoderOptions.hwaccel = options.hwaccel;
  decoderOptions.threads = options.threads;
  decoderOptions.interruptCheck = options.interruptCheck;
  VideoDecoder ref(reference, decoderOptions);
  VideoDecoder dist(distorted, decoderOptions);
  FrameConverter refLuma(OutputFormat::Gray8, 0, 0, ref.info().rotation);
  FrameConverter distLuma(OutputFormat::Gray8, 0, 0, dist.info().rotation);

  QualityReport report;
  double squaredErrors = 0.0;
  double ssimTotal = 0.0;
  std::vector<uint8_t> refBuffer, distBuffer;
  auto lastCheck = std::chrono::steady_clock::now();
  DecodedFrame a, b;
  bool haveA = ref.next(a), haveB = dist.next(b);
  while (haveA && haveB) {
    const Image ia = refLuma.convert(a);
    const Image ib = distLuma.convert(b);
    const PlaneView pa = planeOf(ia.planes[0], refBuffer);
    const PlaneView pb = planeOf(ib.planes[0], distBuffer);
    if (pa.width != pb.width || pa.height != pb.height) {
      throw Error(ErrorKind::InvalidArgument, "compare", distorted,
                  "frame size " + std::to_string(pb.width) + "x" + std::to_string(pb.height) +
                      " differs from the reference's " + std::to_string(pa.width) + "x" +
                      std::to_string(pa.height));
    }
    report.width = pa.width;
    report.height = pa.height;
    const double mse = meanSquaredError(pa, pb);
    const double s = ssim(pa, pb);
    squaredErrors += mse;
    ssimTotal += s;
    report.psnr.push_back(static_cast<float>(psnrFromMse(mse, 8)));
    report.ssim.push_back(static_cast<float>(s));
    ++report.frames;
    if (options.interruptCheck) {
      const auto now = std::chrono::steady_clock::now();
      if (now - lastCheck > std::chrono::milliseconds(100)) {
        lastCheck = now;
        options.interruptCheck();
      }
    }
    haveA = ref.next(a);
    haveB = dist.next(b);
  }
  // Count what is left of the longer one, so a frame-count mismatch shows.
  report.referenceFrames = report.frames;
  report.distortedFrames = report.frames;
  for (; haveA; haveA = ref.next(a)) ++report.referenceFrames;
  for (; haveB; haveB = dist.next(b)) ++report.distortedFrames;
  if (report.frames > 0) {
    const double n = static_cast<double>(report.frames);
    report.meanPsnr = psnrFromMse(squaredErrors / n, 8);
    report.meanSsim = ssimTotal / n;
  }
  return report;
}

}  // namespace autocut
