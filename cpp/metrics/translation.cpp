#include "metrics/translation.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace autocut {

namespace {

constexpr int kCoarseMaxSide = 128;     // phase correlation level: long side <= this
constexpr int kMinLevelSide = 16;       // never halve below this short side
constexpr long kFineMaxPixels = 16384;  // refinement stops at the first level this small
constexpr double kMaxRefineStep = 1.5;  // level pixels a refinement may move ...
constexpr double kMaxCoarseStep = 3.0;  // ... and on the phase-correlation level
constexpr float kMinResidualGate = 8.0f;

int nextPow2(int n) {
  int p = 1;
  while (p < n) p <<= 1;
  return p;
}

void halve(const GrayView& src, GrayImage& dst) {
  const int w = src.width / 2;
  const int h = src.height / 2;
  dst.resize(w, h);
  for (int y = 0; y < h; ++y) {
    const float* r0 = src.row(2 * y);
    const float* r1 = src.row(2 * y + 1);
    float* d = dst.row(y);
    for (int x = 0; x < w; ++x)
      d[x] = 0.25f * ((r0[2 * x] + r0[2 * x + 1]) + (r1[2 * x] + r1[2 * x + 1]));
  }
}

double meanOf(const GrayView& img) {
  double s = 0.0;
  for (int y = 0; y < img.height; ++y) {
    const float* r = img.row(y);
    float acc = 0.0f;
    for (int x = 0; x < img.width; ++x) acc += r[x];
    s += acc;
  }
  return s / (static_cast<double>(img.width) * img.height);
}

// Vertex offset of the parabola through (-1, a), (0, b), (1, c), within [-0.5, 0.5].
double parabolicOffset(double a, double b, double c) {
  const double den = a - 2.0 * b + c;
  if (den >= 0.0) return 0.0;  // not a maximum
  return std::clamp(0.5 * (a - c) / den, -0.5, 0.5);
}

}  // namespace

void TranslationEstimator::prepare(int width, int height) {
  if (width == width_ && height == height_) return;
  pyrBIsLastCur_ = false;
  width_ = width;
  height_ = height;
  int w = width;
  int h = height;
  int levels = 1;
  while (std::max(w, h) > kCoarseMaxSide && std::min(w, h) / 2 >= kMinLevelSide) {
    w /= 2;
    h /= 2;
    ++levels;
  }
  coarse_ = levels - 1;
  fine_ = 0;
  w = width;
  h = height;
  while (fine_ < coarse_ && static_cast<long>(w) * h > kFineMaxPixels) {
    w /= 2;
    h /= 2;
    ++fine_;
  }
  pyrA_.resize(levels);
  pyrB_.resize(levels);

  int cw = width >> coarse_;
  int ch = height >> coarse_;
  const int nx = nextPow2(cw);
  const int ny = nextPow2(ch);
  fft_.resize(nx, ny);
  spec_.assign(static_cast<size_t>(nx) * ny * 2, {0.0f, 0.0f});
  const double pi = std::acos(-1.0);
  winX_.resize(cw);
  for (int i = 0; i < cw; ++i)
    winX_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * pi * (i + 0.5) / cw));
  winY_.resize(ch);
  for (int i = 0; i < ch; ++i)
    winY_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * pi * (i + 0.5) / ch));
}

// Level 0 is the input itself and is not copied; pyr[l] holds level l >= 1.
void TranslationEstimator::buildPyramid(const GrayView& img, std::vector<GrayImage>& pyr) const {
  GrayView src = img;
  for (int l = 1; l <= coarse_; ++l) {
    halve(src, pyr[l]);
    src = pyr[l].view();
  }
}

