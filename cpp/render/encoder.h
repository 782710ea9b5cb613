// VideoEncoder: picks and opens the renderer's video encoder, hardware first where asked,
// software (libx264 / libx265) when a hardware encoder will not open, and feeds it canvas
// frames (YUV420P, converted or uploaded to what the encoder takes; or device frames as
// they are, when the encoder runs on the device they come from).
//
// Encoder choice
//   encoder="auto": macOS: <codec>_videotoolbox; elsewhere <codec>_nvenc, <codec>_vaapi,
//     <codec>_qsv, each tried only when compiled into FFmpeg; then the software encoder.
//     AUTOCUT_NATIVE_HWACCEL=none skips the hardware encoders.
//   encoder="<name>": that encoder; when it is a hardware encoder (or a hardware name this
//     FFmpeg lacks) and fails to open, the software encoder of its codec; a software
//     H.264/HEVC encoder this FFmpeg lacks (libx264 in an LGPL build) likewise. A software
//     encoder that fails, or an unknown name, is an error.
//   The software encoder of a codec: libx264 / libx265, else the first software encoder
//     of the codec in this FFmpeg (libopenh264 in an LGPL build).
//   codec: "h264" | "hevc" (alias "h265") | "auto" (hevc on Apple Silicon, h264 elsewhere).
//   A hardware encoder that opens but later fails mid-stream is an EncodeError (the file
//   header is already written by then); only opening falls back.
//
// Quality table (`bitrate` > 0 replaces it with that average bit rate, in bits/s):
//   quality | libx264            | libx265            | *_nvenc             | *_vaapi     | *_qsv     | *_videotoolbox         | libopenh264
//   high    | crf 18, medium     | crf 20, medium     | vbr cq 19, p5       | CQP qp 20   | CQP qp 20 | q:v 65  or 0.15 bit/px | 0.15 bit/px
//   medium  | crf 23, fast       | crf 26, fast       | vbr cq 25, p4       | CQP qp 25   | CQP qp 25 | q:v 50  or 0.08 bit/px | 0.08 bit/px
//   low     | crf 28, veryfast   | crf 30, veryfast   | vbr cq 31, p3       | CQP qp 30   | CQP qp 30 | q:v 35  or 0.04 bit/px | 0.04 bit/px
// (x264/x265: CRF and preset; nvenc: rc=vbr with constant-quality target cq and preset;
// VideoToolbox: constant quality q:v where the hardware supports it (Apple Silicon),
// otherwise an average bit rate of bit/px x width x height x fps; OpenH264 has no
// constant-quality mode: always that bit rate.)
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ffmpeg/ffmpeg.h"

namespace autocut {

enum class Quality { High, Medium, Low };
Quality parseQuality(const std::string& name);  // "high" | "medium" | "low"

struct EncoderRequest {
  std::string encoder = "auto";  // "auto" or an FFmpeg encoder name
  std::string codec = "h264";    // "h264" | "hevc" | "h265" | "auto"
  Quality quality = Quality::High;
  int64_t bitrate = 0;  // bits/s; > 0 overrides quality
  int threads = 0;      // encoder threads; 0 = automatic
  // The device frames may come from (not owned; outlives the encoder). A hardware
  // encoder of that device type is then opened to take device frames as they are
  // (encode() of a device frame), and canvas frames are uploaded to it.
  AVBufferRef* device = nullptr;
};

struct VideoFormat {
  int width = 0, height = 0;
  AVRational frameRate{30, 1};
  bool globalHeader = false;  // the muxer wants extradata (mp4/mov/mkv do)
};

// "h264" or "hevc" for a codec request ("auto" resolved for this machine).
std::string resolveCodec(const std::string& codec);
// Hardware encoders "auto" tries for a resolved codec on this platform, in order; only
// names compiled into this FFmpeg.
std::vector<std::string> hardwareEncoderCandidates(const std::string& codec);

class VideoEncoder {
 public:
  // Opens the first encoder that works (see the header comment). Throws Error:
  // InvalidArgument (unknown codec / software encoder name), Encode (nothing opened).
  VideoEncoder(const EncoderRequest& request, const VideoFormat& format);
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  const std::string& name() const noexcept { return name_; }
  const AVCodecContext* context() const noexcept { return ctx_.get(); }
  // Why each encoder tried before the one used did not open ("h264_nvenc: ...").
  const std::vector<std::string>& failures() const noexcept { return failures_; }

  // The device type whose frames encode() takes as they are (NV12 device frames of the
  // canvas size), or AV_HWDEVICE_TYPE_NONE.
  AVHWDeviceType deviceFrames() const noexcept { return deviceFrames_; }

  // Encodes one canvas frame whose pts counts frames: a YUV420P software frame, or a
  // device frame of deviceFrames()'s type. Hands each packet that comes out (in the
  // codec's time base, 1/fps) to onPacket, which takes its reference.
  void encode(const AVFrame* canvas, const std::function<void(AVPacket*)>& onPacket);
  // Drains the encoder at the end of the stream.
  void flush(const std::function<void(AVPacket*)>& onPacket);

 private:
  bool tryOpen(const AVCodec* codec, const EncoderRequest& request, const VideoFormat& format);
  void receive(const std::function<void(AVPacket*)>& onPacket);

  std::string name_;
  std::vector<std::string> failures_;
  UniqueAVCodecContext ctx_;
  AVPixelFormat swFormat_ = AV_PIX_FMT_YUV420P;  // what the canvas is converted to
  UniqueAVBufferRef hwFrames_;                   // device frames, for encoders that need them
  AVHWDeviceType deviceFrames_ = AV_HWDEVICE_TYPE_NONE;
  UniqueSwsContext convert_;
  UniqueAVFrame converted_, uploaded_;
  UniqueAVPacket packet_;
};

}  // namespace autocut
