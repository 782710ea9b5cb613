#include "render/music.h"

#include <algorithm>
#include <cmath>

#include "audio/decode.h"

namespace autocut {

namespace {

// Packets queued ahead of the video: 256 AAC frames of 1024 samples, about 5.5 s.
constexpr size_t kMaxQueued = 256;

// Thrown inside the worker when the track is destroyed early; never leaves the worker.
struct Cancelled {};

}  // namespace

MusicTrack::MusicTrack(std::string path, double start, double duration, double fadeOut,
                       bool globalHeader, int64_t bitrate)
    : path_(std::move(path)),
      start_(start),
      duration_(duration),
      fadeOut_(fadeOut),
      total_(std::llround(duration * kSampleRate)) {
  initLogging();
  const AVCodec* codec = avcodec_find_encoder_by_name("aac");  // FFmpeg's own, always built
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec) throw Error(ErrorKind::Encode, "find audio encoder", "", "no AAC encoder in this FFmpeg");
  const std::vector<AVSampleFormat> formats = encoderSampleFormats(codec);
  if (!formats.empty() && std::find(formats.begin(), formats.end(), AV_SAMPLE_FMT_FLTP) == formats.end()) {
    throw Error(ErrorKind::Encode, "open audio encoder", "", std::string(codec->name) + " does not take planar float");
  }
  encoder_ = makeCodecContext(codec, path_);
  encoder_->sample_rate = kSampleRate;
  encoder_->sample_fmt = AV_SAMPLE_FMT_FLTP;
  av_channel_layout_default(&encoder_->ch_layout, kChannels);
  encoder_->time_base = AVRational{1, kSampleRate};
  encoder_->bit_rate = bitrate;
  if (globalHeader) encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  check(avcodec_open2(encoder_.get(), codec, nullptr), ErrorKind::Encode, "open AAC encoder", path_);

  frame_ = makeFrame();
  frame_->format = AV_SAMPLE_FMT_FLTP;
  frame_->sample_rate = kSampleRate;
  check(av_channel_layout_copy(&frame_->ch_layout, &encoder_->ch_layout), ErrorKind::Encode,
        "set audio layout", path_);
  frame_->nb_samples = encoder_->frame_size > 0 ? encoder_->frame_size : 1024;
  check(av_frame_get_buffer(frame_.get(), 0), ErrorKind::Encode, "allocate audio frame", path_);
  packet_ = makePacket();
}

MusicTrack::~MusicTrack() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void MusicTrack::start() {
  worker_ = std::thread([this] { run(); });
}

void MusicTrack::throwIfCancelled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cancelled_) throw Cancelled{};
}

void MusicTrack::run() {
  try {
    WorkMonitor monitor([this] { throwIfCancelled(); });
    decodeAudio(
        path_, kSampleRate, kChannels, AudioWindow{start_, duration_},
        [this](const float* samples, size_t frames) {
          throwIfCancelled();
          encodeBlock(samples, frames);
        },
        monitor);
    // A track that ends before the timeline is padded with silence to its full length.
    const std::vector<float> silence(2048 * kChannels, 0.0f);
    while (written_ + filled_ < total_) {
      const auto n = static_cast<size_t>(std::min<int64_t>(2048, total_ - written_ - filled_));
      encodeBlock(silence.data(), n);
    }
    if (filled_ > 0) sendFrame(false);
    sendFrame(true);
    std::lock_guard<std::mutex> lock(mutex_);
    done_ = true;
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
    done_ = true;
  }
  changed_.notify_all();
}

void MusicTrack::encodeBlock(const float* interleaved, size_t frames) {
  const int frameSize = encoder_->frame_size > 0 ? encoder_->frame_size : 1024;
  size_t i = 0;
  while (i < frames && written_ + filled_ < total_) {
    if (filled_ == 0) {
      frame_->nb_samples = frameSize;
      check(av_frame_make_writable(frame_.get()), ErrorKind::Encode, "allocate audio frame", path_);
    }
    const int64_t room = std::min<int64_t>(frameSize - filled_, total_ - written_ - filled_);
    const int n = static_cast<int>(std::min<int64_t>(room, static_cast<int64_t>(frames - i)));
    auto* left = reinterpret_cast<float*>(frame_->data[0]) + filled_;
    auto* right = reinterpret_cast<float*>(frame_->data[1]) + filled_;
    const int64_t first = written_ + filled_;
    for (int j = 0; j < n; ++j) {
      float gain = 1.0f;
      if (fadeOut_ > 0.0) {
        const double remaining = static_cast<double>(total_ - (first + j)) / kSampleRate;
        gain = static_cast<float>(std::min(1.0, remaining / fadeOut_));
      }
      left[j] = interleaved[(i + j) * kChannels] * gain;
      right[j] = interleaved[(i + j) * kChannels + 1] * gain;
    }
    filled_ += n;
    i += static_cast<size_t>(n);
    if (filled_ == frameSize) sendFrame(false);
  }
}

void MusicTrack::sendFrame(bool flush) {
  if (flush) {
    const int ret = avcodec_send_frame(encoder_.get(), nullptr);
    if (ret < 0 && ret != AVERROR_EOF) check(ret, ErrorKind::Encode, "flush audio encoder", path_);
  } else {
    frame_->nb_samples = filled_;  // only the last frame is short
    frame_->pts = written_;
    check(avcodec_send_frame(encoder_.get(), frame_.get()), ErrorKind::Encode, "encode audio", path_);
    written_ += filled_;
    filled_ = 0;
  }
  while (true) {
    const int ret = avcodec_receive_packet(encoder_.get(), packet_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    check(ret, ErrorKind::Encode, "encode audio", path_);
    UniqueAVPacket out = makePacket();
    av_packet_move_ref(out.get(), packet_.get());
    push(std::move(out));
  }
}

void MusicTrack::push(UniqueAVPacket packet) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return cancelled_ || queue_.size() < kMaxQueued; });
    if (cancelled_) throw Cancelled{};
    queue_.push_back(std::move(packet));
  }
  changed_.notify_all();
}

void MusicTrack::take(double until, std::vector<UniqueAVPacket>& out) {
  const bool all = std::isinf(until) && until > 0;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      while (!queue_.empty() &&
             (all || static_cast<double>(queue_.front()->pts) / kSampleRate < until)) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (error_) std::rethrow_exception(error_);
      if (!all || done_) break;
      changed_.notify_all();  // the worker may be waiting for room
      changed_.wait(lock);
    }
  }
  changed_.notify_all();
}

}  // namespace autocut