Translation TranslationEstimator::phaseCorrelate(const GrayView& a, const GrayView& b) {
  const int nx = fft_.width();
  const int ny = fft_.height();
  const size_t n = static_cast<size_t>(nx) * ny;
  std::complex<float>* z = spec_.data();
  std::complex<float>* r = spec_.data() + n;
  std::fill(z, z + n, std::complex<float>(0.0f, 0.0f));

  const float meanA = static_cast<float>(meanOf(a));
  const float meanB = static_cast<float>(meanOf(b));
  double energyA = 0.0;
  double energyB = 0.0;
  for (int y = 0; y < a.height; ++y) {
    const float* ra = a.row(y);
    const float* rb = b.row(y);
    std::complex<float>* dst = z + static_cast<size_t>(y) * nx;
    for (int x = 0; x < a.width; ++x) {
      const float wgt = winX_[x] * winY_[y];
      const float va = (ra[x] - meanA) * wgt;
      const float vb = (rb[x] - meanB) * wgt;
      energyA += static_cast<double>(va) * va;
      energyB += static_cast<double>(vb) * vb;
      dst[x] = {va, vb};
    }
  }
  const double pixels = static_cast<double>(a.width) * a.height;
  if (energyA < 1e-6 * pixels || energyB < 1e-6 * pixels) return {};

  fft_.forward(z, a.height);
  // Z = A + iB for real a, b: A(k) = (Z(k) + conj Z(-k)) / 2, B(k) = (Z(k) - conj Z(-k)) / 2i.
  // Cross-power conj(A) B, whitened to unit magnitude (its phase carries the shift).
  float maxMag = 0.0f;
  for (int ky = 0; ky < ny; ++ky) {
    const int my = (ny - ky) & (ny - 1);
    for (int kx = 0; kx < nx; ++kx) {
      const int mx = (nx - kx) & (nx - 1);
      const std::complex<float> zk = z[static_cast<size_t>(ky) * nx + kx];
      const std::complex<float> zm = std::conj(z[static_cast<size_t>(my) * nx + mx]);
      const std::complex<float> A = 0.5f * (zk + zm);
      const std::complex<float> B = std::complex<float>(0.0f, -0.5f) * (zk - zm);
      const std::complex<float> c = std::conj(A) * B;
      r[static_cast<size_t>(ky) * nx + kx] = c;
      maxMag = std::max(maxMag, std::norm(c));
    }
  }
  // Partial whitening, c / sqrt|c|: sharpens the peak like phase correlation (c / |c|)
  // but lets bins the pictures hardly fill (above a smooth picture's band, or an
  // object's edges) weigh less than those carrying the shared structure.
  const float floor = 1e-12f * maxMag;  // on |c|^2
  double total = 0.0;  // sum of the weighted magnitudes: the peak of a perfect shift
  for (size_t i = 0; i < n; ++i) {
    const float m2 = std::norm(r[i]);
    if (m2 > floor && m2 > 0.0f) {
      const float root = std::sqrt(std::sqrt(m2));  // sqrt|c|
      r[i] /= root;
      total += root;
    } else {
      r[i] = {0.0f, 0.0f};
    }
  }
  if (!(total > 0.0)) return {};
  fft_.inverse(r);

  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (r[i].real() > r[best].real()) best = i;
  const int px = static_cast<int>(best % nx);
  const int py = static_cast<int>(best / nx);
  auto at = [&](int x, int y) {
    const size_t i = static_cast<size_t>((y + ny) & (ny - 1)) * nx + ((x + nx) & (nx - 1));
    return static_cast<double>(r[i].real());
  };
  const double peak = at(px, py);
  const double ox = parabolicOffset(at(px - 1, py), peak, at(px + 1, py));
  const double oy = parabolicOffset(at(px, py - 1), peak, at(px, py + 1));
  Translation t;
  t.dx = (px >= nx / 2 ? px - nx : px) + ox;
  t.dy = (py >= ny / 2 ? py - ny : py) + oy;
  t.confidence = std::clamp(peak / total, 0.0, 1.0);
  return t;
}

