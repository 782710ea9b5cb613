#include "render/device_scale.h"

#include "hw/device.h"
#include "media/convert.h"

namespace autocut {

namespace {

struct ScaleFilter {
  AVHWDeviceType type;
  const char* name;
  bool takesFormat;  // has a `format` option for the output's pixel layout
};

ScaleFilter scaleFilterFor(AVHWDeviceType type) noexcept {
  switch (type) {
    case AV_HWDEVICE_TYPE_CUDA: return {type, "scale_cuda", true};
    case AV_HWDEVICE_TYPE_VAAPI: return {type, "scale_vaapi", true};
    case AV_HWDEVICE_TYPE_QSV: return {type, "scale_qsv", true};
    case AV_HWDEVICE_TYPE_VIDEOTOOLBOX: return {type, "scale_vt", false};
    default: return {type, nullptr, false};
  }
}

}  // namespace

const char* deviceScaleFilter(AVHWDeviceType type) noexcept {
  const ScaleFilter f = scaleFilterFor(type);
  return f.name && avfilter_get_by_name(f.name) ? f.name : nullptr;
}

DeviceDrawQuery deviceDrawQuery(const AVFrame* frame, int rotation) {
  DeviceDrawQuery q;
  q.width = frame->width;
  q.height = frame->height;
  q.rotation = ((rotation % 360) + 360) % 360;
  q.swFormat = frameSoftwareFormat(frame);
  q.colorspace = frame->colorspace;
  q.fullRange = isFullRange(frame);
  q.device = frameDeviceType(frame);
  return q;
}

std::string whyNotOnDevice(const DeviceDrawQuery& q, int canvasWidth, int canvasHeight,
                           FitMode fit) {
  if (q.device == AV_HWDEVICE_TYPE_NONE) return "not a device frame";
  if (!deviceScaleFilter(q.device)) {
    return std::string("no scale filter for ") + av_hwdevice_get_type_name(q.device) +
           " frames in this FFmpeg";
  }
  if (q.rotation != 0) return "rotated source";
  if (q.swFormat != AV_PIX_FMT_NV12 && q.swFormat != AV_PIX_FMT_YUV420P) {
    const char* name = av_get_pix_fmt_name(q.swFormat);
    return std::string("pixel format ") + (name ? name : "unknown") + " (not 8-bit 4:2:0)";
  }
  if (q.fullRange) return "full-range source";
  if (swsColorspace(q.colorspace, q.height) != SWS_CS_ITU709) return "not BT.709";
  const FitLayout layout = fitLayout(q.width, q.height, canvasWidth, canvasHeight, fit);
  if (layout.source != Rect{0, 0, q.width, q.height} ||
      layout.target != Rect{0, 0, canvasWidth, canvasHeight}) {
    return "the canvas is not the whole picture scaled (crop, bars or blur)";
  }
  return "";
}

DeviceScaler::DeviceScaler(const AVFrame* first, int width, int height, AVPixelFormat format)
    : framesContext_(first->hw_frames_ctx ? first->hw_frames_ctx->data : nullptr),
      inWidth_(first->width),
      inHeight_(first->height),
      format_(format) {
  const ScaleFilter filter = scaleFilterFor(frameDeviceType(first));
  if (!framesContext_ || !deviceScaleFilter(filter.type)) {
    throw Error(ErrorKind::Encode, "scale on device", "", "no device scale filter for this frame");
  }
  graph_.reset(avfilter_graph_alloc());
  if (!graph_) throw std::bad_alloc();

  const std::string bufferArgs = "video_size=" + std::to_string(first->width) + "x" +
                                 std::to_string(first->height) +
                                 ":pix_fmt=" + std::to_string(first->format) +
                                 ":time_base=1/1000:pixel_aspect=1/1";
  check(avfilter_graph_create_filter(&source_, avfilter_get_by_name("buffer"), "in",
                                     bufferArgs.c_str(), nullptr, graph_.get()),
        ErrorKind::Encode, "create device buffer source", "");
  UniqueAVBufferSrcParameters params(av_buffersrc_parameters_alloc());
  if (!params) throw std::bad_alloc();
  params->hw_frames_ctx = first->hw_frames_ctx;  // referenced by the call below
  check(av_buffersrc_parameters_set(source_, params.get()), ErrorKind::Encode,
        "set device frames", "");

  std::string scaleArgs = "w=" + std::to_string(width) + ":h=" + std::to_string(height);
  if (filter.takesFormat) scaleArgs += std::string(":format=") + av_get_pix_fmt_name(format);
  // Always a frame of the filter's own pool, never the decoder's passed through: an
  // encoder holding device frames must not starve the decoder's small pool.
  if (filter.type == AV_HWDEVICE_TYPE_CUDA) scaleArgs += ":interp_algo=bicubic:passthrough=0";
  AVFilterContext* scale = nullptr;
  check(avfilter_graph_create_filter(&scale, avfilter_get_by_name(filter.name), "scale",
                                     scaleArgs.c_str(), nullptr, graph_.get()),
        ErrorKind::Encode, "create device scale filter", "");
  check(avfilter_graph_create_filter(&sink_, avfilter_get_by_name("buffersink"), "out", nullptr,
                                     nullptr, graph_.get()),
        ErrorKind::Encode, "create device buffer sink", "");
  check(avfilter_link(source_, 0, scale, 0), ErrorKind::Encode, "link device filters", "");
  check(avfilter_link(scale, 0, sink_, 0), ErrorKind::Encode, "link device filters", "");
  check(avfilter_graph_config(graph_.get(), nullptr), ErrorKind::Encode,
        "configure device scaling", "");
}

bool DeviceScaler::matches(const AVFrame* frame) const noexcept {
  return frame->hw_frames_ctx && frame->hw_frames_ctx->data == framesContext_ &&
         frame->width == inWidth_ && frame->height == inHeight_;
}

UniqueAVFrame DeviceScaler::scale(const AVFrame* frame) {
  UniqueAVFrame in = makeFrame();
  check(av_frame_ref(in.get(), frame), ErrorKind::Encode, "reference device frame", "");
  in->pts = next_++;
  check(av_buffersrc_add_frame_flags(source_, in.get(), 0), ErrorKind::Encode,
        "scale on device", "");
  UniqueAVFrame out = makeFrame();
  check(av_buffersink_get_frame(sink_, out.get()), ErrorKind::Encode, "scale on device", "");
  return out;
}

}  // namespace autocut
