#include "metrics/frame_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace autocut {

namespace {

// Row loops keep kLanes independent float partial sums: the compiler vectorises them
// without -ffast-math, and each row's partials are folded into doubles.
constexpr int kLanes = 16;

template <size_t N>
double fold(const float (&acc)[N]) {
  double s = 0.0;
  for (float v : acc) s += v;
  return s;
}

void checkSameSize(const GrayView& a, const GrayView& b, const char* what) {
  if (a.width != b.width || a.height != b.height)
    throw std::invalid_argument(std::string(what) + ": images differ in size (" +
                                std::to_string(a.width) + "x" + std::to_string(a.height) +
                                " vs " + std::to_string(b.width) + "x" +
                                std::to_string(b.height) + ")");
}

}  // namespace

// ---- Quality -----------------------------------------------------------------------

double sharpness(const GrayView& img) {
  const int w = img.width;
  const int h = img.height;
  if (w < 3 || h < 3) return 0.0;
  double sum = 0.0;
  double sumSq = 0.0;
  for (int y = 1; y < h - 1; ++y) {
    const float* up = img.row(y - 1);
    const float* c = img.row(y);
    const float* dn = img.row(y + 1);
    float s[kLanes] = {};
    float ss[kLanes] = {};
    int x = 1;
    for (; x + kLanes <= w - 1; x += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const int i = x + k;
        const float l = up[i] + dn[i] + c[i - 1] + c[i + 1] - 4.0f * c[i];
        s[k] += l;
        ss[k] += l * l;
      }
    }
    double rs = fold(s);
    double rss = fold(ss);
    for (; x < w - 1; ++x) {
      const float l = up[x] + dn[x] + c[x - 1] + c[x + 1] - 4.0f * c[x];
      rs += l;
      rss += static_cast<double>(l) * l;
    }
    sum += rs;
    sumSq += rss;
  }
  const double n = static_cast<double>(w - 2) * (h - 2);
  const double mean = sum / n;
  return std::max(0.0, sumSq / n - mean * mean);
}

Exposure exposure(const GrayView& img) {
  Exposure e;
  const int w = img.width;
  const int h = img.height;
  if (w < 1 || h < 1) return e;
  // Sums are taken around a pivot near the mean (the middle row's mean), so the
  // variance does not lose its digits to cancellation.
  double pivotSum = 0.0;
  for (int x = 0; x < w; ++x) pivotSum += img.row(h / 2)[x];
  const float pivot = static_cast<float>(pivotSum / w);
  double sum = 0.0;
  double sumSq = 0.0;
  double under = 0.0;
  double over = 0.0;
  for (int y = 0; y < h; ++y) {
    const float* r = img.row(y);
    float s[kLanes] = {};
    float ss[kLanes] = {};
    float u[kLanes] = {};
    float o[kLanes] = {};
    int x = 0;
    for (; x + kLanes <= w; x += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const float v = r[x + k];
        const float d = v - pivot;
        s[k] += d;
        ss[k] += d * d;
        u[k] += v <= kUnderexposedLevel ? 1.0f : 0.0f;
        o[k] += v >= kOverexposedLevel ? 1.0f : 0.0f;
      }
    }
    double rs = fold(s);
    double rss = fold(ss);
    double ru = fold(u);
    double ro = fold(o);
    for (; x < w; ++x) {
      const float v = r[x];
      const double d = static_cast<double>(v) - pivot;
      rs += d;
      rss += d * d;
      ru += v <= kUnderexposedLevel ? 1.0 : 0.0;
      ro += v >= kOverexposedLevel ? 1.0 : 0.0;
    }
    sum += rs;
    sumSq += rss;
    under += ru;
    over += ro;
  }
  const double n = static_cast<double>(w) * h;
  const double meanDev = sum / n;
  e.brightness = pivot + meanDev;
  e.contrast = std::sqrt(std::max(0.0, sumSq / n - meanDev * meanDev));
  e.underexposed = under / n;
  e.overexposed = over / n;
  return e;
}

