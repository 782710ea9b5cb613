#include "analysis/analyzer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "ffmpeg/ffmpeg.h"
#include "media/decoder.h"
#include "metrics/frame_metrics.h"
#include "metrics/image.h"
#include "metrics/temporal.h"
#include "metrics/translation.h"

namespace autocut {

namespace {

using Clock = std::chrono::steady_clock;

// Sampled analysis stops at this tick (over 30 years at 1000 samples/s): a frame time
// beyond it is a garbage timestamp, and tick numbers stay exact in a double.
constexpr double kMaxTicks = 1e12;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Per-frame metrics of one clip, in decode order. Owns the reused analysis images, the
// downscaler and the translation estimator, so the per-frame path allocates nothing.
class FrameAnalyzer {
 public:
  FrameAnalyzer(ClipAnalysis& out, int analysisSize) : out_(out), analysisSize_(analysisSize) {}

  void add(const AVFrame* f, double t) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
    if (!desc || (desc->flags & AV_PIX_FMT_FLAG_RGB) || (desc->flags & AV_PIX_FMT_FLAG_PAL)) {
      throw Error(ErrorKind::InvalidMedia, "analyze", out_.path,
                  std::string("unsupported pixel format ") + (desc ? desc->name : "?"));
    }
    // Samples kept in the high bits (P010) read as 16-bit: the 8-bit mapping stays exact.
    const int depth = desc->comp[0].depth + desc->comp[0].shift;
    const bool limited = !isFullRange(f, desc);

    PlaneView luma{f->data[0], f->width, f->height, f->linesize[0], depth};
    if (f->width != frameWidth_ || f->height != frameHeight_) {
      // A new picture size (the first frame, a stream that changes resolution, or a
      // damaged frame): a grid for it, and no motion measured against the other size.
      frameWidth_ = f->width;
      frameHeight_ = f->height;
      grid_ = analysisGrid(f->width, f->height, analysisSize_);
      if (out_.gridWidth == 0) {
        out_.gridWidth = grid_.width;
        out_.gridHeight = grid_.height;
      }
      havePrev_ = false;
    }
    GrayImage& cur = images_[curSlot_];
    downscaler_.run(luma, grid_.width, grid_.height, limited, cur);
    const GrayView view = cur.view();

    const Exposure e = exposure(view);
    out_.times.push_back(t);
    out_.sharpness.push_back(static_cast<float>(sharpness(view)));
    out_.brightness.push_back(static_cast<float>(e.brightness));
    out_.contrast.push_back(static_cast<float>(e.contrast));
    out_.underexposed.push_back(static_cast<float>(e.underexposed));
    out_.overexposed.push_back(static_cast<float>(e.overexposed));
    out_.noise.push_back(static_cast<float>(noiseSigma(view)));
    out_.colorfulness.push_back(static_cast<float>(chromaColorfulness(f, desc, depth, limited)));

    const LumaHistogram hist = lumaHistogram(view);
    if (havePrev_) {
      const GrayView prev = images_[1 - curSlot_].view();
      const double dt = std::max(t - prevTime_, 1e-3);
      // The previous frame was this estimator's last `cur`: its pyramid is reused.
      const Translation tr = prevEstimated_ ? translation_.estimateNext(prev, view)
                                            : translation_.estimate(prev, view);
      const double mc = motionCompensatedMad(prev, view, tr);
      out_.motion.push_back(static_cast<float>(meanAbsDiff(prev, view) / dt));
      out_.motionX.push_back(static_cast<float>(tr.dx / dt));
      out_.motionY.push_back(static_cast<float>(tr.dy / dt));
      out_.sceneScore.push_back(
          static_cast<float>(autocut::sceneScore(prevHist_, hist, mc, prevContrast_, e.contrast)));
      prevEstimated_ = true;
    } else {
      prevEstimated_ = false;
      out_.motion.push_back(0.0f);
      out_.motionX.push_back(0.0f);
      out_.motionY.push_back(0.0f);
      out_.sceneScore.push_back(0.0f);
    }
    prevHist_ = hist;
    prevContrast_ = e.contrast;
    prevTime_ = t;
    havePrev_ = true;
    curSlot_ = 1 - curSlot_;
  }

