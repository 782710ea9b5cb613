#include "audio/beat_tracker.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace autocut {

namespace {

// Envelope values smaller than this (mean rectified dB rise over the bands) are not
// onsets: lossy codecs leave a little of it in digital silence.
constexpr float kMinOnset = 0.5f;
// A frame is audible when its loudest band is this far above the analysis floor.
constexpr float kAudibleAboveFloorDb = 10.0f;

double bpmOfPeriod(double frameRate, double period) { return 60.0 * frameRate / period; }

// x / std(x); zeros when x is constant.
std::vector<float> normalised(std::span<const float> x) {
  std::vector<float> out(x.begin(), x.end());
  if (x.size() < 2) return out;
  double mean = 0.0;
  for (float v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double var = 0.0;
  for (float v : x) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(x.size() - 1));
  const float scale = sd > 1e-9 ? static_cast<float>(1.0 / sd) : 0.0f;
  for (float& v : out) v *= scale;
  return out;
}

// Centred moving average over `width` frames (shorter at the edges).
std::vector<float> movingAverage(std::span<const float> x, size_t width) {
  std::vector<double> prefix(x.size() + 1, 0.0);
  for (size_t i = 0; i < x.size(); ++i) prefix[i + 1] = prefix[i] + x[i];
  const size_t half = width / 2;
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t lo = i >= half ? i - half : 0;
    const size_t hi = std::min(x.size(), i + half + 1);
    out[i] = static_cast<float>((prefix[hi] - prefix[lo]) / static_cast<double>(hi - lo));
  }
  return out;
}

std::vector<float> gaussianSmooth(std::span<const float> x, double sigma) {
  if (sigma < 0.5) return {x.begin(), x.end()};
  const int radius = static_cast<int>(std::ceil(3.0 * sigma));
  std::vector<double> kernel(static_cast<size_t>(2 * radius + 1));
  for (int i = -radius; i <= radius; ++i) {
    kernel[static_cast<size_t>(i + radius)] = std::exp(-0.5 * (i / sigma) * (i / sigma));
  }
  const double sum = std::accumulate(kernel.begin(), kernel.end(), 0.0);
  for (double& k : kernel) k /= sum;
  const auto n = static_cast<long>(x.size());
  std::vector<float> out(x.size());
  for (long t = 0; t < n; ++t) {
    double acc = 0.0;
    for (int i = -radius; i <= radius; ++i) {
      const long u = t + i;
      if (u >= 0 && u < n) acc += kernel[static_cast<size_t>(i + radius)] * x[static_cast<size_t>(u)];
    }
    out[static_cast<size_t>(t)] = static_cast<float>(acc);
  }
  return out;
}

double logNormalPrior(double bpm, double centre, double octaves) {
  const double z = std::log2(bpm / centre) / octaves;
  return std::exp(-0.5 * z * z);
}

float maxAround(std::span<const float> a, double position, int tolerance) {
  if (a.empty()) return 0.0f;
  const long n = static_cast<long>(a.size());
  const long centre = std::lround(position);
  const long lo = std::max(0L, centre - tolerance), hi = std::min(n - 1, centre + tolerance);
  float best = 0.0f;
  for (long t = lo; t <= hi; ++t) best = std::max(best, a[static_cast<size_t>(t)]);
  return best;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}

// The slow-trend-free, normalised envelope the autocorrelation looks at.
std::vector<float> detrended(std::span<const float> envelope, double frameRate) {
  std::vector<float> x = normalised(envelope);
  const auto width = static_cast<size_t>(std::max(3.0, std::round(2.0 * frameRate)));
  const std::vector<float> trend = movingAverage(x, width);
  for (size_t i = 0; i < x.size(); ++i) x[i] -= trend[i];
  return x;
}

// Normalised autocorrelation of the detrended envelope at a fractional lag.
double periodicityAt(std::span<const float> envelope, double frameRate, double period) {
  const std::vector<float> y = detrended(envelope, frameRate);
  const auto lag = static_cast<size_t>(std::floor(period));
  if (lag + 2 >= y.size()) return 0.0;
  const std::vector<double> r = autocorrelation(y, lag + 1);
  const double frac = period - static_cast<double>(lag);
  return std::clamp((1.0 - frac) * r[lag] + frac * r[lag + 1], 0.0, 1.0);
}

}  // namespace

// ---- Tempo --------------------------------------------------------------------------

