// cpp/metrics: the per-frame kernels and the series post-processing on synthetic
// arrays with known answers (run under ASan/UBSan in CI, so strided and padded planes
// also prove the kernels stay inside their rows).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "test_planes.h"
#include "metrics/fft.h"
#include "metrics/frame_metrics.h"
#include "metrics/image.h"
#include "metrics/plane.h"
#include "metrics/temporal.h"
#include "metrics/translation.h"

using namespace autocut;
using autocut::testing::TestPlane;

namespace {

template <typename F>
GrayImage makeImage(int w, int h, F f) {
  GrayImage img;
  img.resize(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.row(y)[x] = static_cast<float>(f(x, y));
  return img;
}

// A smooth, non-periodic pattern evaluated in continuous coordinates, so a shifted copy
// is exact at any sub-pixel displacement.
struct SmoothPattern {
  struct Wave {
    double kx, ky, phase, amp;
  };
  struct Blob {
    double cx, cy, sigma, amp;
  };
  std::vector<Wave> waves;
  std::vector<Blob> blobs;

  explicit SmoothPattern(unsigned seed, int w = 640, int h = 360) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double pi = std::acos(-1.0);
    for (int i = 0; i < 6; ++i) {
      const double wavelength = 25.0 + 90.0 * u(rng);
      const double angle = 2.0 * pi * u(rng);
      waves.push_back({2.0 * pi / wavelength * std::cos(angle),
                       2.0 * pi / wavelength * std::sin(angle), 2.0 * pi * u(rng),
                       8.0 + 10.0 * u(rng)});
    }
    for (int i = 0; i < 40; ++i)
      blobs.push_back({-100.0 + (w + 200.0) * u(rng), -100.0 + (h + 200.0) * u(rng),
                       4.0 + 14.0 * u(rng), (u(rng) < 0.5 ? -1.0 : 1.0) * (20.0 + 40.0 * u(rng))});
  }

  double operator()(double x, double y) const {
    double v = 128.0;
    for (const Wave& w : waves) v += w.amp * std::sin(w.kx * x + w.ky * y + w.phase);
    for (const Blob& b : blobs) {
      const double dx = x - b.cx, dy = y - b.cy;
      v += b.amp * std::exp(-(dx * dx + dy * dy) / (2.0 * b.sigma * b.sigma));
    }
    return v;
  }

  // The pattern with its content displaced by (dx, dy): img(x) = pattern(x - d).
  GrayImage render(int w, int h, double dx, double dy) const {
    return makeImage(w, h, [&](int x, int y) { return (*this)(x - dx, y - dy); });
  }
};

void addNoise(GrayImage& img, double sigma, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, static_cast<float>(sigma));
  for (float& v : img.px) v += n(rng);
}

}  // namespace

// ---- Analysis grid and downscale --------------------------------------------------------

TEST(AnalysisGrid, ShortSideBecomesAnalysisSizeNeverUpscaled) {
  auto eq = [](GridSize g, int w, int h) { return g.width == w && g.height == h; };
  EXPECT_TRUE(eq(analysisGrid(1920, 1080), 640, 360));
  EXPECT_TRUE(eq(analysisGrid(1280, 720), 640, 360));
  EXPECT_TRUE(eq(analysisGrid(3840, 2160), 640, 360));
  EXPECT_TRUE(eq(analysisGrid(1080, 1920), 360, 640));
  EXPECT_TRUE(eq(analysisGrid(1920, 1088), 635, 360));
  EXPECT_TRUE(eq(analysisGrid(640, 360), 640, 360));
  EXPECT_TRUE(eq(analysisGrid(320, 240), 320, 240));
  EXPECT_TRUE(eq(analysisGrid(1920, 1080, 0), 1920, 1080));
  EXPECT_TRUE(eq(analysisGrid(1920, 1080, 720), 1280, 720));
}

TEST(Downscale, IntegerFactorIsBlockMean) {
  TestPlane<uint8_t> p(6, 4, 8, 0, [](int x, int y) { return x * 10 + y * 40; });
  GrayImage out;
  AreaDownscaler d;
  d.run(p.view, 3, 2, false, out);
  ASSERT_EQ(out.width, 3);
  ASSERT_EQ(out.height, 2);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) {
      // Block mean of x*10 + y*40 over {2x, 2x+1} x {2y, 2y+1}.
      const double expect = (2 * x + 0.5) * 10 + (2 * y + 0.5) * 40;
      EXPECT_NEAR(out.row(y)[x], expect, 1e-4);
    }
}

