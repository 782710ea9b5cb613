// Full-reference similarity of two planes of the same size and bit depth (luma, for
// compare()): mean squared error / PSNR and SSIM. Pure functions over PlaneView, safe to
// call from any thread; they throw std::invalid_argument when the planes do not match.
#pragma once

#include "metrics/plane.h"

namespace autocut {

// Mean of (a - b)^2 over every sample, in the planes' own units.
double meanSquaredError(const PlaneView& a, const PlaneView& b);

// 10 log10(peak^2 / mse) with peak = 2^bitDepth - 1, in dB; +infinity when mse == 0
// (identical planes), as FFmpeg's psnr filter reports.
double psnrFromMse(double mse, int bitDepth) noexcept;
double psnr(const PlaneView& a, const PlaneView& b);

// Mean SSIM (Wang et al. 2004) over 8x8 windows stepped by 4 samples, the windowing of
// FFmpeg's ssim filter and x264/libvpx:
//   SSIM = (2 ma mb + C1)(2 cov + C2) / ((ma^2 + mb^2 + C1)(va + vb + C2)),
//   C1 = (0.01 L)^2, C2 = (0.03 L)^2, L = 2^bitDepth - 1,
// with population means, variances and covariance of each window. Samples beyond the last
// full 4x4 block are left out; a plane smaller than 8x8 is one window of all its samples.
// 1 for identical planes; in [-1, 1].
double ssim(const PlaneView& a, const PlaneView& b);

}  // namespace autocut