namespace {

// Noise responses of one interior row y (rows r0, r1, r2 = y-1, y, y+1) into absN and g
// at index x-1 for x in 1..w-2, g = +inf where the pixel is not usable (clipped). Both
// 3x3 operators are separable, so the row is done as vertical then horizontal passes
// over contiguous buffers (v2, sm, df: scratch of w floats each). Restrict parameters
// let both loops vectorise.
void noiseRow(const float* r0, const float* r1, const float* r2, int w,
              float* __restrict v2, float* __restrict sm, float* __restrict df,
              float* __restrict absN, float* __restrict g) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int x = 0; x < w; ++x) {
    v2[x] = r0[x] - 2.0f * r1[x] + r2[x];  // [1 -2 1]^T
    sm[x] = r0[x] + 2.0f * r1[x] + r2[x];  // [1 2 1]^T
    df[x] = r2[x] - r0[x];                 // [-1 0 1]^T
  }
  const int n = w - 2;
  for (int i = 0; i < n; ++i) {
    const float nv = v2[i] - 2.0f * v2[i + 1] + v2[i + 2];
    const float gx = sm[i + 2] - sm[i];
    const float gy = df[i] + 2.0f * df[i + 1] + df[i + 2];
    const float c = r1[i + 1];
    const float an = std::fabs(nv);
    const float gm = std::fabs(gx) + std::fabs(gy);
    // Bitwise, not short-circuit: no branches.
    const bool inRange = (c > kNoiseClipLow) & (c < kNoiseClipHigh);
    const float penalty = inRange ? 0.0f : kInf;  // a select of constants vectorises
    absN[i] = an;
    g[i] = gm + penalty;
  }
}

}  // namespace

double noiseSigma(const GrayView& img) {
  const int w = img.width;
  const int h = img.height;
  if (w < 3 || h < 3) return 0.0;
  const int n = w - 2;
  const int rows = (h - 2 + 1) / 2;  // interior rows 1, 3, 5, ...
  // Each measured row's responses are computed once and kept: G (+inf where the pixel
  // is not usable, so no threshold selects it) and |N|, rows of n. Reused per thread, so
  // the per-frame path allocates nothing after the first call.
  thread_local std::vector<float> scratch;
  scratch.resize(static_cast<size_t>(w) * 3 + static_cast<size_t>(rows) * n * 2);
  float* v2 = scratch.data();
  float* sm = v2 + w;
  float* df = sm + w;
  float* gAll = df + w;
  float* nAll = gAll + static_cast<size_t>(rows) * n;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // Pass 1: the responses, and over a sample (every 4th column of those rows) the
  // percentile of G among usable pixels, from a histogram, as a threshold at the upper
  // edge of its bin.
  uint32_t count[kNoiseBins] = {};
  uint32_t sampled = 0;
  for (int r = 0; r < rows; ++r) {
    const int y = 1 + 2 * r;
    float* g = gAll + static_cast<size_t>(r) * n;
    float* absN = nAll + static_cast<size_t>(r) * n;
    noiseRow(img.row(y - 1), img.row(y), img.row(y + 1), w, v2, sm, df, absN, g);
    for (int i = 0; i < n; i += 4) {
      if (g[i] == kInf) continue;
      const float scaled = g[i] * static_cast<float>(kNoiseBinsPerUnit);
      const int bin = scaled >= static_cast<float>(kNoiseBins - 1) ? kNoiseBins - 1
                                                                   : static_cast<int>(scaled);
      ++count[bin];
      ++sampled;
    }
  }
  if (sampled == 0) return 0.0;
  const double target = kNoisePercentile * static_cast<double>(sampled);
  uint32_t taken = 0;
  int bin = 0;
  for (; bin < kNoiseBins - 1; ++bin) {
    taken += count[bin];
    if (static_cast<double>(taken) >= target) break;
  }
  // The open last bin admits every usable pixel (an infinite threshold), never the
  // unusable ones (G = +inf).
  const float threshold = bin == kNoiseBins - 1
                              ? std::numeric_limits<float>::max()
                              : static_cast<float>(bin + 1) / static_cast<float>(kNoiseBinsPerUnit);
  // Pass 2, over the kept rows: mean |N| over the usable pixels below the threshold.
  double sum = 0.0;
  double selected = 0.0;
  for (int r = 0; r < rows; ++r) {
    const float* g = gAll + static_cast<size_t>(r) * n;
    const float* absN = nAll + static_cast<size_t>(r) * n;
    alignas(16) float s[kLanes] = {};
    alignas(16) float c[kLanes] = {};
    int i = 0;
#if defined(__SSE2__)
    // The loop below, written out: the compiler does not vectorise its select. Same
    // lanes, same order, so the same sums bit for bit.
    {
      const __m128 thr = _mm_set1_ps(threshold);
      const __m128 one = _mm_set1_ps(1.0f);
      __m128 vs[kLanes / 4], vc[kLanes / 4];
      for (int q = 0; q < kLanes / 4; ++q) vs[q] = vc[q] = _mm_setzero_ps();
      for (; i + kLanes <= n; i += kLanes) {
        for (int q = 0; q < kLanes / 4; ++q) {
          const __m128 m = _mm_cmplt_ps(_mm_loadu_ps(g + i + 4 * q), thr);
          vs[q] = _mm_add_ps(vs[q], _mm_and_ps(m, _mm_loadu_ps(absN + i + 4 * q)));
          vc[q] = _mm_add_ps(vc[q], _mm_and_ps(m, one));
        }
      }
      for (int q = 0; q < kLanes / 4; ++q) {
        _mm_store_ps(s + 4 * q, vs[q]);
        _mm_store_ps(c + 4 * q, vc[q]);
      }
    }
#endif
    for (; i + kLanes <= n; i += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const bool m = g[i + k] < threshold;
        s[k] += m ? absN[i + k] : 0.0f;
        c[k] += m ? 1.0f : 0.0f;
      }
    }
    double rs = fold(s);
    double rc = fold(c);
    for (; i < n; ++i) {
      const float m = g[i] < threshold ? 1.0f : 0.0f;
      rs += m * absN[i];
      rc += m;
    }
    sum += rs;
    selected += rc;
  }
  if (selected < kNoiseMinPixels) return 0.0;
  const double pi = std::acos(-1.0);
  return std::sqrt(pi / 2.0) / 6.0 * sum / selected;
}

