// Audio in: any container FFmpeg demuxes, one audio stream, decoded and resampled with
// libswresample to float at the caller's rate and channel count (mono for analysis,
// stereo for the renderer's soundtrack), streamed to a sink block by block.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "ffmpeg/ffmpeg.h"

namespace autocut {

// ---- Cooperative interruption and progress ------------------------------------------

// Calls `check` (which may throw, e.g. on Ctrl-C) and `progress(fraction)` at most every
// `interval` seconds of work from poll(), and on every force(). Either may be empty.
// Used from one thread.
class WorkMonitor {
 public:
  WorkMonitor(std::function<void()> check = {}, std::function<void(double)> progress = {},
              double interval = 0.1);

  void poll(double fraction);
  void force(double fraction);

 private:
  std::function<void()> check_;
  std::function<void(double)> progress_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_;
};

// ---- Decoding ---------------------------------------------------------------------------

struct AudioWindow {
  double start = 0.0;     // seconds from the start of the file (container start time = 0)
  double duration = 0.0;  // seconds; <= 0: to the end of the stream
};

struct AudioStreamInfo {
  std::string codec;
  int sourceRate = 0;
  int channels = 0;
  double fileDuration = 0.0;  // seconds; 0 when unknown
  size_t samples = 0;         // sample frames (one value per channel) delivered to the sink
  double firstTime = 0.0;     // file time of the first sample delivered (window.start
                              // unless the stream begins later)
  int skippedPackets = 0;     // corrupt packets the decoder rejected (skipped, not fatal)
};

// `count` sample frames; `samples` holds count x channels interleaved floats.
using SampleSink = std::function<void(const float* samples, size_t count)>;

// Decodes the best audio stream of `path` within `window` and hands the sink consecutive
// mono float blocks at `sampleRate`: the first sample is at window.start (or at the
// stream's first sample when that is later); a gap in the timestamps is filled with
// silence so positions stay true to the file's clock (up to 10 s: a longer jump is a
// timestamp discontinuity, and the samples continue back to back). Corrupt packets are
// skipped.
// Throws Error: NotFound, InvalidMedia (not media, no decoder), NoAudioStream, Decode
// (nothing decodable at all). The monitor is polled between packets; what it throws
// propagates after every resource is released.
AudioStreamInfo decodeMonoAudio(const InputSource& source, int sampleRate, const AudioWindow& window,
                                const SampleSink& sink, WorkMonitor& monitor);

// The same with `channels` interleaved output channels (1..8): 1 mixes to mono, 2 gives
// stereo (a mono source on both sides, surround downmixed by libswresample's defaults).
AudioStreamInfo decodeAudio(const InputSource& source, int sampleRate, int channels,
                            const AudioWindow& window, const SampleSink& sink,
                            WorkMonitor& monitor);

}  // namespace autocut
