// Real-input FFT through libavutil's av_tx (no dependency beyond FFmpeg itself).
// Part of cpp/ffmpeg/ because it owns an AVTXContext and hides which transform the
// running libavutil offers.
#pragma once

#include <complex>
#include <memory>

extern "C" {
#include <libavutil/mem.h>
#include <libavutil/tx.h>
}

#include "ffmpeg/ffmpeg.h"

namespace autocut {

using UniqueAVTXContext = std::unique_ptr<AVTXContext, PtrPtrDeleter<AVTXContext, av_tx_uninit>>;

// Memory from av_malloc (aligned as av_tx requires), freed with av_free.
struct AVMemoryDeleter {
  void operator()(void* p) const noexcept { av_free(p); }
};
template <typename T>
using UniqueAVMemory = std::unique_ptr<T[], AVMemoryDeleter>;

// Forward DFT of `size` real samples into size/2+1 complex bins, unnormalised:
// X[k] = sum_n x[n] exp(-2 pi i k n / size). `size` must be a power of two >= 4.
// Uses AV_TX_FLOAT_RDFT where the running libavutil provides it (5.1 and later
// ship it), and a complex AV_TX_FLOAT_FFT over a zero-imaginary buffer otherwise.
// Not thread-safe: one instance per thread (the buffers are reused per call).
class RealFft {
 public:
  enum class Mode {
    Auto,     // the real transform when available, else the complex fallback
    Complex,  // always the complex fallback (tests exercise both paths)
  };

  explicit RealFft(int size, Mode mode = Mode::Auto);

  int size() const noexcept { return size_; }
  int bins() const noexcept { return size_ / 2 + 1; }
  // True when the real-to-complex transform is in use.
  bool real() const noexcept { return real_; }

  // in: size() samples; out: bins() values. The buffers may not overlap.
  void forward(const float* in, std::complex<float>* out);

 private:
  int size_;
  bool real_ = false;
  UniqueAVTXContext ctx_;
  av_tx_fn fn_ = nullptr;
  UniqueAVMemory<float> in_;             // real path: size + 2 floats
  UniqueAVMemory<AVComplexFloat> cin_;   // complex path: size values
  UniqueAVMemory<AVComplexFloat> out_;   // bins() (real) or size() (complex) values
};

}  // namespace autocut
