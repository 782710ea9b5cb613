// The one header that owns FFmpeg resources and hides FFmpeg version differences.
// Every AV* allocation in the core is held by one of the Unique* aliases below;
// no other file calls av_*_free directly. Every #if on a library version lives
// here or in ffmpeg.cpp, behind a named helper.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/buffer.h>
#include <libavutil/channel_layout.h>
#include <libavutil/cpu.h>
#include <libavutil/dict.h>
#include <libavutil/display.h>
#include <libavutil/frame.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include "ffmpeg/error.h"

namespace autocut {

// ---- Deleters ---------------------------------------------------------------
// One template per free-function shape: free(T**) and free(T*).
template <typename T, void (*Free)(T**)>
struct PtrPtrDeleter {
  void operator()(T* p) const noexcept { Free(&p); }
};
template <typename T, void (*Free)(T*)>
struct PtrDeleter {
  void operator()(T* p) const noexcept { Free(p); }
};

// An output AVFormatContext owns its AVIOContext only when the muxer needs a file.
struct OutputFormatContextDeleter {
  void operator()(AVFormatContext* ctx) const noexcept;
};
// An AVIOContext made by avio_alloc_context owns a buffer the caller allocated.
struct CustomIOContextDeleter {
  void operator()(AVIOContext* ctx) const noexcept;
};

using UniqueAVFormatContext =
    std::unique_ptr<AVFormatContext, PtrPtrDeleter<AVFormatContext, avformat_close_input>>;
using UniqueAVFormatOutput = std::unique_ptr<AVFormatContext, OutputFormatContextDeleter>;
using UniqueAVIOContext = std::unique_ptr<AVIOContext, CustomIOContextDeleter>;
using UniqueAVCodecContext =
    std::unique_ptr<AVCodecContext, PtrPtrDeleter<AVCodecContext, avcodec_free_context>>;
using UniqueAVFrame = std::unique_ptr<AVFrame, PtrPtrDeleter<AVFrame, av_frame_free>>;
using UniqueAVPacket = std::unique_ptr<AVPacket, PtrPtrDeleter<AVPacket, av_packet_free>>;
using UniqueAVBufferRef = std::unique_ptr<AVBufferRef, PtrPtrDeleter<AVBufferRef, av_buffer_unref>>;
using UniqueAVFilterGraph =
    std::unique_ptr<AVFilterGraph, PtrPtrDeleter<AVFilterGraph, avfilter_graph_free>>;
using UniqueAVFilterInOut =
    std::unique_ptr<AVFilterInOut, PtrPtrDeleter<AVFilterInOut, avfilter_inout_free>>;
// Structs FFmpeg allocates with av_malloc and frees with av_free (AVBufferSrcParameters).
struct AvFreeDeleter {
  void operator()(void* p) const noexcept { av_free(p); }
};
using UniqueAVBufferSrcParameters = std::unique_ptr<AVBufferSrcParameters, AvFreeDeleter>;
using UniqueSwsContext = std::unique_ptr<SwsContext, PtrDeleter<SwsContext, sws_freeContext>>;
using UniqueSwrContext = std::unique_ptr<SwrContext, PtrPtrDeleter<SwrContext, swr_free>>;

// Owns an AVDictionary of options; pass get() where FFmpeg wants AVDictionary**.
class Dictionary {
 public:
  Dictionary() = default;
  ~Dictionary() { av_dict_free(&dict_); }
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  void set(const char* key, const std::string& value) { av_dict_set(&dict_, key, value.c_str(), 0); }
  AVDictionary** get() noexcept { return &dict_; }

 private:
  AVDictionary* dict_ = nullptr;
};

// A frame whose planes live on a hardware device (hw_frames_ctx set).
inline bool isHardwareFrame(const AVFrame* frame) noexcept {
  return frame && frame->hw_frames_ctx != nullptr;
}

// Allocators that throw instead of returning nullptr.
UniqueAVFrame makeFrame();
// A video frame of `format`, width x height with buffers (contents unset). Failure is an
// Error of `kind` naming `what` and `path`.
UniqueAVFrame makeVideoFrame(AVPixelFormat format, int width, int height, ErrorKind kind,
                             const char* what = "allocate frame", const std::string& path = "");
// Shared ownership of a frame (numpy views and pending queues outlive the decoder).
std::shared_ptr<AVFrame> shareFrame(UniqueAVFrame frame);
UniqueAVPacket makePacket();
UniqueAVCodecContext makeCodecContext(const AVCodec* codec, const std::string& path);

// Unrefs a packet at scope exit: one per demux-loop iteration.
class PacketUnrefGuard {
 public:
  explicit PacketUnrefGuard(AVPacket* pkt) noexcept : pkt_(pkt) {}
  ~PacketUnrefGuard() { av_packet_unref(pkt_); }
  PacketUnrefGuard(const PacketUnrefGuard&) = delete;
  PacketUnrefGuard& operator=(const PacketUnrefGuard&) = delete;

