// compare(): how close a rendered video is to a reference, frame by frame: PSNR and SSIM
// on luma (metrics/similarity.h), computed natively in one streaming pass over both files.
// Used by the tests and by users validating a migration from MoviePy.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace autocut {

struct QualityReport {
  std::vector<float> psnr;  // dB per compared frame; +inf for identical frames
  std::vector<float> ssim;  // per compared frame, <= 1
  double meanPsnr = 0.0;    // PSNR of the mean squared error over all frames (FFmpeg's
                            // "average"); +inf only when every frame is identical
  double meanSsim = 0.0;    // mean of the per-frame SSIM
  int64_t frames = 0;       // frames compared: min(referenceFrames, distortedFrames)
  int64_t referenceFrames = 0, distortedFrames = 0;
  int width = 0, height = 0;  // upright size of both
};

struct CompareOptions {
  std::string hwaccel = "auto";
  int threads = 0;
  // Called about every 100 ms; may throw to abort (Ctrl-C).
  std::function<void()> interruptCheck;
};

// Pairs the frames of both files in presentation order (frame i with frame i), each
// turned upright and reduced to 8-bit luma. Throws Error: NotFound / InvalidMedia /
// NoVideoStream (inputs), InvalidArgument (the upright sizes differ), Decode.
QualityReport compare(const std::string& reference, const std::string& distorted,
                      const CompareOptions& options);

}  // namespace autocut
