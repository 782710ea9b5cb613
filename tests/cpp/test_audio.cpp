// cpp/audio and cpp/ffmpeg/fft: the FFT against a naive DFT, the mel filterbank, the
// onset detector, tempo, the Ellis DP tracker, the octave check and downbeats on
// synthetic envelopes, and detectBeats end to end on a WAV written here.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

#include "audio/beat_tracker.h"
#include "audio/beats.h"
#include "audio/decode.h"
#include "audio/onset.h"
#include "ffmpeg/error.h"
#include "ffmpeg/fft.h"

using namespace autocut;

namespace {

constexpr double kPi = std::numbers::pi;

std::vector<std::complex<double>> naiveDft(const std::vector<float>& x) {
  const size_t n = x.size();
  std::vector<std::complex<double>> out(n / 2 + 1);
  for (size_t k = 0; k <= n / 2; ++k) {
    std::complex<double> acc = 0.0;
    for (size_t i = 0; i < n; ++i) {
      acc += static_cast<double>(x[i]) * std::polar(1.0, -2.0 * kPi * static_cast<double>(k * i) / n);
    }
    out[k] = acc;
  }
  return out;
}

// Impulses of height `height` every `period` frames from `first`, on a floor of noise.
std::vector<float> pulseEnvelope(size_t frames, double period, double first, float height,
                                 float noise = 0.05f, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, noise);
  std::vector<float> env(frames);
  for (float& v : env) v = u(rng);
  for (double t = first; t < static_cast<double>(frames); t += period) {
    env[static_cast<size_t>(std::lround(t))] += height;
  }
  return env;
}

// A kick-like thump: a decaying 60-120 Hz sweep with a short click.
void addKick(std::vector<float>& x, double at, int rate, float gain) {
  const auto start = static_cast<size_t>(std::lround(at * rate));
  const auto len = static_cast<size_t>(0.25 * rate);
  double phase = 0.0;
  for (size_t i = 0; i < len && start + i < x.size(); ++i) {
    const double t = static_cast<double>(i) / rate;
    phase += 2.0 * kPi * (55.0 + 70.0 * std::exp(-t / 0.03)) / rate;
    const double click = i < 40 ? ((i * 7919) % 13 - 6) / 6.0 * 0.3 : 0.0;
    x[start + i] += gain * static_cast<float>((std::sin(phase) + click) * std::exp(-t / 0.12));
  }
}

std::vector<float> kickTrack(double bpm, double seconds, double intro, int rate) {
  std::vector<float> x(static_cast<size_t>(seconds * rate), 0.0f);
  for (double t = intro; t < seconds - 0.3; t += 60.0 / bpm) addKick(x, t, rate, 0.6f);
  return x;
}

// 16-bit PCM WAV, `channels` copies of the mono signal.
std::filesystem::path writeWav(const std::string& name, const std::vector<float>& mono, int rate,
                               int channels) {
  auto dir = std::filesystem::temp_directory_path() / "autocut_cpp_tests";
  std::filesystem::create_directories(dir);
  auto path = dir / name;
  std::ofstream f(path, std::ios::binary);
  auto put32 = [&](uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); };
  auto put16 = [&](uint16_t v) { f.write(reinterpret_cast<const char*>(&v), 2); };
  const auto data = static_cast<uint32_t>(mono.size() * 2 * static_cast<size_t>(channels));
  f.write("RIFF", 4);
  put32(36 + data);
  f.write("WAVEfmt ", 8);
  put32(16);
  put16(1);
  put16(static_cast<uint16_t>(channels));
  put32(static_cast<uint32_t>(rate));
  put32(static_cast<uint32_t>(rate * 2 * channels));
  put16(static_cast<uint16_t>(2 * channels));
  put16(16);
  f.write("data", 4);
  put32(data);
  for (float v : mono) {
    const auto s = static_cast<int16_t>(std::lround(std::clamp(v, -1.0f, 1.0f) * 32767.0f));
    for (int c = 0; c < channels; ++c) f.write(reinterpret_cast<const char*>(&s), 2);
  }
  return path;
}

}  // namespace