// ---- Change ------------------------------------------------------------------------

double meanAbsDiff(const GrayView& a, const GrayView& b) {
  checkSameSize(a, b, "meanAbsDiff");
  const int w = a.width;
  const int h = a.height;
  if (w < 1 || h < 1) return 0.0;
  double sum = 0.0;
  for (int y = 0; y < h; ++y) {
    const float* ra = a.row(y);
    const float* rb = b.row(y);
    float s[kLanes] = {};
    int x = 0;
    for (; x + kLanes <= w; x += kLanes)
      for (int k = 0; k < kLanes; ++k) s[k] += std::fabs(ra[x + k] - rb[x + k]);
    double rs = fold(s);
    for (; x < w; ++x) rs += std::fabs(ra[x] - rb[x]);
    sum += rs;
  }
  return sum / (static_cast<double>(w) * h);
}

LumaHistogram lumaHistogram(const GrayView& img) {
  LumaHistogram hist{};
  const int w = img.width;
  const int h = img.height;
  if (w < 1 || h < 1) return hist;
  // Four sets of counters taken in turn: neighbouring samples usually share a bin, and
  // one set would make each increment wait for the previous one.
  uint32_t count[4][kSceneBins] = {};
  uint32_t n = 0;
  for (int y = 0; y < h; y += 2) {
    const float* r = img.row(y);
    int x = 0;
    for (; x + 6 < w; x += 8) {
      for (int k = 0; k < 4; ++k) {
        const int bin = static_cast<int>(std::clamp(r[x + 2 * k], 0.0f, 255.0f) * 0.125f);
        ++count[k][std::min(bin, kSceneBins - 1)];
      }
    }
    for (; x < w; x += 2) {
      const int bin = static_cast<int>(std::clamp(r[x], 0.0f, 255.0f) * 0.125f);
      ++count[0][std::min(bin, kSceneBins - 1)];
    }
    n += static_cast<uint32_t>((w + 1) / 2);
  }
  for (int i = 0; i < kSceneBins; ++i) {
    const uint32_t c = count[0][i] + count[1][i] + count[2][i] + count[3][i];
    hist[i] = static_cast<float>(static_cast<double>(c) / n);
  }
  return hist;
}

