// cpp/render's pure parts (fit geometry, rotation mapping, colour, blur, frame counts),
// cpp/metrics/similarity (PSNR, SSIM) on synthetic planes with known answers, and
// render()/compare() end to end on a Y4M clip and a WAV written here (so the sanitizer
// build covers the compositor, encoder, music thread and output handling).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

#include "test_planes.h"
#include "media/decoder.h"
#include "media/probe.h"
#include "metrics/plane.h"
#include "metrics/similarity.h"
#include "render/compare.h"
#include "render/device_scale.h"
#include "render/encoder.h"
#include "render/layout.h"
#include "render/render.h"

using namespace autocut;
using autocut::testing::TestPlane;

namespace {


// SSIM of one window straight from the definition, for checking the block arithmetic.
double naiveWindowSsim(const std::vector<double>& a, const std::vector<double>& b, double peak) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  double va = 0, vb = 0, cov = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    va += (a[i] - ma) * (a[i] - ma);
    vb += (b[i] - mb) * (b[i] - mb);
    cov += (a[i] - ma) * (b[i] - mb);
  }
  va /= n;
  vb /= n;
  cov /= n;
  const double c1 = (0.01 * peak) * (0.01 * peak), c2 = (0.03 * peak) * (0.03 * peak);
  return (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
}

template <typename T>
double naiveSsim(const PlaneView& a, const PlaneView& b) {
  auto at = [](const PlaneView& p, int x, int y) {
    T v;
    std::memcpy(&v, p.row(y) + x * sizeof(T), sizeof(T));
    return static_cast<double>(v);
  };
  const double peak = (1 << a.bitDepth) - 1;
  double total = 0;
  int windows = 0;
  for (int y = 0; y + 8 <= (a.height / 4) * 4; y += 4)
    for (int x = 0; x + 8 <= (a.width / 4) * 4; x += 4) {
      std::vector<double> wa, wb;
      for (int j = 0; j < 8; ++j)
        for (int i = 0; i < 8; ++i) {
          wa.push_back(at(a, x + i, y + j));
          wb.push_back(at(b, x + i, y + j));
        }
      total += naiveWindowSsim(wa, wb, peak);
      ++windows;
    }
  return total / windows;
}

}  // namespace

// ---- Fit geometry ------------------------------------------------------------------

TEST(FitLayout, CropFillsCanvasCuttingTheOverflowEvenly) {
  // 16:9 into a square: the sides are cut.
  FitLayout l = fitLayout(1920, 1080, 640, 640, FitMode::Crop);
  EXPECT_EQ(l.target, (Rect{0, 0, 640, 640}));
  EXPECT_EQ(l.source, (Rect{420, 0, 1080, 1080}));
  // Portrait into landscape: top and bottom are cut.
  l = fitLayout(1080, 1920, 1920, 1080, FitMode::Crop);
  EXPECT_EQ(l.target, (Rect{0, 0, 1920, 1080}));
  EXPECT_EQ(l.source.width, 1080);
  EXPECT_EQ(l.source.height, 608);  // 1080 * 1080 / 1920 = 607.5 -> even 608
  EXPECT_EQ(l.source.y, 656);       // (1920 - 608) / 2
  // Same aspect: the whole frame, no cut.
  l = fitLayout(1280, 720, 640, 360, FitMode::Crop);
  EXPECT_EQ(l.source, (Rect{0, 0, 1280, 720}));
  EXPECT_EQ(l.target, (Rect{0, 0, 640, 360}));
}

TEST(FitLayout, PadLetterboxesAndPillarboxesCentred) {
  FitLayout l = fitLayout(1920, 1080, 640, 640, FitMode::Pad);
  EXPECT_EQ(l.source, (Rect{0, 0, 1920, 1080}));
  EXPECT_EQ(l.target, (Rect{0, 140, 640, 360}));
  l = fitLayout(1080, 1920, 1920, 1080, FitMode::Pad);
  EXPECT_EQ(l.target.height, 1080);
  EXPECT_EQ(l.target.width, 608);  // 1080 * 1080 / 1920 = 607.5 -> even 608
  EXPECT_EQ(l.target.x, 656);
  EXPECT_EQ(l.target.y, 0);
  // Blur lays out its foreground like pad.
  EXPECT_EQ(fitLayout(1080, 1920, 1920, 1080, FitMode::Blur).target, l.target);
}

