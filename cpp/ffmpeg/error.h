// The one C++ error type of autocut_native. Every failure in the core throws
// autocut::Error; the binding layer maps its kind to the Python hierarchy rooted
// at autocut_native.Error.
#pragma once

#include <stdexcept>
#include <string>

namespace autocut {

enum class ErrorKind {
  NotFound,             // path does not exist
  InvalidMedia,         // not media, unreadable header, unsupported codec
  NoVideoStream,        // media without a video stream where one is needed
  NoAudioStream,        // media without an audio stream where one is needed
  Decode,               // decoding failed beyond recovery
  Encode,               // encoder could not be opened or failed
  HardwareUnavailable,  // an explicitly requested hardware device cannot be used
  Output,               // output cannot be written
  InvalidArgument,      // caller passed a bad argument
};

const char* errorKindName(ErrorKind kind);

// Carries the AVERROR code (0 when the failure did not come from FFmpeg), the
// operation that failed, the file involved and FFmpeg's own message text.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string operation, std::string path, std::string detail,
        int averror = 0);

  ErrorKind kind() const noexcept { return kind_; }
  int averror() const noexcept { return averror_; }
  const std::string& operation() const noexcept { return operation_; }
  const std::string& path() const noexcept { return path_; }
  // FFmpeg's text for averror(), or the core's own explanation.
  const std::string& detail() const noexcept { return detail_; }

 private:
  ErrorKind kind_;
  int averror_;
  std::string operation_;
  std::string path_;
  std::string detail_;
};

// FFmpeg's message for an AVERROR code ("Invalid data found when processing input").
std::string avErrorText(int averror);

// Throws Error{kind, operation, path, FFmpeg's text} when ret < 0; returns ret otherwise.
int check(int ret, ErrorKind kind, const char* operation, const std::string& path);

}  // namespace autocut
