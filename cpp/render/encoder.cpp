#include "render/encoder.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "hw/device.h"

namespace autocut {

Quality parseQuality(const std::string& name) {
  if (name == "high") return Quality::High;
  if (name == "medium") return Quality::Medium;
  if (name == "low") return Quality::Low;
  throw Error(ErrorKind::InvalidArgument, "quality", "",
              "unknown quality '" + name + "' (use 'high', 'medium' or 'low')");
}

namespace {

enum class Family { X264, X265, OpenH264, Nvenc, Vaapi, Qsv, VideoToolbox, Other };

bool endsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() > n && s.compare(s.size() - n, n, suffix) == 0;
}

bool startsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

Family familyOf(const std::string& name) {
  if (name == "libx264" || name == "libx264rgb") return Family::X264;
  if (name == "libx265") return Family::X265;
  if (name == "libopenh264") return Family::OpenH264;
  if (endsWith(name, "_nvenc")) return Family::Nvenc;
  if (endsWith(name, "_vaapi")) return Family::Vaapi;
  if (endsWith(name, "_qsv")) return Family::Qsv;
  if (endsWith(name, "_videotoolbox")) return Family::VideoToolbox;
  return Family::Other;
}

// Names of hardware encoders, also for those this FFmpeg was built without.
bool looksLikeHardwareEncoder(const std::string& name) {
  for (const char* suffix : {"_nvenc", "_vaapi", "_qsv", "_videotoolbox", "_amf", "_v4l2m2m",
                             "_mf", "_vulkan", "_omx"}) {
    if (endsWith(name, suffix)) return true;
  }
  return false;
}

// One row of the quality table in encoder.h.
struct QualitySettings {
  int x264Crf, x265Crf, nvencCq, qp, videotoolboxQ;
  double bitsPerPixel;
  const char* x26xPreset;
  const char* nvencPreset;
};

const QualitySettings& settingsFor(Quality q) {
  static const QualitySettings high{18, 20, 19, 20, 65, 0.15, "medium", "p5"};
  static const QualitySettings medium{23, 26, 25, 25, 50, 0.08, "fast", "p4"};
  static const QualitySettings low{28, 30, 31, 30, 35, 0.04, "veryfast", "p3"};
  switch (q) {
    case Quality::High: return high;
    case Quality::Medium: return medium;
    case Quality::Low: return low;
  }
  return high;
}

bool hardwareDisabledByEnvironment() {
  const char* env = std::getenv("AUTOCUT_NATIVE_HWACCEL");
  return env && std::string(env) == "none";
}

// The software encoder of a codec: libx264 / libx265, else the first software encoder of
// the codec this FFmpeg has (libopenh264 in an LGPL build), never a hardware one.
const AVCodec* softwareEncoder(AVCodecID id) {
  const char* name = id == AV_CODEC_ID_HEVC ? "libx265" : id == AV_CODEC_ID_H264 ? "libx264" : nullptr;
  if (name) {
    if (const AVCodec* c = avcodec_find_encoder_by_name(name)) return c;
  }
  void* it = nullptr;
  while (const AVCodec* c = av_codec_iterate(&it)) {
    if (c->id == id && av_codec_is_encoder(c) && !isHardwareEncoder(c)) return c;
  }
  return nullptr;
}

// The codec of a software H.264/HEVC encoder this FFmpeg may have been built without
// ("h264" / "hevc"), or "" for names that are not one.
std::string softwareEncoderCodec(const std::string& name) {
  static const char* const h264[] = {"libx264", "libx264rgb", "libopenh264"};
  static const char* const hevc[] = {"libx265", "libkvazaar", "libsvthevc"};
  for (const char* n : h264) {
    if (name == n) return "h264";
  }
  for (const char* n : hevc) {
    if (name == n) return "hevc";
  }
  return "";
}

AVCodecID codecIdOf(const std::string& resolved) {
  return resolved == "hevc" ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
}

}  // namespace

std::string resolveCodec(const std::string& codec) {
  if (codec == "h264" || codec == "avc") return "h264";
  if (codec == "hevc" || codec == "h265") return "hevc";
  if (codec == "auto") {
#if defined(__APPLE__) && defined(__aarch64__)
    return "hevc";
#else
    return "h264";
#endif
  }
  throw Error(ErrorKind::InvalidArgument, "codec", "",
              "unknown codec '" + codec + "' (use 'h264', 'hevc' or 'auto')");
}

