#include "media/decoder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <thread>

#include "hw/device.h"
#include "media/ticks.h"

namespace autocut {

namespace {

// A stream that has produced no frame after this many packets is not decodable.
constexpr int64_t kMaxPacketsWithoutFrame = 1000;
// Sampled decoding reads ahead at most this much while looking for the next closed GOP;
// beyond it (very long GOPs) the packets read so far are all decoded.
constexpr size_t kMaxLookaheadPackets = 1200;
constexpr size_t kMaxLookaheadBytes = size_t{48} << 20;
// The most single-threaded decoders sampled decoding runs (batch.py's POOL_MAX_DECODERS).
constexpr int kMaxGopDecoders = 8;
// Consecutive demuxer errors tolerated before treating the input as truncated.
constexpr int kMaxReadErrors = 64;
constexpr int kMaxReceiveErrors = 16;

// How a stream's packets frame their NAL units: a big-endian length of 1-4 bytes before
// each (MP4/MOV/MKV, from the avcC/hvcC record), or Annex B start codes (0: MPEG-TS, raw).
int nalLengthSize(const AVCodecParameters* par) {
  const uint8_t* x = par->extradata;
  const int n = par->extradata_size;
  if (!x || n < 7 || x[0] != 1) return 0;
  if (par->codec_id == AV_CODEC_ID_H264) return (x[4] & 3) + 1;
  if (par->codec_id == AV_CODEC_ID_HEVC && n >= 23) return (x[21] & 3) + 1;
  return 0;
}

// Calls f(nalHeaderPointer, bytesLeft) for each NAL unit of a packet; false when the
// framing does not parse (the packet is then left to the decoder).
template <typename F>
bool forEachNal(const uint8_t* p, int size, int lengthSize, F&& f) {
  if (lengthSize > 0) {
    int pos = 0;
    while (pos < size) {
      if (size - pos < lengthSize) return false;
      uint32_t len = 0;
      for (int i = 0; i < lengthSize; ++i) len = (len << 8) | p[pos + i];
      pos += lengthSize;
      if (len == 0 || len > static_cast<uint32_t>(size - pos)) return false;
      f(p + pos, static_cast<int>(len));
      pos += static_cast<int>(len);
    }
    return true;
  }
  bool any = false;
  for (int i = 0; i + 3 < size; ++i) {
    if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
      i += 3;
      f(p + i, size - i);
      any = true;
    }
  }
  return any;
}

// True when a packet codes only pictures that no other picture references, so skipping
// it changes no other frame: every H.264 slice has nal_ref_idc 0, every HEVC slice is of
// a sub-layer non-reference type (TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N, reserved _N),
// and nothing else but SEI/AUD/filler rides along. The same rule as the decoders'
// AVDISCARD_NONREF, applied before the packet takes a frame thread's turn.
bool packetIsNonReference(const AVPacket* pkt, AVCodecID codec, int lengthSize) {
  bool slice = false;
  bool disposable = true;
  const bool parsed = forEachNal(pkt->data, pkt->size, lengthSize, [&](const uint8_t* h, int n) {
    if (n < 2) {
      disposable = false;
      return;
    }
    if (codec == AV_CODEC_ID_H264) {
      const int type = h[0] & 0x1f;
      const int refIdc = (h[0] >> 5) & 3;
      if (type >= 1 && type <= 5) {
        slice = true;
        disposable = disposable && refIdc == 0;
      } else if (type != 6 && type != 9 && type != 12) {
        disposable = false;  // parameter sets and the rest go to the decoder
      }
    } else {
      const int type = (h[0] >> 1) & 0x3f;
      if (type <= 31) {
        slice = true;
        disposable = disposable && type <= 14 && type % 2 == 0;
      } else if (type != 35 && type != 38 && type != 39 && type != 40) {
        disposable = false;
      }
    }
  });
  return parsed && slice && disposable;
}

// True when an H.264/HEVC packet carries a parameter set (VPS/SPS/PPS) in-band.
bool packetHasParameterSets(const AVPacket* pkt, AVCodecID codec, int lengthSize) {
  bool found = false;
  forEachNal(pkt->data, pkt->size, lengthSize, [&](const uint8_t* h, int n) {
    if (n < 1) return;
    const int type = codec == AV_CODEC_ID_H264 ? (h[0] & 0x1f) : ((h[0] >> 1) & 0x3f);
    found = found || (codec == AV_CODEC_ID_H264 ? (type == 7 || type == 8)
                                                : (type >= 32 && type <= 34));
  });
  return found;
}

// True when a keyframe packet starts a GOP that no later picture reaches across: an
// H.264 IDR (a recovery-point I frame leaves earlier frames referenceable) or an HEVC
// IRAP (its leading pictures are checked by the caller). Other codecs: the keyframe flag.
bool packetIsClosedKey(const AVPacket* pkt, AVCodecID codec, int lengthSize) {
  if (!(pkt->flags & AV_PKT_FLAG_KEY)) return false;
  if (codec != AV_CODEC_ID_H264 && codec != AV_CODEC_ID_HEVC) return true;
  bool closed = false;
  const bool parsed = forEachNal(pkt->data, pkt->size, lengthSize, [&](const uint8_t* h, int n) {
    if (n < 1) return;
    if (codec == AV_CODEC_ID_H264) {
      closed = closed || (h[0] & 0x1f) == 5;
    } else {
      const int type = (h[0] >> 1) & 0x3f;
      closed = closed || (type >= 16 && type <= 21);
    }
  });
  return parsed && closed;
}

// A decoded frame's time in stream ticks: the decoder's best guess, else its pts
// (AV_NOPTS_VALUE when it has neither).
int64_t frameTimestamp(const AVFrame* frame) {
  return frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp
                                                        : frame->pts;
}

AVDiscard discardFor(SkipMode skip) {
  return skip == SkipMode::NonRef   ? AVDISCARD_NONREF
         : skip == SkipMode::NonKey ? AVDISCARD_NONKEY
                                    : AVDISCARD_DEFAULT;
}

}  // namespace