// ---- FFT ---------------------------------------------------------------------------------

TEST(RealFft, MatchesNaiveDftOnBothPaths) {
  for (RealFft::Mode mode : {RealFft::Mode::Auto, RealFft::Mode::Complex}) {
    for (int n : {8, 64, 1024}) {
      RealFft fft(n, mode);
      EXPECT_EQ(fft.bins(), n / 2 + 1);
      if (mode == RealFft::Mode::Complex) {
        EXPECT_FALSE(fft.real());
      }
      std::mt19937 rng(static_cast<unsigned>(n));
      std::normal_distribution<float> g;
      std::vector<float> x(static_cast<size_t>(n));
      for (float& v : x) v = g(rng);
      std::vector<std::complex<float>> out(static_cast<size_t>(fft.bins()));
      fft.forward(x.data(), out.data());
      const auto ref = naiveDft(x);
      double worst = 0.0;
      for (size_t k = 0; k < out.size(); ++k) {
        worst = std::max(worst, std::abs(std::complex<double>(out[k]) - ref[k]));
      }
      EXPECT_LT(worst, 1e-4 * n) << "n=" << n << " real=" << fft.real();
    }
  }
}

TEST(RealFft, SineLandsInItsBin) {
  RealFft fft(256);
  std::vector<float> x(256);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::cos(2.0 * kPi * 10.0 * i / 256.0));
  std::vector<std::complex<float>> out(129);
  fft.forward(x.data(), out.data());
  EXPECT_NEAR(std::abs(out[10]), 128.0, 1e-3);
  EXPECT_NEAR(std::abs(out[11]), 0.0, 1e-3);
}

TEST(RealFft, RejectsSizesThatAreNotPowersOfTwo) {
  EXPECT_THROW(RealFft(100), Error);
  EXPECT_THROW(RealFft(2), Error);
}

// ---- Mel filterbank -------------------------------------------------------------------------

TEST(Mel, ScaleRoundTripsAndKnownPoints) {
  EXPECT_NEAR(hzToMel(1000.0), 15.0, 1e-9);
  EXPECT_NEAR(hzToMel(200.0), 3.0, 1e-9);
  for (double hz : {0.0, 30.0, 440.0, 999.0, 1000.0, 4000.0, 11025.0}) {
    EXPECT_NEAR(melToHz(hzToMel(hz)), hz, 1e-6 * std::max(1.0, hz));
  }
}

TEST(Mel, FiltersAreAPartitionOfUnityBetweenTheOuterCentres) {
  const int bands = 64, fftSize = 1024, rate = 22050;
  MelFilterbank mel(bands, fftSize, rate, 30.0, 0.0);
  ASSERT_EQ(mel.bands(), bands);
  ASSERT_EQ(mel.bins(), fftSize / 2 + 1);
  const double binHz = static_cast<double>(rate) / fftSize;
  for (int b = 1; b < bands; ++b) EXPECT_GT(mel.centerHz(b), mel.centerHz(b - 1));
  for (int k = 0; k < mel.bins(); ++k) {
    const double f = k * binHz;
    double sum = 0.0;
    for (int b = 0; b < bands; ++b) {
      const float w = mel.weight(b, k);
      EXPECT_GE(w, 0.0f);
      EXPECT_LE(w, 1.0f);
      sum += w;
    }
    if (f >= mel.centerHz(0) && f <= mel.centerHz(bands - 1)) {
      EXPECT_NEAR(sum, 1.0, 1e-5) << "bin " << k;
    }
    if (f < 30.0) {
      EXPECT_EQ(sum, 0.0);
    }
  }
  // apply() is the weighted sum.
  std::vector<float> power(static_cast<size_t>(mel.bins()), 1.0f), out(bands);
  mel.apply(power.data(), out.data());
  for (int b = 0; b < bands; ++b) {
    double expect = 0.0;
    for (int k = 0; k < mel.bins(); ++k) expect += mel.weight(b, k);
    EXPECT_NEAR(out[static_cast<size_t>(b)], expect, 1e-4);
    EXPECT_GT(out[static_cast<size_t>(b)], 0.0f) << "empty band " << b;
  }
}

