#include "metrics/image.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace autocut {

namespace {

void checkPlane(const PlaneView& p, const char* what) {
  if (p.data == nullptr || p.width < 1 || p.height < 1)
    throw std::invalid_argument(std::string(what) + ": empty plane");
  if (p.bitDepth < 8 || p.bitDepth > 16)
    throw std::invalid_argument(std::string(what) + ": bit depth " + std::to_string(p.bitDepth) +
                                " outside 8..16");
  if (p.stride < static_cast<ptrdiff_t>(p.width) * p.bytesPerSample())
    throw std::invalid_argument(std::string(what) + ": stride smaller than a row");
}

// Horizontal pass for an integer factor K known at compile time (the common 1x..4x,
// 6x), with the output's affine map folded in.
// Sums are exact in int32_t for integer rows (at most 16 x 65535 per sample here);
// signed, because int32 -> float converts in one vector instruction and uint32 does not.
template <typename S>
using SumOf = std::conditional_t<std::is_integral_v<S>, int32_t, float>;

template <int K, typename S>
void sumRowFixed(const S* src, float* dst, int n, float scale, float offset) {
  for (int x = 0; x < n; ++x) {
    SumOf<S> s = 0;
    for (int k = 0; k < K; ++k) s += src[x * K + k];
    dst[x] = std::clamp(static_cast<float>(s) * scale + offset, 0.0f, 255.0f);
  }
}

template <typename S>
void sumRowFactor(const S* src, float* dst, int n, int k, float scale, float offset) {
  for (int x = 0; x < n; ++x) {
    const S* p = src + static_cast<ptrdiff_t>(x) * k;
    double s = 0.0;
    for (int j = 0; j < k; ++j) s += p[j];
    dst[x] = std::clamp(static_cast<float>(s) * scale + offset, 0.0f, 255.0f);
  }
}

// Horizontal pass for the most common factor, 3 (1080p and 1080x1920 to 360), over a
// float row of vertical sums that has 2 readable floats past its 3n. The compiler does
// not vectorise the stride-3 reads, so with SSE2 each block of 4 outputs is the triple
// sums t[i] = a[i] + a[i+1] + a[i+2] at 12 consecutive i (unaligned loads) of which
// every third is kept. Sums of integers below 2^24 are exact, so it matches
// sumRowFixed<3> bit for bit.
void sumRow3(const float* a, float* dst, int n, float scale, float offset) {
  int x = 0;
#if defined(__SSE2__)
  const __m128 vs = _mm_set1_ps(scale);
  const __m128 vo = _mm_set1_ps(offset);
  const __m128 lo = _mm_setzero_ps();
  const __m128 hi = _mm_set1_ps(255.0f);
  for (; x + 4 <= n; x += 4) {
    const float* p = a + 3 * static_cast<ptrdiff_t>(x);
    const __m128 t0 = _mm_add_ps(_mm_add_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 1)), _mm_loadu_ps(p + 2));
    const __m128 t1 =
        _mm_add_ps(_mm_add_ps(_mm_loadu_ps(p + 4), _mm_loadu_ps(p + 5)), _mm_loadu_ps(p + 6));
    const __m128 t2 =
        _mm_add_ps(_mm_add_ps(_mm_loadu_ps(p + 8), _mm_loadu_ps(p + 9)), _mm_loadu_ps(p + 10));
    // [t1[2], t1[2], t2[1], t2[1]], then [t0[0], t0[3], t1[2], t2[1]] = t[0, 3, 6, 9].
    const __m128 h = _mm_shuffle_ps(t1, t2, _MM_SHUFFLE(1, 1, 2, 2));
    __m128 v = _mm_shuffle_ps(t0, h, _MM_SHUFFLE(2, 0, 3, 0));
    v = _mm_add_ps(_mm_mul_ps(v, vs), vo);
    _mm_storeu_ps(dst + x, _mm_min_ps(_mm_max_ps(v, lo), hi));
  }
#endif
  for (; x < n; ++x) {
    const float* p = a + 3 * static_cast<ptrdiff_t>(x);
    dst[x] = std::clamp((p[0] + p[1] + p[2]) * scale + offset, 0.0f, 255.0f);
  }
}