// ---- GOP pool -------------------------------------------------------------------------
// Closed GOPs do not depend on each other, so sampled decoding can give each to one of
// several single-threaded decoders instead of spreading one GOP's reference chain over
// frame threads: less synchronisation and no stalls on the chain (measured on 2 cores:
// about 5% less CPU and 20% less wall time). Each job ends with a drain and a flush, so
// every GOP starts from a clean decoder, as after a seek to its keyframe.

struct GopJob {
  std::vector<UniqueAVPacket> packets;
  // Sorted timestamps of the frames to hand back, and of all the packets: a frame whose
  // time is not a packet's (a decoder that makes up timestamps) goes back too.
  std::vector<int64_t> wanted, sent;
  bool all = false;             // hand back every frame
  // Filled by the worker, read by the decoder's thread.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<UniqueAVFrame> frames;
  int64_t decoded = 0, errors = 0, handedOut = 0;
  bool done = false;
  std::exception_ptr failure;
};

class GopPool {
 public:
  explicit GopPool(std::vector<UniqueAVCodecContext> contexts) {
    for (UniqueAVCodecContext& ctx : contexts) {
      workers_.emplace_back([this, c = std::move(ctx)] { run(c.get()); });
    }
  }
  ~GopPool() {
    stop();
    for (std::thread& t : workers_) t.join();
  }
  // Workers stop at their next packet. One waiting for its frames to be taken is woken by
  // the job's owner (VideoDecoder::stopPool), which notifies the jobs it holds.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  GopPool(const GopPool&) = delete;
  GopPool& operator=(const GopPool&) = delete;

  size_t size() const noexcept { return workers_.size(); }
  void submit(std::shared_ptr<GopJob> job) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void run(AVCodecContext* ctx) {
    while (true) {
      std::shared_ptr<GopJob> job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      decode(ctx, *job);
    }
  }

  void decode(AVCodecContext* ctx, GopJob& job) {
    int64_t decoded = 0, errors = 0;
    try {
      UniqueAVFrame frame = makeFrame();
      auto drain = [&] {
        for (int failures = 0; failures < kMaxReceiveErrors;) {
          const int ret = avcodec_receive_frame(ctx, frame.get());
          if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
          if (ret < 0) {
            ++errors;
            ++failures;
            continue;
          }
          ++decoded;
          const int64_t ts = frameTimestamp(frame.get());
          if (job.all || ts == AV_NOPTS_VALUE ||
              std::binary_search(job.wanted.begin(), job.wanted.end(), ts) ||
              !std::binary_search(job.sent.begin(), job.sent.end(), ts)) {
            // At most a few frames wait for the decoder's thread: a worker ahead of it
            // (on a later GOP) pauses rather than holding that GOP's picks.
            std::unique_lock lock(job.mu);
            job.cv.wait(lock, [&] { return job.frames.size() < kMaxFramesWaiting || stop_; });
            job.frames.push_back(std::move(frame));
            job.cv.notify_all();
            frame = makeFrame();
          } else {
            av_frame_unref(frame.get());
          }
        }
      };
      for (UniqueAVPacket& pkt : job.packets) {
        if (stopping()) break;
        if (pkt->flags & AV_PKT_FLAG_CORRUPT) ++errors;
        const int sent = avcodec_send_packet(ctx, pkt.get());
        if (sent < 0 && sent != AVERROR(EAGAIN) && sent != AVERROR_EOF) ++errors;
        pkt.reset();
        drain();
      }
      avcodec_send_packet(ctx, nullptr);
      drain();
      avcodec_flush_buffers(ctx);
    } catch (...) {
      std::lock_guard lock(job.mu);
      job.failure = std::current_exception();
    }
    std::lock_guard lock(job.mu);
    job.decoded = decoded;
    job.errors = errors;
    job.done = true;
    job.cv.notify_all();
  }

