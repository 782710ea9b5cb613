#include "ffmpeg/fft.h"

#include <cstring>
#include <new>

namespace autocut {

namespace {

template <typename T>
UniqueAVMemory<T> allocate(size_t count) {
  UniqueAVMemory<T> mem(static_cast<T*>(av_mallocz(count * sizeof(T))));
  if (!mem) throw std::bad_alloc();
  return mem;
}

}  // namespace

RealFft::RealFft(int size, Mode mode) : size_(size) {
  if (size < 4 || (size & (size - 1)) != 0) {
    throw Error(ErrorKind::InvalidArgument, "create FFT", "",
                "size must be a power of two >= 4, got " + std::to_string(size));
  }
  const float scale = 1.0f;
  if (mode == Mode::Auto) {
    // av_tx_init frees and nulls the context itself on failure; ownership passes
    // to ctx_ only after success.
    AVTXContext* raw = nullptr;
    if (av_tx_init(&raw, &fn_, AV_TX_FLOAT_RDFT, 0, size, &scale, 0) >= 0 && raw) {
      ctx_.reset(raw);
      real_ = true;
      in_ = allocate<float>(static_cast<size_t>(size) + 2);
      out_ = allocate<AVComplexFloat>(static_cast<size_t>(bins()));
      return;
    }
  }
  AVTXContext* raw = nullptr;
  check(av_tx_init(&raw, &fn_, AV_TX_FLOAT_FFT, 0, size, &scale, 0), ErrorKind::InvalidArgument,
        "create FFT", "");
  ctx_.reset(raw);
  cin_ = allocate<AVComplexFloat>(static_cast<size_t>(size));
  out_ = allocate<AVComplexFloat>(static_cast<size_t>(size));
}

void RealFft::forward(const float* in, std::complex<float>* out) {
  const int n = bins();
  if (real_) {
    std::memcpy(in_.get(), in, static_cast<size_t>(size_) * sizeof(float));
    // The forward RDFT's stride is the spacing of the real input samples.
    fn_(ctx_.get(), out_.get(), in_.get(), sizeof(float));
  } else {
    for (int i = 0; i < size_; ++i) cin_[i] = AVComplexFloat{in[i], 0.0f};
    fn_(ctx_.get(), out_.get(), cin_.get(), sizeof(AVComplexFloat));
  }
  for (int k = 0; k < n; ++k) out[k] = {out_[k].re, out_[k].im};
}

}  // namespace autocut
