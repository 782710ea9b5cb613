// VideoDecoder: streaming decode of one video stream with bounded memory.
//
// Frames come out in presentation order as refcounted software AVFrames (hardware
// frames are mapped or transferred first, unless the caller keeps them on the device).
// Memory is bounded by decoder threads x frame size, never by clip length. One decoder is
// used by one thread at a time; separate decoders in separate threads run in parallel.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ffmpeg/ffmpeg.h"
#include "media/probe.h"

namespace autocut {

// decoder.cpp: single-threaded decoders taking turns on closed GOPs, and one GOP's work.
class GopPool;
struct GopJob;

enum class SkipMode { None, NonRef, NonKey };
SkipMode parseSkip(const std::string& name);  // "none" | "nonref" | "nonkey"

struct DecoderOptions {
  std::string hwaccel = "auto";  // "auto" | "none" | a device type ("cuda", "vaapi", ...)
  int threads = 0;               // 0: all cores; frame + slice threading
  SkipMode skip = SkipMode::None;
  // A hardware device to decode on instead of opening one (not owned; must outlive the
  // decoder). Used alone: when the codec cannot decode on it, software decoding.
  AVBufferRef* device = nullptr;
  // Hand out hardware frames as they are (DecodedFrame::frame is then a device frame,
  // see isHardwareFrame) instead of copying them to system memory: for consumers that
  // keep frames on the device (the renderer).
  bool keepHardwareFrames = false;
  // Called about every 100 ms of work inside long calls; may throw to abort (the
  // Python layer throws on Ctrl-C). Must be cheap when nothing is pending.
  std::function<void()> interruptCheck;
};

struct DecodedFrame {
  // A software frame (a device frame only with keepHardwareFrames); shared so views
  // can outlive the decoder.
  std::shared_ptr<AVFrame> frame;
  double pts = 0.0;                // seconds from the stream's start (real timestamps)
  int64_t ptsTs = 0;               // the same in stream time base ticks (absolute)
  int64_t index = 0;               // frame number in presentation order
  bool keyFrame = false;
};

class VideoDecoder {
 public:
  // `source` is a path or custom read/seek callbacks (see InputSource).
  VideoDecoder(const InputSource& source, DecoderOptions options);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  // ---- Reading -------------------------------------------------------------------
  // The next frame in presentation order; false at the end of the stream.
  bool next(DecodedFrame& out);
  // Positions the stream so next() returns the frame displayed at time t (the last
  // frame with pts <= t; the first frame when t precedes it). Seeks the demuxer only
  // when t is behind the current position or past the next keyframe; otherwise decodes
  // forward.
  void seek(double t);

  // ---- Settings ------------------------------------------------------------------
  // Changes which frames the decoder skips from the next packet on (used by sampled
  // analysis: keyframes only when sparse enough).
  void setSkip(SkipMode skip);
  SkipMode skip() const noexcept { return options_.skip; }
  // Sampled decoding (0: off). next() then still returns, for each tick k / fps
  // (k = 0, 1, ...), the frame nearest to it among those the skip mode keeps (the later
  // one on a tie, see media/ticks.h), but may leave out any frame no tick picks. Packets
  // are read ahead up to the next keyframe that starts a closed GOP (bounded), so what
  // nothing picked depends on is never decoded: the GOP's tail after its last picked
  // frame in decode order, and unpicked frames no other frame references. Call before
  // the first next().
  void setSampling(double fps);

  // ---- State ---------------------------------------------------------------------
  const MediaInfo& info() const noexcept { return info_; }
  const std::string& path() const noexcept { return path_; }
  // "none" or the hardware device type that decoded the frames so far.
  const std::string& hwaccelUsed() const noexcept { return hwaccelUsed_; }
  int64_t decodeErrors() const noexcept { return decodeErrors_; }
  int64_t framesDecoded() const noexcept { return framesDecoded_; }
  int64_t packetsRead() const noexcept { return packetsRead_; }
  // Packets read but never given to the decoder (skip mode and sampling).
  int64_t packetsSkipped() const noexcept { return packetsSkipped_; }
  // Single-threaded decoders that took turns on GOPs (sampled decoding; 0: none).
  int gopDecoders() const noexcept { return gopDecoders_; }
  AVRational timeBase() const noexcept { return timeBase_; }
  // Whether SkipMode::NonRef drops packets before the decoder (H.264, HEVC) rather than
  // leaving non-reference frames to the decoder to discard.
  bool filtersNonReference() const noexcept { return nonRefFilter_; }
  // Seconds between keyframes, estimated from the container index (0 when unknown).
  double keyframeInterval() const noexcept { return keyframeInterval_; }