std::vector<std::string> hardwareEncoderCandidates(const std::string& codec) {
#if defined(__APPLE__)
  const char* const suffixes[] = {"_videotoolbox"};
#else
  const char* const suffixes[] = {"_nvenc", "_vaapi", "_qsv"};
#endif
  std::vector<std::string> names;
  for (const char* suffix : suffixes) {
    const std::string name = codec + suffix;
    if (avcodec_find_encoder_by_name(name.c_str())) names.push_back(name);
  }
  return names;
}

VideoEncoder::VideoEncoder(const EncoderRequest& request, const VideoFormat& format) {
  initLogging();
  const std::string codec = resolveCodec(request.codec);
  std::vector<const AVCodec*> order;
  if (request.encoder.empty() || request.encoder == "auto") {
    if (!hardwareDisabledByEnvironment()) {
      for (const std::string& name : hardwareEncoderCandidates(codec)) {
        order.push_back(avcodec_find_encoder_by_name(name.c_str()));
      }
    }
    order.push_back(softwareEncoder(codecIdOf(codec)));
  } else if (const AVCodec* named = avcodec_find_encoder_by_name(request.encoder.c_str())) {
    if (named->type != AVMEDIA_TYPE_VIDEO) {
      throw Error(ErrorKind::InvalidArgument, "encoder", "",
                  "'" + request.encoder + "' is not a video encoder");
    }
    order.push_back(named);
    if (isHardwareEncoder(named)) order.push_back(softwareEncoder(named->id));
  } else {
    const std::string softwareOf = softwareEncoderCodec(request.encoder);
    if (!looksLikeHardwareEncoder(request.encoder) && softwareOf.empty()) {
      throw Error(ErrorKind::InvalidArgument, "encoder", "",
                  "unknown encoder '" + request.encoder +
                      "' (use 'auto' or an encoder name such as libx264, h264_nvenc)");
    }
    // A hardware encoder this FFmpeg lacks (h264_videotoolbox on Linux), or a software
    // H.264/HEVC encoder it was built without (libx264 in an LGPL build), falls back to
    // the software encoder of its codec, as a hardware encoder that fails to open does.
    failures_.push_back(request.encoder + ": not built into this FFmpeg");
    const std::string ofName = !softwareOf.empty() ? softwareOf
                               : startsWith(request.encoder, "hevc_") || startsWith(request.encoder, "h265_")
                                   ? "hevc"
                               : startsWith(request.encoder, "h264_") ? "h264"
                                                                      : codec;
    order.push_back(softwareEncoder(codecIdOf(ofName)));
  }
  for (const AVCodec* c : order) {
    if (c && tryOpen(c, request, format)) {
      packet_ = makePacket();
      return;
    }
  }
  std::string why;
  for (const std::string& f : failures_) why += (why.empty() ? "" : "; ") + f;
  throw Error(ErrorKind::Encode, "open video encoder", "",
              why.empty() ? "no " + codec + " encoder in this FFmpeg" : why);
}