 private:
  static bool isFullRange(const AVFrame* f, const AVPixFmtDescriptor* desc) {
    if (f->color_range == AVCOL_RANGE_JPEG) return true;
    const std::string name = desc->name;
    return name.rfind("yuvj", 0) == 0;
  }

  // Colorfulness from the chroma planes, read with a step that keeps the number of
  // samples comparable across resolutions. Interleaved UV (hardware NV12/P010) is split
  // into scratch planes first.
  double chromaColorfulness(const AVFrame* f, const AVPixFmtDescriptor* desc, int depth,
                            bool limited) {
    if (desc->nb_components < 3) return 0.0;
    const int cw = AV_CEIL_RSHIFT(f->width, desc->log2_chroma_w);
    const int ch = AV_CEIL_RSHIFT(f->height, desc->log2_chroma_h);
    const int step = std::max(1, std::min(cw, ch) / std::max(1, analysisSize_));
    if (desc->comp[1].plane != desc->comp[2].plane) {
      PlaneView u{f->data[desc->comp[1].plane], cw, ch, f->linesize[desc->comp[1].plane], depth};
      PlaneView v{f->data[desc->comp[2].plane], cw, ch, f->linesize[desc->comp[2].plane], depth};
      return colorfulness(chromaStats(u, v, limited, step));
    }
    const int bytes = depth > 8 ? 2 : 1;
    const int sw = (cw + step - 1) / step, sh = (ch + step - 1) / step;
    uScratch_.resize(static_cast<size_t>(sw) * sh * bytes);
    vScratch_.resize(uScratch_.size());
    const int plane = desc->comp[1].plane;
    for (int y = 0; y < sh; ++y) {
      const uint8_t* row = f->data[plane] + static_cast<ptrdiff_t>(y) * step * f->linesize[plane];
      for (int x = 0; x < sw; ++x) {
        const uint8_t* px = row + static_cast<ptrdiff_t>(x) * step * 2 * bytes;
        for (int b = 0; b < bytes; ++b) {
          uScratch_[(static_cast<size_t>(y) * sw + x) * bytes + b] = px[b];
          vScratch_[(static_cast<size_t>(y) * sw + x) * bytes + b] = px[bytes + b];
        }
      }
    }
    PlaneView u{uScratch_.data(), sw, sh, static_cast<ptrdiff_t>(sw) * bytes, depth};
    PlaneView v{vScratch_.data(), sw, sh, static_cast<ptrdiff_t>(sw) * bytes, depth};
    return colorfulness(chromaStats(u, v, limited, 1));
  }

  ClipAnalysis& out_;
  int analysisSize_;
  AreaDownscaler downscaler_;
  TranslationEstimator translation_;
  GrayImage images_[2];
  int curSlot_ = 0;
  bool havePrev_ = false;
  bool prevEstimated_ = false;  // the previous frame was the last translation's `cur`
  int frameWidth_ = 0, frameHeight_ = 0;  // of the last frame; its grid:
  GridSize grid_{};
  LumaHistogram prevHist_{};
  double prevContrast_ = 0.0;
  double prevTime_ = 0.0;
  std::vector<uint8_t> uScratch_, vScratch_;
};

// Frames handed from the decoding thread to the metrics worker. Bounded, so at most a
// few decoded frames are alive beyond the decoder's own.
class FrameQueue {
 public:
  explicit FrameQueue(size_t capacity) : capacity_(capacity) {}