// dst[i] = src[2i] + src[2i+1] as floats, i < n (exact: sums of two uint16_t).
void sumPairs(const uint16_t* src, float* dst, int n) {
  int i = 0;
#if defined(__SSE2__)
  const __m128i lowHalves = _mm_set1_epi32(0xffff);
  for (; i + 4 <= n; i += 4) {
    // 8 samples as 4 32-bit lanes [lo | hi << 16]: lo + hi per lane.
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i));
    const __m128i sum = _mm_add_epi32(_mm_and_si128(v, lowHalves), _mm_srli_epi32(v, 16));
    _mm_storeu_ps(dst + i, _mm_cvtepi32_ps(sum));
  }
#endif
  for (; i < n; ++i) dst[i] = static_cast<float>(src[2 * i] + src[2 * i + 1]);
}

// Horizontal pass of an integer-factor axis over a row of vertical sums.
template <typename S>
void sumRow(const S* src, float* dst, int n, int factor, float scale, float offset) {
  switch (factor) {
    case 1:
      for (int x = 0; x < n; ++x)
        dst[x] = std::clamp(static_cast<float>(src[x]) * scale + offset, 0.0f, 255.0f);
      break;
    case 2: sumRowFixed<2>(src, dst, n, scale, offset); break;
    case 3: sumRowFixed<3>(src, dst, n, scale, offset); break;
    case 4: sumRowFixed<4>(src, dst, n, scale, offset); break;
    case 6: sumRowFixed<6>(src, dst, n, scale, offset); break;
    default: sumRowFactor(src, dst, n, factor, scale, offset); break;
  }
}

// acc = w * row (first source row of an output row) or acc += w * row.
template <typename T>
void accumulateRow(const T* row, float* acc, int n, float w, bool first) {
  if (first) {
    for (int x = 0; x < n; ++x) acc[x] = w * static_cast<float>(row[x]);
  } else {
    for (int x = 0; x < n; ++x) acc[x] += w * static_cast<float>(row[x]);
  }
}

}  // namespace

// ---- Analysis grid ---------------------------------------------------------------

GridSize analysisGrid(int width, int height, int analysisSize) {
  if (width < 1 || height < 1) return {std::max(width, 0), std::max(height, 0)};
  const int shortSide = std::min(width, height);
  if (analysisSize <= 0 || shortSide <= analysisSize) return {width, height};
  auto scaled = [&](int side) {
    const long long num = static_cast<long long>(side) * analysisSize;
    return static_cast<int>(std::max<long long>(1, (2 * num + shortSide) / (2 * shortSide)));
  };
  if (width <= height) return {analysisSize, scaled(height)};
  return {scaled(width), analysisSize};
}

// ---- Luma downscale --------------------------------------------------------------

// Coordinates are scaled by src*dst so that every boundary is an integer: source
// sample i covers [i*dst, (i+1)*dst), output sample j covers [j*src, (j+1)*src); the
// weight of i in j is their overlap / src, so each output's weights sum to 1.
void AreaDownscaler::buildAxis(Axis& axis, int src, int dst) {
  axis.src = src;
  axis.dst = dst;
  axis.factor = src % dst == 0 ? src / dst : 0;
  int taps = 0;
  for (int j = 0; j < dst; ++j) {
    const long long lo = static_cast<long long>(j) * src;
    const long long hi = lo + src;
    const int first = static_cast<int>(lo / dst);
    const int last = static_cast<int>((hi - 1) / dst);
    taps = std::max(taps, last - first + 1);
  }
  axis.taps = taps;
  axis.start.assign(dst, 0);
  axis.weight.assign(static_cast<size_t>(dst) * taps, 0.0f);
  for (int j = 0; j < dst; ++j) {
    const long long lo = static_cast<long long>(j) * src;
    const long long hi = lo + src;
    const int first = static_cast<int>(lo / dst);
    const int last = static_cast<int>((hi - 1) / dst);
    // Keep all taps inside the axis: shift the window left at the end, padding in front.
    const int start = std::min(first, src - taps);
    axis.start[j] = start;
    for (int i = first; i <= last; ++i) {
      const long long a = std::max(lo, static_cast<long long>(i) * dst);
      const long long b = std::min(hi, static_cast<long long>(i + 1) * dst);
      axis.weight[static_cast<size_t>(j) * taps + (i - start)] =
          static_cast<float>(static_cast<double>(b - a) / src);
    }
  }
}