TEST(FitLayout, EveryOffsetAndTargetIsEvenAndInside) {
  for (int sw : {17, 320, 333, 720, 1080, 1920, 4000})
    for (int sh : {9, 180, 241, 1080, 1920})
      for (auto [cw, ch] : {std::pair{320, 180}, std::pair{180, 320}, std::pair{1080, 1080},
                            std::pair{2, 2}})
        for (FitMode m : {FitMode::Crop, FitMode::Pad, FitMode::Blur}) {
          const FitLayout l = fitLayout(sw, sh, cw, ch, m);
          SCOPED_TRACE(std::to_string(sw) + "x" + std::to_string(sh) + " -> " +
                       std::to_string(cw) + "x" + std::to_string(ch));
          EXPECT_EQ(l.target.x % 2, 0);
          EXPECT_EQ(l.target.y % 2, 0);
          EXPECT_EQ(l.target.width % 2, 0);
          EXPECT_EQ(l.target.height % 2, 0);
          EXPECT_GE(l.target.width, 2);
          EXPECT_LE(l.target.x + l.target.width, cw);
          EXPECT_LE(l.target.y + l.target.height, ch);
          EXPECT_EQ(l.source.x % 2, 0);
          EXPECT_EQ(l.source.y % 2, 0);
          EXPECT_LE(l.source.x + l.source.width, sw);
          EXPECT_LE(l.source.y + l.source.height, sh);
          // Aspect is kept within the rounding to even sizes (unless clamped to 2 pixels).
          if (std::min(l.target.width, l.target.height) <= 2) continue;
          const double srcAspect = static_cast<double>(l.source.width) / l.source.height;
          const double dstAspect = static_cast<double>(l.target.width) / l.target.height;
          EXPECT_NEAR(srcAspect / dstAspect, 1.0, 2.5 / std::min({l.target.width, l.target.height,
                                                                  l.source.width, l.source.height}));
        }
}

TEST(FitLayout, RejectsOddCanvasAndParsesNames) {
  EXPECT_THROW(fitLayout(100, 100, 101, 100, FitMode::Crop), std::invalid_argument);
  EXPECT_THROW(fitLayout(0, 100, 100, 100, FitMode::Pad), std::invalid_argument);
  EXPECT_EQ(parseFit("blur"), FitMode::Blur);
  EXPECT_STREQ(fitName(FitMode::Pad), "pad");
  EXPECT_THROW(parseFit("stretch"), Error);
}

// ---- Rotation ----------------------------------------------------------------------

TEST(Rotation, UprightRectMapsToTheStoredPixelsItShows) {
  // A stored 6x4 image whose pixel value encodes its stored position; turn it with
  // copyRotated, then check every upright rect maps back onto the same values.
  const int w = 6, h = 4;
  std::vector<uint8_t> stored(w * h);
  for (int i = 0; i < w * h; ++i) stored[i] = static_cast<uint8_t>(i);
  for (int rot : {0, 90, 180, 270}) {
    const bool swap = rot == 90 || rot == 270;
    const int uw = swap ? h : w, uh = swap ? w : h;
    std::vector<uint8_t> upright(uw * uh, 0xFF);
    copyRotated(stored.data(), w, w, h, rot, upright.data(), uw);
    const Rect r{1, 1, 2, 3};
    if (r.x + r.width > uw || r.y + r.height > uh) continue;
    const Rect s = uprightToStored(r, rot, w, h);
    std::vector<uint8_t> a, b;
    for (int y = r.y; y < r.y + r.height; ++y)
      for (int x = r.x; x < r.x + r.width; ++x) a.push_back(upright[y * uw + x]);
    for (int y = s.y; y < s.y + s.height; ++y)
      for (int x = s.x; x < s.x + s.width; ++x) b.push_back(stored[y * w + x]);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    EXPECT_EQ(a, b) << "rotation " << rot;
  }
}