TEST(Downscale, FractionalFactorWeighsOverlaps) {
  // 3 -> 2: output 0 = s0 + s1/2 over 1.5, output 1 = s1/2 + s2 over 1.5.
  TestPlane<uint8_t> p(3, 3, 8, 0, [](int x, int) { return std::array<int, 3>{30, 60, 120}[x]; });
  GrayImage out;
  AreaDownscaler d;
  d.run(p.view, 2, 1, false, out);
  EXPECT_NEAR(out.row(0)[0], (30 + 30) / 1.5, 1e-4);
  EXPECT_NEAR(out.row(0)[1], (30 + 120) / 1.5, 1e-4);
}

TEST(Downscale, ConstantStaysConstantAtAnyRatio) {
  TestPlane<uint8_t> p(1000, 563, 8, 0, [](int, int) { return 77; });
  GrayImage out;
  downscaleLuma(p.view, out, 360);
  ASSERT_EQ(out.height, 360);
  ASSERT_EQ(out.width, 639);
  for (float v : out.px) ASSERT_NEAR(v, 77.0f, 1e-3f);
}

TEST(Downscale, TenBitAndLimitedRangeNormaliseTo8BitFull) {
  GrayImage out;
  AreaDownscaler d;
  TestPlane<uint16_t> ten(4, 1, 10, 0,
                          [](int x, int) { return std::array<int, 4>{0, 512, 64, 940}[x]; });
  d.run(ten.view, 4, 1, false, out);
  EXPECT_FLOAT_EQ(out.row(0)[0], 0.0f);
  EXPECT_FLOAT_EQ(out.row(0)[1], 128.0f);
  EXPECT_FLOAT_EQ(out.row(0)[2], 16.0f);
  EXPECT_FLOAT_EQ(out.row(0)[3], 235.0f);
  d.run(ten.view, 4, 1, true, out);
  EXPECT_FLOAT_EQ(out.row(0)[0], 0.0f);  // below 16: clamped
  EXPECT_NEAR(out.row(0)[1], (128.0f - 16.0f) * 255.0f / 219.0f, 1e-3);
  EXPECT_NEAR(out.row(0)[2], 0.0f, 1e-4);
  EXPECT_NEAR(out.row(0)[3], 255.0f, 1e-3);

  TestPlane<uint8_t> eight(4, 1, 8, 0,
                          [](int x, int) { return std::array<int, 4>{16, 126, 235, 255}[x]; });
  d.run(eight.view, 4, 1, true, out);
  EXPECT_NEAR(out.row(0)[0], 0.0f, 1e-4);
  EXPECT_NEAR(out.row(0)[1], 110.0f * 255.0f / 219.0f, 1e-3);
  EXPECT_NEAR(out.row(0)[2], 255.0f, 1e-3);
  EXPECT_FLOAT_EQ(out.row(0)[3], 255.0f);  // super-white clamped

  // 16-bit full range: 2^16 - 256 -> 255.
  TestPlane<uint16_t> sixteen(2, 1, 16, 0, [](int x, int) { return x ? 65280 : 256; });
  d.run(sixteen.view, 2, 1, false, out);
  EXPECT_FLOAT_EQ(out.row(0)[0], 1.0f);
  EXPECT_FLOAT_EQ(out.row(0)[1], 255.0f);
}

TEST(Downscale, StridedPaddedPlaneMatchesContiguous) {
  std::mt19937 rng(3);
  std::vector<int> values(1920 * 1080);
  for (int& v : values) v = static_cast<int>(rng() % 1024);
  auto f = [&](int x, int y) { return values[y * 1920 + x]; };
  TestPlane<uint16_t> tight(1920, 1080, 10, 0, f);
  TestPlane<uint16_t> padded(1920, 1080, 10, 64, f);
  GrayImage a, b;
  AreaDownscaler d;
  d.run(tight.view, 640, 360, true, a);
  d.run(padded.view, 640, 360, true, b);
  EXPECT_EQ(a.px, b.px);
  // 3x3 block means of 10-bit values, / 4, limited range.
  const double raw = (f(3, 6) + f(4, 6) + f(5, 6) + f(3, 7) + f(4, 7) + f(5, 7) + f(3, 8) +
                      f(4, 8) + f(5, 8)) / 9.0;
  const double expect = std::clamp((raw / 4.0 - 16.0) * 255.0 / 219.0, 0.0, 255.0);
  EXPECT_NEAR(a.row(2)[1], expect, 1e-3);
}