TEST(Mel, RejectsBadRanges) {
  EXPECT_THROW(MelFilterbank(0, 1024, 22050, 30.0, 0.0), Error);
  EXPECT_THROW(MelFilterbank(64, 1024, 22050, 9000.0, 8000.0), Error);
}

// ---- Onset detector -------------------------------------------------------------------------

TEST(Onsets, FrameCountFollowsCentredFrames) {
  OnsetParams p;
  for (size_t n : {0u, 1u, 255u, 256u, 22050u, 22051u}) {
    OnsetDetector det(p);
    std::vector<float> x(n, 0.0f);
    // Fed in uneven blocks: the count does not depend on how samples arrive.
    for (size_t i = 0; i < n; i += 1000) det.push(x.data() + i, std::min<size_t>(1000, n - i));
    det.finish();
    EXPECT_EQ(det.envelope().size(), 1 + n / static_cast<size_t>(p.hop)) << n;
    EXPECT_EQ(det.lowEnvelope().size(), det.envelope().size());
    EXPECT_EQ(det.loudnessEnvelope().size(), det.envelope().size());
    EXPECT_EQ(det.samplesPushed(), n);
  }
}

TEST(Onsets, SilenceIsFlatAtTheFloor) {
  OnsetDetector det;
  std::vector<float> x(22050 * 2, 0.0f);
  det.push(x.data(), x.size());
  det.finish();
  for (float v : det.envelope()) EXPECT_EQ(v, 0.0f);
  for (float v : det.peakDb()) EXPECT_EQ(v, static_cast<float>(det.params().floorDb));
}

TEST(Onsets, ClicksPeakAtTheirFrames) {
  const int rate = 22050;
  std::vector<float> x = kickTrack(120.0, 6.0, 0.5, rate);
  OnsetDetector det;
  det.push(x.data(), x.size());
  det.finish();
  const auto& env = det.envelope();
  const double fps = det.frameRate();
  for (double t = 1.0; t < 5.5; t += 0.5) {
    const auto frame = static_cast<long>(std::lround(t * fps));
    long best = frame - 4;
    for (long f = frame - 4; f <= frame + 4; ++f) {
      if (env[static_cast<size_t>(f)] > env[static_cast<size_t>(best)]) best = f;
    }
    EXPECT_LE(std::abs(best - frame), 2) << "kick at " << t;
    EXPECT_GT(env[static_cast<size_t>(best)], 1.0f);
    // Between kicks the decay gives no onset.
    EXPECT_LT(env[static_cast<size_t>(frame + std::lround(0.25 * fps))], 0.2f * env[static_cast<size_t>(best)]);
  }
}

TEST(Onsets, FirstFrameRisesOnlyAfterSilence) {
  std::vector<float> x(22050, 0.5f);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * static_cast<float>(std::sin(0.3 * i));
  OnsetParams p;
  p.silenceBefore = true;
  OnsetDetector fromStart(p);
  fromStart.push(x.data(), x.size());
  fromStart.finish();
  EXPECT_GT(fromStart.envelope()[0], 1.0f);
  p.silenceBefore = false;
  OnsetDetector window(p);
  window.push(x.data(), x.size());
  window.finish();
  EXPECT_EQ(window.envelope()[0], 0.0f);
}

// ---- Tempo ------------------------------------------------------------------------------------

TEST(Tempo, AutocorrelationIsNormalised) {
  std::vector<float> x = {1, -1, 1, -1, 1, -1, 1, -1};
  const auto r = autocorrelation(x, 3);
  EXPECT_DOUBLE_EQ(r[0], 1.0);
  EXPECT_NEAR(r[1], -1.0, 1e-12);
  EXPECT_NEAR(r[2], 1.0, 1e-12);
  const auto zero = autocorrelation(std::vector<float>(8, 0.0f), 3);
  for (double v : zero) EXPECT_EQ(v, 0.0);
}

