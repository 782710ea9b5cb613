// probe(): what a media file holds, read from its headers and at most a few packets.
#pragma once

#include <cstdint>
#include <string>

#include "ffmpeg/ffmpeg.h"

namespace autocut {

struct MediaInfo {
  std::string path;
  std::string container;       // demuxer short name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  double duration = 0.0;       // seconds; 0 when unknown
  int64_t sizeBytes = 0;
  int64_t bitrate = 0;         // bits per second, container-level; 0 when unknown

  bool hasVideo = false;
  int width = 0, height = 0;   // as stored (coded display size before rotation)
  int rotation = 0;            // clockwise degrees to show upright: 0/90/180/270
  int displayWidth = 0, displayHeight = 0;
  double fps = 0.0;            // average frame rate
  int64_t frameCount = 0;
  bool frameCountExact = false;  // from the container's sample table, not estimated
  bool vfr = false;
  std::string codec, profile, pixFmt;
  int bitDepth = 0;
  std::string colorRange, colorSpace, colorPrimaries, colorTransfer;
  int videoStreamIndex = -1;

  bool hasAudio = false;
  std::string audioCodec;
  int sampleRate = 0;
  int channels = 0;
  int audioStreamIndex = -1;

  std::string creationTime;    // ISO 8601 as tagged; empty when untagged
};

// Probes a file. Throws Error(NotFound | InvalidMedia). Audio-only files succeed with
// hasVideo == false.
MediaInfo probe(const InputSource& source);

// Fills a MediaInfo from an opened input (used by readers so they probe only once).
MediaInfo describe(AVFormatContext* fmt, const std::string& path);

// The best video stream that is real video (not cover art), or -1.
int findVideoStream(AVFormatContext* fmt);
// The best audio stream, or -1.
int findAudioStream(AVFormatContext* fmt);

}  // namespace autocut
