#include "audio/decode.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "ffmpeg/ffmpeg.h"
#include "media/probe.h"

namespace autocut {

// ---- WorkMonitor ----------------------------------------------------------------------

WorkMonitor::WorkMonitor(std::function<void()> check, std::function<void(double)> progress,
                         double interval)
    : check_(std::move(check)),
      progress_(std::move(progress)),
      interval_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(interval))),
      last_(std::chrono::steady_clock::now()) {}

void WorkMonitor::poll(double fraction) {
  if (!check_ && !progress_) return;
  if (std::chrono::steady_clock::now() - last_ < interval_) return;
  force(fraction);
}

void WorkMonitor::force(double fraction) {
  last_ = std::chrono::steady_clock::now();
  if (check_) check_();
  if (progress_) progress_(std::clamp(fraction, 0.0, 1.0));
}

// ---- Decoding ---------------------------------------------------------------------------

namespace {

// A jump in the timestamps longer than this is a discontinuity (damaged or concatenated
// timestamps), not lost packets: the samples continue back to back instead of after that
// much silence (a garbage timestamp could otherwise ask for days of it).
constexpr double kMaxGapFill = 10.0;

// What a resampler was built for; a frame that differs needs a new one.
struct InputFormat {
  int format = -1;
  int rate = 0;
  int channels = 0;
  int order = -1;
  uint64_t mask = 0;

  static InputFormat of(const AVFrame* f) {
    InputFormat in;
    in.format = f->format;
    in.rate = f->sample_rate;
    in.channels = f->ch_layout.nb_channels;
    in.order = static_cast<int>(f->ch_layout.order);
    in.mask = f->ch_layout.order == AV_CHANNEL_ORDER_NATIVE ? f->ch_layout.u.mask : 0;
    return in;
  }
  bool operator==(const InputFormat&) const = default;
};

// To interleaved float at the output rate with `outChannels` channels (1: mixed to mono;
// 2: stereo, a mono source on both sides, surround downmixed).
class Resampler {
 public:
  Resampler(int outRate, int outChannels, const std::string& path)
      : outRate_(outRate), outChannels_(outChannels), path_(path) {}

  // Converts one decoded frame; the output is valid until the next call.
  std::span<const float> convert(const AVFrame* frame, const SampleSink& drainTo) {
    const InputFormat in = InputFormat::of(frame);
    if (!swr_ || !(in == format_)) {
      if (swr_) {
        const std::span<const float> rest = drain();
        if (!rest.empty()) drainTo(rest.data(), rest.size() / outChannels_);
      }
      open(frame, in);
    }
    const int capacity = swr_get_out_samples(swr_.get(), frame->nb_samples);
    if (capacity < 0) throw Error(ErrorKind::Decode, "size resampler output", path_, avErrorText(capacity), capacity);
    out_.resize((static_cast<size_t>(capacity) + 16) * outChannels_);
    auto* dst = reinterpret_cast<uint8_t*>(out_.data());
    const int got = check(swr_convert(swr_.get(), &dst, capacity + 16,
                                      const_cast<const uint8_t**>(frame->extended_data),
                                      frame->nb_samples),
                          ErrorKind::Decode, "resample audio", path_);
    return {out_.data(), static_cast<size_t>(got) * outChannels_};
  }

  // The samples still inside the resampler's filter at the end of the stream.
  std::span<const float> drain() {
    if (!swr_) return {};
    const int capacity = std::max(swr_get_out_samples(swr_.get(), 0), 0) + 64;
    out_.resize(static_cast<size_t>(capacity) * outChannels_);
    auto* dst = reinterpret_cast<uint8_t*>(out_.data());
    const int got = check(swr_convert(swr_.get(), &dst, capacity, nullptr, 0), ErrorKind::Decode,
                          "drain resampler", path_);
    return {out_.data(), static_cast<size_t>(got) * outChannels_};
  }

