// detectBeats(): tempo, beats and downbeats of the music in any audio or video file.
//
// Method
//  1. Decode (cpp/audio/decode.h): the best audio stream is demuxed and decoded with
//     libavformat/libavcodec, mixed to mono and resampled to 22050 Hz by libswresample,
//     and streamed through the onset detector; only the envelope is kept, so memory
//     does not grow with the file's sample count. Corrupt packets are skipped.
//  2. Onset envelope (cpp/audio/onset.h): centred 1024-sample Hann frames every 256
//     samples (86.1 frames/s), real FFT by libavutil's av_tx, 64 triangular mel bands
//     (30 Hz..Nyquist) in dB floored at -80 dB re full scale; the envelope is the mean
//     rectified rise of the bands over the previous frame (log-magnitude mel spectral
//     flux). A low envelope does the same over the bands centred up to 200 Hz; a
//     loudness envelope sums the rise of the bands' linear magnitudes.
//  3. Tempo (cpp/audio/beat_tracker.h): the autocorrelation of the normalised envelope,
//     its 2 s moving average removed, over the lags of [min_bpm, max_bpm], weighted by a
//     log-normal prior (centre 120 BPM, one octave wide; or 0.2 octave around a tempo
//     hint), peak refined by a parabola.
//  4. Octave check: the tempo is doubled or halved (staying in range) by looking at the
//     beats themselves. Beats are tracked at the slower of two levels; if the points
//     midway between them carry at least 0.4 of the beats' accent (medians of the
//     loudness envelope, which weighs events as loud as they are), they are beats too
//     and the faster level wins; otherwise the slower. So quiet 8th-note hi-hats do
//     not double the tempo, and a backbeat snare or a kick on every beat does not halve
//     it, even though log flux makes hats as salient as drums. Skipped with a hint.
//  5. Beats: Ellis (2007) dynamic programming, tightness 100: each frame's score is its
//     onset strength plus the best predecessor score one period back, penalised by
//     log(gap / period)^2, so beats sit on onsets yet keep a steady period; swung
//     off-beats fall between beats and pull none of them. Chains start at the first
//     onset (a silent intro gets no beats); weak beats at either end are trimmed.
//     Beat times are the envelope frame times plus a fixed 0.2-window lead: log flux
//     peaks as an attack enters the window, ~9 ms before the frame centre reaches it.
//  6. Tempo reported: the least-squares slope of the beat times against beat index,
//     which is finer than the envelope's frame grid.
//  7. Downbeats (4/4 assumed, one phase for the whole track): of the four phases of
//     every 4th beat, the one whose beats carry the most low-frequency onset strength
//     (kick on the one, bass and chord roots changing at the bar line).
//  8. Confidence in 0..1: normalised autocorrelation at the beat period (saturating at
//     0.5) times the share of beats that sit on a clear onset.
// Silence (or audio without onsets) gives tempo 0, no beats and confidence 0.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "audio/onset.h"
#include "ffmpeg/ffmpeg.h"

namespace autocut {

struct BeatOptions {
  double start = 0.0;      // seconds from the start of the file
  double duration = 0.0;   // seconds to analyse; <= 0: to the end
  double minBpm = 60.0;
  double maxBpm = 200.0;
  double tempoHint = 0.0;  // BPM; <= 0: none
  OnsetParams onset;       // analysis rate, frame and band settings
};

struct BeatTrack {
  double tempo = 0.0;               // BPM; 0 when no beat was found
  std::vector<double> beats;        // seconds in the file, increasing
  std::vector<double> downbeats;    // seconds, a subset of beats (bar starts, 4/4)
  std::vector<float> onsetEnvelope; // onset strength per frame
  double onsetRate = 0.0;           // envelope frames per second
  double onsetStart = 0.0;          // file time of envelope frame 0, seconds
  double confidence = 0.0;          // 0..1
};

struct BeatCallbacks {
  // Called about every 0.1 s of work; may throw to abandon the call (Ctrl-C). The core
  // releases everything it holds on the way out.
  std::function<void()> check;
  // Fraction done in 0..1, at most about every 0.1 s and once with 1.0 at the end.
  std::function<void(double)> progress;
};

// Throws Error: NotFound, InvalidMedia, NoAudioStream, Decode, InvalidArgument (bad
// options). Thread-safe: concurrent calls share nothing.
BeatTrack detectBeats(const InputSource& source, const BeatOptions& options = {},
                      const BeatCallbacks& callbacks = {});

// Steps 3-8 on an onset detector that has seen all its samples (finish() called) whose
// frame 0 is at file time `startTime`.
BeatTrack beatTrackFromOnsets(const OnsetDetector& onsets, const BeatOptions& options,
                              double startTime);

}  // namespace autocut
