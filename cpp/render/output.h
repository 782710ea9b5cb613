// Output files: a temporary beside the target, renamed onto it only when complete, and
// the muxer that writes encoded packets into it (mp4/mov with faststart, or mkv).
#pragma once

#include <string>

#include "ffmpeg/ffmpeg.h"

namespace autocut {

// The muxer name for the output's extension (.mp4/.m4v, .mov, .mkv); InvalidArgument
// otherwise.
const char* muxerFor(const std::string& output);

// A temporary file beside the target, renamed onto it by commit() and removed otherwise
// (on any error or interruption nothing partial is left).
class OutputFile {
 public:
  explicit OutputFile(const std::string& target);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  const std::string& temp() const noexcept { return temp_; }
  void commit();

 private:
  std::string target_, temp_;
  bool committed_ = false;
};

// Writes packets of one or more streams to `temp`; errors name `target`.
class Muxer {
 public:
  Muxer(const std::string& temp, const std::string& target, const char* format);

  bool globalHeader() const noexcept { return ctx_->oformat->flags & AVFMT_GLOBALHEADER; }
  AVStream* addStream(const AVCodecContext* enc);
  void open();
  // Rescales pkt from the `from` time base to the stream's and writes it interleaved.
  void write(AVPacket* pkt, const AVStream* st, AVRational from);
  void finish();

 private:
  std::string target_;
  UniqueAVFormatOutput ctx_;
  bool mp4Family_ = false;
};

}  // namespace autocut
