// MusicTrack: the timeline's soundtrack. The music is decoded and resampled to 48 kHz
// stereo (audio/decode.h), cut from `start` for exactly the timeline's duration (silence
// pads a track that ends early), faded out linearly over the last `fadeOut` seconds and
// encoded to AAC on a worker thread, so audio work overlaps the video pass. Encoded
// packets wait in a queue bounded to a few seconds of audio; the rendering thread takes
// them as the video advances and interleaves them into the muxer.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ffmpeg/ffmpeg.h"

namespace autocut {

class MusicTrack {
 public:
  static constexpr int kSampleRate = 48000;
  static constexpr int kChannels = 2;

  // Opens the AAC encoder (on the calling thread, so the muxer can take its parameters
  // before the header). Nothing is decoded until start().
  MusicTrack(std::string path, double start, double duration, double fadeOut, bool globalHeader,
             int64_t bitrate = 192000);
  // Cancels the worker and waits for it.
  ~MusicTrack();
  MusicTrack(const MusicTrack&) = delete;
  MusicTrack& operator=(const MusicTrack&) = delete;

  const AVCodecContext* context() const noexcept { return encoder_.get(); }
  // Samples the track holds: round(duration x 48000).
  int64_t totalSamples() const noexcept { return total_; }

  void start();
  // Appends to `out` every encoded packet that starts before `until` seconds, in order
  // (time base 1/48000). With until = +infinity it waits for the worker to finish and
  // takes everything. Rethrows the worker's error.
  void take(double until, std::vector<UniqueAVPacket>& out);

 private:
  void run();
  void encodeBlock(const float* interleaved, size_t frames);
  void sendFrame(bool flush);
  void push(UniqueAVPacket packet);
  void throwIfCancelled() const;

  std::string path_;
  double start_, duration_, fadeOut_;
  int64_t total_;
  UniqueAVCodecContext encoder_;

  // Worker state (touched by the worker only).
  UniqueAVFrame frame_;  // the AAC frame being filled (planar float)
  int filled_ = 0;       // samples in frame_
  int64_t written_ = 0;  // samples handed to the encoder
  UniqueAVPacket packet_;

  // Shared state.
  std::thread worker_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<UniqueAVPacket> queue_;
  bool done_ = false;
  bool cancelled_ = false;
  std::exception_ptr error_;
};

}  // namespace autocut
