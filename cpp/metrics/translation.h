// Global translation between two analysis images: windowed phase correlation on a
// small pyramid level for the coarse shift (robust to large motion and moving objects),
// then Lucas-Kanade refinement on finer levels for sub-pixel accuracy.
#pragma once

#include <complex>
#include <vector>

#include "metrics/fft.h"
#include "metrics/image.h"

namespace autocut {

// Convention: CONTENT displacement, in analysis pixels, from `prev` to `cur`:
// cur(x, y) ~= prev(x - dx, y - dy). Positive dx: the picture content moved right (the
// camera panned left); positive dy: content moved down (camera tilted up).
struct Translation {
  double dx = 0.0;
  double dy = 0.0;
  // Height of the correlation peak relative to a perfect shift's, 0..1: ~1 for a clean
  // shift of the same picture, low for unrelated pictures, 0 for a featureless one.
  double confidence = 0.0;
};

// Estimates the translation between two same-size images. Holds its pyramids, FFT
// plans and buffers, rebuilt only when the image size changes: one per clip keeps the
// per-frame path allocation-free. Not thread-safe; use one per thread.
//
// Method: both images are box-averaged by 2 until the coarse level fits 128 px on its
// long side; there, mean-removed and Hann-windowed, they are zero-padded to powers of
// two and correlated (one complex FFT holds both real images) with a partially
// whitened cross-power spectrum (divided by |.|^0.5: as sharp as phase correlation on
// textured pictures, but smooth pictures and the edges of a moving object do not drown
// the shared structure in empty bins); the peak with a parabolic fit gives the coarse
// shift (recovers shifts up to a quarter of the image width). Translational
// Lucas-Kanade on the bilinearly shifted image then refines it: three Gauss-Newton
// steps on the coarse level, two on each finer level down to the first one of at most
// 16384 pixels (160x90 for a 640x360 image), ignoring pixels whose residual exceeds
// max(8, 3x the mean |residual|) (moving objects). A refinement that moves more than
// 1.5 level pixels (3 on the coarse level) away from its start, or that the image's
// gradients cannot determine (flat or one-directional structure), is dropped in favour
// of the coarser estimate. A featureless image gives (0, 0) with confidence 0.
class TranslationEstimator {
 public:
  // Throws std::invalid_argument when the sizes differ or an image is empty.
  Translation estimate(const GrayView& prev, const GrayView& cur);
  // The same, for a sequence: `prev` is the `cur` of the previous call (to either
  // method), kept alive and unchanged by the caller, so its pyramid is reused rather
  // than rebuilt. Falls back to estimate() when the sizes changed.
  Translation estimateNext(const GrayView& prev, const GrayView& cur);

 private:
  Translation run(const GrayView& prev, const GrayView& cur, bool reusePrev);
  Translation correlateAndRefine(const GrayView& prev, const GrayView& cur);
  void prepare(int width, int height);
  void buildPyramid(const GrayView& img, std::vector<GrayImage>& pyr) const;
  Translation phaseCorrelate(const GrayView& a, const GrayView& b);
  bool refine(const GrayView& a, const GrayView& b, double& dx, double& dy, int iterations,
              double maxStep);

  int width_ = 0;
  int height_ = 0;
  int coarse_ = 0;  // pyramid level used for phase correlation
  int fine_ = 0;    // finest level refined
  std::vector<GrayImage> pyrA_;  // [l] = level l >= 1; level 0 is the caller's image
  std::vector<GrayImage> pyrB_;
  bool pyrBIsLastCur_ = false;  // pyrB_ holds the pyramid of the last call's `cur`
  Fft2d fft_;
  std::vector<std::complex<float>> spec_;  // packed spectrum, then correlation surface
  std::vector<float> winX_;
  std::vector<float> winY_;
};

// One-shot helper (allocates); prefer a TranslationEstimator on per-frame paths.
Translation estimateTranslation(const GrayView& prev, const GrayView& cur);

}  // namespace autocut