std::vector<double> autocorrelation(std::span<const float> x, size_t maxLag) {
  std::vector<double> r(maxLag + 1, 0.0);
  const size_t n = x.size();
  for (size_t lag = 0; lag <= maxLag && lag < n; ++lag) {
    double acc = 0.0;
    for (size_t t = 0; t + lag < n; ++t) acc += static_cast<double>(x[t]) * x[t + lag];
    r[lag] = acc / static_cast<double>(n - lag);
  }
  if (r[0] <= 0.0) return std::vector<double>(maxLag + 1, 0.0);
  const double r0 = r[0];
  for (double& v : r) v /= r0;
  return r;
}

TempoEstimate estimateTempo(std::span<const float> envelope, double frameRate,
                            const TempoOptions& options) {
  TempoEstimate est;
  if (frameRate <= 0.0 || options.minBpm <= 0.0 || options.maxBpm <= options.minBpm) return est;
  const auto minLag = static_cast<size_t>(std::max(1.0, std::floor(60.0 * frameRate / options.maxBpm)));
  auto maxLag = static_cast<size_t>(std::ceil(60.0 * frameRate / options.minBpm));
  if (envelope.size() < 8) return est;
  maxLag = std::min(maxLag, envelope.size() - 3);
  if (maxLag <= minLag) return est;

  const std::vector<float> y = detrended(envelope, frameRate);
  const std::vector<double> r = autocorrelation(y, maxLag + 1);
  const bool hinted = options.hintBpm > 0.0;
  const double centre = hinted ? options.hintBpm : options.priorBpm;
  const double octaves = hinted ? options.hintOctaves : options.priorOctaves;

  size_t bestLag = 0;
  double bestScore = 0.0;
  for (size_t lag = minLag; lag <= maxLag; ++lag) {
    const double bpm = bpmOfPeriod(frameRate, static_cast<double>(lag));
    if (bpm > options.maxBpm * 1.02 || bpm < options.minBpm * 0.98) continue;
    const double score = std::max(r[lag], 0.0) * logNormalPrior(bpm, centre, octaves);
    if (score > bestScore) {
      bestScore = score;
      bestLag = lag;
    }
  }
  if (bestLag == 0) return est;

  double delta = 0.0, peak = r[bestLag];
  const double a = r[bestLag - 1], b = r[bestLag], c = r[bestLag + 1];
  const double denom = a - 2.0 * b + c;
  if (denom < 0.0) {
    delta = std::clamp(0.5 * (a - c) / denom, -0.5, 0.5);
    peak = b - 0.25 * (a - c) * delta;
  }
  est.period = static_cast<double>(bestLag) + delta;
  est.bpm = std::clamp(bpmOfPeriod(frameRate, est.period), options.minBpm, options.maxBpm);
  est.period = 60.0 * frameRate / est.bpm;
  est.periodicity = std::clamp(peak, 0.0, 1.0);
  return est;
}

// ---- Beats --------------------------------------------------------------------------

std::vector<double> trackBeats(std::span<const float> envelope, double period, double tightness) {
  const size_t n = envelope.size();
  if (n < 3 || !(period >= 2.0)) return {};
  const std::vector<float> x = normalised(envelope);
  const std::vector<float> local = gaussianSmooth(x, period / 32.0);

  const long lo = std::max(1L, std::lround(period / 2.0));
  const long hi = std::max(lo, std::lround(2.0 * period));
  std::vector<double> penalty(static_cast<size_t>(hi + 1), 0.0);
  for (long d = lo; d <= hi; ++d) {
    const double l = std::log(static_cast<double>(d) / period);
    penalty[static_cast<size_t>(d)] = tightness * l * l;
  }

  std::vector<double> score(n);
  std::vector<long> back(n, -1);
  for (size_t t = 0; t < n; ++t) {
    double best = -std::numeric_limits<double>::infinity();
    long arg = -1;
    const long first = std::max(0L, static_cast<long>(t) - hi);
    for (long u = static_cast<long>(t) - lo; u >= first; --u) {
      const double s = score[static_cast<size_t>(u)] - penalty[static_cast<size_t>(static_cast<long>(t) - u)];
      if (s > best) {
        best = s;
        arg = u;
      }
    }
    // Link back only when the chain adds score: before the first onset the score is
    // zero and every link costs, so no beats fall in a silent intro.
    if (arg >= 0 && best > 0.0) {
      score[t] = local[t] + best;
      back[t] = arg;
    } else {
      score[t] = local[t];
    }
  }

  // The last beat: the best cumulative score within the final period (Ellis 2007). A
  // strong off-beat near the end cannot win it, as it pays for its odd gap; after a
  // silent outro it is a link-only chain that the trimming below removes.
  const auto tail = static_cast<size_t>(std::ceil(period));
  size_t last = n - 1;
  for (size_t t = n > tail ? n - tail : 0; t < n; ++t) {
    if (score[t] > score[last]) last = t;
  }
  std::vector<long> frames;
  for (auto t = static_cast<long>(last); t >= 0; t = back[static_cast<size_t>(t)]) frames.push_back(t);
  std::reverse(frames.begin(), frames.end());

  // Trim weak beats at both ends: a silent intro or outro holds links, not onsets.
  std::vector<float> strength(frames.size());
  double sumSq = 0.0;
  for (size_t i = 0; i < frames.size(); ++i) {
    strength[i] = maxAround(x, static_cast<double>(frames[i]), 2);
    sumSq += static_cast<double>(strength[i]) * strength[i];
  }
  const double trim = 0.5 * std::sqrt(sumSq / static_cast<double>(frames.size()));
  size_t begin = 0, end = frames.size();
  while (begin < end && strength[begin] < trim) ++begin;
  while (end > begin && strength[end - 1] < trim) --end;

  std::vector<double> beats;
  beats.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const long t = frames[i];
    double pos = static_cast<double>(t);
    if (t > 0 && static_cast<size_t>(t) + 1 < n) {
      const double a = x[static_cast<size_t>(t) - 1], b = x[static_cast<size_t>(t)],
                   c = x[static_cast<size_t>(t) + 1];
      const double denom = a - 2.0 * b + c;
      if (b >= a && b >= c && denom < 0.0) pos += std::clamp(0.5 * (a - c) / denom, -0.5, 0.5);
    }
    beats.push_back(pos);
  }
  return beats;
}