  // Returns false when the consumer has failed (stop producing).
  bool push(std::shared_ptr<AVFrame> frame, double t) {
    std::unique_lock lock(mu_);
    notFull_.wait(lock, [&] { return items_.size() < capacity_ || failed_; });
    if (failed_) return false;
    items_.push_back({std::move(frame), t});
    notEmpty_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    notEmpty_.notify_all();
  }
  // Either side gave up: wake both, drop what is queued.
  void fail() {
    std::lock_guard lock(mu_);
    failed_ = true;
    items_.clear();
    notFull_.notify_all();
    notEmpty_.notify_all();
  }
  // Blocks for the next item; false when closed and drained.
  bool pop(std::shared_ptr<AVFrame>& frame, double& t) {
    std::unique_lock lock(mu_);
    notEmpty_.wait(lock, [&] { return !items_.empty() || closed_ || failed_; });
    if (items_.empty() || failed_) return false;
    frame = std::move(items_.front().first);
    t = items_.front().second;
    items_.pop_front();
    notFull_.notify_one();
    return true;
  }

 private:
  size_t capacity_;
  std::mutex mu_;
  std::condition_variable notFull_, notEmpty_;
  std::deque<std::pair<std::shared_ptr<AVFrame>, double>> items_;
  bool closed_ = false;
  bool failed_ = false;
};

SkipMode chooseSkip(const AnalyzeOptions& o, const VideoDecoder& dec, std::string& name) {
  if (o.skip != "auto") {
    const SkipMode m = parseSkip(o.skip);
    name = o.skip;
    return m;
  }
  name = "none";
  if (o.sampleFps <= 0) return SkipMode::None;
  const double interval = 1.0 / o.sampleFps;
  const double gop = dec.keyframeInterval();
  if (gop > 0 && interval >= gop) {
    name = "nonkey";  // sparser than the keyframes: they alone serve every tick
    return SkipMode::NonKey;
  }
  // At most every other frame is wanted: drop the unreferenced ones, where the decoder
  // can tell them from their packets (so the read-ahead knows which frames will come out;
  // elsewhere it finds the frames to leave out from the ticks alone).
  if (dec.info().fps > 0 && o.sampleFps <= dec.info().fps / 2 && dec.filtersNonReference()) {
    name = "nonref";
    return SkipMode::NonRef;
  }
  return SkipMode::None;
}

}  // namespace