void AreaDownscaler::run(const PlaneView& plane, int outWidth, int outHeight, bool limitedRange,
                         GrayImage& out) {
  checkPlane(plane, "downscale");
  if (outWidth < 1 || outHeight < 1 || outWidth > plane.width || outHeight > plane.height)
    throw std::invalid_argument("downscale: output " + std::to_string(outWidth) + "x" +
                                std::to_string(outHeight) + " not within 1.." +
                                std::to_string(plane.width) + "x" +
                                std::to_string(plane.height));
  if (axX_.src != plane.width || axX_.dst != outWidth) buildAxis(axX_, plane.width, outWidth);
  if (axY_.src != plane.height || axY_.dst != outHeight) buildAxis(axY_, plane.height, outHeight);
  acc_.resize(static_cast<size_t>(plane.width) + 2, 0.0f);  // + sumRow3's overread
  out.resize(outWidth, outHeight);
  if (plane.bitDepth > 8)
    runTyped<uint16_t>(plane, limitedRange, out);
  else
    runTyped<uint8_t>(plane, limitedRange, out);
}

// Per output row: the weighted sum of its source rows (contiguous, vectorised), then
// the horizontal weights and the affine map to the 8-bit full-range scale. When both
// factors are integers (1080p, 720p, 4K to 360) and a column of K rows sums within
// uint16_t, the sums are integer (exact, and twice as fast).
template <typename T>
void AreaDownscaler::runTyped(const PlaneView& plane, bool limitedRange, GrayImage& out) {
  float scale = std::ldexp(1.0f, 8 - plane.bitDepth);
  float offset = 0.0f;
  if (limitedRange) {
    scale *= 255.0f / 219.0f;
    offset = -16.0f * 255.0f / 219.0f;
  }
  const int w = plane.width;
  const int outW = out.width;
  const long maxSample = (1L << plane.bitDepth) - 1;
  float* acc = acc_.data();
  if (axX_.factor > 0 && axY_.factor > 0 && maxSample * axY_.factor <= 65535) {
    const int ky = axY_.factor;
    const float s = scale / static_cast<float>(axX_.factor * ky);
    sums_.resize(w);
    uint16_t* __restrict sums = sums_.data();
    for (int j = 0; j < out.height; ++j) {
      const T* r0 = reinterpret_cast<const T*>(plane.row(j * ky));
      auto rowAt = [&](int t) { return reinterpret_cast<const T*>(plane.row(j * ky + t)); };
      if (ky == 3) {  // 1080p: one fused pass
        const T* r1 = rowAt(1);
        const T* r2 = rowAt(2);
        for (int x = 0; x < w; ++x) sums[x] = static_cast<uint16_t>(r0[x] + r1[x] + r2[x]);
      } else if (ky == 6) {  // 4K: one fused pass
        const T* r1 = rowAt(1);
        const T* r2 = rowAt(2);
        const T* r3 = rowAt(3);
        const T* r4 = rowAt(4);
        const T* r5 = rowAt(5);
        for (int x = 0; x < w; ++x)
          sums[x] = static_cast<uint16_t>(r0[x] + r1[x] + r2[x] + r3[x] + r4[x] + r5[x]);
      } else {
        for (int x = 0; x < w; ++x) sums[x] = r0[x];
        for (int t = 1; t < ky; ++t) {
          const T* r = rowAt(t);
          for (int x = 0; x < w; ++x) sums[x] = static_cast<uint16_t>(sums[x] + r[x]);
        }
      }
      if (axX_.factor == 3) {
        for (int x = 0; x < w; ++x) acc[x] = static_cast<float>(sums[x]);
        sumRow3(acc, out.row(j), outW, s, offset);
      } else if (axX_.factor == 6) {
        // Pairs first (integers: exact in any order), then the factor-3 pass.
        sumPairs(sums, acc, w / 2);
        sumRow3(acc, out.row(j), outW, s, offset);
      } else {
        sumRow(sums, out.row(j), outW, axX_.factor, s, offset);
      }
    }
    return;
  }
  for (int j = 0; j < out.height; ++j) {
    const float* wy = axY_.weight.data() + static_cast<size_t>(j) * axY_.taps;
    bool first = true;
    for (int t = 0; t < axY_.taps; ++t) {
      if (wy[t] == 0.0f) continue;
      accumulateRow(reinterpret_cast<const T*>(plane.row(axY_.start[j] + t)), acc, w, wy[t], first);
      first = false;
    }
    float* dst = out.row(j);
    if (axX_.factor == 3) {
      sumRow3(acc, dst, outW, scale / 3.0f, offset);
    } else if (axX_.factor > 0) {
      sumRow(acc, dst, outW, axX_.factor, scale / static_cast<float>(axX_.factor), offset);
    } else {
      const int taps = axX_.taps;
      for (int x = 0; x < outW; ++x) {
        const float* p = acc + axX_.start[x];
        const float* wx = axX_.weight.data() + static_cast<size_t>(x) * taps;
        float v = 0.0f;
        for (int t = 0; t < taps; ++t) v += wx[t] * p[t];
        dst[x] = std::clamp(v * scale + offset, 0.0f, 255.0f);
      }
    }
  }
}

