// A small radix-2 complex FFT for the metric kernels (phase correlation). Plain and
// self-contained so the kernels need no FFmpeg or third-party FFT.
#pragma once

#include <climits>
#include <complex>
#include <vector>

namespace autocut {

// In-place iterative Cooley-Tukey transform of one power-of-two length. Unnormalised
// both ways: inverse(forward(x)) == n * x.
class Fft {
 public:
  Fft() = default;
  // n must be a power of two >= 1; throws std::invalid_argument otherwise.
  explicit Fft(int n);

  int size() const noexcept { return n_; }
  void forward(std::complex<float>* data) const { transform(data, false); }
  void inverse(std::complex<float>* data) const { transform(data, true); }

 private:
  void transform(std::complex<float>* data, bool inverse) const;

  int n_ = 0;
  std::vector<int> bitrev_;
  // Per stage of length len = 2, 4, ..., n: exp(-+2 pi i k / len) for k < len/2, stored
  // from offset len/2 - 1, so each stage reads its twiddles contiguously.
  std::vector<std::complex<float>> forward_;
  std::vector<std::complex<float>> inverse_;
};

// Row-major 2-D transform of width x height (both powers of two), rows then columns.
// Holds a column buffer; not thread-safe.
class Fft2d {
 public:
  void resize(int width, int height);
  int width() const noexcept { return rows_.size(); }
  int height() const noexcept { return cols_.size(); }
  // `rows`: only the first rows of the input may be non-zero (a zero-padded picture);
  // the others are not transformed.
  void forward(std::complex<float>* data, int rows = INT_MAX) { transform(data, false, rows); }
  void inverse(std::complex<float>* data) { transform(data, true, INT_MAX); }

 private:
  void transform(std::complex<float>* data, bool inverse, int rows);

  Fft rows_;
  Fft cols_;
  std::vector<std::complex<float>> column_;
};

}  // namespace autocut
