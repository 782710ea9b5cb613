#include "ffmpeg/ffmpeg.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>

namespace autocut {

void OutputFormatContextDeleter::operator()(AVFormatContext* ctx) const noexcept {
  if (!ctx) return;
  if (ctx->oformat && !(ctx->oformat->flags & AVFMT_NOFILE)) avio_closep(&ctx->pb);
  avformat_free_context(ctx);
}

void CustomIOContextDeleter::operator()(AVIOContext* ctx) const noexcept {
  if (!ctx) return;
  av_freep(&ctx->buffer);
  avio_context_free(&ctx);
}

UniqueAVFrame makeFrame() {
  UniqueAVFrame frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  return frame;
}

UniqueAVFrame makeVideoFrame(AVPixelFormat format, int width, int height, ErrorKind kind,
                             const char* what, const std::string& path) {
  UniqueAVFrame frame = makeFrame();
  frame->format = format;
  frame->width = width;
  frame->height = height;
  check(av_frame_get_buffer(frame.get(), 0), kind, what, path);
  return frame;
}

std::shared_ptr<AVFrame> shareFrame(UniqueAVFrame frame) {
  return std::shared_ptr<AVFrame>(frame.release(), [](AVFrame* f) { av_frame_free(&f); });
}

UniqueAVPacket makePacket() {
  UniqueAVPacket pkt(av_packet_alloc());
  if (!pkt) throw std::bad_alloc();
  return pkt;
}

UniqueAVCodecContext makeCodecContext(const AVCodec* codec, const std::string& path) {
  UniqueAVCodecContext ctx(avcodec_alloc_context3(codec));
  if (!ctx) {
    throw Error(ErrorKind::InvalidMedia, "allocate codec context", path,
                codec ? codec->name : "no codec");
  }
  return ctx;
}

Input::~Input() {
  fmt_.reset();  // the demuxer first: it may still read through io_
  io_.reset();
}

namespace {

int readCallback(void* opaque, uint8_t* buf, int size) {
  auto* src = static_cast<InputSource*>(opaque);
  try {
    const int n = src->read(buf, size);
    return n == 0 ? AVERROR_EOF : n;
  } catch (...) {
    return AVERROR(EIO);  // the demuxer reports it; exceptions must not cross FFmpeg
  }
}

int64_t seekCallback(void* opaque, int64_t offset, int whence) {
  auto* src = static_cast<InputSource*>(opaque);
  try {
    return src->seek(offset, whence);
  } catch (...) {
    return AVERROR(EIO);
  }
}

}  // namespace

InputSource memorySource(std::shared_ptr<const std::string> data, std::string name) {
  InputSource src(std::move(name));
  auto pos = std::make_shared<int64_t>(0);
  src.read = [data, pos](uint8_t* buf, int size) {
    const int64_t left = static_cast<int64_t>(data->size()) - *pos;
    const int n = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(size, left)));
    if (n > 0) std::memcpy(buf, data->data() + *pos, static_cast<size_t>(n));
    *pos += n;
    return n;
  };
  src.seek = [data, pos](int64_t offset, int whence) -> int64_t {
    const auto size = static_cast<int64_t>(data->size());
    if (whence & AVSEEK_SIZE) return size;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: break;
      case SEEK_CUR: offset += *pos; break;
      case SEEK_END: offset += size; break;
      default: return AVERROR(EINVAL);
    }
    if (offset < 0 || offset > size) return AVERROR(EINVAL);
    *pos = offset;
    return offset;
  };
  return src;
}

Input openInput(const InputSource& source, AVDictionary** options) {
  initLogging();
  Input in;
  in.source_ = std::make_unique<InputSource>(source);
  const std::string& path = source.name;
  AVFormatContext* raw = nullptr;
  if (source.custom()) {
    // Every open reads from the start: the same source may be opened again (probe, then
    // decode) and its position is shared state. A source that cannot rewind is read from
    // where it is.
    if (source.seek) {
      try {
        in.source_->seek(0, SEEK_SET);
      } catch (...) {
      }
    }
    constexpr int kBufferSize = 64 * 1024;
    auto* buffer = static_cast<uint8_t*>(av_malloc(kBufferSize));
    if (!buffer) throw std::bad_alloc();
    AVIOContext* io = avio_alloc_context(buffer, kBufferSize, 0, in.source_.get(), &readCallback,
                                         nullptr, source.seek ? &seekCallback : nullptr);
    if (!io) {
      av_free(buffer);
      throw std::bad_alloc();
    }
    in.io_.reset(io);
    raw = avformat_alloc_context();
    if (!raw) throw std::bad_alloc();
    raw->pb = io;
    raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  } else {
    std::error_code ec;
    const auto status = std::filesystem::status(std::filesystem::path(path), ec);
    if (!std::filesystem::exists(status)) {
      throw Error(ErrorKind::NotFound, "open", path, "no such file", AVERROR(ENOENT));
    }
    if (std::filesystem::is_directory(status)) {
      throw Error(ErrorKind::InvalidMedia, "open", path, "is a directory, not a media file",
                  AVERROR(EISDIR));
    }
  }
  // avformat_open_input frees the context itself on failure, so the raw pointer is
  // handed to its owner only after success.
  int ret = avformat_open_input(&raw, source.custom() ? nullptr : path.c_str(), nullptr, options);
  if (ret < 0) {
    if (ret == AVERROR(ENOENT)) throw Error(ErrorKind::NotFound, "open", path, avErrorText(ret), ret);
    throw Error(ErrorKind::InvalidMedia, "open", path, avErrorText(ret), ret);
  }
  in.fmt_.reset(raw);
  ret = avformat_find_stream_info(in.fmt_.get(), nullptr);
  if (ret < 0) throw Error(ErrorKind::InvalidMedia, "read stream info", path, avErrorText(ret), ret);
  return in;
}

