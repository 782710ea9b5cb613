// Onset strength: a streaming log-magnitude mel spectral-flux envelope.
//
// Mono samples at the analysis rate go in; one envelope value per hop comes out.
// Frames are centred (frame t covers samples [t*hop - fft/2, t*hop + fft/2), zeros
// before the first sample), so frame t sits at time t * hop / sampleRate.
// Per frame: Hann window -> real FFT (av_tx) -> power -> triangular mel bands ->
// dB, floored at floorDb relative to a full-scale sine -> increase over the previous
// frame, half-wave rectified, averaged over the bands. A low envelope averages the
// same flux over the bands centred at or below lowBandHz (kick and bass); a loudness
// envelope sums the rectified rise of the bands' linear magnitudes, so loud events
// (kick, snare) outweigh quiet ones (hi-hats) as they do for a listener; and each
// frame's loudest band in dB is kept for silence detection.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

#include "ffmpeg/fft.h"

namespace autocut {

struct OnsetParams {
  int sampleRate = 22050;    // analysis rate, Hz
  int fftSize = 1024;        // window length in samples (46 ms at 22050 Hz)
  int hop = 256;             // samples between frames (86.1 frames/s at 22050 Hz)
  int melBands = 64;
  double minHz = 30.0;       // lowest mel band edge
  double maxHz = 0.0;        // highest mel band edge; 0: Nyquist
  double floorDb = -80.0;    // band levels below this (dB re full scale) count as silence
  double lowBandHz = 200.0;  // bands centred at or below this form the low envelope
  // True when silence precedes the first sample (the start of a file): frame 0 rises
  // from the floor, so music that starts at once has an onset there. False for a
  // window inside a file: frame 0 has no previous frame and no rise.
  bool silenceBefore = true;

  double frameRate() const { return static_cast<double>(sampleRate) / hop; }
};

// ---- Mel scale ----------------------------------------------------------------------

// Slaney's mel scale (as librosa's default): linear below 1 kHz, logarithmic above.
double hzToMel(double hz);
double melToHz(double mel);

// Triangular filters on the FFT bins, equally spaced on the mel scale between minHz
// and maxHz, each peaking at 1 at its centre. Between the first and the last centre
// the weights of neighbouring filters sum to 1 at every bin (a partition of unity).
class MelFilterbank {
 public:
  MelFilterbank(int bands, int fftSize, int sampleRate, double minHz, double maxHz);

  int bands() const noexcept { return static_cast<int>(first_.size()); }
  int bins() const noexcept { return bins_; }
  double centerHz(int band) const { return centers_[static_cast<size_t>(band)]; }
  // Weight of FFT bin `bin` in band `band` (0 outside the band's triangle).
  float weight(int band, int bin) const;

  // out[b] = sum_k weight(b, k) * power[k]; power has bins() values, out bands().
  void apply(const float* power, float* out) const;

 private:
  int bins_;
  std::vector<int> first_;                   // first bin with a non-zero weight, per band
  std::vector<std::vector<float>> weights_;  // consecutive weights from first_
  std::vector<double> centers_;
};

// ---- Streaming onset detector -------------------------------------------------------

class OnsetDetector {
 public:
  explicit OnsetDetector(const OnsetParams& params = {}, RealFft::Mode fftMode = RealFft::Mode::Auto);

  // Appends mono samples (full scale = +-1) and analyses every frame they complete.
  void push(const float* samples, size_t count);
  // Pads the end with half a window of zeros and analyses the remaining frames;
  // afterwards there is one frame per hop of input, plus one (librosa's count).
  void finish();

  const OnsetParams& params() const noexcept { return params_; }
  const MelFilterbank& filterbank() const noexcept { return mel_; }
  double frameRate() const { return params_.frameRate(); }
  size_t samplesPushed() const noexcept { return pushed_; }

  // Mean rectified dB increase over all bands, per frame.
  const std::vector<float>& envelope() const noexcept { return envelope_; }
  // The same over the low bands only.
  const std::vector<float>& lowEnvelope() const noexcept { return low_; }
  // Sum of the rectified rise of the bands' linear magnitudes (full scale = 1).
  const std::vector<float>& loudnessEnvelope() const noexcept { return loudness_; }
  // The loudest band's level in dB per frame (floorDb in silence).
  const std::vector<float>& peakDb() const noexcept { return peakDb_; }

 private:
  void analyseFrame(const float* frame);

  OnsetParams params_;
  MelFilterbank mel_;
  RealFft fft_;
  std::vector<float> window_;
  std::vector<float> pending_;  // samples not yet consumed by a full frame
  size_t pendingStart_ = 0;     // index in pending_ where the next frame begins
  size_t pushed_ = 0;
  bool finished_ = false;
  int lowBands_ = 0;

  std::vector<float> windowed_;
  std::vector<std::complex<float>> spectrum_;
  std::vector<float> power_, bandPower_, prevDb_, prevMag_;
  std::vector<float> envelope_, low_, loudness_, peakDb_;
};

}  // namespace autocut