TEST(Rotation, CopyRotatedTurnsClockwise) {
  // Stored 3x2:  a b c      90 cw:  d a     180: f e d     270: c f
  //              d e f              e b          c b a          b e
  //                                 f c                         a d
  const uint8_t s[] = {'a', 'b', 'c', 'd', 'e', 'f'};
  uint8_t out[6];
  copyRotated(s, 3, 3, 2, 90, out, 2);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 6), "daebfc");
  copyRotated(s, 3, 3, 2, 180, out, 3);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 6), "fedcba");
  copyRotated(s, 3, 3, 2, 270, out, 2);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 6), "cfbead");
  // Large enough to cross tiles, with strides wider than rows.
  const int w = 70, h = 45;
  std::vector<uint8_t> src(80 * h), dst(50 * w), back(80 * h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) src[y * 80 + x] = static_cast<uint8_t>(x * 7 + y * 13);
  copyRotated(src.data(), 80, w, h, 90, dst.data(), 50);
  copyRotated(dst.data(), 50, h, w, 270, back.data(), 80);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) ASSERT_EQ(back[y * 80 + x], src[y * 80 + x]);
}

// ---- Colour and blur ---------------------------------------------------------------

TEST(Colour, Bt709LimitedRange) {
  EXPECT_EQ(rgbToYuv709(0, 0, 0), (Yuv{16, 128, 128}));
  EXPECT_EQ(rgbToYuv709(255, 255, 255), (Yuv{235, 128, 128}));
  const Yuv red = rgbToYuv709(255, 0, 0);  // BT.709: Y 63, Cb 102, Cr 240
  EXPECT_EQ(red.y, 63);
  EXPECT_EQ(red.u, 102);
  EXPECT_EQ(red.v, 240);
}

TEST(Blur, BoxBlurKeepsFlatAndMeanAndSmoothsEdges) {
  const int w = 20, h = 12, stride = 24;
  std::vector<uint8_t> img(stride * h, 77);
  boxBlur(img.data(), stride, w, h, 2, 2);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) ASSERT_EQ(img[y * stride + x], 77);
  // A vertical step edge becomes a ramp; far from it the values stay.
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img[y * stride + x] = x < w / 2 ? 0 : 200;
  boxBlur(img.data(), stride, w, h, 2, 2);
  EXPECT_EQ(img[5 * stride + 0], 0);
  EXPECT_EQ(img[5 * stride + w - 1], 200);
  EXPECT_GT(img[5 * stride + w / 2 - 1], 0);
  EXPECT_LT(img[5 * stride + w / 2], 200);
  for (int x = 1; x < w; ++x) EXPECT_GE(img[5 * stride + x], img[5 * stride + x - 1]);
  // Padding after each row is left alone.
  EXPECT_EQ(img[5 * stride + w], 77);
}

// ---- Frame counts ------------------------------------------------------------------

// ---- Device path -----------------------------------------------------------------