  bool stopping() const noexcept { return stop_; }

  static constexpr size_t kMaxFramesWaiting = 2;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<GopJob>> queue_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
};

SkipMode parseSkip(const std::string& name) {
  if (name.empty() || name == "none" || name == "default") return SkipMode::None;
  if (name == "nonref") return SkipMode::NonRef;
  if (name == "nonkey") return SkipMode::NonKey;
  throw Error(ErrorKind::InvalidArgument, "skip", "",
              "unknown skip mode '" + name + "' (use 'none', 'nonref' or 'nonkey')");
}

VideoDecoder::VideoDecoder(const InputSource& source, DecoderOptions options)
    : path_(source.name), options_(std::move(options)), lastCheck_(std::chrono::steady_clock::now()) {
  fmt_ = openInput(source);
  info_ = describe(fmt_.get(), path_);
  if (!info_.hasVideo) {
    throw Error(ErrorKind::NoVideoStream, "open video", path_,
                info_.hasAudio ? "audio-only file has no video stream" : "no video stream");
  }
  stream_ = fmt_->streams[info_.videoStreamIndex];
  for (unsigned i = 0; i < fmt_->nb_streams; ++i) {
    if (fmt_->streams[i] != stream_) fmt_->streams[i]->discard = AVDISCARD_ALL;
  }
  timeBase_ = stream_->time_base;
  startTs_ = stream_->start_time != AV_NOPTS_VALUE ? stream_->start_time : 0;

  int keyframes = 0;
  const int entries = avformat_index_get_entries_count(stream_);
  for (int i = 0; i < entries; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(stream_, i);
    if (e && (e->flags & AVINDEX_KEYFRAME)) ++keyframes;
  }
  if (keyframes > 1 && info_.duration > 0) keyframeInterval_ = info_.duration / keyframes;

  countingIndex_ = options_.skip == SkipMode::None;
  const AVCodecID codecId = stream_->codecpar->codec_id;
  nonRefFilter_ = codecId == AV_CODEC_ID_H264 || codecId == AV_CODEC_ID_HEVC;
  nalLengthSize_ = nalLengthSize(stream_->codecpar);
  packet_ = makePacket();
  scratch_ = makeFrame();
  openCodec(/*allowHardware=*/true);
}

VideoDecoder::~VideoDecoder() { stopPool(); }

void VideoDecoder::stopPool() {
  if (pool_) {
    pool_->stop();
    for (const std::shared_ptr<GopJob>& job : segments_) {
      std::lock_guard lock(job->mu);
      job->cv.notify_all();
    }
    pool_.reset();
  }
  segments_.clear();
}

AVPixelFormat VideoDecoder::getFormat(AVCodecContext* ctx, const AVPixelFormat* fmts) {
  auto* self = static_cast<VideoDecoder*>(ctx->opaque);
  for (const AVPixelFormat* p = fmts; *p != AV_PIX_FMT_NONE; ++p) {
    if (self && *p == self->hwPixFmt_) return *p;
  }
  // The hardware cannot take this stream (profile, bit depth, chroma format): the
  // decoder continues in software with the first software format offered.
  return avcodec_default_get_format(ctx, fmts);
}

UniqueAVCodecContext VideoDecoder::makeContext(const AVCodec* codec) const {
  UniqueAVCodecContext ctx = makeCodecContext(codec, path_);
  check(avcodec_parameters_to_context(ctx.get(), stream_->codecpar), ErrorKind::InvalidMedia,
        "copy codec parameters", path_);
  ctx->pkt_timebase = stream_->time_base;
  ctx->skip_frame = discardFor(options_.skip);
  return ctx;
}

