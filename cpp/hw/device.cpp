#include "hw/device.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace autocut {

UniqueAVBufferRef openDevice(AVHWDeviceType type) {
  initLogging();
  // av_hwdevice_ctx_create hands back ownership through AVBufferRef**.
  AVBufferRef* raw = nullptr;
  if (av_hwdevice_ctx_create(&raw, type, nullptr, nullptr, 0) < 0) return nullptr;
  return UniqueAVBufferRef(raw);
}

AVHWDeviceType deviceType(const AVBufferRef* device) noexcept {
  return device ? reinterpret_cast<const AVHWDeviceContext*>(device->data)->type
                : AV_HWDEVICE_TYPE_NONE;
}

AVHWDeviceType framesDeviceType(const AVBufferRef* framesContext) noexcept {
  if (!framesContext) return AV_HWDEVICE_TYPE_NONE;
  return deviceType(reinterpret_cast<const AVHWFramesContext*>(framesContext->data)->device_ref);
}

AVHWDeviceType frameDeviceType(const AVFrame* frame) noexcept {
  return isHardwareFrame(frame) ? framesDeviceType(frame->hw_frames_ctx) : AV_HWDEVICE_TYPE_NONE;
}

AVPixelFormat hardwarePixelFormat(const AVCodec* codec, AVHWDeviceType type, int method) {
  for (int i = 0; const AVCodecHWConfig* cfg = avcodec_get_hw_config(codec, i); ++i) {
    if ((cfg->methods & method) && cfg->device_type == type) return cfg->pix_fmt;
  }
  return AV_PIX_FMT_NONE;
}

AVPixelFormat frameSoftwareFormat(const AVFrame* frame) noexcept {
  if (!isHardwareFrame(frame)) return static_cast<AVPixelFormat>(frame ? frame->format : -1);
  return reinterpret_cast<const AVHWFramesContext*>(frame->hw_frames_ctx->data)->sw_format;
}

UniqueAVFrame toSystemMemory(const AVFrame* frame) {
  UniqueAVFrame out = makeFrame();
  int ret = av_hwframe_map(out.get(), frame, AV_HWFRAME_MAP_READ);
  if (ret < 0) {
    av_frame_unref(out.get());
    ret = av_hwframe_transfer_data(out.get(), frame, 0);
  }
  if (ret < 0) return nullptr;
  av_frame_copy_props(out.get(), frame);
  return out;
}

UniqueAVBufferRef openRequestedDevice(const std::string& hwaccel) {
  const HwRequest req = parseHwaccel(hwaccel);
  if (req.none) return nullptr;
  if (!req.automatic) {
    UniqueAVBufferRef device = openDevice(req.type);
    if (!device) {
      throw Error(ErrorKind::HardwareUnavailable, "open hardware device", "",
                  std::string("no usable '") + av_hwdevice_get_type_name(req.type) +
                      "' device on this machine");
    }
    return device;
  }
  for (AVHWDeviceType type : autoDeviceOrder()) {
    if (UniqueAVBufferRef device = openDevice(type)) return device;
  }
  return nullptr;
}

bool isHardwareEncoder(const AVCodec* codec) {
  if (!codec || !av_codec_is_encoder(codec) || codec->type != AVMEDIA_TYPE_VIDEO) return false;
  if (codec->capabilities & AV_CODEC_CAP_HARDWARE) return true;
  static const char* const kSuffixes[] = {"_nvenc", "_vaapi", "_qsv", "_videotoolbox", "_amf",
                                          "_v4l2m2m", "_vulkan", "_mf"};
  const std::string name = codec->name;
  for (const char* suffix : kSuffixes) {
    const size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return true;
  }
  return false;
}

const HardwareReport& hardwareReport() {
  static HardwareReport report;
  static std::once_flag once;
  std::call_once(once, [] {
    for (AVHWDeviceType t = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE);
         t != AV_HWDEVICE_TYPE_NONE; t = av_hwdevice_iterate_types(t)) {
      const char* name = av_hwdevice_get_type_name(t);
      if (!name) continue;
      report.deviceTypes.emplace_back(name);
      if (openDevice(t)) report.available.emplace_back(name);
    }
    void* it = nullptr;
    while (const AVCodec* codec = av_codec_iterate(&it)) {
      if (isHardwareEncoder(codec)) report.encoders.emplace_back(codec->name);
    }
  });
  return report;
}

std::vector<AVHWDeviceType> autoDeviceOrder() {
#if defined(__APPLE__)
  const char* const wanted[] = {"videotoolbox"};
#else
  const char* const wanted[] = {"cuda", "vaapi", "qsv"};
#endif
  std::vector<AVHWDeviceType> order;
  for (const char* name : wanted) {
    AVHWDeviceType t = av_hwdevice_find_type_by_name(name);
    if (t == AV_HWDEVICE_TYPE_NONE) continue;
    for (AVHWDeviceType b = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE);
         b != AV_HWDEVICE_TYPE_NONE; b = av_hwdevice_iterate_types(b)) {
      if (b == t) {
        order.push_back(t);
        break;
      }
    }
  }
  return order;
}

HwRequest parseHwaccel(const std::string& name) {
  HwRequest req;
  const char* env = std::getenv("AUTOCUT_NATIVE_HWACCEL");
  if (env && std::string(env) == "none") return req;
  if (name.empty() || name == "none" || name == "software" || name == "cpu") return req;
  if (name == "auto") {
    req.none = false;
    req.automatic = true;
    return req;
  }
  const AVHWDeviceType t = av_hwdevice_find_type_by_name(name.c_str());
  if (t == AV_HWDEVICE_TYPE_NONE) {
    throw Error(ErrorKind::InvalidArgument, "hwaccel", "",
                "unknown hardware type '" + name +
                    "' (use 'auto', 'none', or one of: cuda, vaapi, qsv, videotoolbox, ...)");
  }
  bool built = false;
  for (AVHWDeviceType b = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE);
       b != AV_HWDEVICE_TYPE_NONE; b = av_hwdevice_iterate_types(b)) {
    built = built || b == t;
  }
  if (!built) {
    throw Error(ErrorKind::HardwareUnavailable, "hwaccel", "",
                "this FFmpeg was built without '" + name + "' support");
  }
  req.none = false;
  req.type = t;
  return req;
}

}  // namespace autocut