void downscaleLuma(const PlaneView& plane, GrayImage& out, int analysisSize, bool limitedRange) {
  checkPlane(plane, "downscale");
  const GridSize g = analysisGrid(plane.width, plane.height, analysisSize);
  AreaDownscaler d;
  d.run(plane, g.width, g.height, limitedRange, out);
}

// ---- Chroma ----------------------------------------------------------------------

namespace {

struct Moments {
  uint64_t n = 0;
  uint64_t sum = 0;
  uint64_t sumSq = 0;
};

// Row sums in Acc (uint32_t suffices for 8-bit rows up to 66051 samples: 255^2 * n <
// 2^32, and vectorises), folded into 64-bit totals per row.
template <typename T, typename Acc>
Moments planeMoments(const PlaneView& p, int step) {
  Moments m;
  for (int y = 0; y < p.height; y += step) {
    const T* row = reinterpret_cast<const T*>(p.row(y));
    Acc s = 0;
    Acc ss = 0;
    if (step == 1) {
      for (int x = 0; x < p.width; ++x) {
        const Acc v = row[x];
        s += v;
        ss += v * v;
      }
      m.n += static_cast<uint64_t>(p.width);
    } else {
      for (int x = 0; x < p.width; x += step) {
        const Acc v = row[x];
        s += v;
        ss += v * v;
      }
      m.n += static_cast<uint64_t>((p.width + step - 1) / step);
    }
    m.sum += s;
    m.sumSq += ss;
  }
  return m;
}

#if defined(__SSE2__)
// Sum and sum of squares of n samples, exact. 8-bit: _mm_sad_epu8 sums 8 bytes at a
// time, _mm_madd_epi16 squares and pairs 16-bit lanes; the 32-bit lanes are folded into
// 64-bit totals every 256 samples, before they could overflow (also at 12 bits:
// 32 x 2 x 4095^2 < 2^32).
void rowMomentsSimd(const uint8_t* row, int n, uint64_t& sum, uint64_t& sumSq) {
  const __m128i zero = _mm_setzero_si128();
  int x = 0;
  while (x + 16 <= n) {
    __m128i s = zero;
    __m128i ss = zero;
    for (int end = std::min(n - 15, x + 256); x < end; x += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x));
      s = _mm_add_epi64(s, _mm_sad_epu8(v, zero));
      const __m128i lo = _mm_unpacklo_epi8(v, zero);
      const __m128i hi = _mm_unpackhi_epi8(v, zero);
      ss = _mm_add_epi32(ss, _mm_add_epi32(_mm_madd_epi16(lo, lo), _mm_madd_epi16(hi, hi)));
    }
    alignas(16) uint64_t s64[2];
    alignas(16) uint32_t ss32[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(s64), s);
    _mm_store_si128(reinterpret_cast<__m128i*>(ss32), ss);
    sum += s64[0] + s64[1];
    sumSq += static_cast<uint64_t>(ss32[0]) + ss32[1] + ss32[2] + ss32[3];
  }
  for (; x < n; ++x) {
    sum += row[x];
    sumSq += static_cast<uint64_t>(row[x]) * row[x];
  }
}