void VideoDecoder::openCodec(bool allowHardware) {
  const AVCodecParameters* par = stream_->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) {
    throw Error(ErrorKind::InvalidMedia, "find decoder", path_,
                std::string("unsupported codec ") + avcodec_get_name(par->codec_id));
  }

  hwDevice_.reset();
  hwPixFmt_ = AV_PIX_FMT_NONE;
  hwActive_ = false;
  const HwRequest req = parseHwaccel(options_.hwaccel);
  constexpr int kDeviceMethod = AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX;
  if (allowHardware && options_.device) {
    hwPixFmt_ = hardwarePixelFormat(codec, deviceType(options_.device), kDeviceMethod);
    if (hwPixFmt_ != AV_PIX_FMT_NONE) {
      hwDevice_.reset(av_buffer_ref(options_.device));
      if (!hwDevice_) throw std::bad_alloc();
    }
  } else if (allowHardware && !req.none) {
    const std::vector<AVHWDeviceType> types =
        req.automatic ? autoDeviceOrder() : std::vector<AVHWDeviceType>{req.type};
    for (AVHWDeviceType type : types) {
      UniqueAVBufferRef device = openDevice(type);
      if (!device) {
        if (!req.automatic) {
          throw Error(ErrorKind::HardwareUnavailable, "open hardware device", path_,
                      std::string("no usable '") + av_hwdevice_get_type_name(type) +
                          "' device on this machine");
        }
        continue;
      }
      hwPixFmt_ = hardwarePixelFormat(codec, type, kDeviceMethod);
      if (hwPixFmt_ != AV_PIX_FMT_NONE) {
        hwDevice_ = std::move(device);
        break;
      }
    }
  }

  for (int attempt = 0; attempt < 2; ++attempt) {
    UniqueAVCodecContext ctx = makeContext(codec);
    ctx->opaque = this;
    if (hwDevice_) {
      ctx->hw_device_ctx = av_buffer_ref(hwDevice_.get());
      if (!ctx->hw_device_ctx) throw std::bad_alloc();
      ctx->get_format = &VideoDecoder::getFormat;
      ctx->thread_count = 1;
      // Frames handed out on the device stay out of the decoder's pool meanwhile.
      if (options_.keepHardwareFrames) ctx->extra_hw_frames = 4;
    } else {
      ctx->thread_count = std::max(0, options_.threads);
      ctx->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    }
    const int ret = avcodec_open2(ctx.get(), codec, nullptr);
    if (ret >= 0) {
      codec_ = std::move(ctx);
      hwActive_ = hwDevice_ != nullptr;
      return;
    }
    if (!hwDevice_) {
      throw Error(ErrorKind::InvalidMedia, "open decoder", path_, avErrorText(ret), ret);
    }
    hwDevice_.reset();  // the device would not take this stream: software instead
    hwPixFmt_ = AV_PIX_FMT_NONE;
  }
}

void VideoDecoder::fallBackToSoftware(const char* why) {
  if (!hwActive_ || hwFellBack_) {
    throw Error(ErrorKind::Decode, "decode", path_, why);
  }
  hwFellBack_ = true;
  openCodec(/*allowHardware=*/false);
  hwaccelUsed_ = "none";
  codecEof_ = demuxEof_ = false;
  resetSampling();
  // Frames already queued stay valid; resume just after the last one, from the
  // keyframe before it.
  if (lastPtsTs_ != AV_NOPTS_VALUE) {
    resumeAfterTs_ = lastPtsTs_;
    av_seek_frame(fmt_.get(), stream_->index, lastPtsTs_, AVSEEK_FLAG_BACKWARD);
  } else {
    av_seek_frame(fmt_.get(), stream_->index, startTs_, AVSEEK_FLAG_BACKWARD);
  }
}

void VideoDecoder::setSampling(double fps) {
  sampleStep_ = fps > 0 && std::isfinite(fps) ? 1.0 / fps : 0.0;
  if (sampleStep_ > 0) countingIndex_ = false;
  resetSampling();
  windowBefore_ = -INFINITY;
}

void VideoDecoder::resetSampling() {
  window_.clear();
  selected_.clear();
  windowBytes_ = 0;
  windowEof_ = false;
  windowBefore_ = NAN;  // after a seek: what came before is unknown
}

void VideoDecoder::setSkip(SkipMode skip) {
  options_.skip = skip;
  if (skip != SkipMode::None) countingIndex_ = false;
  codec_->skip_frame = discardFor(skip);
}

int64_t VideoDecoder::toTicks(double seconds) const {
  // A hair of tolerance so pts values handed out round-trip to the same frame. Far-off
  // times (seek(1e300)) are clamped well inside int64: casting an out-of-range double is
  // undefined, and on x86 it turned "the end" into the first frame.
  constexpr double kLimit = 0x1p62;
  const double ticks = static_cast<double>(startTs_) +
                       std::floor(seconds * timeBase_.den / timeBase_.num + 1e-3);
  return std::isnan(ticks) ? startTs_ : static_cast<int64_t>(std::clamp(ticks, -kLimit, kLimit));
}

