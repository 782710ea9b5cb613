// The analysis image: luma area-downscaled to a fixed short side and normalised to the
// 8-bit full-range scale, so every metric reads the same units whatever the source
// resolution, bit depth or range. Plus the chroma statistics behind colorfulness.
// Pure code over PlaneView: no FFmpeg types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "metrics/plane.h"

namespace autocut {

// ---- Images ----------------------------------------------------------------------

// Read-only view of a float image. `stride` is in elements (floats), >= width.
struct GrayView {
  const float* px = nullptr;
  int width = 0;
  int height = 0;
  ptrdiff_t stride = 0;

  const float* row(int y) const noexcept { return px + static_cast<ptrdiff_t>(y) * stride; }
};

// Owning float image, rows contiguous (stride == width). resize() keeps the capacity,
// so one GrayImage reused across the frames of a clip allocates once.
struct GrayImage {
  int width = 0;
  int height = 0;
  std::vector<float> px;

  void resize(int w, int h) {
    width = w;
    height = h;
    px.resize(static_cast<size_t>(w) * static_cast<size_t>(h));
  }
  float* row(int y) noexcept { return px.data() + static_cast<ptrdiff_t>(y) * width; }
  const float* row(int y) const noexcept { return px.data() + static_cast<ptrdiff_t>(y) * width; }
  GrayView view() const noexcept { return {px.data(), width, height, width}; }
};

// ---- Analysis grid ---------------------------------------------------------------

struct GridSize {
  int width = 0;
  int height = 0;
};

constexpr int kDefaultAnalysisSize = 360;

// The analysis grid of a width x height picture: its short side becomes analysisSize and
// the long side keeps the aspect ratio (rounded to nearest, >= 1). Never upscales: a
// picture whose short side is already <= analysisSize, or analysisSize <= 0, keeps its
// size. 1920x1080, 1280x720 and 3840x2160 all give 640x360; 1080x1920 gives 360x640.
GridSize analysisGrid(int width, int height, int analysisSize = kDefaultAnalysisSize);

// ---- Luma downscale --------------------------------------------------------------

// Exact area (box-overlap) averaging of a luma plane to any smaller or equal size, with
// the result on the 8-bit full-range scale:
//   full range:    y8 = clamp(avg * 2^(8 - bitDepth), 0, 255)
//   limited range: y8 = clamp((avg * 2^(8 - bitDepth) - 16) * 255 / 219, 0, 255)
// where avg is the area average of the raw samples (the affine map and the clamp are
// applied after averaging; the shift convention makes 10-bit full-range 1023 read 255.75,
// clamped to 255, and maps limited range exactly). Holds its weight tables and a row buffer, rebuilt only when
// the geometry changes: reuse one per clip and the per-frame path allocates nothing.
// Not thread-safe; use one per thread.
class AreaDownscaler {
 public:
  // Resamples `plane` (bitDepth 8..16, width/height >= 1) to outWidth x outHeight
  // (each 1..plane size) into `out`. Throws std::invalid_argument on bad sizes or depth.
  void run(const PlaneView& plane, int outWidth, int outHeight, bool limitedRange,
           GrayImage& out);

 private:
  // Per output sample: first source index and `taps` weights (zero-padded, summing to
  // 1); `factor` > 0 when the size divides evenly (all weights 1/factor).
  struct Axis {
    int src = 0;
    int dst = 0;
    int taps = 0;
    int factor = 0;
    std::vector<int> start;
    std::vector<float> weight;
  };
  static void buildAxis(Axis& axis, int src, int dst);
  template <typename T>
  void runTyped(const PlaneView& plane, bool limitedRange, GrayImage& out);

  Axis axX_;
  Axis axY_;
  std::vector<float> acc_;      // one source-width row of vertical sums ...
  std::vector<uint16_t> sums_;  // ... or of integer ones
};

// One-shot helper: luma plane -> analysis image on analysisGrid(plane size).
// Allocates its own tables; prefer an AreaDownscaler on per-frame paths.
void downscaleLuma(const PlaneView& plane, GrayImage& out,
                   int analysisSize = kDefaultAnalysisSize, bool limitedRange = false);

// ---- Chroma --------------------------------------------------------------------------

// Mean and (population) variance of the U and V planes on the 8-bit scale, centred at
// 128: c8 = c * 2^(8 - bitDepth) for full range, (c * 2^(8 - bitDepth) - 128) * 255/224
// + 128 for limited range (no clamping: the map is affine, so the statistics are exact).
struct ChromaStats {
  double meanU = 128.0;
  double meanV = 128.0;
  double varU = 0.0;
  double varV = 0.0;
};

// Reads every `step`-th sample of every `step`-th row of both planes (step >= 1; point
// sampling keeps mean and variance unbiased, so a 4K plane can be read at step 3 and
// stay comparable with 1080p at step 1). u and v must have the same size and bit depth.
// Integer sums, one pass per plane. Throws std::invalid_argument on mismatch.
ChromaStats chromaStats(const PlaneView& u, const PlaneView& v, bool limitedRange = false,
                        int step = 1);

// Colorfulness from chroma statistics, Hasler & Susstrunk (2003) adapted to YUV:
//   sqrt(varU + varV) + 0.3 * sqrt((meanU - 128)^2 + (meanV - 128)^2)
// (their opponent axes rg/yb replaced by the U/V colour-difference planes; 0 for grey).
double colorfulness(const ChromaStats& c);

}  // namespace autocut