ClipAnalysis analyzeClip(const InputSource& source, const AnalyzeOptions& options) {
  const auto t0 = Clock::now();
  const std::string& path = source.name;
  if (options.sampleFps < 0 || !std::isfinite(options.sampleFps)) {
    throw Error(ErrorKind::InvalidArgument, "analyze", path, "sample_fps must be positive");
  }
  if (options.analysisSize < 16) {
    throw Error(ErrorKind::InvalidArgument, "analyze", path, "analysis_size must be >= 16");
  }
  DecoderOptions dopts;
  dopts.hwaccel = options.hwaccel;
  dopts.threads = options.threads;
  dopts.interruptCheck = options.interruptCheck;
  VideoDecoder decoder(source, dopts);

  ClipAnalysis out;
  out.path = path;
  out.info = decoder.info();
  out.sampleFps = options.sampleFps;
  out.analysisSize = options.analysisSize;
  out.threads = options.threads;
  decoder.setSkip(chooseSkip(options, decoder, out.skipUsed));
  // "auto" also lets the decoder leave out what no tick picks (same frames analysed); an
  // explicit mode decodes exactly what it names.
  if (options.sampleFps > 0 && options.skip == "auto") decoder.setSampling(options.sampleFps);

  FrameAnalyzer analyzer(out, options.analysisSize);
  FrameQueue queue(3);
  std::exception_ptr workerError;
  double metricsS = 0.0;
  std::thread worker([&] {
    try {
      std::shared_ptr<AVFrame> f;
      double t = 0.0;
      while (queue.pop(f, t)) {
        const auto m0 = Clock::now();
        analyzer.add(f.get(), t);
        f.reset();
        metricsS += secondsSince(m0);
      }
    } catch (...) {
      workerError = std::current_exception();
      queue.fail();
    }
  });

  const int64_t expected = std::max<int64_t>(out.info.frameCount, 1);
  auto lastReport = Clock::now();
  bool ok = true;
  int64_t outOfOrder = 0;  // frames behind the last analysed one (damaged timestamps)
  try {
    const bool sampled = options.sampleFps > 0;
    const double tick = sampled ? 1.0 / options.sampleFps : 0.0;
    int64_t k = 0;  // next tick index
    std::optional<DecodedFrame> candidate;  // the frame before the next tick
    int64_t lastQueued = AV_NOPTS_VALUE;  // a frame serving several ticks is analysed once
    // The metrics need frames in time order: one a damaged stream hands out behind the
    // last analysed frame (timestamps running backwards) is skipped and counted as an error.
    auto enqueue = [&](const DecodedFrame& f) {
      if (f.ptsTs == lastQueued) return;
      if (lastQueued != AV_NOPTS_VALUE && f.ptsTs < lastQueued) {
        ++outOfOrder;
        return;
      }
      lastQueued = f.ptsTs;
      ok = queue.push(f.frame, f.pts);
    };
    DecodedFrame f;
    while (ok) {
      const auto d0 = Clock::now();
      const bool got = decoder.next(f);
      out.decodeS += secondsSince(d0);
      if (!got) break;
      if (!sampled) {
        enqueue(f);
      } else {
        // Every tick at or before this frame gets whichever neighbour is nearer. A run of
        // ticks picking the same frame is stepped over at once, so a jump in the
        // timestamps costs no loop iteration per tick (a garbage one would hang here).
        while (ok && k <= kMaxTicks && f.pts >= k * tick) {
          const double t = k * tick;
          const bool prevNearer = candidate && (t - candidate->pts) < (f.pts - t);
          enqueue(prevNearer ? *candidate : f);
          // The next tick that may pick otherwise: past the midpoint, or past this frame.
          const double until = prevNearer ? (candidate->pts + f.pts) / 2 : f.pts;
          k = std::max(k + 1, static_cast<int64_t>(std::min(std::floor(until / tick), kMaxTicks)));
        }
        candidate = f;
      }
      if (Clock::now() - lastReport > std::chrono::milliseconds(100)) {
        lastReport = Clock::now();
        if (options.interruptCheck) options.interruptCheck();
        if (options.progress) options.progress(decoder.framesDecoded(), expected);
      }
    }
    // The last tick before the end falls after the final frame: it is still the nearest.
    if (ok && sampled && candidate && k * tick - candidate->pts < tick / 2) enqueue(*candidate);
  } catch (...) {
    queue.fail();
    worker.join();
    throw;
  }
  queue.close();
  worker.join();
  if (workerError) std::rethrow_exception(workerError);

  out.framesDecoded = decoder.framesDecoded();
  out.packetsRead = decoder.packetsRead();
  out.packetsSkipped = decoder.packetsSkipped();
  out.gopDecoders = decoder.gopDecoders();
  out.framesAnalyzed = static_cast<int64_t>(out.times.size());
  out.decodeErrors = decoder.decodeErrors() + outOfOrder;
  out.hwaccelUsed = decoder.hwaccelUsed();

  const std::vector<int> cuts = autocut::sceneCuts(out.times, out.sceneScore);
  for (int i : cuts) out.sceneCuts.push_back(out.times[static_cast<size_t>(i)]);
  out.shake = autocut::shake(out.times, out.motionX, out.motionY, cuts);
  out.quality = autocut::quality(out.sharpness, out.brightness, out.underexposed,
                                 out.overexposed, out.noise, out.shake);
  if (options.progress) options.progress(out.framesDecoded, out.framesDecoded);

  out.metricsS = metricsS;
  out.elapsedS = secondsSince(t0);
  return out;
}

}  // namespace autocut
