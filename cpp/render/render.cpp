#include "render/render.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <future>
#include <limits>
#include <memory>
#include <random>
#include <system_error>

#include "hw/device.h"
#include "media/decoder.h"
#include "render/canvas.h"
#include "render/device_scale.h"
#include "render/music.h"
#include "render/output.h"

namespace autocut {

int64_t segmentFrames(double start, double end, double fps) noexcept {
  return static_cast<int64_t>(std::floor((end - start) * fps + 0.5));
}

namespace {

std::string describeSegment(size_t index, const RenderSegment& s) {
  char times[64];
  std::snprintf(times, sizeof times, "%g-%g s", s.start, s.end);
  return "segment " + std::to_string(index) + " ('" + s.path + "', " + times + ")";
}

void invalid(const std::string& detail) {
  throw Error(ErrorKind::InvalidArgument, "validate timeline", "", detail);
}

}  // namespace

void validateTimeline(const RenderTimeline& t) {
  if (t.width <= 0 || t.height <= 0 || t.width % 2 != 0 || t.height % 2 != 0) {
    invalid("canvas must be positive and even (4:2:0 video), got " + std::to_string(t.width) +
            "x" + std::to_string(t.height));
  }
  if (!(t.fps > 0.0) || !std::isfinite(t.fps) || t.fps > 1000.0) {
    invalid("fps must be in (0, 1000], got " + std::to_string(t.fps));
  }
  if (t.segments.empty()) invalid("the timeline has no segments");
  for (size_t i = 0; i < t.segments.size(); ++i) {
    const RenderSegment& s = t.segments[i];
    if (s.path.empty()) invalid(describeSegment(i, s) + ": no path");
    if (!std::isfinite(s.start) || !std::isfinite(s.end) || s.start < 0.0) {
      invalid(describeSegment(i, s) + ": times must be finite and start >= 0");
    }
    if (!(s.start < s.end)) invalid(describeSegment(i, s) + ": start must be before end");
    if (segmentFrames(s.start, s.end, t.fps) < 1) {
      invalid(describeSegment(i, s) + ": shorter than half a frame at " + std::to_string(t.fps) +
              " fps");
    }
  }
  if (!std::isfinite(t.audioStart) || t.audioStart < 0.0) invalid("audio_start must be >= 0");
  if (!std::isfinite(t.audioFadeOut) || t.audioFadeOut < 0.0) invalid("audio_fade_out must be >= 0");
}

namespace {

// Frames whose display times differ by less than this are the same instant (float noise
// between start + k / fps and pts from integer ticks).
constexpr double kTimeEpsilon = 1e-6;

// ---- Segments ----------------------------------------------------------------------

// Thrown inside a prefetch when the render ends early; never leaves the prefetch thread.
struct Cancelled {};

// What a segment's decoder calls to check for interruption. While a prefetch thread owns
// the decoder it only honours cancellation; once the rendering thread has taken it over,
// it also runs the caller's check (which may need the Python GIL, so never before).
struct InterruptRelay {
  std::atomic<bool> cancelled{false};
  std::atomic<bool> handedOver{false};
  std::function<void()> mainCheck;

  void operator()() const {
    if (cancelled.load()) throw Cancelled{};
    if (handedOver.load() && mainCheck) mainCheck();
  }
};

// A segment's decoder, positioned at its start, stepping forward through display times.
class SegmentCursor {
 public:
  SegmentCursor(const RenderSegment& segment, size_t index, DecoderOptions options)
      : decoder_(segment.path, std::move(options)) {
    decoder_.seek(segment.start);
    if (!decoder_.next(current_)) {
      throw Error(ErrorKind::Decode, "read segment", segment.path,
                  describeSegment(index, segment) + ": no frame at its start");
    }
    hasNext_ = decoder_.next(next_);
  }

  // The frame displayed at t (the last with pts <= t); t must not decrease between calls.
  const DecodedFrame& at(double t) {
    while (hasNext_ && next_.pts <= t + kTimeEpsilon) {
      current_ = std::move(next_);
      ++serial_;
      hasNext_ = decoder_.next(next_);
    }
    return current_;
  }
  // Changes whenever at() moves to another frame.
  uint64_t serial() const noexcept { return serial_; }
  int rotation() const noexcept { return decoder_.info().rotation; }
  const std::string& hwaccelUsed() const noexcept { return decoder_.hwaccelUsed(); }

 private:
  VideoDecoder decoder_;
  DecodedFrame current_, next_;
  bool hasNext_ = false;
  uint64_t serial_ = 0;
};

// Hands out segment cursors in order, opening the next one ahead on a background thread.
class SegmentSource {
 public:
  SegmentSource(const std::vector<RenderSegment>& segments, DecoderOptions options,
                std::function<void()> mainCheck, bool prefetch)
      : segments_(segments),
        options_(std::move(options)),
        mainCheck_(std::move(mainCheck)),
        prefetch_(prefetch) {}
  ~SegmentSource() { cancelPending(); }
  SegmentSource(const SegmentSource&) = delete;
  SegmentSource& operator=(const SegmentSource&) = delete;