bool VideoEncoder::tryOpen(const AVCodec* codec, const EncoderRequest& request,
                           const VideoFormat& format) {
  const std::string name = codec->name;
  const Family family = familyOf(name);
  const QualitySettings& q = settingsFor(request.quality);

  // Pixel format: YUV420P where taken, else another software format through swscale,
  // else device frames uploaded through a frames context (VAAPI).
  const std::vector<AVPixelFormat> formats = encoderPixelFormats(codec);
  auto takes = [&](AVPixelFormat f) {
    return formats.empty() ? f == AV_PIX_FMT_YUV420P
                           : std::find(formats.begin(), formats.end(), f) != formats.end();
  };
  AVPixelFormat pixFmt = AV_PIX_FMT_NONE, swFormat = AV_PIX_FMT_YUV420P;
  UniqueAVBufferRef frames;
  // A hardware encoder on the device the frames come from takes them as device frames.
  const AVHWDeviceType sourceDevice = deviceType(request.device);
  const bool onSourceDevice =
      sourceDevice != AV_HWDEVICE_TYPE_NONE && isHardwareEncoder(codec) &&
      hardwarePixelFormat(codec, sourceDevice, AV_CODEC_HW_CONFIG_METHOD_HW_FRAMES_CTX) !=
          AV_PIX_FMT_NONE;
  if (onSourceDevice) {
    // chosen below, from the hardware configurations
  } else if (takes(AV_PIX_FMT_YUV420P)) {
    pixFmt = swFormat = AV_PIX_FMT_YUV420P;
  } else if (takes(AV_PIX_FMT_NV12)) {
    pixFmt = swFormat = AV_PIX_FMT_NV12;
  } else {
    for (AVPixelFormat f : formats) {
      const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(f);
      if (desc && !(desc->flags & AV_PIX_FMT_FLAG_HWACCEL) && sws_isSupportedOutput(f)) {
        pixFmt = swFormat = f;
        break;
      }
    }
  }
  if (pixFmt == AV_PIX_FMT_NONE) {
    for (int i = 0;; ++i) {
      const AVCodecHWConfig* cfg = avcodec_get_hw_config(codec, i);
      if (!cfg) break;
      if (!(cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_FRAMES_CTX)) continue;
      if (onSourceDevice && cfg->device_type != sourceDevice) continue;
      UniqueAVBufferRef device = cfg->device_type == sourceDevice
                                     ? UniqueAVBufferRef(av_buffer_ref(request.device))
                                     : openDevice(cfg->device_type);
      if (!device) {
        failures_.push_back(name + ": no usable " + av_hwdevice_get_type_name(cfg->device_type) +
                            " device");
        return false;
      }
      frames.reset(av_hwframe_ctx_alloc(device.get()));
      if (!frames) throw std::bad_alloc();
      auto* fc = reinterpret_cast<AVHWFramesContext*>(frames->data);
      fc->format = cfg->pix_fmt;
      fc->sw_format = AV_PIX_FMT_NV12;
      fc->width = format.width;
      fc->height = format.height;
      fc->initial_pool_size = 16;
      const int ret = av_hwframe_ctx_init(frames.get());
      if (ret < 0) {
        failures_.push_back(name + ": " + avErrorText(ret));
        return false;
      }
      pixFmt = cfg->pix_fmt;
      swFormat = AV_PIX_FMT_NV12;
      break;
    }
  }
  if (pixFmt == AV_PIX_FMT_NONE) {
    failures_.push_back(name + ": no pixel format the renderer can feed");
    return false;
  }

  const bool useBitrate = request.bitrate > 0;
  const double fps = av_q2d(format.frameRate);
  // VideoToolbox: constant quality exists on Apple Silicon only; elsewhere a bit rate.
  const int variants = family == Family::VideoToolbox && !useBitrate ? 2 : 1;
  for (int variant = 0; variant < variants; ++variant) {
    UniqueAVCodecContext ctx = makeCodecContext(codec, "");
    ctx->width = format.width;
    ctx->height = format.height;
    ctx->pix_fmt = pixFmt;
    ctx->time_base = av_inv_q(format.frameRate);
    ctx->framerate = format.frameRate;
    ctx->sample_aspect_ratio = AVRational{1, 1};
    ctx->color_range = AVCOL_RANGE_MPEG;
    ctx->colorspace = AVCOL_SPC_BT709;
    ctx->color_primaries = AVCOL_PRI_BT709;
    ctx->color_trc = AVCOL_TRC_BT709;
    ctx->thread_count = std::max(0, request.threads);
    if (format.globalHeader) ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (frames) {
      ctx->hw_frames_ctx = av_buffer_ref(frames.get());
      if (!ctx->hw_frames_ctx) throw std::bad_alloc();
    }
    if (useBitrate) ctx->bit_rate = request.bitrate;

    Dictionary opts;
    switch (family) {
      case Family::X264:
      case Family::X265:
        opts.set("preset", q.x26xPreset);
        if (!useBitrate) opts.set("crf", std::to_string(family == Family::X264 ? q.x264Crf : q.x265Crf));
        if (family == Family::X265) opts.set("x265-params", "log-level=error");
        break;
      case Family::Nvenc:
        opts.set("preset", q.nvencPreset);
        opts.set("rc", "vbr");
        if (!useBitrate) {
          opts.set("cq", std::to_string(q.nvencCq));
          ctx->bit_rate = 0;
        }
        break;
      case Family::Vaapi:
        if (useBitrate) {
          opts.set("rc_mode", "VBR");
        } else {
          opts.set("rc_mode", "CQP");
          opts.set("qp", std::to_string(q.qp));
        }
        break;
      case Family::OpenH264:
        // No constant-quality mode: an average bit rate by size and frame rate (the
        // VideoToolbox column's bit/px). Frames are never skipped to meet it.
        if (!useBitrate) {
          ctx->bit_rate = static_cast<int64_t>(q.bitsPerPixel * format.width * format.height * fps);
        }
        opts.set("allow_skip_frames", "0");
        break;
      case Family::Qsv:
        if (!useBitrate) {
          ctx->flags |= AV_CODEC_FLAG_QSCALE;
          ctx->global_quality = q.qp * FF_QP2LAMBDA;
        }
        break;
      case Family::VideoToolbox:
        if (!useBitrate && variant == 0) {
          ctx->flags |= AV_CODEC_FLAG_QSCALE;
          ctx->global_quality = q.videotoolboxQ * FF_QP2LAMBDA;
        } else if (!useBitrate) {
          ctx->bit_rate = static_cast<int64_t>(q.bitsPerPixel * format.width * format.height * fps);
        }
        break;
      case Family::Other:
        break;
    }
    const int ret = avcodec_open2(ctx.get(), codec, opts.get());
    if (ret >= 0) {
      ctx_ = std::move(ctx);
      name_ = name;
      swFormat_ = swFormat;
      hwFrames_ = std::move(frames);
      deviceFrames_ = framesDeviceType(hwFrames_.get());
      return true;
    }
    failures_.push_back(name + ": " + avErrorText(ret));
  }
  return false;
}