TEST(Downscale, ReusedAcrossFramesWithoutReallocation) {
  TestPlane<uint8_t> p(1280, 720, 8, 32, [](int x, int y) { return (x + y) & 255; });
  GrayImage out;
  AreaDownscaler d;
  d.run(p.view, 640, 360, false, out);
  const float* data = out.px.data();
  for (int i = 0; i < 3; ++i) d.run(p.view, 640, 360, false, out);
  EXPECT_EQ(out.px.data(), data);
}

TEST(Downscale, RejectsBadArguments) {
  TestPlane<uint8_t> p(8, 8, 8, 0, [](int, int) { return 0; });
  GrayImage out;
  AreaDownscaler d;
  EXPECT_THROW(d.run(p.view, 9, 8, false, out), std::invalid_argument);
  EXPECT_THROW(d.run(p.view, 0, 8, false, out), std::invalid_argument);
  PlaneView bad = p.view;
  bad.bitDepth = 17;
  EXPECT_THROW(d.run(bad, 4, 4, false, out), std::invalid_argument);
  bad = p.view;
  bad.stride = 4;
  EXPECT_THROW(d.run(bad, 4, 4, false, out), std::invalid_argument);
}

// ---- Chroma --------------------------------------------------------------------------------

TEST(Chroma, GreyIsZeroAndConstantTintIsOffsetTerm) {
  TestPlane<uint8_t> grey(320, 180, 8, 16, [](int, int) { return 128; });
  EXPECT_DOUBLE_EQ(colorfulness(chromaStats(grey.view, grey.view)), 0.0);
  TestPlane<uint8_t> u(320, 180, 8, 16, [](int, int) { return 128 + 30; });
  TestPlane<uint8_t> v(320, 180, 8, 16, [](int, int) { return 128 - 40; });
  const ChromaStats c = chromaStats(u.view, v.view);
  EXPECT_DOUBLE_EQ(c.meanU, 158.0);
  EXPECT_DOUBLE_EQ(c.meanV, 88.0);
  EXPECT_DOUBLE_EQ(c.varU, 0.0);
  EXPECT_NEAR(colorfulness(c), 0.3 * 50.0, 1e-9);
}

TEST(Chroma, VarianceTenBitLimitedRangeAndStep) {
  // Alternating 128 +- 20 (8-bit units) as 10-bit limited range.
  auto f = [](int x, int) { return (x % 2 ? 512 + 80 : 512 - 80); };
  TestPlane<uint16_t> u(64, 32, 10, 8, f);
  TestPlane<uint16_t> v(64, 32, 10, 8, [](int, int) { return 512; });
  const ChromaStats c = chromaStats(u.view, v.view, true);
  const double k = 255.0 / 224.0;
  EXPECT_NEAR(c.meanU, 128.0, 1e-9);
  EXPECT_NEAR(c.varU, 400.0 * k * k, 1e-6);
  EXPECT_NEAR(colorfulness(c), 20.0 * k, 1e-6);
  // Step 2 reads only even columns: constant.
  const ChromaStats s = chromaStats(u.view, v.view, true, 2);
  EXPECT_NEAR(s.varU, 0.0, 1e-9);
  EXPECT_NEAR(s.meanU, 128.0 - 20.0 * k, 1e-9);
  TestPlane<uint16_t> other(32, 32, 10, 0, [](int, int) { return 512; });
  EXPECT_THROW(chromaStats(u.view, other.view, true), std::invalid_argument);
}

// ---- Quality kernels ---------------------------------------------------------------------

TEST(Sharpness, ConstantAndLinearAreZeroCheckerboardKnown) {
  EXPECT_DOUBLE_EQ(sharpness(makeImage(64, 48, [](int, int) { return 90.0; }).view()), 0.0);
  EXPECT_NEAR(sharpness(makeImage(64, 48, [](int x, int y) { return 2.0 * x + 0.5 * y; }).view()),
              0.0, 1e-6);
  // Checkerboard of 100 / 140: L = +-4 * 40 everywhere.
  const GrayImage cb = makeImage(65, 49, [](int x, int y) { return (x + y) % 2 ? 140.0 : 100.0; });
  const double n = 63.0 * 47.0;
  const double mean = 160.0 / n;  // one more -160 than +160 ... or the reverse
  EXPECT_NEAR(sharpness(cb.view()), 160.0 * 160.0 - mean * mean, 1.0);
  EXPECT_EQ(sharpness(makeImage(2, 10, [](int, int) { return 1.0; }).view()), 0.0);
}

