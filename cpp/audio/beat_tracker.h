// Beat-tracking kernels over an onset envelope: tempo, beats, downbeats, confidence.
// Plain vectors in, plain numbers out (no FFmpeg), so they are tested on synthetic
// envelopes. Positions are in frames of the envelope (fractional where refined);
// cpp/audio/beats.h turns them into seconds in the file and documents the method.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace autocut {

// ---- Tempo --------------------------------------------------------------------------

struct TempoOptions {
  double minBpm = 60.0;
  double maxBpm = 200.0;
  double hintBpm = 0.0;        // > 0: centre the prior here, narrowly, and trust its octave
  double priorBpm = 120.0;     // centre of the perceptual (log-normal) prior
  double priorOctaves = 1.0;   // its standard deviation in octaves (weak)
  double hintOctaves = 0.2;    // the prior's width around a hint
};

struct TempoEstimate {
  double bpm = 0.0;          // 0 when no periodicity was found
  double period = 0.0;       // frames per beat
  double periodicity = 0.0;  // normalised autocorrelation at the period, 0..1
};

// Autocorrelation r[0..maxLag] of x (each lag averaged over its overlap), divided by
// r[0]; all zeros when x is.
std::vector<double> autocorrelation(std::span<const float> x, size_t maxLag);

// The tempo whose lag maximises autocorrelation x prior over [minBpm, maxBpm]: the
// envelope is normalised and its slow trend (a 2 s moving average) removed first; the
// best lag is refined by a parabola through its neighbours. No octave check here.
TempoEstimate estimateTempo(std::span<const float> envelope, double frameRate,
                            const TempoOptions& options);

// ---- Beats (Ellis 2007 dynamic programming) ------------------------------------------

// Beat frames that maximise sum(onset at beats) - tightness * sum(log(gap / period)^2):
// score[t] = local[t] + max over t-2P <= u <= t-P/2 of (score[u] - penalty(t - u)),
// where local is the envelope divided by its standard deviation and lightly smoothed.
// The last beat is the best score within the final period; the chain is followed back
// from it. A chain only links back when that adds score, so silence before the first
// onset gets no beats; leading and trailing beats weaker than half the beats' RMS
// strength are trimmed (silent intro and outro). Sorted, refined to sub-frame by a
// parabola through the envelope.
std::vector<double> trackBeats(std::span<const float> envelope, double period,
                               double tightness = 100.0);

// The median accent at the beats and at the midpoints between consecutive beats, each
// the maximum of `accent` within +-tolerance frames (medians: the first beat after a
// silent intro is an outlier).
struct PulseStrength {
  double onBeat = 0.0;
  double between = 0.0;
};
PulseStrength pulseStrength(std::span<const float> accent, std::span<const double> beats,
                            int tolerance = 2);

// Chooses between a period and its double / half (within [minBpm, maxBpm]): the faster
// level wins when the points midway between the slower level's beats carry at least
// `ratio` of the accent of the beats themselves (they are beats too), the slower one
// otherwise. The accent should weigh events by loudness (OnsetEnvelopes::loudness):
// quiet 8th-note hi-hats are subdivisions, a backbeat snare or a kick on every beat is
// not. Returns the corrected period in frames.
double resolveOctave(std::span<const float> envelope, std::span<const float> accent,
                     double frameRate, double period, const TempoOptions& options,
                     double ratio = 0.4);

// BPM from beat positions (frames): least-squares slope of position against beat
// index, where a gap of about k periods advances the index by k. 0 for < 2 beats.
double tempoFromBeats(std::span<const double> beats, double frameRate, double period);

// ---- Downbeats ----------------------------------------------------------------------

// Beat index per beat (frames, `period` frames apart): a gap of about k periods
// advances it by k, so a missed beat shifts neither the bar phase nor the tempo fit.
std::vector<long> beatIndices(std::span<const double> beats, double period);

// 4/4 assumed: the phase (0..3, of beatIndices modulo 4) whose beats carry the most
// accent (the caller passes the low-frequency onset envelope: kick, bass and chord
// roots change on the one). -1 without beats.
int downbeatPhase(std::span<const float> accent, std::span<const double> beats, double period,
                  int beatsPerBar = 4, int tolerance = 2);

// ---- Whole analysis --------------------------------------------------------------------

struct BeatAnalysis {
  double bpm = 0.0;
  std::vector<double> beats;      // frames
  std::vector<double> downbeats;  // frames, a subset of beats
  double confidence = 0.0;        // 0..1
};

// The envelopes OnsetDetector makes, one value per frame; all but `full` may be empty.
struct OnsetEnvelopes {
  std::span<const float> full;    // all bands: tempo and beats
  std::span<const float> low;     // bands up to 200 Hz: downbeats
  std::span<const float> loudness;  // linear-magnitude flux: the octave check's accent
  std::span<const float> peakDb;  // loudest band per frame: silence detection
  double frameRate = 0.0;
  double floorDb = -80.0;
};

// Silence, or fewer than a handful of onsets, gives an empty analysis (bpm 0).
BeatAnalysis analyseOnsets(const OnsetEnvelopes& onsets, const TempoOptions& options);

}  // namespace autocut