void VideoEncoder::encode(const AVFrame* canvas, const std::function<void(AVPacket*)>& onPacket) {
  if (isHardwareFrame(canvas)) {
    if (frameDeviceType(canvas) != deviceFrames_ || deviceFrames_ == AV_HWDEVICE_TYPE_NONE) {
      throw Error(ErrorKind::Encode, "encode video", name_,
                  "a device frame reached an encoder that does not take that device's frames");
    }
    check(avcodec_send_frame(ctx_.get(), canvas), ErrorKind::Encode, "encode video", name_);
    receive(onPacket);
    return;
  }
  const AVFrame* frame = canvas;
  if (swFormat_ != AV_PIX_FMT_YUV420P) {
    if (!convert_) {
      convert_.reset(sws_getContext(canvas->width, canvas->height, AV_PIX_FMT_YUV420P,
                                    canvas->width, canvas->height, swFormat_, SWS_BILINEAR,
                                    nullptr, nullptr, nullptr));
      if (!convert_) throw Error(ErrorKind::Encode, "create converter", name_, "yuv420p to encoder format");
      converted_ = makeVideoFrame(swFormat_, canvas->width, canvas->height, ErrorKind::Encode,
                                  "allocate frame", name_);
    }
    check(av_frame_make_writable(converted_.get()), ErrorKind::Encode, "allocate frame", name_);
    sws_scale(convert_.get(), canvas->data, canvas->linesize, 0, canvas->height, converted_->data,
              converted_->linesize);
    av_frame_copy_props(converted_.get(), canvas);
    frame = converted_.get();
  }
  if (hwFrames_) {
    if (!uploaded_) uploaded_ = makeFrame();
    av_frame_unref(uploaded_.get());
    check(av_hwframe_get_buffer(hwFrames_.get(), uploaded_.get(), 0), ErrorKind::Encode,
          "allocate device frame", name_);
    check(av_hwframe_transfer_data(uploaded_.get(), frame, 0), ErrorKind::Encode,
          "upload frame", name_);
    av_frame_copy_props(uploaded_.get(), frame);
    frame = uploaded_.get();
  }
  check(avcodec_send_frame(ctx_.get(), frame), ErrorKind::Encode, "encode video", name_);
  receive(onPacket);
}

void VideoEncoder::flush(const std::function<void(AVPacket*)>& onPacket) {
  const int ret = avcodec_send_frame(ctx_.get(), nullptr);
  if (ret < 0 && ret != AVERROR_EOF) check(ret, ErrorKind::Encode, "flush encoder", name_);
  receive(onPacket);
}

void VideoEncoder::receive(const std::function<void(AVPacket*)>& onPacket) {
  while (true) {
    const int ret = avcodec_receive_packet(ctx_.get(), packet_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    check(ret, ErrorKind::Encode, "encode video", name_);
    onPacket(packet_.get());
    av_packet_unref(packet_.get());
  }
}

}  // namespace autocut