TEST(Sharpness, BlurLowersIt) {
  const SmoothPattern pat(11);
  GrayImage sharp = makeImage(320, 180, [&](int x, int y) {
    return pat(x, y) + ((x / 8 + y / 8) % 2) * 40.0;  // smooth content and hard tiles
  });
  GrayImage blur = sharp;
  for (int y = 1; y < 179; ++y)
    for (int x = 1; x < 319; ++x) {
      double s = 0;
      for (int j = -1; j <= 1; ++j)
        for (int i = -1; i <= 1; ++i) s += sharp.row(y + j)[x + i];
      blur.row(y)[x] = static_cast<float>(s / 9.0);
    }
  EXPECT_LT(sharpness(blur.view()), 0.5 * sharpness(sharp.view()));
}

TEST(Exposure, MeanStdAndClippedFractions) {
  // Quarter at 0, quarter at 250, half at 100.
  const GrayImage img = makeImage(40, 40, [](int x, int y) {
    if (y < 10) return 0.0;
    if (y < 20) return 250.0;
    return 100.0 + 0.0 * x;
  });
  const Exposure e = exposure(img.view());
  EXPECT_NEAR(e.brightness, (0.0 + 250.0 + 200.0) / 4.0, 1e-9);
  const double m = e.brightness;
  const double var = (m * m + (250 - m) * (250 - m) + 2 * (100 - m) * (100 - m)) / 4.0;
  EXPECT_NEAR(e.contrast, std::sqrt(var), 1e-6);
  EXPECT_DOUBLE_EQ(e.underexposed, 0.25);
  EXPECT_DOUBLE_EQ(e.overexposed, 0.25);
  const GrayImage levels = makeImage(8, 2, [](int, int y) { return y ? 16.0 : 240.0; });
  const Exposure edge = exposure(levels.view());
  EXPECT_DOUBLE_EQ(edge.underexposed, 0.5);  // <= 16 and >= 240 both inclusive
  EXPECT_DOUBLE_EQ(edge.overexposed, 0.5);
}

TEST(Exposure, LowContrastKeepsPrecision) {
  const GrayImage img =
      makeImage(640, 360, [](int x, int y) { return 200.0 + ((x + y) % 2 ? 0.01 : -0.01); });
  const Exposure e = exposure(img.view());
  EXPECT_NEAR(e.contrast, 0.01, 1e-4);
}

TEST(Noise, ConstantAndRampsAreZero) {
  EXPECT_DOUBLE_EQ(noiseSigma(makeImage(64, 48, [](int, int) { return 90.0; }).view()), 0.0);
  EXPECT_NEAR(noiseSigma(makeImage(64, 48, [](int x, int y) { return 20.0 + x + 0.5 * y; }).view()),
              0.0, 1e-4);
}

TEST(Noise, RecoversGaussianSigmaOnFlatAndTexturedContent) {
  for (double sigma : {2.0, 5.0, 10.0}) {
    GrayImage flat = makeImage(640, 360, [](int, int) { return 120.0; });
    addNoise(flat, sigma, 1);
    EXPECT_NEAR(noiseSigma(flat.view()), sigma, 0.08 * sigma) << sigma;
  }
  // Strong structure everywhere but the sky: smooth pattern, hard-edged tiles, stripes.
  const SmoothPattern pat(5);
  auto textured = makeImage(640, 360, [&](int x, int y) {
    if (y < 90) return 180.0 + 0.05 * x;  // sky: a gentle gradient
    double v = pat(x, y);
    if ((x / 13 + y / 11) % 3 == 0) v += 35.0;
    if (x > 400) v += 25.0 * std::sin(x * 1.3) * std::sin(y * 0.9);
    return v;
  });
  const double clean = noiseSigma(textured.view());
  EXPECT_LT(clean, 0.5);
  GrayImage noisy = textured;
  addNoise(noisy, 4.0, 2);
  EXPECT_NEAR(noiseSigma(noisy.view()), 4.0, 0.6);
}