TEST(Tempo, FindsThePulseWithinOnePercent) {
  const double fps = 22050.0 / 256.0;
  for (double bpm : {72.0, 97.0, 121.0, 143.0, 176.0}) {
    const double period = 60.0 * fps / bpm;
    const auto env = pulseEnvelope(2000, period, 10.0, 1.0f);
    const TempoEstimate est = estimateTempo(env, fps, TempoOptions{});
    // A bare pulse train is as periodic at twice its period; the prior (centred at 120)
    // prefers 88 to 176 there, and choosing the octave is resolveOctave's job.
    const double expect = bpm > 170.0 ? bpm / 2 : bpm;
    EXPECT_NEAR(est.bpm, expect, 0.01 * expect);
    EXPECT_GT(est.periodicity, 0.5);
  }
}

TEST(Tempo, StaysInsideTheRange) {
  const double fps = 22050.0 / 256.0;
  const auto env = pulseEnvelope(2000, 60.0 * fps / 180.0, 0.0, 1.0f);
  TempoOptions opt;
  opt.minBpm = 60.0;
  opt.maxBpm = 120.0;
  const TempoEstimate est = estimateTempo(env, fps, opt);
  EXPECT_NEAR(est.bpm, 90.0, 1.0);
}

TEST(Tempo, HintChoosesTheOctave) {
  const double fps = 22050.0 / 256.0;
  const auto env = pulseEnvelope(2000, 60.0 * fps / 150.0, 0.0, 1.0f);
  TempoOptions opt;
  opt.hintBpm = 75.0;
  EXPECT_NEAR(estimateTempo(env, fps, opt).bpm, 75.0, 0.75);
}

TEST(Tempo, NothingInSilence) {
  const TempoEstimate est = estimateTempo(std::vector<float>(1000, 0.0f), 86.0, TempoOptions{});
  EXPECT_EQ(est.bpm, 0.0);
}

// ---- Beats (DP) ---------------------------------------------------------------------------------

TEST(BeatDp, BeatsSitOnThePulseAndNotInTheIntro) {
  const double period = 40.0;
  const double intro = 200.0;
  auto env = pulseEnvelope(1200, period, intro, 1.0f, 0.0f);  // silent intro: exact zeros
  // Weaker swung off-beats (two thirds of the way) must not pull the grid.
  for (double t = intro + period * 2.0 / 3.0; t < 1200; t += period) env[static_cast<size_t>(std::lround(t))] += 0.5f;
  const auto beats = trackBeats(env, period);
  ASSERT_GE(beats.size(), 24u);
  EXPECT_NEAR(beats.front(), intro, 0.5);
  for (size_t i = 0; i < beats.size(); ++i) {
    const double k = std::round((beats[i] - intro) / period);
    EXPECT_NEAR(beats[i], intro + k * period, 1.0) << i;
    if (i > 0) {
      EXPECT_NEAR(beats[i] - beats[i - 1], period, 1.5);
    }
  }
  EXPECT_GE(beats.back(), 1200 - period - 1.0);
}

TEST(BeatDp, BridgesAMissingOnset) {
  const double period = 30.0;
  auto env = pulseEnvelope(900, period, 15.0, 1.0f, 0.02f);
  env[15 + 10 * 30] = 0.0f;  // one beat not played
  const auto beats = trackBeats(env, period);
  bool found = false;
  for (double b : beats) found |= std::abs(b - (15 + 10 * 30)) <= 2.0;
  EXPECT_TRUE(found) << "the DP keeps the period through a gap";
}

TEST(BeatDp, TempoFromBeatsIsExactAndSurvivesGaps) {
  const double fps = 100.0;
  std::vector<double> beats;
  for (int k = 0; k < 40; ++k) {
    if (k == 13 || k == 27) continue;  // missed beats
    beats.push_back(12.0 + k * 50.0);
  }
  EXPECT_NEAR(tempoFromBeats(beats, fps, 50.0), 120.0, 1e-9);
  EXPECT_EQ(tempoFromBeats(std::vector<double>{5.0}, fps, 50.0), 0.0);
}

// ---- Octave check ---------------------------------------------------------------------------------

