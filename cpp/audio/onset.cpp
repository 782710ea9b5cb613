#include "audio/onset.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ffmpeg/error.h"

namespace autocut {

// ---- Mel scale ----------------------------------------------------------------------

namespace {
constexpr double kLinearHzPerMel = 200.0 / 3.0;
constexpr double kLogStartHz = 1000.0;
constexpr double kLogStartMel = kLogStartHz / kLinearHzPerMel;  // 15
const double kLogStep = std::log(6.4) / 27.0;
}  // namespace

double hzToMel(double hz) {
  if (hz < kLogStartHz) return hz / kLinearHzPerMel;
  return kLogStartMel + std::log(hz / kLogStartHz) / kLogStep;
}

double melToHz(double mel) {
  if (mel < kLogStartMel) return mel * kLinearHzPerMel;
  return kLogStartHz * std::exp(kLogStep * (mel - kLogStartMel));
}

MelFilterbank::MelFilterbank(int bands, int fftSize, int sampleRate, double minHz, double maxHz)
    : bins_(fftSize / 2 + 1) {
  const double nyquist = sampleRate / 2.0;
  if (maxHz <= 0.0 || maxHz > nyquist) maxHz = nyquist;
  if (bands < 1 || fftSize < 4 || sampleRate <= 0 || minHz < 0.0 || minHz >= maxHz) {
    throw Error(ErrorKind::InvalidArgument, "create mel filterbank", "",
                "need bands >= 1 and 0 <= minHz < maxHz <= Nyquist");
  }
  const double lo = hzToMel(minHz), hi = hzToMel(maxHz);
  std::vector<double> edges(static_cast<size_t>(bands) + 2);
  for (size_t i = 0; i < edges.size(); ++i) {
    edges[i] = melToHz(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(bands + 1));
  }
  const double binHz = static_cast<double>(sampleRate) / fftSize;
  first_.resize(static_cast<size_t>(bands));
  weights_.resize(static_cast<size_t>(bands));
  centers_.resize(static_cast<size_t>(bands));
  for (int b = 0; b < bands; ++b) {
    const double left = edges[static_cast<size_t>(b)];
    const double center = edges[static_cast<size_t>(b) + 1];
    const double right = edges[static_cast<size_t>(b) + 2];
    centers_[static_cast<size_t>(b)] = center;
    int first = -1;
    std::vector<float>& w = weights_[static_cast<size_t>(b)];
    for (int k = 0; k < bins_; ++k) {
      const double f = k * binHz;
      double v = 0.0;
      if (f > left && f <= center) v = (f - left) / (center - left);
      else if (f > center && f < right) v = (right - f) / (right - center);
      if (v <= 0.0) {
        if (first >= 0) break;  // past the triangle
        continue;
      }
      if (first < 0) first = k;
      w.push_back(static_cast<float>(v));
    }
    first_[static_cast<size_t>(b)] = std::max(first, 0);
  }
}

float MelFilterbank::weight(int band, int bin) const {
  const auto b = static_cast<size_t>(band);
  const int offset = bin - first_[b];
  if (offset < 0 || offset >= static_cast<int>(weights_[b].size())) return 0.0f;
  return weights_[b][static_cast<size_t>(offset)];
}

void MelFilterbank::apply(const float* power, float* out) const {
  for (size_t b = 0; b < weights_.size(); ++b) {
    const float* p = power + first_[b];
    const std::vector<float>& w = weights_[b];
    float sum = 0.0f;
    for (size_t i = 0; i < w.size(); ++i) sum += w[i] * p[i];
    out[b] = sum;
  }
}

// ---- Streaming onset detector -------------------------------------------------------

OnsetDetector::OnsetDetector(const OnsetParams& params, RealFft::Mode fftMode)
    : params_(params),
      mel_(params.melBands, params.fftSize, params.sampleRate, params.minHz, params.maxHz),
      fft_(params.fftSize, fftMode) {
  if (params_.hop < 1) {
    throw Error(ErrorKind::InvalidArgument, "create onset detector", "", "hop must be >= 1");
  }
  const auto n = static_cast<size_t>(params_.fftSize);
  window_.resize(n);
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {  // periodic Hann, as for STFT analysis
    window_[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                                         static_cast<double>(n)));
    sum += window_[i];
  }
  // Scale so that a full-scale sine puts magnitude 1 in its bin: 0 dB.
  const float scale = static_cast<float>(2.0 / sum);
  for (float& w : window_) w *= scale;
  pending_.assign(n / 2, 0.0f);  // centred frames: half a window of zeros before the start
  windowed_.resize(n);
  spectrum_.resize(static_cast<size_t>(fft_.bins()));
  power_.resize(static_cast<size_t>(fft_.bins()));
  bandPower_.resize(static_cast<size_t>(mel_.bands()));
  prevDb_.assign(static_cast<size_t>(mel_.bands()), static_cast<float>(params_.floorDb));
  prevMag_.assign(static_cast<size_t>(mel_.bands()), 0.0f);
  for (int b = 0; b < mel_.bands(); ++b) {
    if (mel_.centerHz(b) <= params_.lowBandHz) ++lowBands_;
  }
  lowBands_ = std::max(lowBands_, 1);
}