  std::unique_ptr<SegmentCursor> open(size_t index) {
    std::unique_ptr<SegmentCursor> cursor;
    if (pending_.valid() && pendingIndex_ == index) {
      cursor = pending_.get();    // rethrows what opening it threw
      relay_->handedOver = true;  // from here the rendering thread drives this decoder
    } else {
      cancelPending();
      cursor = start(index, /*ahead=*/false)();
    }
    if (prefetch_ && index + 1 < segments_.size()) {
      pendingIndex_ = index + 1;
      pending_ = std::async(std::launch::async, start(index + 1, /*ahead=*/true));
    }
    return cursor;
  }

 private:
  // A job that opens segment `index` with a fresh relay (kept in relay_ when ahead).
  std::function<std::unique_ptr<SegmentCursor>()> start(size_t index, bool ahead) {
    auto relay = std::make_shared<InterruptRelay>();
    relay->mainCheck = mainCheck_;
    relay->handedOver = !ahead;
    if (ahead) relay_ = relay;
    DecoderOptions options = options_;
    options.interruptCheck = [relay] { (*relay)(); };
    const RenderSegment segment = segments_[index];
    return [segment, index, options]() mutable {
      return std::make_unique<SegmentCursor>(segment, index, std::move(options));
    };
  }

  void cancelPending() {
    if (!pending_.valid()) return;
    relay_->cancelled = true;
    pending_.wait();
    pending_ = {};
  }

  const std::vector<RenderSegment>& segments_;
  DecoderOptions options_;
  std::function<void()> mainCheck_;
  bool prefetch_;
  std::future<std::unique_ptr<SegmentCursor>> pending_;
  size_t pendingIndex_ = 0;
  std::shared_ptr<InterruptRelay> relay_;
};

// ---- Device path ---------------------------------------------------------------------

// Draws device frames that qualify (see render/device_scale.h) by scaling them on their
// device; remembers whether the current canvas is that device frame (frame()) or the
// CPU canvas.
class DeviceCanvas {
 public:
  DeviceCanvas(const RenderTimeline& timeline, const VideoEncoder& encoder)
      : width_(timeline.width), height_(timeline.height), fit_(timeline.fit), encoder_(encoder) {}

  // True when `src` was drawn on the device: into frame() when the encoder takes device
  // frames, else downloaded into `canvas`. False: the caller composites on the CPU.
  bool draw(const AVFrame* src, int rotation, AVFrame* canvas) {
    drawn_ = false;
    scaled_.reset();
    if (!isHardwareFrame(src) || broken_) return false;
    if (!whyNotOnDevice(deviceDrawQuery(src, rotation), width_, height_, fit_).empty()) return false;
    const bool encodeOnDevice = encoder_.deviceFrames() == frameDeviceType(src);
    const AVPixelFormat format = encodeOnDevice ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUV420P;
    try {
      if (!scaler_ || !scaler_->matches(src) || scaler_->format() != format) {
        scaler_.reset();
        scaler_ = std::make_unique<DeviceScaler>(src, width_, height_, format);
      }
      scaled_ = scaler_->scale(src);
      if (!encodeOnDevice) {
        // Straight into the canvas's planes: both are YUV420P of the canvas size.
        check(av_hwframe_transfer_data(canvas, scaled_.get(), 0), ErrorKind::Encode,
              "copy canvas from device", "");
        scaled_.reset();
      }
    } catch (const Error&) {
      // This FFmpeg's filter would not take these frames: the CPU path from here on.
      broken_ = true;
      scaler_.reset();
      scaled_.reset();
      return false;
    }
    drawn_ = true;
    return true;
  }
  // Whether the current canvas was drawn on the device.
  bool drawn() const noexcept { return drawn_; }
  // The current canvas as a device frame for the encoder; nullptr when it is the CPU one.
  AVFrame* frame() const noexcept { return scaled_.get(); }

 private:
  int width_, height_;
  FitMode fit_;
  const VideoEncoder& encoder_;
  std::unique_ptr<DeviceScaler> scaler_;
  UniqueAVFrame scaled_;
  bool drawn_ = false;
  bool broken_ = false;
};

}  // namespace

// ---- render ------------------------------------------------------------------------

RenderResult render(const RenderTimeline& timeline, const std::string& output,
                    const RenderOptions& options) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point began = Clock::now();
  initLogging();
  validateTimeline(timeline);
  const char* format = muxerFor(output);
  const double fps = timeline.fps;
  const AVRational rate = av_d2q(fps, 100000);

  std::vector<int64_t> frames;
  int64_t total = 0;
  for (const RenderSegment& s : timeline.segments) {
    frames.push_back(segmentFrames(s.start, s.end, fps));
    total += frames.back();
  }
  const double duration = static_cast<double>(total) / fps;
  if (!timeline.audio.empty() && !probe(timeline.audio).hasAudio) {
    throw Error(ErrorKind::NoAudioStream, "open music", timeline.audio, "no audio stream");
  }