TEST(DevicePath, OnlyAPictureScaledToTheWholeCanvasStaysOnTheDevice) {
  DeviceDrawQuery q;
  q.width = 1920;
  q.height = 1080;
  q.swFormat = AV_PIX_FMT_NV12;
  q.colorspace = AVCOL_SPC_BT709;
  EXPECT_EQ(whyNotOnDevice(q, 1280, 720, FitMode::Crop), "not a device frame");
  // VideoToolbox has scale_vt from FFmpeg 6.1 only; before, its frames take the CPU path.
  q.device = AV_HWDEVICE_TYPE_VIDEOTOOLBOX;
  EXPECT_EQ(whyNotOnDevice(q, 1280, 720, FitMode::Crop).empty(),
            deviceScaleFilter(AV_HWDEVICE_TYPE_VIDEOTOOLBOX) != nullptr);

  q.device = AV_HWDEVICE_TYPE_CUDA;
  if (!deviceScaleFilter(q.device)) {
    EXPECT_NE(whyNotOnDevice(q, 1280, 720, FitMode::Crop).find("no scale filter"), std::string::npos);
    GTEST_SKIP() << "this FFmpeg has no scale_cuda";
  }
  for (FitMode fit : {FitMode::Crop, FitMode::Pad, FitMode::Blur}) {
    EXPECT_EQ(whyNotOnDevice(q, 1280, 720, fit), "") << fitName(fit);  // same aspect ratio
    EXPECT_EQ(whyNotOnDevice(q, 3840, 2160, fit), "") << fitName(fit);  // upscaling too
  }
  DeviceDrawQuery yuv = q;
  yuv.swFormat = AV_PIX_FMT_YUV420P;
  EXPECT_EQ(whyNotOnDevice(yuv, 1280, 720, FitMode::Crop), "");
  DeviceDrawQuery untagged = q;  // untagged HD counts as BT.709, untagged SD as BT.601
  untagged.colorspace = AVCOL_SPC_UNSPECIFIED;
  EXPECT_EQ(whyNotOnDevice(untagged, 1280, 720, FitMode::Crop), "");
  untagged.width = 640;
  untagged.height = 360;
  EXPECT_EQ(whyNotOnDevice(untagged, 1280, 720, FitMode::Crop), "not BT.709");

  auto reason = [&](DeviceDrawQuery changed, int w, int h, FitMode fit) {
    return whyNotOnDevice(changed, w, h, fit);
  };
  DeviceDrawQuery c = q;
  c.rotation = 90;
  EXPECT_EQ(reason(c, 1280, 720, FitMode::Crop), "rotated source");
  c = q;
  c.swFormat = AV_PIX_FMT_P010LE;  // 10-bit: the CPU path dithers it to 8 bits
  EXPECT_NE(reason(c, 1280, 720, FitMode::Crop).find("p010le"), std::string::npos);
  c = q;
  c.fullRange = true;
  EXPECT_EQ(reason(c, 1280, 720, FitMode::Crop), "full-range source");
  c = q;
  c.colorspace = AVCOL_SPC_SMPTE170M;
  EXPECT_EQ(reason(c, 1280, 720, FitMode::Crop), "not BT.709");
  // Another aspect ratio needs a crop, bars or a blurred background: the CPU's work.
  for (FitMode fit : {FitMode::Crop, FitMode::Pad, FitMode::Blur}) {
    EXPECT_NE(reason(q, 1080, 1080, fit).find("not the whole picture"), std::string::npos);
  }
  c = q;
  c.width = 1440;  // 4:3
  EXPECT_NE(reason(c, 1280, 720, FitMode::Crop).find("not the whole picture"), std::string::npos);
}

TEST(Render, SegmentFrameCountRoundsHalfUp) {
  EXPECT_EQ(segmentFrames(0.5, 1.0, 30.0), 15);
  EXPECT_EQ(segmentFrames(0.0, 1.0 / 60.0, 30.0), 1);  // 0.5 frame -> 1
  EXPECT_EQ(segmentFrames(0.0, 0.01, 30.0), 0);
  EXPECT_EQ(segmentFrames(0.9, 1.1, 30.0), 6);
  EXPECT_EQ(segmentFrames(1.0, 3.5, 24.0), 60);
  EXPECT_EQ(segmentFrames(0.0, 2.0, 29.97), 60);  // 59.94
}

TEST(Render, QualityAndCodecNames) {
  EXPECT_EQ(parseQuality("medium"), Quality::Medium);
  EXPECT_THROW(parseQuality("best"), Error);
  EXPECT_EQ(resolveCodec("h265"), "hevc");
  EXPECT_EQ(resolveCodec("h264"), "h264");
  EXPECT_THROW(resolveCodec("vp9"), Error);
  for (const std::string& name : hardwareEncoderCandidates("h264")) {
    EXPECT_EQ(name.rfind("h264_", 0), 0u) << name;
  }
}

