#include "render/output.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>

namespace autocut {

const char* muxerFor(const std::string& output) {
  std::string ext = std::filesystem::path(output).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".mp4" || ext == ".m4v") return "mp4";
  if (ext == ".mov") return "mov";
  if (ext == ".mkv") return "matroska";
  throw Error(ErrorKind::InvalidArgument, "output", output,
              "unsupported extension '" + ext + "' (use .mp4, .mov or .mkv)");
}

OutputFile::OutputFile(const std::string& target) : target_(target) {
  namespace fs = std::filesystem;
  const fs::path path(target);
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error(ErrorKind::Output, "open output", target, "is a directory", AVERROR(EISDIR));
  }
  // A name no other writer picks: this process, a per-process counter and the clock.
  static std::atomic<uint64_t> counter{0};
  const uint64_t tag = static_cast<uint64_t>(getpid()) * 0x9E3779B97F4A7C15ull ^
                       static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                       (counter.fetch_add(1) << 48);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(tag));
  std::string name = path.filename().string();
  name.insert(0, 1, '.');
  name.append(1, '.').append(hex).append(".part");
  temp_ = (path.parent_path() / name).string();
}

OutputFile::~OutputFile() {
  if (committed_) return;
  std::error_code ec;
  std::filesystem::remove(temp_, ec);
}

void OutputFile::commit() {
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) throw Error(ErrorKind::Output, "rename output", target_, ec.message(), AVERROR(ec.value()));
  committed_ = true;
}

Muxer::Muxer(const std::string& temp, const std::string& target, const char* format)
    : target_(target) {
  // avformat_alloc_output_context2 hands the context back through AVFormatContext**.
  AVFormatContext* raw = nullptr;
  const int ret = avformat_alloc_output_context2(&raw, nullptr, format, temp.c_str());
  if (ret < 0 || !raw) {
    throw Error(ErrorKind::Output, "create muxer", target, avErrorText(ret), ret);
  }
  ctx_.reset(raw);
  mp4Family_ = std::string(format) == "mp4" || std::string(format) == "mov";
}

AVStream* Muxer::addStream(const AVCodecContext* enc) {
  AVStream* st = avformat_new_stream(ctx_.get(), nullptr);
  if (!st) throw std::bad_alloc();
  check(avcodec_parameters_from_context(st->codecpar, enc), ErrorKind::Output, "add stream", target_);
  st->time_base = enc->time_base;
  if (enc->codec_type == AVMEDIA_TYPE_VIDEO) st->avg_frame_rate = enc->framerate;
  // Apple players want HEVC in mp4/mov tagged hvc1.
  if (mp4Family_ && enc->codec_id == AV_CODEC_ID_HEVC) st->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
  return st;
}

void Muxer::open() {
  if (!(ctx_->oformat->flags & AVFMT_NOFILE)) {
    const int ret = avio_open(&ctx_->pb, ctx_->url, AVIO_FLAG_WRITE);
    if (ret < 0) throw Error(ErrorKind::Output, "open output", target_, avErrorText(ret), ret);
  }
  Dictionary opts;
  if (mp4Family_) opts.set("movflags", "+faststart");
  check(avformat_write_header(ctx_.get(), opts.get()), ErrorKind::Output, "write header", target_);
}

void Muxer::write(AVPacket* pkt, const AVStream* st, AVRational from) {
  av_packet_rescale_ts(pkt, from, st->time_base);
  pkt->stream_index = st->index;
  check(av_interleaved_write_frame(ctx_.get(), pkt), ErrorKind::Output, "write output", target_);
}

void Muxer::finish() {
  check(av_write_trailer(ctx_.get()), ErrorKind::Output, "finish output", target_);
  if (ctx_->pb && !(ctx_->oformat->flags & AVFMT_NOFILE)) {
    check(avio_closep(&ctx_->pb), ErrorKind::Output, "close output", target_);
  }
}

}  // namespace autocut