TEST(Noise, FineStaticTextureIsNotNoise) {
  // Gravel-like: random blobs at all scales except the very finest, plus flat regions.
  std::mt19937 rng(9);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  GrayImage coarse = makeImage(160, 90, [&](int, int) { return 60.0 + 140.0 * u(rng); });
  GrayImage img = makeImage(640, 360, [&](int x, int y) {
    if (x < 200) return 90.0;  // wall
    // Bilinear upsample x4 of random values: texture, spatially correlated.
    const double fx = x / 4.0, fy = y / 4.0;
    const int ix = std::min(static_cast<int>(fx), 158), iy = std::min(static_cast<int>(fy), 88);
    const double ax = fx - ix, ay = fy - iy;
    return (1 - ax) * (1 - ay) * coarse.row(iy)[ix] + ax * (1 - ay) * coarse.row(iy)[ix + 1] +
           (1 - ax) * ay * coarse.row(iy + 1)[ix] + ax * ay * coarse.row(iy + 1)[ix + 1];
  });
  addNoise(img, 1.0, 4);
  EXPECT_NEAR(noiseSigma(img.view()), 1.0, 0.2);
}

TEST(Noise, FlatSyntheticGraphicsReadNoiseless) {
  // Hard-edged flat tiles and a ramp, like a test pattern: no noise to measure.
  auto tiles = [](int x, int y) {
    if (y > 300) return 20.0 + 0.3 * x;
    return 40.0 + 30.0 * ((x / 50 + 3 * (y / 40)) % 6);
  };
  GrayImage img = makeImage(640, 360, tiles);
  EXPECT_LT(noiseSigma(img.view()), 0.05);
  addNoise(img, 3.0, 8);
  EXPECT_NEAR(noiseSigma(img.view()), 3.0, 0.3);
}

TEST(Noise, ClippedRegionsAreIgnored) {
  // Letterbox bars (exactly 0) over a third of the picture, noise 3 elsewhere.
  GrayImage img =
      makeImage(640, 360, [](int, int y) { return (y < 60 || y >= 300) ? 0.0 : 110.0; });
  std::mt19937 rng(6);
  std::normal_distribution<float> n(0.0f, 3.0f);
  for (int y = 60; y < 300; ++y)
    for (int x = 0; x < 640; ++x) img.row(y)[x] += n(rng);
  EXPECT_NEAR(noiseSigma(img.view()), 3.0, 0.3);
}

// ---- Change kernels ----------------------------------------------------------------------

TEST(MeanAbsDiff, KnownValueAndSizeCheck) {
  const GrayImage a = makeImage(10, 10, [](int, int) { return 10.0; });
  const GrayImage b = makeImage(10, 10, [](int x, int) { return x < 5 ? 14.0 : 10.0; });
  EXPECT_DOUBLE_EQ(meanAbsDiff(a.view(), b.view()), 2.0);
  const GrayImage c = makeImage(10, 9, [](int, int) { return 0.0; });
  EXPECT_THROW(meanAbsDiff(a.view(), c.view()), std::invalid_argument);
}

TEST(Fft, MatchesDirectDftAndRoundTrips) {
  const int n = 32;
  std::vector<std::complex<float>> x(n), y;
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  for (auto& v : x) v = {g(rng), g(rng)};
  y = x;
  Fft f(n);
  f.forward(y.data());
  const double pi = std::acos(-1.0);
  for (int k = 0; k < n; ++k) {
    std::complex<double> s = 0;
    for (int j = 0; j < n; ++j)
      s += std::complex<double>(x[j]) * std::polar(1.0, -2.0 * pi * j * k / n);
    EXPECT_NEAR(y[k].real(), s.real(), 1e-4);
    EXPECT_NEAR(y[k].imag(), s.imag(), 1e-4);
  }
  f.inverse(y.data());
  for (int j = 0; j < n; ++j) EXPECT_NEAR(y[j].real() / n, x[j].real(), 1e-5);
  EXPECT_THROW(Fft(12), std::invalid_argument);
}

struct ShiftCase {
  double dx, dy;
};

class TranslationTest : public ::testing::TestWithParam<ShiftCase> {};