double VideoDecoder::toSeconds(int64_t ticks) const {
  // In double: a damaged stream's ticks and start time may be far apart enough to
  // overflow an int64 difference.
  return (static_cast<double>(ticks) - static_cast<double>(startTs_)) * av_q2d(timeBase_);
}

int64_t VideoDecoder::indexFor(int64_t ptsTs) const {
  if (!seenPts_.empty()) {
    auto it = std::lower_bound(seenPts_.begin(), seenPts_.end(), ptsTs);
    if (it != seenPts_.end() && *it == ptsTs) return it - seenPts_.begin();
  }
  return info_.fps > 0 ? static_cast<int64_t>(std::llround(toSeconds(ptsTs) * info_.fps)) : 0;
}

void VideoDecoder::maybeCheckInterrupt() {
  if (!options_.interruptCheck) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - lastCheck_ < std::chrono::milliseconds(100)) return;
  lastCheck_ = now;
  options_.interruptCheck();
}

void VideoDecoder::emit(AVFrame* decoded) {
  UniqueAVFrame out = makeFrame();
  if (hwPixFmt_ != AV_PIX_FMT_NONE && decoded->format == hwPixFmt_) {
    if (options_.keepHardwareFrames) {
      av_frame_move_ref(out.get(), decoded);
    } else {
      out = toSystemMemory(decoded);
      av_frame_unref(decoded);
      if (!out) {
        fallBackToSoftware("hardware frame transfer failed");
        return;
      }
    }
    hwaccelUsed_ = av_hwdevice_get_type_name(deviceType(hwDevice_.get()));
  } else {
    av_frame_move_ref(out.get(), decoded);
  }

  int64_t ts = frameTimestamp(out.get());
  if (ts == AV_NOPTS_VALUE) {
    if (lastPtsTs_ == AV_NOPTS_VALUE) {
      ts = startTs_;
    } else {
      int64_t step = frameDuration(out.get());
      if (step <= 0 && info_.fps > 0) {
        step = std::max<int64_t>(1, std::llround(1.0 / (info_.fps * av_q2d(timeBase_))));
      }
      ts = lastPtsTs_ + std::max<int64_t>(1, step);
    }
  }
  ++framesDecoded_;
  packetsSinceFrame_ = 0;
  if (resumeAfterTs_ != AV_NOPTS_VALUE) {
    if (ts <= resumeAfterTs_) return;
    resumeAfterTs_ = AV_NOPTS_VALUE;
  }

  DecodedFrame f;
  f.ptsTs = ts;
  f.pts = toSeconds(ts);
  f.keyFrame = frameIsKey(out.get());
  if (countingIndex_) {
    f.index = nextIndex_++;
    if (info_.vfr) seenPts_.push_back(ts);
  } else {
    f.index = indexFor(ts);
  }
  f.frame = shareFrame(std::move(out));
  lastPtsTs_ = ts;
  pending_.push_back(std::move(f));
}

bool VideoDecoder::receive() {
  bool got = false;
  int errors = 0;
  while (!codecEof_) {
    const int ret = avcodec_receive_frame(codec_.get(), scratch_.get());
    if (ret == 0) {
      const bool hw = hwActive_;
      emit(scratch_.get());
      av_frame_unref(scratch_.get());
      if (hw && !hwActive_) return got;  // fell back: the new decoder resumes after this
      got = true;
      continue;
    }
    if (ret == AVERROR(EAGAIN)) break;
    if (ret == AVERROR_EOF) {
      codecEof_ = true;
      break;
    }
    if (hwActive_ && framesDecoded_ == 0) {
      fallBackToSoftware("hardware decoder failed");
      return false;
    }
    ++decodeErrors_;
    if (++errors >= kMaxReceiveErrors) break;
  }
  return got;
}

bool VideoDecoder::readPacket(AVPacket* pkt) {
  int readErrors = 0;
  while (true) {
    maybeCheckInterrupt();
    const int ret = av_read_frame(fmt_.get(), pkt);
    if (ret < 0) {
      if (ret == AVERROR(EAGAIN)) continue;
      if (ret != AVERROR_EOF && ++readErrors < kMaxReadErrors && !avio_feof(fmt_->pb)) {
        ++decodeErrors_;
        continue;
      }
      return false;
    }
    readErrors = 0;
    if (pkt->stream_index == stream_->index) {
      ++packetsRead_;
      return true;
    }
    av_packet_unref(pkt);
  }
}

bool VideoDecoder::skipModeKeeps(const AVPacket* pkt) const {
  if (options_.skip == SkipMode::NonKey) return (pkt->flags & AV_PKT_FLAG_KEY) != 0;
  if (options_.skip == SkipMode::NonRef && nonRefFilter_) {
    return !packetIsNonReference(pkt, stream_->codecpar->codec_id, nalLengthSize_);
  }
  return true;
}