  // One hardware device for every decoder and the encoder, so frames can stay on it.
  // Declared before everything that uses it.
  const UniqueAVBufferRef device = openRequestedDevice(options.hwaccel);

  // Declared first so it is destroyed last: the temporary goes after every writer is closed.
  OutputFile file(output);
  Muxer mux(file.temp(), output, format);
  EncoderRequest request = options.encoder;
  request.threads = options.threads;
  request.device = device.get();
  VideoEncoder video(request, VideoFormat{timeline.width, timeline.height, rate, mux.globalHeader()});
  std::unique_ptr<MusicTrack> music;
  if (!timeline.audio.empty()) {
    music = std::make_unique<MusicTrack>(timeline.audio, timeline.audioStart, duration,
                                         timeline.audioFadeOut, mux.globalHeader());
  }
  const AVStream* videoStream = mux.addStream(video.context());
  const AVStream* audioStream = music ? mux.addStream(music->context()) : nullptr;
  mux.open();
  if (music) music->start();

  Compositor compositor(timeline.width, timeline.height, timeline.fit,
                        rgbToYuv709(timeline.background[0], timeline.background[1],
                                    timeline.background[2]));
  UniqueAVFrame canvas = Compositor::allocate(timeline.width, timeline.height);
  canvas->color_range = AVCOL_RANGE_MPEG;
  canvas->colorspace = AVCOL_SPC_BT709;
  canvas->color_primaries = AVCOL_PRI_BT709;
  canvas->color_trc = AVCOL_TRC_BT709;
  canvas->sample_aspect_ratio = AVRational{1, 1};

  DecoderOptions decoderOptions;
  decoderOptions.hwaccel = device ? options.hwaccel : "none";
  decoderOptions.threads = options.threads;
  decoderOptions.device = device.get();
  decoderOptions.keepHardwareFrames = device != nullptr;
  DeviceCanvas onDevice(timeline, video);
  SegmentSource segments(timeline.segments, decoderOptions, options.interruptCheck, options.prefetch);

  const AVRational videoTimeBase = video.context()->time_base;
  auto writeVideo = [&](AVPacket* pkt) { mux.write(pkt, videoStream, videoTimeBase); };
  std::vector<UniqueAVPacket> audioPackets;
  auto writeAudio = [&](double until) {
    if (!music) return;
    audioPackets.clear();
    music->take(until, audioPackets);
    for (UniqueAVPacket& p : audioPackets) {
      mux.write(p.get(), audioStream, AVRational{1, MusicTrack::kSampleRate});
    }
  };

  int64_t done = 0;
  Clock::time_point lastTick = began;
  auto tick = [&](bool force) {
    const Clock::time_point now = Clock::now();
    if (!force && now - lastTick < std::chrono::milliseconds(100)) return;
    lastTick = now;
    if (options.interruptCheck) options.interruptCheck();
    if (options.progress) options.progress(done, total);
  };
  tick(true);

  std::string hwaccelUsed = "none";
  int64_t deviceFrames = 0;
  for (size_t i = 0; i < timeline.segments.size(); ++i) {
    const RenderSegment& segment = timeline.segments[i];
    std::unique_ptr<SegmentCursor> cursor = segments.open(i);
    uint64_t shown = std::numeric_limits<uint64_t>::max();
    for (int64_t k = 0; k < frames[i]; ++k) {
      const DecodedFrame& frame = cursor->at(segment.start + static_cast<double>(k) / fps);
      if (cursor->serial() != shown) {  // a repeated source frame reuses the canvas as is
        check(av_frame_make_writable(canvas.get()), ErrorKind::Encode, "allocate canvas frame", output);
        const AVFrame* src = frame.frame.get();
        if (!onDevice.draw(src, cursor->rotation(), canvas.get())) {
          UniqueAVFrame downloaded;
          if (isHardwareFrame(src)) {
            downloaded = toSystemMemory(src);
            if (!downloaded) {
              throw Error(ErrorKind::Decode, "copy frame from device", segment.path,
                          describeSegment(i, segment) + ": the device frame could not be read");
            }
            src = downloaded.get();
          }
          compositor.draw(src, cursor->rotation(), canvas.get());
        }
        shown = cursor->serial();
      }
      AVFrame* out = onDevice.frame() ? onDevice.frame() : canvas.get();
      out->pts = done;
      video.encode(out, writeVideo);
      if (onDevice.drawn()) ++deviceFrames;
      ++done;
      writeAudio(static_cast<double>(done) / fps);
      tick(false);
    }
    if (hwaccelUsed == "none") hwaccelUsed = cursor->hwaccelUsed();
  }
  video.flush(writeVideo);
  writeAudio(std::numeric_limits<double>::infinity());
  mux.finish();
  tick(true);
  file.commit();

  RenderResult result;
  result.encoderUsed = video.name();
  result.hwaccelUsed = hwaccelUsed;
  result.frames = total;
  result.deviceFrames = deviceFrames;
  result.duration = duration;
  result.elapsed = std::chrono::duration<double>(Clock::now() - began).count();
  result.output = output;
  return result;
}

}  // namespace autocut