TEST_P(TranslationTest, RecoversContentDisplacement) {
  const ShiftCase c = GetParam();
  const SmoothPattern pat(21);
  const GrayImage a = pat.render(640, 360, 0.0, 0.0);
  const GrayImage b = pat.render(640, 360, c.dx, c.dy);
  TranslationEstimator est;
  const Translation t = est.estimate(a.view(), b.view());
  EXPECT_NEAR(t.dx, c.dx, 0.25);
  EXPECT_NEAR(t.dy, c.dy, 0.25);
  EXPECT_GT(t.confidence, 0.05);
  // Reverse direction gives the opposite displacement.
  const Translation r = est.estimate(b.view(), a.view());
  EXPECT_NEAR(r.dx, -c.dx, 0.25);
  EXPECT_NEAR(r.dy, -c.dy, 0.25);
}

INSTANTIATE_TEST_SUITE_P(Shifts, TranslationTest,
                         ::testing::Values(ShiftCase{0, 0}, ShiftCase{1, 0}, ShiftCase{0, -1},
                                           ShiftCase{7, -3}, ShiftCase{-40, 12},
                                           ShiftCase{96, 0}, ShiftCase{-96, 20},
                                           ShiftCase{2.3, -1.7}, ShiftCase{0.25, 0.5},
                                           ShiftCase{-13.6, 8.4}, ShiftCase{30.5, -30.5}),
                         [](const ::testing::TestParamInfo<ShiftCase>& info) {
                           return "case" + std::to_string(info.index);
                         });

TEST(Translation, NoisyPortraitAndSmallImages) {
  const SmoothPattern pat(8, 360, 640);
  GrayImage a = pat.render(360, 640, 0.0, 0.0);
  GrayImage b = pat.render(360, 640, -5.4, 21.2);
  addNoise(a, 4.0, 1);
  addNoise(b, 4.0, 2);
  Translation t = estimateTranslation(a.view(), b.view());
  EXPECT_NEAR(t.dx, -5.4, 0.25);
  EXPECT_NEAR(t.dy, 21.2, 0.25);

  const SmoothPattern small(3, 96, 64);
  const GrayImage sa = small.render(96, 64, 0.0, 0.0);
  const GrayImage sb = small.render(96, 64, 3.5, -2.25);
  t = estimateTranslation(sa.view(), sb.view());
  EXPECT_NEAR(t.dx, 3.5, 0.25);
  EXPECT_NEAR(t.dy, -2.25, 0.25);
}

TEST(Translation, FeaturelessIsZeroWithNoConfidence) {
  const GrayImage a = makeImage(640, 360, [](int, int) { return 50.0; });
  const Translation t = estimateTranslation(a.view(), a.view());
  EXPECT_EQ(t.dx, 0.0);
  EXPECT_EQ(t.dy, 0.0);
  EXPECT_EQ(t.confidence, 0.0);
  const GrayImage b = makeImage(640, 361, [](int, int) { return 50.0; });
  EXPECT_THROW(estimateTranslation(a.view(), b.view()), std::invalid_argument);
}

TEST(Translation, DominantMotionWinsOverAMovingObject) {
  const SmoothPattern pat(4);
  const GrayImage a = pat.render(640, 360, 0.0, 0.0);
  GrayImage b = pat.render(640, 360, 12.0, -4.0);
  // A bright object (a sixth of the frame) that moved elsewhere.
  for (int y = 100; y < 220; ++y)
    for (int x = 300; x < 460; ++x) b.row(y)[x] = 230.0f;
  const Translation t = estimateTranslation(a.view(), b.view());
  EXPECT_NEAR(t.dx, 12.0, 0.25);
  EXPECT_NEAR(t.dy, -4.0, 0.25);
}

TEST(Translation, SequenceReusesPyramidsWithIdenticalResults) {
  // estimateNext (the previous `cur` pyramid kept) gives exactly what estimate gives,
  // through a size change and back.
  const SmoothPattern pat(5);
  std::vector<GrayImage> frames;
  for (int i = 0; i < 4; ++i) frames.push_back(pat.render(640, 360, 3.0 * i, -1.5 * i));
  frames.push_back(pat.render(320, 180, 0.0, 0.0));
  frames.push_back(pat.render(320, 180, 2.0, 1.0));
  frames.push_back(pat.render(640, 360, 0.0, 0.0));
  frames.push_back(pat.render(640, 360, 4.0, 2.0));
  TranslationEstimator seq;
  for (size_t i = 1; i < frames.size(); ++i) {
    if (frames[i].width != frames[i - 1].width) continue;  // a size change: no pair
    const Translation a = seq.estimateNext(frames[i - 1].view(), frames[i].view());
    const Translation b = estimateTranslation(frames[i - 1].view(), frames[i].view());
    EXPECT_EQ(a.dx, b.dx) << i;
    EXPECT_EQ(a.dy, b.dy) << i;
    EXPECT_EQ(a.confidence, b.confidence) << i;
  }
}