// ---- Similarity --------------------------------------------------------------------

TEST(Similarity, PsnrOfKnownErrors) {
  TestPlane<uint8_t> a(33, 17, 8, 5, [](int x, int y) { return (x * 3 + y * 5) % 200; });
  TestPlane<uint8_t> b(33, 17, 8, 11, [](int x, int y) { return (x * 3 + y * 5) % 200 + 2; });
  EXPECT_DOUBLE_EQ(meanSquaredError(a.view, b.view), 4.0);
  EXPECT_NEAR(psnr(a.view, b.view), 10.0 * std::log10(255.0 * 255.0 / 4.0), 1e-9);
  EXPECT_EQ(psnr(a.view, a.view), std::numeric_limits<double>::infinity());
  // 10-bit: the peak is 1023.
  TestPlane<uint16_t> c(16, 16, 10, 4, [](int x, int y) { return x * 60 + y + 5; });
  TestPlane<uint16_t> d(16, 16, 10, 0, [](int x, int y) { return x * 60 + y + 5 + ((x + y) % 2 ? 3 : -3); });
  EXPECT_DOUBLE_EQ(meanSquaredError(c.view, d.view), 9.0);
  EXPECT_NEAR(psnr(c.view, d.view), 10.0 * std::log10(1023.0 * 1023.0 / 9.0), 1e-9);
}

TEST(Similarity, SsimMatchesTheDefinitionAndItsLimits) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pix(0, 255), noise(-20, 20);
  std::vector<int> base(64 * 40), noisy(64 * 40);
  for (size_t i = 0; i < base.size(); ++i) {
    base[i] = pix(rng);
    noisy[i] = std::clamp(base[i] + noise(rng), 0, 255);
  }
  TestPlane<uint8_t> a(61, 38, 8, 3, [&](int x, int y) { return base[y * 64 + x]; });
  TestPlane<uint8_t> b(61, 38, 8, 9, [&](int x, int y) { return noisy[y * 64 + x]; });
  EXPECT_DOUBLE_EQ(ssim(a.view, a.view), 1.0);
  const double s = ssim(a.view, b.view);
  EXPECT_NEAR(s, naiveSsim<uint8_t>(a.view, b.view), 1e-9);
  EXPECT_GT(s, 0.5);
  EXPECT_LT(s, 0.99);
  // Uncorrelated noise scores near 0; an inverted image scores negative.
  TestPlane<uint8_t> inv(61, 38, 8, 0, [&](int x, int y) { return 255 - base[y * 64 + x]; });
  EXPECT_LT(ssim(a.view, inv.view), -0.5);
  // 16-bit storage with a 10-bit depth.
  TestPlane<uint16_t> c(40, 24, 10, 6, [&](int x, int y) { return base[y * 64 + x] * 4; });
  TestPlane<uint16_t> d(40, 24, 10, 0, [&](int x, int y) { return noisy[y * 64 + x] * 4; });
  EXPECT_NEAR(ssim(c.view, d.view), naiveSsim<uint16_t>(c.view, d.view), 1e-9);
  // Smaller than a window: one window over everything.
  TestPlane<uint8_t> e(5, 5, 8, 0, [](int x, int y) { return x * 10 + y; });
  EXPECT_DOUBLE_EQ(ssim(e.view, e.view), 1.0);
}

TEST(Similarity, MismatchedPlanesThrow) {
  TestPlane<uint8_t> a(16, 16, 8, 0, [](int, int) { return 1; });
  TestPlane<uint8_t> b(16, 15, 8, 0, [](int, int) { return 1; });
  EXPECT_THROW(psnr(a.view, b.view), std::invalid_argument);
  EXPECT_THROW(ssim(a.view, b.view), std::invalid_argument);
  PlaneView empty;
  EXPECT_THROW(meanSquaredError(empty, empty), std::invalid_argument);
}

