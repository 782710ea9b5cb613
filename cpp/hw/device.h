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

}  // namespace autocut