PulseStrength pulseStrength(std::span<const float> accent, std::span<const double> beats,
                            int tolerance) {
  PulseStrength p;
  if (beats.empty()) return p;
  std::vector<double> on, between;
  for (size_t i = 0; i < beats.size(); ++i) {
    on.push_back(maxAround(accent, beats[i], tolerance));
    if (i > 0) between.push_back(maxAround(accent, 0.5 * (beats[i - 1] + beats[i]), tolerance));
  }
  p.onBeat = median(on);
  p.between = between.empty() ? 0.0 : median(between);
  return p;
}

double resolveOctave(std::span<const float> envelope, std::span<const float> accent,
                     double frameRate, double period, const TempoOptions& options, double ratio) {
  auto inRange = [&](double p) {
    const double bpm = bpmOfPeriod(frameRate, p);
    return bpm >= options.minBpm * (1.0 - 1e-9) && bpm <= options.maxBpm * (1.0 + 1e-9);
  };
  // true: the points between the beats at `slow` are as strong as beats.
  auto fasterLevelIsReal = [&](double slow, bool& decided) {
    const std::vector<double> beats = trackBeats(envelope, slow);
    decided = beats.size() >= 3;  // two midpoints at least
    if (!decided) return false;
    const PulseStrength s = pulseStrength(accent, beats);
    return s.onBeat > 0.0 && s.between >= ratio * s.onBeat;
  };
  for (int step = 0; step < 4; ++step) {
    bool decided = false;
    if (inRange(2.0 * period) && !fasterLevelIsReal(2.0 * period, decided) && decided) {
      period *= 2.0;
      continue;
    }
    if (inRange(0.5 * period) && fasterLevelIsReal(period, decided) && decided) {
      period *= 0.5;
      continue;
    }
    break;
  }
  return period;
}

std::vector<long> beatIndices(std::span<const double> beats, double period) {
  std::vector<long> k(beats.size(), 0);
  for (size_t i = 1; i < beats.size(); ++i) {
    const long step = period > 0.0 ? std::max(1L, std::lround((beats[i] - beats[i - 1]) / period)) : 1L;
    k[i] = k[i - 1] + step;
  }
  return k;
}

double tempoFromBeats(std::span<const double> beats, double frameRate, double period) {
  if (beats.size() < 2 || period <= 0.0) return 0.0;
  const std::vector<long> k = beatIndices(beats, period);
  const auto n = static_cast<double>(beats.size());
  double mk = 0.0, mb = 0.0;
  for (size_t i = 0; i < beats.size(); ++i) {
    mk += static_cast<double>(k[i]);
    mb += beats[i];
  }
  mk /= n;
  mb /= n;
  double sxy = 0.0, sxx = 0.0;
  for (size_t i = 0; i < beats.size(); ++i) {
    const double dk = static_cast<double>(k[i]) - mk;
    sxy += dk * (beats[i] - mb);
    sxx += dk * dk;
  }
  if (sxx <= 0.0 || sxy <= 0.0) return 0.0;
  return bpmOfPeriod(frameRate, sxy / sxx);
}