// ---- End to end --------------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

fs::path renderDir() {
  const fs::path dir = fs::temp_directory_path() / "autocut_render_tests";
  fs::create_directories(dir);
  return dir;
}

// ctest runs tests as parallel processes that share these fixtures: each is written
// under a name of its own and renamed into place, so a reader never sees a partial file.
fs::path privateTemp(const fs::path& path) {
  return fs::path(path.string() + ".tmp" + std::to_string(::getpid()));
}

// 160x96 at 30 fps; frame n is flat with luma 16 + 2n.
fs::path numberedY4m(int frames) {
  const fs::path path = renderDir() / ("numbered" + std::to_string(frames) + ".y4m");
  const fs::path tmp = privateTemp(path);
  std::ofstream out(tmp, std::ios::binary);
  out << "YUV4MPEG2 W160 H96 F30:1 Ip A1:1 C420jpeg\n";
  std::vector<char> luma(160 * 96), chroma(80 * 48 * 2, static_cast<char>(128));
  for (int n = 0; n < frames; ++n) {
    std::fill(luma.begin(), luma.end(), static_cast<char>(16 + 2 * n));
    out << "FRAME\n";
    out.write(luma.data(), static_cast<std::streamsize>(luma.size()));
    out.write(chroma.data(), static_cast<std::streamsize>(chroma.size()));
  }
  out.close();
  fs::rename(tmp, path);
  return path;
}

// One second of a 440 Hz tone, 44.1 kHz mono 16-bit PCM.
fs::path toneWav() {
  const fs::path path = renderDir() / "tone.wav";
  const fs::path tmp = privateTemp(path);
  const uint32_t rate = 44100, samples = 44100, bytes = samples * 2;
  std::ofstream out(tmp, std::ios::binary);
  auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  out << "RIFF";
  u32(36 + bytes);
  out << "WAVEfmt ";
  u32(16);
  u16(1);
  u16(1);
  u32(rate);
  u32(rate * 2);
  u16(2);
  u16(16);
  out << "data";
  u32(bytes);
  for (uint32_t i = 0; i < samples; ++i) {
    u16(static_cast<uint16_t>(static_cast<int16_t>(8000 * std::sin(2 * 3.14159265 * 440 * i / rate))));
  }
  out.close();
  fs::rename(tmp, path);
  return path;
}

std::vector<int> shownFrameNumbers(const fs::path& path) {
  DecoderOptions options;
  options.hwaccel = "none";
  options.threads = 1;
  VideoDecoder dec(path.string(), options);
  std::vector<int> out;
  DecodedFrame f;
  while (dec.next(f)) {
    const AVFrame* a = f.frame.get();
    double sum = 0;
    for (int y = 0; y < a->height; ++y)
      for (int x = 0; x < a->width; ++x) sum += a->data[0][y * a->linesize[0] + x];
    out.push_back(static_cast<int>(std::lround((sum / (a->width * a->height) - 16) / 2)));
  }
  return out;
}

bool onlyFile(const fs::path& dir, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names == std::vector<std::string>{name};
}

RenderTimeline smallTimeline(const fs::path& src, FitMode fit) {
  RenderTimeline t;
  t.width = 64;
  t.height = 64;
  t.fps = 30;
  t.fit = fit;
  t.segments = {{src.string(), 0.5, 1.0}, {src.string(), 0.1, 0.2}};
  return t;
}

}  // namespace

