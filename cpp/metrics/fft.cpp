#include "metrics/fft.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace autocut {

Fft::Fft(int n) : n_(n) {
  if (n < 1 || (n & (n - 1)) != 0)
    throw std::invalid_argument("Fft: length " + std::to_string(n) + " is not a power of two");
  int bits = 0;
  while ((1 << bits) < n) ++bits;
  bitrev_.resize(n);
  for (int i = 0; i < n; ++i) {
    int r = 0;
    for (int b = 0; b < bits; ++b)
      if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    bitrev_[i] = r;
  }
  forward_.resize(std::max(n - 1, 1));
  inverse_.resize(std::max(n - 1, 1));
  const double pi = std::acos(-1.0);
  for (int len = 2; len <= n; len <<= 1) {
    for (int k = 0; k < len / 2; ++k) {
      const double a = -2.0 * pi * k / len;
      const std::complex<float> w(static_cast<float>(std::cos(a)), static_cast<float>(std::sin(a)));
      forward_[len / 2 - 1 + k] = w;
      inverse_[len / 2 - 1 + k] = std::conj(w);
    }
  }
}

void Fft::transform(std::complex<float>* data, bool inverse) const {
  const int n = n_;
  for (int i = 0; i < n; ++i) {
    const int j = bitrev_[i];
    if (i < j) std::swap(data[i], data[j]);
  }
  const std::complex<float>* table = inverse ? inverse_.data() : forward_.data();
  // The first stage's only twiddle is 1: butterflies without multiplications.
  if (n >= 2) {
    for (int start = 0; start < n; start += 2) {
      const std::complex<float> u = data[start];
      const std::complex<float> v = data[start + 1];
      data[start] = {u.real() + v.real(), u.imag() + v.imag()};
      data[start + 1] = {u.real() - v.real(), u.imag() - v.imag()};
    }
  }
  for (int len = 4; len <= n; len <<= 1) {
    const int half = len >> 1;
    const std::complex<float>* tw = table + half - 1;
    for (int start = 0; start < n; start += len) {
      std::complex<float>* lo = data + start;
      std::complex<float>* hi = lo + half;
      for (int k = 0; k < half; ++k) {
        const std::complex<float> w = tw[k];
        // Written out: std::complex operator* carries NaN/inf handling we do not need.
        const float tr = hi[k].real() * w.real() - hi[k].imag() * w.imag();
        const float ti = hi[k].real() * w.imag() + hi[k].imag() * w.real();
        const std::complex<float> u = lo[k];
        lo[k] = {u.real() + tr, u.imag() + ti};
        hi[k] = {u.real() - tr, u.imag() - ti};
      }
    }
  }
}

void Fft2d::resize(int width, int height) {
  if (rows_.size() != width) rows_ = Fft(width);
  if (cols_.size() != height) cols_ = Fft(height);
  column_.resize(height);
}

void Fft2d::transform(std::complex<float>* data, bool inverse, int rows) {
  const int w = rows_.size();
  const int h = cols_.size();
  // Rows past `rows` are zero and stay zero: no transform needed.
  for (int y = 0; y < std::min(rows, h); ++y) {
    std::complex<float>* row = data + static_cast<ptrdiff_t>(y) * w;
    if (inverse)
      rows_.inverse(row);
    else
      rows_.forward(row);
  }
  std::complex<float>* col = column_.data();
  for (int x = 0; x < w; ++x) {
    for (int y = 0; y < h; ++y) col[y] = data[static_cast<ptrdiff_t>(y) * w + x];
    if (inverse)
      cols_.inverse(col);
    else
      cols_.forward(col);
    for (int y = 0; y < h; ++y) data[static_cast<ptrdiff_t>(y) * w + x] = col[y];
  }
}

}  // namespace autocut
