// Per-frame quality and change metrics over analysis images (see image.h): luma on the
// 8-bit full-range scale, already downscaled. Pure functions, safe to call from any
// thread; none allocates except noiseSigma (per-thread scratch of about a float per
// pixel, kept between calls). Images of width or height < 3 give 0 where a 3x3
// neighbourhood is needed. Costs for 640x360 on one core: ~0.1 ms each, noiseSigma
// ~0.3 ms (translation.h: ~0.4 ms).
#pragma once

#include <array>

#include "metrics/image.h"
#include "metrics/translation.h"

namespace autocut {

// ---- Quality -----------------------------------------------------------------------

// Variance (population) of the 4-neighbour Laplacian
//   L = I(x-1,y) + I(x+1,y) + I(x,y-1) + I(x,y+1) - 4 I(x,y)
// over interior pixels only (x in 1..w-2, y in 1..h-2; no border extension, so borders
// neither add nor hide edges). 0 for a constant or linear image; higher is sharper.
// White noise of sigma s adds 20 s^2.
double sharpness(const GrayView& img);

struct Exposure {
  double brightness = 0.0;   // mean luma, 0..255
  double contrast = 0.0;     // standard deviation (population) of luma
  double underexposed = 0.0; // fraction of pixels <= kUnderexposedLevel
  double overexposed = 0.0;  // fraction of pixels >= kOverexposedLevel
};
constexpr float kUnderexposedLevel = 16.0f;
constexpr float kOverexposedLevel = 240.0f;

// All four in one pass over every pixel.
Exposure exposure(const GrayView& img);

// Noise sigma (8-bit units at analysis scale), robust to texture and edges.
// Method: Immerkaer's fast estimator (1996) restricted to the flattest pixels, after Tai
// & Yang (2008):
//   N = [1 -2 1; -2 4 -2; 1 -2 1] * I         (cancels constant, linear, bilinear image)
//   G = |Sobel_x * I| + |Sobel_y * I|         (local structure)
//   sigma = sqrt(pi/2) / 6 * mean(|N|) over usable pixels with G < T,
// T = the 20th percentile of G among usable pixels. Edges and texture have high G and
// are left out, so a frame reads the noise of its smoothest regions; for Gaussian noise
// N is independent of the (odd) Sobel responses, so the selection does not bias the
// estimate. Not usable: clipped pixels (centre <= 1 or >= 254, where noise is cut off;
// this also leaves out black letterbox bars). Digitally flat regions (synthetic fills,
// flat-coded blocks) are usable and read as noiseless: clean synthetic content gives ~0
// at any resolution. Measured on every 2nd interior row (y = 1, 3, 5, ...; x in 1..w-2);
// T comes from a histogram of G (bins of 1/16, the last one open) over every 4th of
// those pixels (x = 1, 5, 9, ...): the upper edge of the bin where the cumulative count
// reaches 20%. 0 when fewer than 16 pixels are selected.
// Limitation: a period-2 checkerboard, which Sobel cannot see, reads as noise; after
// area downscaling such patterns are rare.
double noiseSigma(const GrayView& img);

constexpr double kNoisePercentile = 0.2;
constexpr int kNoiseBinsPerUnit = 16;
constexpr int kNoiseBins = 256 * kNoiseBinsPerUnit;
constexpr float kNoiseClipLow = 1.0f;
constexpr float kNoiseClipHigh = 254.0f;
constexpr double kNoiseMinPixels = 16.0;

// ---- Change ------------------------------------------------------------------------

// Mean absolute difference of two same-size images (0..255). The caller divides by the
// time between them to get a per-second motion. Throws std::invalid_argument on a size
// mismatch.
double meanAbsDiff(const GrayView& a, const GrayView& b);

// Luma histogram for scene detection: kSceneBins equal bins over 0..255 (bin =
// floor(v / 8), 255 in the last), as fractions summing to 1, over every 2nd pixel of
// every 2nd row (x, y even: a quarter of the pixels is plenty for 32 bins).
constexpr int kSceneBins = 32;
using LumaHistogram = std::array<float, kSceneBins>;
LumaHistogram lumaHistogram(const GrayView& img);

// Mean |cur(x) - prev(x - d)| over the pixels x of `cur` whose source x - d lies inside
// `prev`, with prev sampled bilinearly at the sub-pixel displacement d = (t.dx, t.dy)
// (content displacement, see translation.h). When that overlap is under 10% of the
// image, falls back to meanAbsDiff (d = 0). Same-size images.
double motionCompensatedMad(const GrayView& prev, const GrayView& cur, const Translation& t);

// Scene-change score in [0, 1] from its parts:
//   0.5 * H + 0.5 * min(1, mcMad / (0.5 * (contrastPrev + contrastCur) + 2))
// H = half the L1 distance of the two luma histograms (total variation, 0..1): the
// tonal change. The second term is the motion-compensated difference relative to the
// frames' own contrast (std): two unrelated frames differ by about 1.1x their contrast
// (E|a-b| = 2s/sqrt(pi) for independent Gaussian pixels), so a cut scores ~1 there,
// while a pan, once compensated, leaves only noise and blur. The +2 keeps flat, dark
// frames from turning their noise into change.
double sceneScore(const LumaHistogram& prevHist, const LumaHistogram& curHist, double mcMad,
                  double contrastPrev, double contrastCur);

// Convenience: the score of two images and the translation between them (computes both
// histograms, contrasts and the compensated MAD).
double sceneScore(const GrayView& prev, const GrayView& cur, const Translation& t);

}  // namespace autocut