TEST(RenderEndToEnd, ExactCutsAudioAndEveryFit) {
  const fs::path src = numberedY4m(45);
  const fs::path dir = renderDir() / "e2e";
  fs::remove_all(dir);
  fs::create_directories(dir);
  RenderOptions options;
  options.hwaccel = "none";
  options.encoder.encoder = "libx264";
  std::vector<std::pair<int64_t, int64_t>> progress;
  options.progress = [&](int64_t done, int64_t total) { progress.emplace_back(done, total); };
  for (FitMode fit : {FitMode::Crop, FitMode::Pad, FitMode::Blur}) {
    RenderTimeline t = smallTimeline(src, fit);
    t.audio = toneWav().string();
    t.audioFadeOut = 0.2;
    const fs::path out = dir / (std::string(fitName(fit)) + ".mp4");
    progress.clear();
    const RenderResult r = render(t, out.string(), options);
    EXPECT_EQ(r.frames, 18);
    EXPECT_DOUBLE_EQ(r.duration, 0.6);
    EXPECT_EQ(r.encoderUsed, "libx264");
    EXPECT_EQ(r.hwaccelUsed, "none");
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.front(), (std::pair<int64_t, int64_t>{0, 18}));
    EXPECT_EQ(progress.back(), (std::pair<int64_t, int64_t>{18, 18}));
    const MediaInfo info = probe(out.string());
    EXPECT_TRUE(info.hasAudio);
    EXPECT_EQ(info.sampleRate, 48000);
    EXPECT_EQ(info.channels, 2);
    EXPECT_EQ(info.width, 64);
    if (fit == FitMode::Crop) {
      std::vector<int> expected;
      for (int n = 15; n < 30; ++n) expected.push_back(n);
      for (int n = 3; n < 6; ++n) expected.push_back(n);
      EXPECT_EQ(shownFrameNumbers(out), expected);
      const QualityReport same = compare(out.string(), out.string(), CompareOptions{"none", 1, {}});
      EXPECT_EQ(same.frames, 18);
      EXPECT_EQ(same.meanPsnr, std::numeric_limits<double>::infinity());
      EXPECT_DOUBLE_EQ(same.meanSsim, 1.0);
    }
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"blur.mp4", "crop.mp4", "pad.mp4"}));
}

TEST(RenderEndToEnd, FailuresLeaveNothingBehind) {
  const fs::path src = numberedY4m(45);
  const fs::path dir = renderDir() / "failures";
  fs::remove_all(dir);
  fs::create_directories(dir);
  RenderOptions options;
  options.hwaccel = "none";
  options.encoder.encoder = "h264_vaapi";  // no VAAPI device in the test machines' CI
  RenderTimeline t = smallTimeline(src, FitMode::Crop);
  t.audio = toneWav().string();

  // An unwritable destination (a path under a regular file works even as root).
  std::ofstream(dir / "file.txt") << "x";
  try {
    render(t, (dir / "file.txt" / "out.mp4").string(), options);
    FAIL() << "expected an Output error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Output);
  }
  // An exception from the progress callback mid-render.
  options.progress = [](int64_t done, int64_t) {
    if (done > 0) throw std::runtime_error("stop");
  };
  EXPECT_THROW(render(t, (dir / "out.mp4").string(), options), std::runtime_error);
  // A missing segment file in the middle of the render.
  options.progress = {};
  t.segments.push_back({(dir / "missing.y4m").string(), 0, 1});
  try {
    render(t, (dir / "out.mp4").string(), options);
    FAIL() << "expected NotFound";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  EXPECT_TRUE(onlyFile(dir, "file.txt"));

  // Bad timelines and extensions are refused before anything is opened.
  RenderTimeline bad = smallTimeline(src, FitMode::Crop);
  bad.segments[1].end = bad.segments[1].start;
  EXPECT_THROW(validateTimeline(bad), Error);
  bad = smallTimeline(src, FitMode::Crop);
  bad.width = 63;
  EXPECT_THROW(validateTimeline(bad), Error);
  EXPECT_THROW(render(smallTimeline(src, FitMode::Crop), (dir / "out.avi").string(), options), Error);
  EXPECT_TRUE(onlyFile(dir, "file.txt"));

  // The hardware encoder that cannot open fell back to libx264.
  t.segments.pop_back();
  const RenderResult r = render(t, (dir / "ok.mkv").string(), options);
  EXPECT_EQ(r.encoderUsed, "libx264");
}