double motionCompensatedMad(const GrayView& prev, const GrayView& cur, const Translation& t) {
  checkSameSize(prev, cur, "motionCompensatedMad");
  const int w = cur.width;
  const int h = cur.height;
  if (w < 1 || h < 1) return 0.0;
  if (!std::isfinite(t.dx) || !std::isfinite(t.dy) || std::fabs(t.dx) >= w ||
      std::fabs(t.dy) >= h)
    return meanAbsDiff(prev, cur);
  // Source of x is x - d = x + o + f with o integer and f in [0, 1).
  const double sx = -t.dx;
  const double sy = -t.dy;
  const int ox = static_cast<int>(std::floor(sx));
  const int oy = static_cast<int>(std::floor(sy));
  const float fx = static_cast<float>(sx - ox);
  const float fy = static_cast<float>(sy - oy);
  // Both taps must lie inside prev; a zero fraction needs only the first.
  const int x0 = std::max(0, -ox);
  const int x1 = std::min(w - 1, (fx > 0.0f ? w - 2 : w - 1) - ox);
  const int y0 = std::max(0, -oy);
  const int y1 = std::min(h - 1, (fy > 0.0f ? h - 2 : h - 1) - oy);
  const int cols = x1 - x0 + 1;
  const int rows = y1 - y0 + 1;
  if (cols <= 0 || rows <= 0 ||
      static_cast<double>(cols) * rows < 0.1 * static_cast<double>(w) * h)
    return meanAbsDiff(prev, cur);
  const float w00 = (1.0f - fx) * (1.0f - fy);
  const float w01 = fx * (1.0f - fy);
  const float w10 = (1.0f - fx) * fy;
  const float w11 = fx * fy;
  const int dxTap = fx > 0.0f ? 1 : 0;
  double sum = 0.0;
  for (int y = y0; y <= y1; ++y) {
    const float* c = cur.row(y);
    const float* p0 = prev.row(y + oy) + ox;
    const float* p1 = fy > 0.0f ? prev.row(y + oy + 1) + ox : p0;
    float s[kLanes] = {};
    int x = x0;
    for (; x + kLanes <= x1 + 1; x += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        const int i = x + k;
        const float v = w00 * p0[i] + w01 * p0[i + dxTap] + w10 * p1[i] + w11 * p1[i + dxTap];
        s[k] += std::fabs(c[i] - v);
      }
    }
    double rs = fold(s);
    for (; x <= x1; ++x) {
      const float v = w00 * p0[x] + w01 * p0[x + dxTap] + w10 * p1[x] + w11 * p1[x + dxTap];
      rs += std::fabs(c[x] - v);
    }
    sum += rs;
  }
  return sum / (static_cast<double>(cols) * rows);
}

double sceneScore(const LumaHistogram& prevHist, const LumaHistogram& curHist, double mcMad,
                  double contrastPrev, double contrastCur) {
  double l1 = 0.0;
  for (int i = 0; i < kSceneBins; ++i)
    l1 += std::fabs(static_cast<double>(prevHist[i]) - curHist[i]);
  const double tonal = std::min(1.0, 0.5 * l1);
  const double scale = 0.5 * (std::max(0.0, contrastPrev) + std::max(0.0, contrastCur)) + 2.0;
  const double change = std::min(1.0, std::max(0.0, mcMad) / scale);
  return 0.5 * tonal + 0.5 * change;
}

double sceneScore(const GrayView& prev, const GrayView& cur, const Translation& t) {
  const double mad = motionCompensatedMad(prev, cur, t);
  return sceneScore(lumaHistogram(prev), lumaHistogram(cur), mad, exposure(prev).contrast,
                    exposure(cur).contrast);
}

}  // namespace autocut