 private:
  AVPacket* pkt_;
};

// ---- Inputs -------------------------------------------------------------------------

// Where media comes from: a file path, or caller-supplied read/seek callbacks (bytes in
// memory, a Python file-like object). Implicit from a path so every opener takes both.
struct InputSource {
  InputSource() = default;
  InputSource(std::string p) : name(std::move(p)) {}  // NOLINT: a path is a source
  InputSource(const char* p) : name(p) {}             // NOLINT

  std::string name;  // the path, or a label used in error messages ("<bytes>")
  // When set, data is read through these instead of opening `name`. read returns the
  // number of bytes copied into buf (0 at the end) or a negative AVERROR; seek follows
  // AVIOContext's contract (whence SEEK_SET/SEEK_CUR/SEEK_END or AVSEEK_SIZE) and may be
  // empty for a stream that cannot seek. openInput rewinds a seekable source to 0 first,
  // so one source can be opened again (not by two threads at once: copies share state).
  std::function<int(uint8_t* buf, int size)> read;
  std::function<int64_t(int64_t offset, int whence)> seek;

  bool custom() const noexcept { return static_cast<bool>(read); }
};

// A source reading from bytes in memory (shared, never copied again), named `name`.
InputSource memorySource(std::shared_ptr<const std::string> data, std::string name = "<bytes>");

// An opened input: the demuxer context and, for custom sources, the AVIOContext it
// reads through (closed after the demuxer, in that order).
class Input {
 public:
  Input() = default;
  Input(Input&&) noexcept = default;
  Input& operator=(Input&&) noexcept = default;
  ~Input();

  AVFormatContext* get() const noexcept { return fmt_.get(); }
  AVFormatContext* operator->() const noexcept { return fmt_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(fmt_); }
  const std::string& name() const noexcept { return source_->name; }

 private:
  friend Input openInput(const InputSource& source, AVDictionary** options);
  std::unique_ptr<InputSource> source_;  // the callbacks' opaque target; outlives io_
  UniqueAVIOContext io_;
  UniqueAVFormatContext fmt_;
};

// Opens an input and reads its stream info; throws MediaNotFound / InvalidMedia with
// FFmpeg's text. Checks a path first so "missing" and "directory" get specific errors.
Input openInput(const InputSource& source, AVDictionary** options = nullptr);

// ---- Version shims ----------------------------------------------------------
// Frame flags and timing (AV_FRAME_FLAG_KEY is lavu 58.7; AVFrame.duration lavu 57.30).
bool frameIsKey(const AVFrame* frame) noexcept;
int64_t frameDuration(const AVFrame* frame) noexcept;

// Rotation of a video stream in clockwise degrees normalised to 0/90/180/270, from the
// display matrix (codecpar coded side data from lavc 60.31, stream side data before)
// or a legacy "rotate" tag. The display matrix is counter-clockwise.
int streamRotation(const AVStream* stream) noexcept;

// Channel count of a stream's parameters (AVChannelLayout everywhere from 5.1).
int channelCount(const AVCodecParameters* par) noexcept;

// The pixel formats an encoder accepts, terminated list flattened to a vector
// (avcodec_get_supported_config from lavc 61.13, codec->pix_fmts before). Empty = any.
std::vector<AVPixelFormat> encoderPixelFormats(const AVCodec* codec);
std::vector<AVSampleFormat> encoderSampleFormats(const AVCodec* codec);
std::vector<int> encoderSampleRates(const AVCodec* codec);

// The library versions this binary runs against, as "major.minor.micro".
std::string libraryVersionString(unsigned version);

// Silences FFmpeg's stderr logging below errors unless AUTOCUT_NATIVE_LOG is set.
void initLogging();

}  // namespace autocut