TEST(SceneScore, PanIsLowCutIsHigh) {
  const SmoothPattern pat(1), other(2);
  const GrayImage a = pat.render(640, 360, 0.0, 0.0);
  const GrayImage pan = pat.render(640, 360, 37.3, 0.0);
  const GrayImage cut = other.render(640, 360, 0.0, 0.0);
  const Translation tp = estimateTranslation(a.view(), pan.view());
  EXPECT_LT(motionCompensatedMad(a.view(), pan.view(), tp),
            0.1 * meanAbsDiff(a.view(), pan.view()));
  const double panScore = sceneScore(a.view(), pan.view(), tp);
  const double cutScore =
      sceneScore(a.view(), cut.view(), estimateTranslation(a.view(), cut.view()));
  EXPECT_LT(panScore, 0.1);
  EXPECT_GT(cutScore, 0.4);
  EXPECT_LE(cutScore, 1.0);
  EXPECT_DOUBLE_EQ(sceneScore(a.view(), a.view(), Translation{}), 0.0);
}

TEST(SceneScore, CompensatedMadAtZeroShiftIsPlainMad) {
  const SmoothPattern pat(1), other(2);
  const GrayImage a = pat.render(64, 48, 0.0, 0.0);
  const GrayImage b = other.render(64, 48, 0.0, 0.0);
  EXPECT_NEAR(motionCompensatedMad(a.view(), b.view(), Translation{}),
              meanAbsDiff(a.view(), b.view()), 1e-6);
  // Shifts with less than 10% overlap fall back to the plain difference.
  EXPECT_NEAR(motionCompensatedMad(a.view(), b.view(), Translation{60.0, 0.0, 0.0}),
              meanAbsDiff(a.view(), b.view()), 1e-6);
  // An exact integer shift: zero over the overlap.
  const GrayImage s = pat.render(64, 48, 5.0, -3.0);
  EXPECT_NEAR(motionCompensatedMad(a.view(), s.view(), Translation{5.0, -3.0, 1.0}), 0.0, 1e-4);
}

TEST(LumaHistogram, BinsOfEightSumToOne) {
  // Read on even x and y: the sampled values are 0.5, 16.5, ..., 240.5.
  const GrayImage img =
      makeImage(32, 31, [](int x, int) { return (x / 2) * 16.0 + 0.5 + (x % 2) * 99.0; });
  const LumaHistogram h = lumaHistogram(img.view());
  double s = 0;
  for (float v : h) s += v;
  EXPECT_NEAR(s, 1.0, 1e-6);
  for (int b = 0; b < kSceneBins; ++b) EXPECT_FLOAT_EQ(h[b], b % 2 ? 0.0f : 1.0f / 16.0f) << b;
  const LumaHistogram top = lumaHistogram(makeImage(4, 4, [](int, int) { return 255.0; }).view());
  EXPECT_FLOAT_EQ(top[31], 1.0f);
}

// ---- Series -------------------------------------------------------------------------------

TEST(Shake, LinearPanIsZeroSineJitterIsHigh) {
  const double fps = 30.0;
  const int n = 300;
  std::vector<double> t(n);
  std::vector<float> vx(n), vy(n), jx(n), jy(n);
  const double pi = std::acos(-1.0);
  const double amp = 4.0, freq = 6.0;
  auto jitter = [&](double s) { return amp * std::sin(2 * pi * freq * s); };
  for (int i = 0; i < n; ++i) {
    t[i] = i / fps;
    vx[i] = 120.0f;  // px/s
    vy[i] = -30.0f;
    if (i > 0) {
      jx[i] = static_cast<float>((120.0 / fps + jitter(t[i]) - jitter(t[i - 1])) * fps);
      jy[i] = static_cast<float>((jitter(t[i] + 0.03) - jitter(t[i - 1] + 0.03)) * fps);
    }
  }
  const auto smooth = shake(t, vx, vy);
  for (float s : smooth) EXPECT_LT(s, 1e-3);
  const auto shaky = shake(t, jx, jy);
  for (int i = 30; i < n - 30; ++i) EXPECT_NEAR(shaky[i], amp, 0.25 * amp);  // sqrt(2)*A/sqrt(2)
}