// ---- Downbeats ----------------------------------------------------------------------

int downbeatPhase(std::span<const float> accent, std::span<const double> beats, double period,
                  int beatsPerBar, int tolerance) {
  if (beats.empty() || beatsPerBar < 1) return -1;
  const std::vector<long> k = beatIndices(beats, period);
  std::vector<double> sum(static_cast<size_t>(beatsPerBar), 0.0);
  std::vector<int> count(static_cast<size_t>(beatsPerBar), 0);
  for (size_t i = 0; i < beats.size(); ++i) {
    const auto phase = static_cast<size_t>(k[i] % beatsPerBar);
    sum[phase] += maxAround(accent, beats[i], tolerance);
    ++count[phase];
  }
  int best = -1;
  double bestMean = -1.0;
  for (int p = 0; p < beatsPerBar; ++p) {
    const auto i = static_cast<size_t>(p);
    if (count[i] == 0) continue;
    const double m = sum[i] / count[i];
    if (m > bestMean) {
      bestMean = m;
      best = p;
    }
  }
  return best;
}

// ---- Whole analysis --------------------------------------------------------------------

BeatAnalysis analyseOnsets(const OnsetEnvelopes& onsets, const TempoOptions& options) {
  BeatAnalysis out;
  const std::span<const float> envelope = onsets.full;
  const double frameRate = onsets.frameRate;
  const size_t n = envelope.size();
  if (n < 8 || frameRate <= 0.0) return out;

  // Silence (or a steady tone): too few audible onsets to speak of a beat.
  int count = 0;
  for (size_t t = 1; t + 1 < n; ++t) {
    const bool audible = onsets.peakDb.size() != n ||
                         onsets.peakDb[t] > static_cast<float>(onsets.floorDb) + kAudibleAboveFloorDb;
    if (audible && envelope[t] > kMinOnset && envelope[t] >= envelope[t - 1] &&
        envelope[t] > envelope[t + 1]) {
      ++count;
    }
  }
  if (count < 4) return out;

  const TempoEstimate tempo = estimateTempo(envelope, frameRate, options);
  if (tempo.bpm <= 0.0) return out;

  // An envelope that is all zeros (nothing in those bands) falls back to the full one.
  auto orFull = [&](std::span<const float> e) {
    std::vector<float> x = e.size() == n ? normalised(e) : std::vector<float>{};
    if (std::none_of(x.begin(), x.end(), [](float v) { return v > 0.0f; })) x = normalised(envelope);
    return x;
  };
  const std::vector<float> full = normalised(envelope);
  const std::vector<float> low = orFull(onsets.low);
  const std::vector<float> accent = orFull(onsets.loudness);

  double period = tempo.period;
  if (options.hintBpm <= 0.0) period = resolveOctave(envelope, accent, frameRate, period, options);

  std::vector<double> beats = trackBeats(envelope, period);
  if (beats.size() < 2) return out;

  double bpm = tempoFromBeats(beats, frameRate, period);
  if (bpm <= 0.0) bpm = bpmOfPeriod(frameRate, period);
  out.bpm = std::clamp(bpm, options.minBpm, options.maxBpm);

  const int phase = downbeatPhase(low, beats, period);
  const std::vector<long> k = beatIndices(beats, period);
  for (size_t i = 0; i < beats.size(); ++i) {
    if (phase >= 0 && k[i] % 4 == phase) out.downbeats.push_back(beats[i]);
  }

  // Confidence: how periodic the envelope is at the beat period (normalised
  // autocorrelation, saturating at 0.5) times the share of beats that sit on a clear
  // onset (at least half the RMS beat strength).
  const double periodic = std::min(1.0, 2.0 * periodicityAt(envelope, frameRate, period));
  double sumSq = 0.0;
  std::vector<float> strength(beats.size());
  for (size_t i = 0; i < beats.size(); ++i) {
    strength[i] = maxAround(full, beats[i], 2);
    sumSq += static_cast<double>(strength[i]) * strength[i];
  }
  const double rms = std::sqrt(sumSq / static_cast<double>(beats.size()));
  const auto onOnset = std::count_if(strength.begin(), strength.end(),
                                     [&](float s) { return s >= 0.5 * rms; });
  const double aligned = static_cast<double>(onOnset) / static_cast<double>(beats.size());
  out.confidence = std::clamp(periodic * aligned, 0.0, 1.0);
  out.beats = std::move(beats);
  return out;
}

}  // namespace autocut
