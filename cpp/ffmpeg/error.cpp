#include "ffmpeg/error.h"

extern "C" {
#include <libavutil/error.h>
}

namespace autocut {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::NotFound: return "MediaNotFoundError";
    case ErrorKind::InvalidMedia: return "InvalidMediaError";
    case ErrorKind::NoVideoStream: return "NoVideoStreamError";
    case ErrorKind::NoAudioStream: return "NoAudioStreamError";
    case ErrorKind::Decode: return "DecodeError";
    case ErrorKind::Encode: return "EncodeError";
    case ErrorKind::HardwareUnavailable: return "HardwareUnavailableError";
    case ErrorKind::Output: return "OutputError";
    case ErrorKind::InvalidArgument: return "InvalidArgument";
  }
  return "Error";
}

static std::string composeMessage(const std::string& operation, const std::string& path,
                                  const std::string& detail) {
  std::string msg = operation;
  if (!path.empty()) msg += " '" + path + "'";
  if (!detail.empty()) msg += ": " + detail;
  return msg;
}

Error::Error(ErrorKind kind, std::string operation, std::string path, std::string detail,
             int averror)
    : std::runtime_error(composeMessage(operation, path, detail)),
      kind_(kind),
      averror_(averror),
      operation_(std::move(operation)),
      path_(std::move(path)),
      detail_(std::move(detail)) {}

std::string avErrorText(int averror) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  if (av_strerror(averror, buf, sizeof(buf)) < 0) {
    return "unknown FFmpeg error " + std::to_string(averror);
  }
  return buf;
}

int check(int ret, ErrorKind kind, const char* operation, const std::string& path) {
  if (ret < 0) throw Error(kind, operation, path, avErrorText(ret), ret);
  return ret;
}

}  // namespace autocut