bool frameIsKey(const AVFrame* frame) noexcept {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(58, 7, 100)
  return (frame->flags & AV_FRAME_FLAG_KEY) != 0;
#else
  return frame->key_frame != 0;
#endif
}

int64_t frameDuration(const AVFrame* frame) noexcept {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
  return frame->duration;
#else
  return frame->pkt_duration;
#endif
}

static const int32_t* displayMatrix(const AVStream* stream) noexcept {
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(60, 31, 100)
  const AVPacketSideData* sd =
      av_packet_side_data_get(stream->codecpar->coded_side_data,
                              stream->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  if (sd && sd->size >= 9 * sizeof(int32_t)) return reinterpret_cast<const int32_t*>(sd->data);
  return nullptr;
#else
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (data && size >= 9 * sizeof(int32_t)) return reinterpret_cast<const int32_t*>(data);
  return nullptr;
#endif
}

static int normaliseRotation(double degrees) noexcept {
  if (std::isnan(degrees)) return 0;
  long r = std::lround(degrees / 90.0) * 90;
  r %= 360;
  if (r < 0) r += 360;
  return static_cast<int>(r);
}

int streamRotation(const AVStream* stream) noexcept {
  if (const int32_t* matrix = displayMatrix(stream)) {
    // av_display_rotation_get is counter-clockwise; players rotate clockwise by -that.
    return normaliseRotation(-av_display_rotation_get(matrix));
  }
  if (const AVDictionaryEntry* tag = av_dict_get(stream->metadata, "rotate", nullptr, 0)) {
    char* end = nullptr;
    double deg = std::strtod(tag->value, &end);
    if (end != tag->value) return normaliseRotation(deg);
  }
  return 0;
}

int channelCount(const AVCodecParameters* par) noexcept { return par->ch_layout.nb_channels; }

#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
template <typename T>
static std::vector<T> supportedConfig(const AVCodec* codec, AVCodecConfig which, T terminator) {
  const void* configs = nullptr;
  int count = 0;
  std::vector<T> out;
  if (avcodec_get_supported_config(nullptr, codec, which, 0, &configs, &count) < 0 || !configs) {
    return out;
  }
  const T* list = static_cast<const T*>(configs);
  for (int i = 0; i < count && list[i] != terminator; ++i) out.push_back(list[i]);
  return out;
}
#else
template <typename T>
static std::vector<T> terminatedList(const T* list, T terminator) {
  std::vector<T> out;
  for (; list && *list != terminator; ++list) out.push_back(*list);
  return out;
}
#endif

std::vector<AVPixelFormat> encoderPixelFormats(const AVCodec* codec) {
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
  return supportedConfig(codec, AV_CODEC_CONFIG_PIX_FORMAT, AV_PIX_FMT_NONE);
#else
  return terminatedList(codec->pix_fmts, AV_PIX_FMT_NONE);
#endif
}

std::vector<AVSampleFormat> encoderSampleFormats(const AVCodec* codec) {
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
  return supportedConfig(codec, AV_CODEC_CONFIG_SAMPLE_FORMAT, AV_SAMPLE_FMT_NONE);
#else
  return terminatedList(codec->sample_fmts, AV_SAMPLE_FMT_NONE);
#endif
}

std::vector<int> encoderSampleRates(const AVCodec* codec) {
#if LIBAVCODEC_VERSION_INT >= AV_VERSION_INT(61, 13, 100)
  return supportedConfig(codec, AV_CODEC_CONFIG_SAMPLE_RATE, 0);
#else
  return terminatedList(codec->supported_samplerates, 0);
#endif
}

std::string libraryVersionString(unsigned version) {
  return std::to_string(AV_VERSION_MAJOR(version)) + "." + std::to_string(AV_VERSION_MINOR(version)) +
         "." + std::to_string(AV_VERSION_MICRO(version));
}

void initLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!std::getenv("AUTOCUT_NATIVE_LOG")) av_log_set_level(AV_LOG_FATAL);
  });
}

}  // namespace autocut