// Translational Lucas-Kanade: with bw(x) = b(x + d) (bilinear) and a(x) ~= b(x + d),
// each step solves sum g g^T delta = sum g (a - bw) with g = grad a (central
// differences) over the interior pixels whose shifted position lies inside b.
bool TranslationEstimator::refine(const GrayView& a, const GrayView& b, double& dx, double& dy,
                                  int iterations, double maxStep) {
  const int w = a.width;
  const int h = a.height;
  if (w < 4 || h < 4) return false;
  const double startX = dx;
  const double startY = dy;
  float gate = 1e30f;
  for (int it = 0; it < iterations; ++it) {
    const int ox = static_cast<int>(std::floor(dx));
    const int oy = static_cast<int>(std::floor(dy));
    const float fx = static_cast<float>(dx - ox);
    const float fy = static_cast<float>(dy - oy);
    const int x0 = std::max(1, -ox);
    const int x1 = std::min(w - 2, w - 2 - ox);
    const int y0 = std::max(1, -oy);
    const int y1 = std::min(h - 2, h - 2 - oy);
    if (x1 - x0 < 2 || y1 - y0 < 2) return false;
    const float w00 = (1.0f - fx) * (1.0f - fy);
    const float w01 = fx * (1.0f - fy);
    const float w10 = (1.0f - fx) * fy;
    const float w11 = fx * fy;
    double hxx = 0.0, hxy = 0.0, hyy = 0.0, bx = 0.0, by = 0.0, absSum = 0.0;
    for (int y = y0; y <= y1; ++y) {
      const float* au = a.row(y - 1);
      const float* ac = a.row(y);
      const float* ad = a.row(y + 1);
      const float* b0 = b.row(y + oy) + ox;
      const float* b1 = b.row(y + oy + 1) + ox;
      float sxx = 0.0f, sxy = 0.0f, syy = 0.0f, sbx = 0.0f, sby = 0.0f, sabs = 0.0f;
      for (int x = x0; x <= x1; ++x) {
        const float gx = 0.5f * (ac[x + 1] - ac[x - 1]);
        const float gy = 0.5f * (ad[x] - au[x]);
        const float bw = w00 * b0[x] + w01 * b0[x + 1] + w10 * b1[x] + w11 * b1[x + 1];
        const float res = ac[x] - bw;
        const float ar = std::fabs(res);
        sabs += ar;
        const float m = ar <= gate ? 1.0f : 0.0f;
        const float mgx = m * gx;
        const float mgy = m * gy;
        sxx += mgx * gx;
        sxy += mgx * gy;
        syy += mgy * gy;
        sbx += mgx * res;
        sby += mgy * res;
      }
      hxx += sxx;
      hxy += sxy;
      hyy += syy;
      bx += sbx;
      by += sby;
      absSum += sabs;
    }
    const double count = static_cast<double>(x1 - x0 + 1) * (y1 - y0 + 1);
    gate = std::max(kMinResidualGate, static_cast<float>(3.0 * absSum / count));
    // Smallest eigenvalue against the largest: a flat or one-directional image cannot
    // pin both components.
    const double tr = hxx + hyy;
    const double det = hxx * hyy - hxy * hxy;
    const double disc = std::sqrt(std::max(0.0, 0.25 * tr * tr - det));
    const double lmin = 0.5 * tr - disc;
    const double lmax = 0.5 * tr + disc;
    if (!(lmax > 1e-9) || lmin < 1e-3 * lmax) return false;
    const double ddx = (hyy * bx - hxy * by) / det;
    const double ddy = (hxx * by - hxy * bx) / det;
    dx += ddx;
    dy += ddy;
    if (!std::isfinite(dx) || !std::isfinite(dy) ||
        std::hypot(dx - startX, dy - startY) > maxStep) {
      dx = startX;
      dy = startY;
      return false;
    }
  }
  return true;
}

Translation TranslationEstimator::estimate(const GrayView& prev, const GrayView& cur) {
  return run(prev, cur, false);
}

Translation TranslationEstimator::estimateNext(const GrayView& prev, const GrayView& cur) {
  return run(prev, cur, true);
}

Translation TranslationEstimator::run(const GrayView& prev, const GrayView& cur, bool reusePrev) {
  if (prev.width != cur.width || prev.height != cur.height)
    throw std::invalid_argument("estimateTranslation: images differ in size (" +
                                std::to_string(prev.width) + "x" + std::to_string(prev.height) +
                                " vs " + std::to_string(cur.width) + "x" +
                                std::to_string(cur.height) + ")");
  if (prev.width < 1 || prev.height < 1 || prev.px == nullptr || cur.px == nullptr)
    throw std::invalid_argument("estimateTranslation: empty image");
  prepare(prev.width, prev.height);
  // The last call's `cur` pyramid (in pyrB_) becomes this call's `prev` one.
  if (reusePrev && pyrBIsLastCur_) {
    std::swap(pyrA_, pyrB_);
  } else {
    buildPyramid(prev, pyrA_);
  }
  buildPyramid(cur, pyrB_);
  pyrBIsLastCur_ = true;
  return correlateAndRefine(prev, cur);
}

Translation TranslationEstimator::correlateAndRefine(const GrayView& prev, const GrayView& cur) {
  auto level = [&](std::vector<GrayImage>& pyr, const GrayView& base, int l) {
    return l == 0 ? base : pyr[l].view();
  };

  Translation t = phaseCorrelate(level(pyrA_, prev, coarse_), level(pyrB_, cur, coarse_));
  if (t.confidence <= 0.0) return {};
  // The correlation surface gave the shift of b against a; LK below works on the same
  // convention (a(x) ~= b(x + d)), so d = the content displacement at every level.
  double dx = t.dx;
  double dy = t.dy;
  for (int l = coarse_; l >= fine_; --l) {
    if (l != coarse_) {
      dx *= 2.0;
      dy *= 2.0;
    }
    const bool coarse = l == coarse_;
    refine(level(pyrA_, prev, l), level(pyrB_, cur, l), dx, dy, coarse ? 3 : 2,
           coarse ? kMaxCoarseStep : kMaxRefineStep);
  }
  const double scale = static_cast<double>(1 << fine_);
  t.dx = dx * scale;
  t.dy = dy * scale;
  return t;
}

Translation estimateTranslation(const GrayView& prev, const GrayView& cur) {
  TranslationEstimator e;
  return e.estimate(prev, cur);
}

}  // namespace autocut