TEST(Shake, VariableFrameRateAndCuts) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> u(0.02, 0.05);
  std::vector<double> t{0.0};
  while (t.size() < 200) t.push_back(t.back() + u(rng));
  std::vector<float> vx(t.size(), 250.0f), vy(t.size(), 0.0f);
  // A cut at 100: the bogus motion across it must not show up as shake.
  vx[100] = 50000.0f;
  const std::vector<int> cuts{100};
  const auto s = shake(t, vx, vy, cuts);
  for (float v : s) EXPECT_LT(v, 1e-3);
  const auto withoutCut = shake(t, vx, vy);
  EXPECT_GT(withoutCut[100], 10.0f);
  EXPECT_THROW(shake(t, vx, std::vector<float>(3)), std::invalid_argument);
  std::vector<double> back = t;
  back[5] = back[4] - 0.1;
  EXPECT_THROW(shake(back, vx, vy), std::invalid_argument);
}

TEST(SceneCuts, AdaptiveThresholdLocalMaximaAndSpacing) {
  const int n = 600;  // 20 s at 30 fps
  std::vector<double> t(n);
  std::vector<float> s(n);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (int i = 0; i < n; ++i) {
    t[i] = i / 30.0;
    s[i] = 0.02f + 0.03f * u(rng);
    if (i >= 300 && i < 420) s[i] = 0.32f + 0.12f * u(rng);  // fast action: high but busy
  }
  s[0] = 0.0f;
  s[100] = 0.8f;               // a clean cut
  s[200] = 0.7f;               // a cut whose next frame also changes a lot
  s[201] = 0.5f;
  s[250] = 0.9f;               // two spikes within 0.5 s: the higher one stays
  s[258] = 0.6f;
  s[360] = 0.95f;              // a cut inside the busy section
  const auto cuts = sceneCuts(t, s);
  EXPECT_EQ(cuts, (std::vector<int>{100, 200, 250, 360}));
  // A lone flat series has no cuts.
  std::vector<float> quiet(n, 0.05f);
  EXPECT_TRUE(sceneCuts(t, quiet).empty());
}

TEST(Quality, InRangeAndMonotone) {
  const QualityInputs good{400.0, 120.0, 0.01, 0.0, 0.8, 0.3};
  const double q = quality(good);
  EXPECT_GT(q, 0.7);
  EXPECT_LE(q, 1.0);
  auto with = [&](auto f) {
    QualityInputs i = good;
    f(i);
    return quality(i);
  };
  double prev = q;
  for (double s : {200.0, 100.0, 40.0, 10.0, 0.0}) {
    const double v = with([&](QualityInputs& i) { i.sharpness = s; });
    EXPECT_LT(v, prev);
    prev = v;
  }
  prev = q;
  for (double b : {70.0, 50.0, 30.0, 10.0}) {
    const double v = with([&](QualityInputs& i) { i.brightness = b; });
    EXPECT_LT(v, prev);
    prev = v;
  }
  prev = q;
  for (double b : {190.0, 210.0, 240.0}) {
    const double v = with([&](QualityInputs& i) { i.brightness = b; });
    EXPECT_LT(v, q);
    EXPECT_LT(v, prev);
    prev = v;
  }
  prev = q;
  for (double nz : {2.0, 4.0, 8.0, 16.0}) {
    const double v = with([&](QualityInputs& i) { i.noise = nz; });
    EXPECT_LT(v, prev);
    prev = v;
  }
  prev = q;
  for (double sh : {1.0, 3.0, 6.0, 12.0}) {
    const double v = with([&](QualityInputs& i) { i.shake = sh; });
    EXPECT_LT(v, prev);
    prev = v;
  }
  EXPECT_LT(with([](QualityInputs& i) { i.underexposed = 0.4; }), q);
  EXPECT_LT(with([](QualityInputs& i) { i.overexposed = 0.4; }), q);
  EXPECT_GE(with([](QualityInputs& i) { i.sharpness = 0.0; i.underexposed = 1.0; }), 0.0);

  const std::vector<float> sh{400.0f, 40.0f}, br{120.0f, 120.0f}, un{0.0f, 0.0f}, ov{0.0f, 0.0f},
      nz{0.5f, 0.5f}, sk{0.0f, 0.0f};
  const auto series = quality(sh, br, un, ov, nz, sk);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_GT(series[0], series[1]);
}