bool VideoDecoder::nextPacket(AVPacket* pkt) {
  if (sampleStep_ <= 0) {
    while (readPacket(pkt)) {
      if (skipModeKeeps(pkt)) return true;
      av_packet_unref(pkt);
      ++packetsSkipped_;
    }
    return false;
  }
  while (selected_.empty()) {
    if (!fillSelection()) return false;
  }
  av_packet_move_ref(pkt, selected_.front().get());
  selected_.pop_front();
  return true;
}

bool VideoDecoder::startsClosedGop(size_t i) const {
  // The packet after a keyframe in decode order shows after it: no leading pictures,
  // which in an open GOP reference the GOP before.
  const Lookahead& key = window_[i];
  return i + 1 < window_.size() && std::isfinite(key.t) &&
         window_[i + 1].t >= key.t &&
         packetIsClosedKey(key.packet.get(), stream_->codecpar->codec_id, nalLengthSize_);
}

bool VideoDecoder::fillSelection() {
  while (true) {
    if (windowEof_) {
      if (window_.empty()) return false;
      selectWindow(window_.size(), INFINITY, false);
      return true;
    }
    UniqueAVPacket pkt = makePacket();
    if (!readPacket(pkt.get())) {
      windowEof_ = true;
      continue;
    }
    if (!skipModeKeeps(pkt.get())) {
      ++packetsSkipped_;
      continue;
    }
    const int64_t ts = pkt->pts;
    const AVCodecID codec = stream_->codecpar->codec_id;
    // What SkipMode::NonRef kept is referenced; otherwise the packet tells.
    const bool ref = options_.skip == SkipMode::NonRef ||
                     !(nonRefFilter_ && packetIsNonReference(pkt.get(), codec, nalLengthSize_));
    const bool params = nonRefFilter_ && packetHasParameterSets(pkt.get(), codec, nalLengthSize_);
    windowBytes_ += static_cast<size_t>(std::max(0, pkt->size));
    window_.push_back({std::move(pkt), ts == AV_NOPTS_VALUE ? NAN : toSeconds(ts), ref, params});
    // A closed GOP starting at the packet before this one ends the window before it.
    const size_t n = window_.size();
    if (n >= 3 && startsClosedGop(n - 2)) {
      selectWindow(n - 2, window_[n - 2].t, false);
      return true;
    }
    if (n > kMaxLookaheadPackets || windowBytes_ > kMaxLookaheadBytes) {
      selectWindow(n, NAN, true);
      return true;
    }
  }
}

// Decides window_[0, end): the frames some tick picks, the referenceable frames before
// the last of them in decode order (what they may depend on) and nothing else go to the
// decoder. `after`: the time of the frame following the window (+inf at the end, NaN
// unknown); `all`: take every packet (the window is cut short).
void VideoDecoder::selectWindow(size_t end, double after, bool all) {
  std::vector<char> want(end, 1);
  bool timed = true;
  double last = -INFINITY;
  for (size_t i = 0; i < end; ++i) {
    timed = timed && std::isfinite(window_[i].t);
    if (timed) last = std::max(last, window_[i].t);
  }
  if (!all && timed) {
    std::vector<size_t> order(end);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return window_[x].t < window_[y].t; });
    std::vector<double> times(end);
    for (size_t i = 0; i < end; ++i) times[i] = window_[order[i]].t;
    std::vector<char> sortedWant;
    markNearestToTicks(times, windowBefore_, after, sampleStep_, sortedWant);
    for (size_t i = 0; i < end; ++i) want[order[i]] = sortedWant[i];
  }
  windowEndsSegment_ = !std::isnan(after);
  windowWantsAll_ = !timed;
  windowWanted_.clear();
  if (pool_) {  // the GOP decoders hand back only these frames
    for (size_t i = 0; i < end; ++i) {
      if (want[i]) windowWanted_.push_back(window_[i].packet->pts);
    }
    std::sort(windowWanted_.begin(), windowWanted_.end());
  }
  // A window no tick picks from is left out whole, unless its first packet carries
  // parameter sets in-band (Annex B) that later windows might rely on.
  ptrdiff_t lastWanted = window_[0].carriesParameterSets ? 0 : -1;
  for (size_t i = 0; i < end; ++i) {
    if (want[i]) lastWanted = static_cast<ptrdiff_t>(i);
  }
  for (size_t i = 0; i < end; ++i) {
    windowBytes_ -= static_cast<size_t>(std::max(0, window_[i].packet->size));
    if (want[i] || (window_[i].ref && static_cast<ptrdiff_t>(i) <= lastWanted)) {
      selected_.push_back(std::move(window_[i].packet));
    } else {
      ++packetsSkipped_;
    }
  }
  window_.erase(window_.begin(), window_.begin() + static_cast<ptrdiff_t>(end));
  windowBefore_ = timed ? last : NAN;
}