TEST(Octave, QuietSubdivisionsDoNotDoubleButLoudOnesDo) {
  const double fps = 22050.0 / 256.0;
  const double period = 60.0 * fps / 80.0;  // 80 BPM
  auto env = pulseEnvelope(2400, period, 10.0, 1.0f, 0.01f);
  // Log flux makes the 8ths nearly as strong as the beats ...
  for (double t = 10.0 + period / 2; t < 2400; t += period) env[static_cast<size_t>(std::lround(t))] += 0.8f;
  // ... but they are quiet: the loudness accent shows it.
  auto quiet = pulseEnvelope(2400, period, 10.0, 1.0f, 0.01f);
  for (double t = 10.0 + period / 2; t < 2400; t += period) quiet[static_cast<size_t>(std::lround(t))] += 0.1f;
  auto loud = pulseEnvelope(2400, period, 10.0, 1.0f, 0.01f);
  for (double t = 10.0 + period / 2; t < 2400; t += period) loud[static_cast<size_t>(std::lround(t))] += 0.9f;
  const TempoOptions opt;
  EXPECT_NEAR(resolveOctave(env, quiet, fps, period, opt), period, 1e-9);
  EXPECT_NEAR(resolveOctave(env, loud, fps, period, opt), period / 2, 1e-9);
  // From the doubled tempo the quiet accent goes back down.
  EXPECT_NEAR(resolveOctave(env, quiet, fps, period / 2, opt), period, 1e-9);
  // Never outside the range.
  TempoOptions narrow;
  narrow.maxBpm = 120.0;
  EXPECT_NEAR(resolveOctave(env, loud, fps, period, narrow), period, 1e-9);
}

TEST(Octave, PulseStrengthUsesMedians) {
  std::vector<float> accent(100, 0.0f);
  const std::vector<double> beats = {10, 30, 50, 70, 90};
  for (double b : beats) accent[static_cast<size_t>(b)] = 1.0f;
  accent[10] = 50.0f;  // an outlier (the first hit after silence)
  for (int m : {20, 40, 60, 80}) accent[static_cast<size_t>(m)] = 0.25f;
  const PulseStrength s = pulseStrength(accent, beats);
  EXPECT_FLOAT_EQ(static_cast<float>(s.onBeat), 1.0f);
  EXPECT_FLOAT_EQ(static_cast<float>(s.between), 0.25f);
}

// ---- Downbeats -------------------------------------------------------------------------------------

TEST(Downbeats, PhaseOfTheStrongestEveryFourth) {
  std::vector<double> beats;
  std::vector<float> accent(2000, 0.0f);
  for (int k = 0; k < 40; ++k) {
    beats.push_back(20.0 + 45.0 * k);
    accent[static_cast<size_t>(20 + 45 * k)] = (k % 4 == 2) ? 3.0f : 1.0f;
  }
  EXPECT_EQ(downbeatPhase(accent, beats, 45.0), 2);
  // A missed beat does not shift the phase of the beats after it.
  std::vector<double> gap = beats;
  gap.erase(gap.begin() + 17);
  EXPECT_EQ(downbeatPhase(accent, gap, 45.0), 2);
  EXPECT_EQ(beatIndices(gap, 45.0).back(), 39);
  EXPECT_EQ(downbeatPhase(accent, std::vector<double>{}, 45.0), -1);
}

// ---- Whole analysis -----------------------------------------------------------------------------------

TEST(Analysis, SilenceGivesNothing) {
  OnsetEnvelopes e;
  std::vector<float> zeros(2000, 0.0f), floor(2000, -80.0f);
  e.full = zeros;
  e.low = zeros;
  e.loudness = zeros;
  e.peakDb = floor;
  e.frameRate = 86.0;
  const BeatAnalysis a = analyseOnsets(e, TempoOptions{});
  EXPECT_EQ(a.bpm, 0.0);
  EXPECT_TRUE(a.beats.empty());
  EXPECT_EQ(a.confidence, 0.0);
}