 private:
  // A codec context with the stream's parameters, time base and skip mode (not opened).
  UniqueAVCodecContext makeContext(const AVCodec* codec) const;
  void openCodec(bool allowHardware);
  static AVPixelFormat getFormat(AVCodecContext* ctx, const AVPixelFormat* fmts);
  bool decodeOne();  // appends at least one frame to pending_; false at end of stream
  bool endOfStream();  // false; throws when the stream gave no frame at all
  bool readPacket(AVPacket* pkt);        // the stream's next packet; false at the end
  bool skipModeKeeps(const AVPacket* pkt) const;
  bool nextPacket(AVPacket* pkt);        // the next packet for the decoder; false at the end
  bool fillSelection();                  // reads ahead until selected_ has packets
  bool startsClosedGop(size_t i) const;  // window_[i] is a keyframe nothing after it
                                         // needs anything before it for
  void selectWindow(size_t end, double after, bool all);
  void resetSampling();
  std::unique_ptr<GopPool> makePool();  // null when sampled decoding keeps one decoder
  void stopPool();                       // stops and joins its workers
  bool decodeParallel();    // decodeOne() with the GOP pool
  bool startSegment();      // hands the next closed GOP to the pool; false: none started
  bool receive();    // drains one frame from the codec into pending_ if available
  void emit(AVFrame* frame);
  void demuxSeek(int64_t targetTs);
  bool shouldSeek(int64_t targetTs);
  void fallBackToSoftware(const char* why);
  int64_t toTicks(double seconds) const;
  double toSeconds(int64_t ticks) const;
  int64_t indexFor(int64_t ptsTs) const;
  void maybeCheckInterrupt();

  std::string path_;
  DecoderOptions options_;
  MediaInfo info_;
  Input fmt_;
  UniqueAVCodecContext codec_;
  UniqueAVPacket packet_;
  UniqueAVFrame scratch_;
  UniqueAVBufferRef hwDevice_;
  AVPixelFormat hwPixFmt_ = AV_PIX_FMT_NONE;
  bool hwActive_ = false;       // codec opened with a device
  bool hwFellBack_ = false;     // already fell back once
  std::string hwaccelUsed_ = "none";
  AVStream* stream_ = nullptr;
  AVRational timeBase_{1, 1};
  int64_t startTs_ = 0;
  double keyframeInterval_ = 0.0;
  // H.264/HEVC: with SkipMode::NonRef, packets of non-reference pictures are dropped
  // before the decoder (frame threads then only take pictures that are output).
  bool nonRefFilter_ = false;
  int nalLengthSize_ = 0;  // 0: Annex B start codes

  // Sampled decoding (setSampling): packets read ahead, from the first one not yet
  // decided up to the keyframe that ends their window, and those chosen to decode.
  struct Lookahead {
    UniqueAVPacket packet;
    double t;   // seconds (NaN: no timestamp)
    bool ref;   // may be referenced by other frames (false only when known)
    bool carriesParameterSets;  // H.264/HEVC SPS/PPS in the packet
  };
  double sampleStep_ = 0.0;  // seconds between ticks; 0: off
  std::deque<Lookahead> window_;
  std::deque<UniqueAVPacket> selected_;
  size_t windowBytes_ = 0;
  bool windowEof_ = false;
  double windowBefore_ = 0.0;  // time of the last frame before window_ (-inf: none)
  // The window selectWindow decided last: whether it ends a segment (a closed GOP or
  // the stream, not a read-ahead cut short) and the timestamps of its picked packets.
  bool windowEndsSegment_ = false;
  bool windowWantsAll_ = false;
  std::vector<int64_t> windowWanted_;
  // Sampled software decoding with several threads: each segment is decoded by one of a
  // pool of single-threaded decoders (segments_ in order, at most one per worker).
  std::deque<std::shared_ptr<GopJob>> segments_;
  std::unique_ptr<GopPool> pool_;
  bool poolChecked_ = false;
  bool poolRetiring_ = false;  // a segment outgrew the read-ahead: one decoder from here
  int gopDecoders_ = 0;

  std::deque<DecodedFrame> pending_;
  bool demuxEof_ = false;
  bool codecEof_ = false;
  bool seeked_ = false;
  // Frame numbers count decoded frames while every frame is decoded from the start;
  // after a seek or with skipping they are derived from pts.
  bool countingIndex_ = true;
  int64_t nextIndex_ = 0;
  int64_t lastPtsTs_ = AV_NOPTS_VALUE;  // last frame put into pending_
  int64_t resumeAfterTs_ = AV_NOPTS_VALUE;  // after a fallback: drop frames up to here
  std::vector<int64_t> seenPts_;        // VFR only: pts of frames decoded from the start
  int64_t decodeErrors_ = 0;
  int64_t framesDecoded_ = 0;
  int64_t packetsRead_ = 0;
  int64_t packetsSkipped_ = 0;
  int64_t packetsSinceFrame_ = 0;
  std::chrono::steady_clock::time_point lastCheck_;
};

}  // namespace autocut
