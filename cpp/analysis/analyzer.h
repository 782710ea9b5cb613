// analyze(): one streaming pass over a clip's video stream -> per-frame quality and
// motion metrics (ClipAnalysis). Frames are never copied: the luma plane is
// area-downscaled straight from the decoder's buffer into a reused analysis image, and
// metrics run on a worker thread while the calling thread keeps decoding.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ffmpeg/ffmpeg.h"
#include "media/probe.h"

namespace autocut {

struct AnalyzeOptions {
  double sampleFps = 0.0;        // 0: every frame; else the frame nearest each tick k/sampleFps
  std::string skip = "auto";     // "auto" | "none" | "nonref" | "nonkey"
  std::string hwaccel = "auto";
  int threads = 0;               // decoder threads; 0 = all cores
  int analysisSize = 360;        // short side of the analysis grid (never upscaled)
  // progress(framesDecoded, framesExpected) about every 100 ms, on the calling thread.
  std::function<void(int64_t, int64_t)> progress;
  // Called about every 100 ms on the calling thread; may throw to abort (Ctrl-C).
  std::function<void()> interruptCheck;
};

struct ClipAnalysis {
  std::string path;
  MediaInfo info;
  std::vector<double> times;  // seconds from the stream's start, one per analysed frame
  // One value per analysed frame (units in cpp/metrics; motion per second).
  std::vector<float> sharpness, brightness, contrast, underexposed, overexposed, noise,
      colorfulness, motion, motionX, motionY, shake, sceneScore, quality;
  std::vector<double> sceneCuts;  // times of the first frame of each new shot
  // decodeErrors: the decoder's (corrupt packets) plus frames skipped because their time
  // ran backwards; times are always non-decreasing.
  int64_t framesDecoded = 0, framesAnalyzed = 0, decodeErrors = 0;
  // Video packets read, and those never decoded (skip mode, sampling).
  int64_t packetsRead = 0, packetsSkipped = 0;
  std::string hwaccelUsed = "none";
  double elapsedS = 0.0;

  // Parameters and where the time went.
  double sampleFps = 0.0;
  std::string skipUsed = "none";
  int analysisSize = 360;
  int gridWidth = 0, gridHeight = 0;  // of the first frame (a size change gets its own)
  int threads = 0;
  int gopDecoders = 0;    // sampled: single-threaded decoders taking turns on GOPs (0: none)
  double decodeS = 0.0;   // calling thread: demux + decode (excluding waits on the worker)
  double metricsS = 0.0;  // worker thread: downscale + per-frame metrics
};

// The analyzer's version: part of cache keys; bump when any metric's values change.
constexpr int kAnalyzerVersion = 1;

// Throws Error (NotFound, InvalidMedia, NoVideoStream, Decode) and whatever
// interruptCheck / progress throw.
ClipAnalysis analyzeClip(const InputSource& source, const AnalyzeOptions& options);

}  // namespace autocut