bool VideoDecoder::endOfStream() {
  if (framesDecoded_ == 0 && !seeked_) {
    throw Error(ErrorKind::Decode, "decode", path_,
                "no frame could be decoded (" + std::to_string(packetsRead_) +
                    " packets read, " + std::to_string(decodeErrors_) + " errors)");
  }
  return false;
}

bool VideoDecoder::decodeOne() {
  if (!poolChecked_) {
    poolChecked_ = true;
    pool_ = makePool();
  }
  if (pool_) return decodeParallel();
  const size_t before = pending_.size();
  while (true) {
    maybeCheckInterrupt();
    if (pending_.size() > before) return true;
    if (receive() && pending_.size() > before) return true;
    if (codecEof_) return endOfStream();
    if (demuxEof_) {
      // Draining: the codec has had its flush packet; receive() reaches EOF.
      continue;
    }
    if (!nextPacket(packet_.get())) {
      demuxEof_ = true;
      avcodec_send_packet(codec_.get(), nullptr);  // enter draining mode
      continue;
    }
    PacketUnrefGuard guard(packet_.get());
    if (packet_->flags & AV_PKT_FLAG_CORRUPT) ++decodeErrors_;
    const int sent = avcodec_send_packet(codec_.get(), packet_.get());
    if (sent < 0 && sent != AVERROR(EAGAIN) && sent != AVERROR_EOF) {
      if (hwActive_ && sent != AVERROR_INVALIDDATA) {
        fallBackToSoftware("hardware decoder rejected a packet");
        continue;
      }
      ++decodeErrors_;  // a corrupt packet: skipped and counted
    }
    if (++packetsSinceFrame_ > kMaxPacketsWithoutFrame && framesDecoded_ == 0) {
      throw Error(ErrorKind::Decode, "decode", path_,
                  "no frame decoded after " + std::to_string(packetsSinceFrame_) + " packets");
    }
  }
}

std::unique_ptr<GopPool> VideoDecoder::makePool() {
  // Sampled software decoding from the start, with parameter sets out of band (or no
  // H.264/HEVC), more than one thread allowed, and picks at most every fourth frame: a
  // decoder ahead of the analyzer pauses after two picks, so with denser picks the pool
  // would wait more than it decodes (frame threads serve those better).
  // One decoder per thread asked for (all cores for 0), at most kMaxGopDecoders: each
  // holds its own reference frames.
  const int workers =
      std::min(options_.threads > 0 ? options_.threads : av_cpu_count(), kMaxGopDecoders);
  if (info_.fps <= 0 || sampleStep_ * info_.fps < 4 || hwActive_ || seeked_ ||
      packetsRead_ > 0 || workers < 2 ||
      (nonRefFilter_ && stream_->codecpar->extradata_size <= 0)) {
    return nullptr;
  }
  std::vector<UniqueAVCodecContext> contexts;
  for (int i = 0; i < workers; ++i) {
    UniqueAVCodecContext ctx = makeContext(codec_->codec);
    ctx->thread_count = 1;
    if (avcodec_open2(ctx.get(), codec_->codec, nullptr) < 0) return nullptr;
    contexts.push_back(std::move(ctx));
  }
  gopDecoders_ = workers;
  return std::make_unique<GopPool>(std::move(contexts));
}

bool VideoDecoder::startSegment() {
  while (true) {
    if (!fillSelection()) {
      demuxEof_ = true;
      return false;
    }
    if (!windowEndsSegment_) {
      // A GOP longer than the read-ahead: one decoder takes it (and the rest) from here.
      poolRetiring_ = true;
      return false;
    }
    if (selected_.empty()) continue;  // nothing picked in this GOP
    auto job = std::make_shared<GopJob>();
    job->all = windowWantsAll_;
    job->wanted = windowWanted_;
    while (!selected_.empty()) {
      job->sent.push_back(selected_.front()->pts);
      job->packets.push_back(std::move(selected_.front()));
      selected_.pop_front();
    }
    std::sort(job->sent.begin(), job->sent.end());
    pool_->submit(job);
    segments_.push_back(std::move(job));
    return true;
  }
}

