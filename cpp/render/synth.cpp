#include "render/synth.h"

#include <cmath>

#include "render/output.h"

namespace autocut {

namespace {

// A graph from `source` into a buffersink delivering YUV420P.
struct SourceGraph {
  UniqueAVFilterGraph graph;
  AVFilterContext* sink = nullptr;
};

SourceGraph buildGraph(const std::string& source, const std::string& output) {
  SourceGraph g;
  g.graph.reset(avfilter_graph_alloc());
  if (!g.graph) throw std::bad_alloc();
  g.graph->nb_threads = 1;
  check(avfilter_graph_create_filter(&g.sink, avfilter_get_by_name("buffersink"), "out", nullptr,
                                     nullptr, g.graph.get()),
        ErrorKind::InvalidArgument, "create filter sink", output);
  // The parsed chain's dangling output is linked to the sink, named "out".
  UniqueAVFilterInOut inputs(avfilter_inout_alloc());
  if (!inputs) throw std::bad_alloc();
  inputs->name = av_strdup("out");
  inputs->filter_ctx = g.sink;
  inputs->pad_idx = 0;
  inputs->next = nullptr;
  // avfilter_graph_parse_ptr consumes and replaces both lists through AVFilterInOut**.
  AVFilterInOut* in = inputs.release();
  AVFilterInOut* out = nullptr;
  const std::string chain = source + ",format=yuv420p";
  const int ret = avfilter_graph_parse_ptr(g.graph.get(), chain.c_str(), &in, &out, nullptr);
  UniqueAVFilterInOut leftIn(in), leftOut(out);
  if (ret < 0) {
    throw Error(ErrorKind::InvalidArgument, "parse filter source", output,
                "'" + source + "': " + avErrorText(ret), ret);
  }
  if (leftIn || leftOut) {
    throw Error(ErrorKind::InvalidArgument, "parse filter source", output,
                "'" + source + "' must be a chain from a source filter to one video output");
  }
  check(avfilter_graph_config(g.graph.get(), nullptr), ErrorKind::InvalidArgument,
        "configure filter source", output);
  if (av_buffersink_get_type(g.sink) != AVMEDIA_TYPE_VIDEO) {
    throw Error(ErrorKind::InvalidArgument, "parse filter source", output, "not a video source");
  }
  return g;
}

}  // namespace

SynthResult synthesizeVideo(const std::string& source, const std::string& output, double seconds,
                            const EncoderRequest& encoder,
                            const std::function<void()>& interruptCheck) {
  if (!(seconds > 0) || !std::isfinite(seconds)) {
    throw Error(ErrorKind::InvalidArgument, "synthesize", output, "seconds must be > 0");
  }
  initLogging();
  SourceGraph g = buildGraph(source, output);
  const AVRational tb = av_buffersink_get_time_base(g.sink);
  AVRational rate = av_buffersink_get_frame_rate(g.sink);
  if (rate.num <= 0 || rate.den <= 0) rate = AVRational{30, 1};

  OutputFile file(output);
  Muxer mux(file.temp(), output, muxerFor(output));
  VideoFormat format;
  format.width = av_buffersink_get_w(g.sink);
  format.height = av_buffersink_get_h(g.sink);
  format.frameRate = rate;
  format.globalHeader = mux.globalHeader();
  if (format.width % 2 || format.height % 2) {
    throw Error(ErrorKind::InvalidArgument, "synthesize", output,
                "the source's width and height must be even for 4:2:0 video");
  }
  VideoEncoder video(encoder, format);
  AVStream* stream = mux.addStream(video.context());
  mux.open();
  const auto write = [&](AVPacket* pkt) { mux.write(pkt, stream, video.context()->time_base); };

  SynthResult result;
  const int64_t total = std::llround(seconds * av_q2d(rate));
  UniqueAVFrame frame = makeFrame();
  while (result.frames < total) {
    const int ret = av_buffersink_get_frame(g.sink, frame.get());
    if (ret == AVERROR_EOF) break;
    check(ret, ErrorKind::Encode, "generate frame", output);
    frame->pts = result.frames++;  // the encoder counts frames
    frame->pict_type = AV_PICTURE_TYPE_NONE;
    video.encode(frame.get(), write);
    av_frame_unref(frame.get());
    if (interruptCheck && result.frames % 30 == 0) interruptCheck();
  }
  video.flush(write);
  mux.finish();
  file.commit();
  result.encoderUsed = video.name();
  result.width = format.width;
  result.height = format.height;
  result.fps = av_q2d(rate);
  (void)tb;
  return result;
}

}  // namespace autocut
