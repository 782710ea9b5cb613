#include "media/probe.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "ffmpeg/ffmpeg.h"

namespace autocut {

namespace {

std::string nameOr(const char* name, const char* fallback = "unknown") {
  return name ? std::string(name) : std::string(fallback);
}

double rationalOrZero(AVRational r) { return (r.num > 0 && r.den > 0) ? av_q2d(r) : 0.0; }

std::string tag(const AVDictionary* dict, const char* key) {
  const AVDictionaryEntry* e = av_dict_get(dict, key, nullptr, 0);
  return e ? std::string(e->value) : std::string();
}

struct Cadence {
  int64_t samples = 0;  // number of index entries (0: no usable index)
  bool variable = false;
};

// For containers with a full sample table (MP4/MOV), the index holds every frame's
// timestamp without reading packets: count them and look at the spread of steps.
Cadence indexCadence(AVStream* st) {
  Cadence c;
  const int n = avformat_index_get_entries_count(st);
  if (n < 3) return c;
  std::vector<int64_t> steps;
  steps.reserve(static_cast<size_t>(n));
  int64_t prev = AV_NOPTS_VALUE;
  for (int i = 0; i < n; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(st, i);
    if (!e) return c;
    if (prev != AV_NOPTS_VALUE && e->timestamp > prev) steps.push_back(e->timestamp - prev);
    prev = e->timestamp;
  }
  c.samples = n;
  if (steps.size() < 2) return c;
  std::vector<int64_t> sorted = steps;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const double median = static_cast<double>(sorted[sorted.size() / 2]);
  const auto [lo, hi] = std::minmax_element(steps.begin(), steps.end());
  // Tolerate timebase rounding (24 fps at 1/1000 alternates 41/42 ticks).
  const double tolerance = std::max(2.0, 0.1 * median);
  c.variable = static_cast<double>(*hi - *lo) > tolerance;
  return c;
}

bool isFullIndexContainer(const AVFormatContext* fmt) {
  const std::string name = fmt->iformat ? fmt->iformat->name : "";
  return name.find("mp4") != std::string::npos || name.find("mov") != std::string::npos;
}

}  // namespace

int findVideoStream(AVFormatContext* fmt) {
  int best = -1;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) continue;  // cover art
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0) continue;
    best = static_cast<int>(i);
    if (st->disposition & AV_DISPOSITION_DEFAULT) break;
  }
  if (best >= 0) {
    int ret = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (ret >= 0 && !(fmt->streams[ret]->disposition & AV_DISPOSITION_ATTACHED_PIC) &&
        fmt->streams[ret]->codecpar->width > 0) {
      best = ret;
    }
  }
  return best;
}

int findAudioStream(AVFormatContext* fmt) {
  int ret = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  return ret >= 0 ? ret : -1;
}

MediaInfo describe(AVFormatContext* fmt, const std::string& path) {
  MediaInfo info;
  info.path = path;
  info.container = nameOr(fmt->iformat ? fmt->iformat->name : nullptr);
  std::error_code ec;
  const auto size = std::filesystem::file_size(std::filesystem::path(path), ec);
  info.sizeBytes = ec ? (fmt->pb ? std::max<int64_t>(0, avio_size(fmt->pb)) : 0)
                      : static_cast<int64_t>(size);
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    info.duration = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  }
  info.bitrate = fmt->bit_rate > 0 ? fmt->bit_rate : 0;
  info.creationTime = tag(fmt->metadata, "creation_time");

  const int vi = findVideoStream(fmt);
  if (vi >= 0) {
    AVStream* st = fmt->streams[vi];
    const AVCodecParameters* par = st->codecpar;
    info.hasVideo = true;
    info.videoStreamIndex = vi;
    info.width = par->width;
    info.height = par->height;
    info.rotation = streamRotation(st);
    const bool swap = info.rotation == 90 || info.rotation == 270;
    info.displayWidth = swap ? info.height : info.width;
    info.displayHeight = swap ? info.width : info.height;
    info.codec = nameOr(avcodec_get_name(par->codec_id));
    info.profile = nameOr(avcodec_profile_name(par->codec_id, par->profile), "");
    const auto pixFmt = static_cast<AVPixelFormat>(par->format);
    info.pixFmt = nameOr(av_get_pix_fmt_name(pixFmt), "");
    if (const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(pixFmt)) {
      info.bitDepth = desc->comp[0].depth;
    } else if (par->bits_per_raw_sample > 0) {
      info.bitDepth = par->bits_per_raw_sample;
    }
    info.colorRange = nameOr(av_color_range_name(par->color_range));
    info.colorSpace = nameOr(av_color_space_name(par->color_space));
    info.colorPrimaries = nameOr(av_color_primaries_name(par->color_primaries));
    info.colorTransfer = nameOr(av_color_transfer_name(par->color_trc));

    double avg = rationalOrZero(st->avg_frame_rate);
    const double real = rationalOrZero(st->r_frame_rate);
    info.fps = avg > 0 ? avg : real;

    double streamDuration = 0.0;
    if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
      streamDuration = static_cast<double>(st->duration) * av_q2d(st->time_base);
    }
    if (info.duration <= 0) info.duration = streamDuration;

    const Cadence cadence = isFullIndexContainer(fmt) ? indexCadence(st) : Cadence{};
    if (st->nb_frames > 0) {
      info.frameCount = st->nb_frames;
      info.frameCountExact = isFullIndexContainer(fmt) || cadence.samples == st->nb_frames;
    } else if (cadence.samples > 0) {
      info.frameCount = cadence.samples;
      info.frameCountExact = true;
    } else if (info.fps > 0) {
      const double d = streamDuration > 0 ? streamDuration : info.duration;
      info.frameCount = static_cast<int64_t>(std::llround(d * info.fps));
    }
    if (cadence.samples > 0) {
      info.vfr = cadence.variable;
    } else if (avg > 0 && real > 0) {
      info.vfr = std::fabs(avg - real) / real > 0.01;
    }
    if (info.creationTime.empty()) info.creationTime = tag(st->metadata, "creation_time");
  }

  const int ai = findAudioStream(fmt);
  if (ai >= 0) {
    const AVCodecParameters* par = fmt->streams[ai]->codecpar;
    info.hasAudio = true;
    info.audioStreamIndex = ai;
    info.audioCodec = nameOr(avcodec_get_name(par->codec_id));
    info.sampleRate = par->sample_rate;
    info.channels = channelCount(par);
  }

  if (!info.hasVideo && !info.hasAudio) {
    throw Error(ErrorKind::InvalidMedia, "probe", path, "no audio or video stream found");
  }
  return info;
}

MediaInfo probe(const InputSource& source) {
  Input in = openInput(source);
  return describe(in.get(), source.name);
}

}  // namespace autocut