TEST(Analysis, KickTrackThroughTheOnsetDetector) {
  const int rate = 22050;
  const std::vector<float> x = kickTrack(104.0, 15.0, 1.5, rate);
  OnsetDetector det;
  det.push(x.data(), x.size());
  det.finish();
  const BeatTrack t = beatTrackFromOnsets(det, BeatOptions{}, 0.0);
  EXPECT_NEAR(t.tempo, 104.0, 1.04);
  ASSERT_FALSE(t.beats.empty());
  EXPECT_NEAR(t.beats.front(), 1.5, 0.03);
  for (size_t i = 0; i < t.beats.size(); ++i) {
    EXPECT_NEAR(t.beats[i], 1.5 + i * 60.0 / 104.0, 0.03) << i;
  }
  EXPECT_GT(t.confidence, 0.5);
  EXPECT_LE(t.confidence, 1.0);
}

// ---- detectBeats end to end ----------------------------------------------------------------------------

TEST(DetectBeats, StereoWavAt44k) {
  const std::vector<float> x = kickTrack(128.0, 12.0, 1.0, 44100);
  const auto path = writeWav("beats_128.wav", x, 44100, 2);
  const BeatTrack t = detectBeats(path.string());
  EXPECT_NEAR(t.tempo, 128.0, 1.28);
  ASSERT_GE(t.beats.size(), 20u);
  EXPECT_NEAR(t.beats.front(), 1.0, 0.03);
  EXPECT_NEAR(static_cast<double>(t.onsetEnvelope.size()) / t.onsetRate, 12.0, 0.05);

  BeatOptions window;
  window.start = 4.0;
  window.duration = 5.0;
  const BeatTrack w = detectBeats(path.string(), window);
  EXPECT_EQ(w.onsetStart, 4.0);
  ASSERT_FALSE(w.beats.empty());
  EXPECT_GE(w.beats.front(), 4.0);
  EXPECT_LT(w.beats.back(), 9.0);
  for (double b : w.beats) {
    const double k = std::round((b - 1.0) * 128.0 / 60.0);
    EXPECT_NEAR(b, 1.0 + k * 60.0 / 128.0, 0.03);
  }
}

TEST(DetectBeats, SilentWavHasNoBeats) {
  const auto path = writeWav("silence.wav", std::vector<float>(44100 * 3, 0.0f), 44100, 1);
  const BeatTrack t = detectBeats(path.string());
  EXPECT_EQ(t.tempo, 0.0);
  EXPECT_TRUE(t.beats.empty());
  EXPECT_EQ(t.confidence, 0.0);
  EXPECT_FALSE(t.onsetEnvelope.empty());
}

TEST(DetectBeats, CheckCallbackAbortsAndProgressEndsAtOne) {
  const auto path = writeWav("beats_check.wav", kickTrack(100.0, 8.0, 0.0, 22050), 22050, 1);
  struct Stop : std::runtime_error {
    Stop() : std::runtime_error("stop") {}
  };
  BeatCallbacks cb;
  int checks = 0;
  cb.check = [&] {
    if (++checks == 1) throw Stop();
  };
  EXPECT_THROW(detectBeats(path.string(), {}, cb), Stop);

  std::vector<double> seen;
  BeatCallbacks progress;
  progress.progress = [&](double f) { seen.push_back(f); };
  detectBeats(path.string(), {}, progress);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 1.0);
}

TEST(DetectBeats, ErrorsAndBadOptions) {
  try {
    detectBeats("/nonexistent/song.mp3");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  const auto path = writeWav("beats_opts.wav", kickTrack(100.0, 3.0, 0.0, 22050), 22050, 1);
  BeatOptions bad;
  bad.minBpm = 200.0;
  bad.maxBpm = 100.0;
  try {
    detectBeats(path.string(), bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
}

TEST(WorkMonitor, PollsAreRateLimitedForcesAreNot) {
  int checks = 0;
  WorkMonitor m([&] { ++checks; }, {}, 3600.0);
  for (int i = 0; i < 100; ++i) m.poll(0.5);
  EXPECT_EQ(checks, 0);
  m.force(1.0);
  EXPECT_EQ(checks, 1);
}
