// Hardware device selection: which FFmpeg hardware contexts exist, which open here,
// and which hardware encoders are compiled in. Hardware is an optimisation: callers
// fall back to software when nothing opens.
#pragma once

#include <string>
#include <vector>

#include "ffmpeg/ffmpeg.h"

namespace autocut {

struct HardwareReport {
  std::vector<std::string> deviceTypes;  // built into this FFmpeg
  std::vector<std::string> available;    // of those, the ones that opened a device here
  std::vector<std::string> encoders;     // hardware video encoders compiled in
};

// Probes every device type once per process (opening a device can take ~100 ms).
const HardwareReport& hardwareReport();

// The device types "auto" tries, in order: VideoToolbox on macOS; CUDA, VAAPI, QSV
// elsewhere. Only types built into this FFmpeg are returned.
std::vector<AVHWDeviceType> autoDeviceOrder();

// Parses "none" | "auto" | a device type name, honouring AUTOCUT_NATIVE_HWACCEL=none
// (which forces software everywhere). Throws InvalidArgument for unknown names and
// HardwareUnavailable for a type this FFmpeg was built without.
struct HwRequest {
  bool none = true;
  bool automatic = false;
  AVHWDeviceType type = AV_HWDEVICE_TYPE_NONE;
};
HwRequest parseHwaccel(const std::string& name);

// Opens a device of the given type; returns nullptr when none is usable.
UniqueAVBufferRef openDevice(AVHWDeviceType type);

bool isHardwareEncoder(const AVCodec* codec);

// The pixel format of `codec`'s hardware configuration for device `type` that supports
// `method` (AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX / _HW_FRAMES_CTX), or
// AV_PIX_FMT_NONE when it has none.
AVPixelFormat hardwarePixelFormat(const AVCodec* codec, AVHWDeviceType type, int method);

// The device type of a device context or of a hardware frame (AV_HWDEVICE_TYPE_NONE for
// nullptr / a software frame).
AVHWDeviceType deviceType(const AVBufferRef* device) noexcept;
AVHWDeviceType framesDeviceType(const AVBufferRef* framesContext) noexcept;
AVHWDeviceType frameDeviceType(const AVFrame* frame) noexcept;
// The software format a hardware frame's pixels have (its frames context's sw_format).
AVPixelFormat frameSoftwareFormat(const AVFrame* frame) noexcept;

// A system-memory copy of a hardware frame (mapped for reading where the backend allows,
// copied otherwise), with the frame's properties; nullptr when neither works.
UniqueAVFrame toSystemMemory(const AVFrame* frame);

// One device for a whole job (a render): parses `hwaccel` like parseHwaccel and opens
// the first device that works ("auto": autoDeviceOrder()). nullptr for "none" or when no
// automatic device opens; an explicitly named type that will not open throws
// HardwareUnavailable.
UniqueAVBufferRef openRequestedDevice(const std::string& hwaccel);

}  // namespace autocut