void OnsetDetector::push(const float* samples, size_t count) {
  if (finished_ || count == 0) return;
  pending_.insert(pending_.end(), samples, samples + count);
  pushed_ += count;
  const auto n = static_cast<size_t>(params_.fftSize);
  const auto hop = static_cast<size_t>(params_.hop);
  while (pending_.size() - pendingStart_ >= n) {
    analyseFrame(pending_.data() + pendingStart_);
    pendingStart_ += hop;
  }
  // Drop consumed samples now and then rather than on every call.
  if (pendingStart_ >= 8 * n) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pendingStart_));
    pendingStart_ = 0;
  }
}

void OnsetDetector::finish() {
  if (finished_) return;
  const auto n = static_cast<size_t>(params_.fftSize);
  const auto hop = static_cast<size_t>(params_.hop);
  pending_.insert(pending_.end(), n / 2, 0.0f);
  while (pending_.size() - pendingStart_ >= n) {
    analyseFrame(pending_.data() + pendingStart_);
    pendingStart_ += hop;
  }
  pending_.clear();
  pending_.shrink_to_fit();
  pendingStart_ = 0;
  finished_ = true;
}

void OnsetDetector::analyseFrame(const float* frame) {
  const auto n = static_cast<size_t>(params_.fftSize);
  for (size_t i = 0; i < n; ++i) windowed_[i] = frame[i] * window_[i];
  fft_.forward(windowed_.data(), spectrum_.data());
  for (size_t k = 0; k < spectrum_.size(); ++k) power_[k] = std::norm(spectrum_[k]);
  mel_.apply(power_.data(), bandPower_.data());

  const auto floorDb = static_cast<float>(params_.floorDb);
  const bool first = envelope_.empty();
  float flux = 0.0f, lowFlux = 0.0f, loud = 0.0f, peak = floorDb;
  for (size_t b = 0; b < bandPower_.size(); ++b) {
    const float db = std::max(10.0f * std::log10(std::max(bandPower_[b], 1e-20f)), floorDb);
    const float rise = std::max(db - prevDb_[b], 0.0f);
    flux += rise;
    if (b < static_cast<size_t>(lowBands_)) lowFlux += rise;
    const float mag = std::sqrt(bandPower_[b]);
    loud += std::max(mag - prevMag_[b], 0.0f);
    peak = std::max(peak, db);
    prevDb_[b] = db;
    prevMag_[b] = mag;
  }
  if (first && !params_.silenceBefore) flux = lowFlux = loud = 0.0f;  // no reference
  envelope_.push_back(flux / static_cast<float>(bandPower_.size()));
  low_.push_back(lowFlux / static_cast<float>(lowBands_));
  loudness_.push_back(loud);
  peakDb_.push_back(peak);
}

}  // namespace autocut
