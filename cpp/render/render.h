// render(): a timeline of segments from many clips, one canvas and one music track,
// encoded to one file in a single streaming pass.
//
// Streaming: one segment's decoder is open at a time, plus the next one, opened and
// positioned ahead on a background thread; memory depends on the canvas and the clips'
// frame sizes, never on the number or length of segments.
// Exact cuts: segment i contributes segmentFrames(start, end, fps) frames; output frame k
// of a segment shows the source frame displayed at start + k / fps (the last frame with
// pts <= that time), so VFR, 60 -> 30 and 24 -> 30 fps sources are retimed exactly. The
// decoder seeks to the keyframe before `start` and steps forward from there.
// Device path: with a hardware device (hwaccel), decoders hand out device frames; a
// segment whose canvas is its picture scaled, nothing else, is scaled on the device and
// either handed to a hardware encoder of that device as is, or downloaded at canvas
// size for a software encoder. Other segments' frames are downloaded and composited on
// the CPU.
// Output: mp4/m4v/mov (with +faststart) or mkv by the output's extension; written to a
// temporary file beside it and renamed into place at the end. On any error or interruption
// the temporary is removed and nothing is left at the destination.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "render/encoder.h"
#include "render/layout.h"

namespace autocut {

// ---- Timeline ----------------------------------------------------------------------

struct RenderSegment {
  std::string path;
  double start = 0.0;  // seconds in the clip, as VideoReader's pts count them
  double end = 0.0;
};

struct RenderTimeline {
  int width = 1920, height = 1080;  // canvas, even
  double fps = 30.0;
  FitMode fit = FitMode::Crop;
  std::array<uint8_t, 3> background{0, 0, 0};  // RGB of the pad bars
  std::string audio;                           // music file; empty: no audio track
  double audioStart = 0.0;                     // seconds into the music
  double audioFadeOut = 1.0;                   // seconds of linear fade at the end; 0: none
  std::vector<RenderSegment> segments;
};

// Frames a segment contributes: floor((end - start) * fps + 0.5). The Python Timeline
// uses the same formula.
int64_t segmentFrames(double start, double end, double fps) noexcept;

// Checks sizes, rates and segment times (not the files; Python's Timeline probes those).
// Throws Error(InvalidArgument) naming the segment.
void validateTimeline(const RenderTimeline& timeline);

// ---- Rendering ---------------------------------------------------------------------

struct RenderOptions {
  EncoderRequest encoder;
  std::string hwaccel = "auto";  // decoding: "auto" | "none" | a device type
  int threads = 0;               // decoder and encoder threads; 0 = automatic
  bool prefetch = true;          // open the next segment ahead on a background thread
  // Called from the calling thread about every 100 ms; may throw to abort (Ctrl-C).
  std::function<void()> interruptCheck;
  // (frames done, frames total), from the calling thread: at the start, about every
  // 100 ms, and at the end. May throw to abort.
  std::function<void(int64_t, int64_t)> progress;
};

struct RenderResult {
  std::string encoderUsed;  // e.g. "libx264", "h264_nvenc"
  std::string hwaccelUsed;  // "none" or the device type that decoded any segment
  int64_t frames = 0;
  // Output frames made on the hardware device: decoded and scaled there (and encoded
  // there too when encoderUsed is a hardware encoder of the same device), never copied
  // to system memory in full. See render/device_scale.h for which segments qualify.
  int64_t deviceFrames = 0;
  double duration = 0.0;  // frames / fps, seconds
  double elapsed = 0.0;   // wall-clock seconds
  std::string output;
};

// Renders `timeline` to `output`. Throws Error: InvalidArgument (timeline, options,
// extension), NotFound / InvalidMedia / NoVideoStream / NoAudioStream (inputs), Decode,
// Encode, Output (destination cannot be written); or what the callbacks throw.
RenderResult render(const RenderTimeline& timeline, const std::string& output,
                    const RenderOptions& options);

}  // namespace autocut