void rowMomentsSimd(const uint16_t* row, int n, uint64_t& sum, uint64_t& sumSq) {
  const __m128i zero = _mm_setzero_si128();
  int x = 0;
  while (x + 8 <= n) {
    __m128i s = zero;
    __m128i ss = zero;
    for (int end = std::min(n - 7, x + 256); x < end; x += 8) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x));
      s = _mm_add_epi32(s, _mm_add_epi32(_mm_unpacklo_epi16(v, zero), _mm_unpackhi_epi16(v, zero)));
      ss = _mm_add_epi32(ss, _mm_madd_epi16(v, v));
    }
    alignas(16) uint32_t s32[4];
    alignas(16) uint32_t ss32[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(s32), s);
    _mm_store_si128(reinterpret_cast<__m128i*>(ss32), ss);
    sum += static_cast<uint64_t>(s32[0]) + s32[1] + s32[2] + s32[3];
    sumSq += static_cast<uint64_t>(ss32[0]) + ss32[1] + ss32[2] + ss32[3];
  }
  for (; x < n; ++x) {
    sum += row[x];
    sumSq += static_cast<uint64_t>(row[x]) * row[x];
  }
}

template <typename T>
Moments planeMomentsSimd(const PlaneView& p) {
  Moments m;
  for (int y = 0; y < p.height; ++y)
    rowMomentsSimd(reinterpret_cast<const T*>(p.row(y)), p.width, m.sum, m.sumSq);
  m.n = static_cast<uint64_t>(p.width) * static_cast<uint64_t>(p.height);
  return m;
}
#endif

Moments planeMoments(const PlaneView& p, int step) {
#if defined(__SSE2__)
  // Every sample (1080p chroma and smaller): the vector path. madd_epi16 is signed, so
  // 16-bit samples take it up to 12 bits.
  if (step == 1 && p.bitDepth <= 8) return planeMomentsSimd<uint8_t>(p);
  if (step == 1 && p.bitDepth <= 12) return planeMomentsSimd<uint16_t>(p);
#endif
  if (p.bitDepth > 8) return planeMoments<uint16_t, uint64_t>(p, step);
  if (p.width <= 66051) return planeMoments<uint8_t, uint32_t>(p, step);
  return planeMoments<uint8_t, uint64_t>(p, step);
}

}  // namespace

ChromaStats chromaStats(const PlaneView& u, const PlaneView& v, bool limitedRange, int step) {
  checkPlane(u, "chromaStats(u)");
  checkPlane(v, "chromaStats(v)");
  if (u.width != v.width || u.height != v.height || u.bitDepth != v.bitDepth)
    throw std::invalid_argument("chromaStats: U and V planes differ in size or bit depth");
  if (step < 1) throw std::invalid_argument("chromaStats: step must be >= 1");
  const Moments mu = planeMoments(u, step);
  const Moments mv = planeMoments(v, step);

  double slope = std::ldexp(1.0, 8 - u.bitDepth);
  double offset = 0.0;
  if (limitedRange) {
    slope *= 255.0 / 224.0;
    offset = 128.0 - 128.0 * 255.0 / 224.0;
  }
  auto finish = [&](const Moments& m, double& mean, double& var) {
    const double n = static_cast<double>(m.n);
    const double meanRaw = static_cast<double>(m.sum) / n;
    const double varRaw = std::max(0.0, static_cast<double>(m.sumSq) / n - meanRaw * meanRaw);
    mean = slope * meanRaw + offset;
    var = slope * slope * varRaw;
  };
  ChromaStats c;
  finish(mu, c.meanU, c.varU);
  finish(mv, c.meanV, c.varV);
  return c;
}

double colorfulness(const ChromaStats& c) {
  const double du = c.meanU - 128.0;
  const double dv = c.meanV - 128.0;
  return std::sqrt(c.varU + c.varV) + 0.3 * std::sqrt(du * du + dv * dv);
}

}  // namespace autocut
