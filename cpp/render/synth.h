// synthesizeVideo(): a clip made from one of FFmpeg's generated sources (a libavfilter
// chain such as "testsrc2=size=640x360:rate=30,gblur=sigma=2"), encoded and muxed by
// the library itself. The demo's sample set and users' test media come from here, so
// neither needs the ffmpeg CLI.
#pragma once

#include <functional>
#include <string>

#include "render/encoder.h"

namespace autocut {

struct SynthResult {
  std::string encoderUsed;
  int64_t frames = 0;
  int width = 0, height = 0;
  double fps = 0.0;
};

// Renders `seconds` of the filter chain `source` (which must start with a source filter
// and have one video output) into `output` (.mp4/.mov/.mkv, written to a temporary and
// renamed). Throws InvalidArgument for a bad chain, Encode/Output on failure.
SynthResult synthesizeVideo(const std::string& source, const std::string& output, double seconds,
                            const EncoderRequest& encoder,
                            const std::function<void()>& interruptCheck = {});

}  // namespace autocut
