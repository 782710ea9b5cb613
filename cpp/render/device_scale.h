// The renderer's device path: hardware-decoded frames scaled to the canvas on their own
// device (scale_cuda, scale_vaapi, scale_qsv), so decode -> scale -> hardware encode
// never copies a frame to system memory. With a software encoder only the scaled canvas
// is downloaded (a quarter of a 4K frame for a 1080p canvas), never the full source.
//
// A segment takes this path when its frames come off the device and the canvas is the
// source scaled, nothing else (canDrawOnDevice): upright, filling the canvas (same
// aspect ratio: no crop, bars or blur), BT.709 limited range, 8-bit 4:2:0. Everything
// else (rotation, crop, pad, blur, BT.601/2020 matrices, full range, 10-bit dithering)
// is the CPU Compositor's work.
#pragma once

#include <string>

#include "ffmpeg/ffmpeg.h"
#include "render/layout.h"

namespace autocut {

// The filter that scales frames of this device type in this FFmpeg, or nullptr (none
// exists, e.g. VideoToolbox before FFmpeg 6.1).
const char* deviceScaleFilter(AVHWDeviceType type) noexcept;

// What decides the path, as plain values (unit-testable without a device).
struct DeviceDrawQuery {
  int width = 0, height = 0;  // the source frame, stored orientation
  int rotation = 0;           // clockwise degrees
  AVPixelFormat swFormat = AV_PIX_FMT_NONE;  // the device frames' pixel layout
  AVColorSpace colorspace = AVCOL_SPC_UNSPECIFIED;
  bool fullRange = false;
  AVHWDeviceType device = AV_HWDEVICE_TYPE_NONE;
};
// Why a frame cannot be drawn on its device ("" when it can).
std::string whyNotOnDevice(const DeviceDrawQuery& q, int canvasWidth, int canvasHeight, FitMode fit);
// The query for a decoded device frame shown with `rotation`.
DeviceDrawQuery deviceDrawQuery(const AVFrame* frame, int rotation);

// A filter graph buffer -> <device scale filter> -> buffersink for device frames shaped
// like the first one given (size and frames context); rebuild when matches() is false.
class DeviceScaler {
 public:
  // Scales to width x height with pixels in `format` (a software format the device's
  // frames can hold: NV12 for encoders, YUV420P for a download into the canvas). Throws
  // Error(Encode) when the graph cannot be built (the caller then uses the CPU path).
  DeviceScaler(const AVFrame* first, int width, int height, AVPixelFormat format);
  DeviceScaler(const DeviceScaler&) = delete;
  DeviceScaler& operator=(const DeviceScaler&) = delete;

  bool matches(const AVFrame* frame) const noexcept;
  AVPixelFormat format() const noexcept { return format_; }
  // The scaled device frame (with the source's colour properties). Throws Error(Encode).
  UniqueAVFrame scale(const AVFrame* frame);

 private:
  UniqueAVFilterGraph graph_;
  AVFilterContext* source_ = nullptr;
  AVFilterContext* sink_ = nullptr;
  const void* framesContext_ = nullptr;  // identity of the input frames context
  int inWidth_ = 0, inHeight_ = 0;
  AVPixelFormat format_;
  int64_t next_ = 0;
};

}  // namespace autocut