 private:
  void open(const AVFrame* frame, const InputFormat& in) {
    swr_.reset();
    AVChannelLayout outLayout{};
    av_channel_layout_default(&outLayout, outChannels_);
    // A layout without a channel order (e.g. a 6-channel WAV without a mask) mixes as
    // FFmpeg's default layout for that channel count. Neither layout owns memory.
    AVChannelLayout inLayout{};
    if (frame->ch_layout.order == AV_CHANNEL_ORDER_NATIVE) {
      inLayout = frame->ch_layout;
    } else {
      av_channel_layout_default(&inLayout, std::max(frame->ch_layout.nb_channels, 1));
    }
    SwrContext* raw = nullptr;
    const int ret = swr_alloc_set_opts2(&raw, &outLayout, AV_SAMPLE_FMT_FLT, outRate_, &inLayout,
                                        static_cast<AVSampleFormat>(frame->format),
                                        frame->sample_rate, 0, nullptr);
    swr_.reset(raw);  // null after a failure; owned from here either way
    check(ret, ErrorKind::InvalidMedia, "configure audio resampler", path_);
    check(swr_init(swr_.get()), ErrorKind::InvalidMedia, "open audio resampler", path_);
    format_ = in;
  }

  int outRate_;
  int outChannels_;
  const std::string& path_;
  UniqueSwrContext swr_;
  InputFormat format_;
  std::vector<float> out_;
};

}  // namespace