bool VideoDecoder::decodeParallel() {
  const size_t before = pending_.size();
  while (true) {
    maybeCheckInterrupt();
    while (!poolRetiring_ && !demuxEof_ && segments_.size() < pool_->size()) {
      if (!startSegment()) break;
    }
    if (segments_.empty()) {
      if (poolRetiring_) {
        stopPool();  // the rest (already in selected_) goes to the main decoder
        return decodeOne();
      }
      codecEof_ = true;
      return endOfStream();
    }
    GopJob& job = *segments_.front();
    UniqueAVFrame frame;
    bool finished = false;
    {
      std::unique_lock lock(job.mu);
      job.cv.wait_for(lock, std::chrono::milliseconds(100),
                      [&] { return !job.frames.empty() || job.done; });
      if (!job.frames.empty()) {
        frame = std::move(job.frames.front());
        job.frames.pop_front();
        ++job.handedOut;
        job.cv.notify_all();  // a paused worker may go on
      } else {
        finished = job.done;
      }
    }
    if (frame) {
      emit(frame.get());
      if (pending_.size() > before) return true;
      continue;
    }
    if (!finished) continue;
    if (job.failure) std::rethrow_exception(job.failure);
    framesDecoded_ += job.decoded - job.handedOut;  // emit() counted those handed out
    decodeErrors_ += job.errors;
    segments_.pop_front();
  }
}

bool VideoDecoder::next(DecodedFrame& out) {
  if (pending_.empty() && !decodeOne()) return false;
  out = std::move(pending_.front());
  pending_.pop_front();
  return true;
}

bool VideoDecoder::shouldSeek(int64_t targetTs) {
  if (!pending_.empty()) {
    if (targetTs < pending_.front().ptsTs) return pending_.front().index != 0 || seeked_;
  } else if (lastPtsTs_ != AV_NOPTS_VALUE && targetTs <= lastPtsTs_) {
    return true;  // the frame shown at t was already handed out
  }
  const int64_t current =
      !pending_.empty() ? pending_.front().ptsTs : (lastPtsTs_ != AV_NOPTS_VALUE ? lastPtsTs_ : startTs_);
  if (codecEof_ && pending_.empty()) return false;  // at the end: nothing further to find
  const int idx = av_index_search_timestamp(stream_, targetTs, AVSEEK_FLAG_BACKWARD);
  if (idx >= 0) {
    const AVIndexEntry* e = avformat_index_get_entry(stream_, idx);
    return e && e->timestamp > current;
  }
  // No index: decoding forward beats a blind seek for short hops.
  return toSeconds(targetTs) - toSeconds(current) > 2.0;
}

void VideoDecoder::demuxSeek(int64_t targetTs) {
  const double tb = av_q2d(timeBase_);
  int64_t backoff = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int64_t seekTs = std::max<int64_t>(targetTs - backoff, INT64_MIN / 2);
    int ret = av_seek_frame(fmt_.get(), stream_->index, seekTs, AVSEEK_FLAG_BACKWARD);
    if (ret < 0) {
      ret = avformat_seek_file(fmt_.get(), stream_->index, INT64_MIN, seekTs, seekTs, 0);
    }
    if (ret < 0) {
      throw Error(ErrorKind::Decode, "seek", path_, avErrorText(ret), ret);
    }
    avcodec_flush_buffers(codec_.get());
    pending_.clear();
    stopPool();  // after a seek: one decoder
    poolChecked_ = true;
    poolRetiring_ = false;
    resetSampling();
    demuxEof_ = codecEof_ = false;
    seeked_ = true;
    countingIndex_ = false;
    lastPtsTs_ = AV_NOPTS_VALUE;
    if (!decodeOne()) return;
    // Landed after the target (an index that is coarse or keyframes not flagged):
    // back off further, up to the stream's start.
    if (pending_.front().ptsTs <= targetTs || seekTs <= startTs_) return;
    backoff = std::max<int64_t>(backoff * 2, static_cast<int64_t>(1.0 / tb));
  }
}

void VideoDecoder::seek(double t) {
  const int64_t targetTs = toTicks(std::max(0.0, t));
  if (shouldSeek(targetTs)) demuxSeek(targetTs);
  for (int pass = 0; pass < 2; ++pass) {
    while (true) {
      if (pending_.empty() && !decodeOne()) break;
      if (pending_.front().ptsTs > targetTs) return;  // t precedes the first frame here
      if (pending_.size() < 2 && !decodeOne()) return;
      if (pending_.size() < 2) return;  // the last frame of the stream
      if (pending_[1].ptsTs > targetTs) return;
      pending_.pop_front();
    }
    // Ran off the end: t is past the last frame, which stays displayed. Step back to it.
    if (lastPtsTs_ == AV_NOPTS_VALUE || pass == 1) return;
    const int64_t last = lastPtsTs_;
    demuxSeek(last);
    while (!pending_.empty() || decodeOne()) {
      if (pending_.front().ptsTs >= last) return;
      pending_.pop_front();
    }
    return;
  }
}

}  // namespace autocut
