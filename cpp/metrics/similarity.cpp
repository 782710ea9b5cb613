#include "metrics/similarity.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace autocut {

namespace {

void checkPair(const PlaneView& a, const PlaneView& b, const char* what) {
  for (const PlaneView* p : {&a, &b}) {
    if (!p->data || p->width <= 0 || p->height <= 0) {
      throw std::invalid_argument(std::string(what) + ": empty plane");
    }
    if (p->bitDepth < 1 || p->bitDepth > 16) {
      throw std::invalid_argument(std::string(what) + ": bit depth " +
                                  std::to_string(p->bitDepth) + " outside 1..16");
    }
    if (p->stride < static_cast<ptrdiff_t>(p->width) * p->bytesPerSample()) {
      throw std::invalid_argument(std::string(what) + ": stride smaller than a row");
    }
  }
  if (a.width != b.width || a.height != b.height || a.bitDepth != b.bitDepth) {
    throw std::invalid_argument(std::string(what) + ": planes differ in size or bit depth (" +
                                std::to_string(a.width) + "x" + std::to_string(a.height) + "@" +
                                std::to_string(a.bitDepth) + " vs " + std::to_string(b.width) +
                                "x" + std::to_string(b.height) + "@" +
                                std::to_string(b.bitDepth) + ")");
  }
}

template <typename T>
const T* rowOf(const PlaneView& p, int y) {
  return reinterpret_cast<const T*>(p.row(y));
}

template <typename T>
double mseOf(const PlaneView& a, const PlaneView& b) {
  uint64_t total = 0;
  for (int y = 0; y < a.height; ++y) {
    const T* ra = rowOf<T>(a, y);
    const T* rb = rowOf<T>(b, y);
    uint64_t row = 0;
    for (int x = 0; x < a.width; ++x) {
      const int64_t d = static_cast<int64_t>(ra[x]) - static_cast<int64_t>(rb[x]);
      row += static_cast<uint64_t>(d * d);
    }
    total += row;
  }
  return static_cast<double>(total) / (static_cast<double>(a.width) * a.height);
}

// Sums over a group of samples: what one SSIM window needs.
struct Sums {
  int64_t a = 0, b = 0, squares = 0, cross = 0;  // squares = sum a^2 + sum b^2
  Sums& operator+=(const Sums& o) {
    a += o.a;
    b += o.b;
    squares += o.squares;
    cross += o.cross;
    return *this;
  }
};

template <typename T>
Sums sumsOf(const PlaneView& pa, const PlaneView& pb, int x0, int y0, int w, int h) {
  Sums s;
  for (int y = y0; y < y0 + h; ++y) {
    const T* ra = rowOf<T>(pa, y);
    const T* rb = rowOf<T>(pb, y);
    for (int x = x0; x < x0 + w; ++x) {
      const int64_t va = ra[x], vb = rb[x];
      s.a += va;
      s.b += vb;
      s.squares += va * va + vb * vb;
      s.cross += va * vb;
    }
  }
  return s;
}

double windowSsim(const Sums& s, double n, double c1, double c2) {
  const double ma = static_cast<double>(s.a) / n;
  const double mb = static_cast<double>(s.b) / n;
  const double variances = static_cast<double>(s.squares) / n - ma * ma - mb * mb;
  const double covariance = static_cast<double>(s.cross) / n - ma * mb;
  return (2.0 * ma * mb + c1) * (2.0 * covariance + c2) /
         ((ma * ma + mb * mb + c1) * (variances + c2));
}

template <typename T>
double ssimOf(const PlaneView& a, const PlaneView& b) {
  const double peak = static_cast<double>((1 << a.bitDepth) - 1);
  const double c1 = (0.01 * peak) * (0.01 * peak);
  const double c2 = (0.03 * peak) * (0.03 * peak);
  if (a.width < 8 || a.height < 8) {
    return windowSsim(sumsOf<T>(a, b, 0, 0, a.width, a.height),
                      static_cast<double>(a.width) * a.height, c1, c2);
  }
  // Sums of 4x4 blocks, two block rows at a time; each window is 2x2 blocks.
  const int blocksX = a.width / 4, blocksY = a.height / 4;
  std::vector<Sums> above(static_cast<size_t>(blocksX)), current(static_cast<size_t>(blocksX));
  double total = 0.0;
  int64_t windows = 0;
  for (int by = 0; by < blocksY; ++by) {
    for (int bx = 0; bx < blocksX; ++bx) current[bx] = sumsOf<T>(a, b, bx * 4, by * 4, 4, 4);
    if (by > 0) {
      for (int bx = 0; bx + 1 < blocksX; ++bx) {
        Sums w = above[bx];
        w += above[bx + 1];
        w += current[bx];
        w += current[bx + 1];
        total += windowSsim(w, 64.0, c1, c2);
        ++windows;
      }
    }
    std::swap(above, current);
  }
  return total / static_cast<double>(windows);
}

}  // namespace

double meanSquaredError(const PlaneView& a, const PlaneView& b) {
  checkPair(a, b, "meanSquaredError");
  return a.bytesPerSample() == 1 ? mseOf<uint8_t>(a, b) : mseOf<uint16_t>(a, b);
}

double psnrFromMse(double mse, int bitDepth) noexcept {
  if (mse <= 0.0) return std::numeric_limits<double>::infinity();
  const double peak = static_cast<double>((1 << bitDepth) - 1);
  return 10.0 * std::log10(peak * peak / mse);
}

double psnr(const PlaneView& a, const PlaneView& b) {
  return psnrFromMse(meanSquaredError(a, b), a.bitDepth);
}

double ssim(const PlaneView& a, const PlaneView& b) {
  checkPair(a, b, "ssim");
  return a.bytesPerSample() == 1 ? ssimOf<uint8_t>(a, b) : ssimOf<uint16_t>(a, b);
}

}  // namespace autocut