AudioStreamInfo decodeAudio(const InputSource& source, int sampleRate, int channels,
                            const AudioWindow& window, const SampleSink& sink,
                            WorkMonitor& monitor) {
  const std::string& path = source.name;
  if (channels < 1 || channels > 8) {
    throw Error(ErrorKind::InvalidArgument, "decode audio", path, "channels must be 1..8");
  }
  if (sampleRate <= 0 || !(window.start >= 0.0) || !std::isfinite(window.start) ||
      std::isnan(window.duration)) {
    throw Error(ErrorKind::InvalidArgument, "decode audio", path, "bad sample rate or window");
  }
  Input fmt = openInput(source);
  const int index = findAudioStream(fmt.get());
  if (index < 0) throw Error(ErrorKind::NoAudioStream, "find audio stream", path, "no audio stream");
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != index) fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  AVStream* stream = fmt->streams[index];
  const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!codec) {
    throw Error(ErrorKind::InvalidMedia, "find audio decoder", path,
                std::string("no decoder for ") + avcodec_get_name(stream->codecpar->codec_id));
  }
  UniqueAVCodecContext dec = makeCodecContext(codec, path);
  check(avcodec_parameters_to_context(dec.get(), stream->codecpar), ErrorKind::InvalidMedia,
        "copy audio codec parameters", path);
  dec->pkt_timebase = stream->time_base;
  check(avcodec_open2(dec.get(), codec, nullptr), ErrorKind::InvalidMedia, "open audio decoder", path);

  AudioStreamInfo info;
  info.firstTime = window.start;
  info.codec = codec->name;
  info.sourceRate = stream->codecpar->sample_rate;
  info.channels = channelCount(stream->codecpar);
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    info.fileDuration = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  }
  // Times are relative to the container's start, as players and `ffmpeg -ss` count.
  const double origin =
      fmt->start_time != AV_NOPTS_VALUE ? static_cast<double>(fmt->start_time) / AV_TIME_BASE : 0.0;
  const double start = window.start;
  const double end = window.duration > 0.0 ? start + window.duration
                                           : std::numeric_limits<double>::infinity();
  const size_t wanted = std::isfinite(end)
                            ? static_cast<size_t>(std::llround(window.duration * sampleRate))
                            : std::numeric_limits<size_t>::max();
  if (start > 0.0) {
    // Best effort: when the demuxer cannot seek, decoding from the top and discarding
    // what precedes the window gives the same samples, only slower.
    const auto ts = static_cast<int64_t>(std::llround((origin + start) * AV_TIME_BASE));
    (void)avformat_seek_file(fmt.get(), -1, std::numeric_limits<int64_t>::min(), ts, ts, 0);
  }
  const double span = std::isfinite(end) ? end - start
                                         : std::max(info.fileDuration - start, 0.0);

  Resampler resampler(sampleRate, channels, path);
  const auto width = static_cast<size_t>(channels);  // floats per sample frame
  const double rate = static_cast<double>(sampleRate);
  double nextTime = std::numeric_limits<double>::quiet_NaN();  // file time of the next output sample
  double inputTime = std::numeric_limits<double>::quiet_NaN();  // file time after the last input frame
  std::vector<float> zeros;
  int decodedFrames = 0;
  bool full = false;

  // Hands on output samples that start at nextTime, cut to [start, end).
  auto deliver = [&](const float* samples, size_t count) {
    if (count == 0 || full) return;
    size_t skip = 0;
    if (nextTime < start) {
      skip = static_cast<size_t>(std::clamp(std::ceil((start - nextTime) * rate - 0.5), 0.0,
                                            static_cast<double>(count)));
    }
    nextTime += static_cast<double>(count) / rate;
    size_t take = count - skip;
    take = std::min(take, wanted - info.samples);
    if (take > 0) {
      if (info.samples == 0) info.firstTime = nextTime - static_cast<double>(count - skip) / rate;
      sink(samples + skip * width, take);
      info.samples += take;
    }
    if (info.samples >= wanted) full = true;
  };
  auto deliverSilence = [&](double seconds) {
    auto count = static_cast<size_t>(std::llround(seconds * rate));
    while (count > 0 && !full) {
      const size_t chunk = std::min<size_t>(count, 65536);
      zeros.assign(chunk * width, 0.0f);
      deliver(zeros.data(), chunk);
      count -= chunk;
    }
  };

  UniqueAVFrame frame = makeFrame();
  auto onFrame = [&]() {
    ++decodedFrames;
    if (frame->nb_samples <= 0 || frame->sample_rate <= 0) return;
    const int64_t pts = frame->best_effort_timestamp;
    const double frameTime = pts != AV_NOPTS_VALUE
                                 ? static_cast<double>(pts) * av_q2d(stream->time_base) - origin
                                 : (std::isnan(inputTime) ? start : inputTime);
    if (std::isnan(nextTime)) {
      nextTime = frameTime;
      inputTime = frameTime;
    } else if (frameTime > inputTime + 0.02) {
      // Lost packets: keep the clock by filling their span with silence.
      if (frameTime - inputTime <= kMaxGapFill) deliverSilence(frameTime - inputTime);
      inputTime = frameTime;
    }
    inputTime += static_cast<double>(frame->nb_samples) / frame->sample_rate;
    const std::span<const float> out = resampler.convert(frame.get(), deliver);
    deliver(out.data(), out.size() / width);
  };
  auto receiveAll = [&]() {
    for (;;) {
      const int ret = avcodec_receive_frame(dec.get(), frame.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret == AVERROR_INVALIDDATA) {
        ++info.skippedPackets;
        continue;
      }
      check(ret, ErrorKind::Decode, "decode audio", path);
      onFrame();
      if (full) return;
    }
  };

  UniqueAVPacket pkt = makePacket();
  while (!full) {
    const double done = std::isnan(nextTime) ? 0.0 : nextTime - start;
    monitor.poll(span > 0.0 ? done / span : 0.0);
    const int ret = av_read_frame(fmt.get(), pkt.get());
    if (ret == AVERROR(EAGAIN)) continue;
    if (ret < 0) break;  // end of file, or a damaged tail: decode what was read
    PacketUnrefGuard guard(pkt.get());
    if (pkt->stream_index != index) continue;
    for (;;) {
      const int sent = avcodec_send_packet(dec.get(), pkt.get());
      if (sent == AVERROR(EAGAIN)) {
        receiveAll();
        if (full) break;
        continue;
      }
      if (sent == AVERROR(ENOMEM)) check(sent, ErrorKind::Decode, "decode audio", path);
      if (sent < 0) ++info.skippedPackets;  // corrupt packet: skip it, keep going
      break;
    }
    receiveAll();
    if (!std::isnan(nextTime) && nextTime > end + 1.0) break;
  }
  if (!full) {
    avcodec_send_packet(dec.get(), nullptr);  // enter draining; a failure only means nothing is buffered
    receiveAll();
    const std::span<const float> rest = resampler.drain();
    deliver(rest.data(), rest.size() / width);
  }
  if (decodedFrames == 0 && info.skippedPackets > 0) {
    throw Error(ErrorKind::Decode, "decode audio", path,
                "no audio frame could be decoded (" + std::to_string(info.skippedPackets) +
                    " corrupt packets)");
  }
  // The first sample is at window.start up to the resampler's rounding: report it so.
  if (std::abs(info.firstTime - window.start) < 1.0 / rate) info.firstTime = window.start;
  monitor.force(1.0);
  return info;
}

AudioStreamInfo decodeMonoAudio(const InputSource& source, int sampleRate, const AudioWindow& window,
                                const SampleSink& sink, WorkMonitor& monitor) {
  return decodeAudio(source, sampleRate, 1, window, sink, monitor);
}

}  // namespace autocut
