// Post-processing over a clip's per-frame series: shake from the global motion path,
// scene cuts from the scene scores, and the composite quality. Pure functions over
// spans (any sampling rate, variable frame rate: windows are in seconds). `times` are
// frame times in seconds, non-decreasing; every series has the same length as times.
// Mismatched lengths or decreasing times throw std::invalid_argument.
#pragma once

#include <span>
#include <vector>

namespace autocut {

// ---- Shake ---------------------------------------------------------------------------

constexpr double kShakeWindow = 0.5;  // seconds

// Shake in analysis pixels: how far the camera path wobbles around its smooth trend.
// motionX/motionY[i] are content velocities (px/s, translation.h sign) from frame i-1
// to frame i; entry 0 is ignored. Within each shot (cuts: indices where a new shot
// starts, as from sceneCuts; motion across a cut is ignored):
//   path P[i] = sum over frames j <= i of motion[j] * (t[j] - t[j-1])   (P = 0 at start)
//   R[i]      = P[i] - (least-squares line through the P[j] with |t[j] - t[i]| <= window/2,
//               evaluated at t[i])                                       (x and y)
//   shake[i]  = sqrt(mean of |R[j]|^2 over the same window)
// A constant-speed pan is a straight path and reads 0 (also at the ends of a shot, where
// the window is one-sided); a sine jitter of amplitude A well above 2 Hz reads ~A/sqrt(2).
// A window holding fewer than 3 frames cannot see shake and reads 0, so sampling below
// ~6 fps gives no shake.
std::vector<float> shake(std::span<const double> times, std::span<const float> motionX,
                         std::span<const float> motionY, std::span<const int> cuts = {},
                         double window = kShakeWindow);

// ---- Scene cuts ----------------------------------------------------------------------

struct SceneCutParams {
  double floor = 0.3;       // a cut scores above this whatever its neighbourhood
  double k = 4.0;           // ... and above median + k * spread of its neighbourhood
  double minSpread = 0.02;  // lower bound on spread, so a still shot's tiny scores stay quiet
  double window = 2.0;      // seconds, centred: the neighbourhood (the frame itself excluded)
  double minSpacing = 0.5;  // seconds between two cuts; the higher score wins
};

// Indices i of the frames that start a new shot: scores[i] (sceneScore of frame i-1 ->
// i; scores[0] is ignored) exceeds max(floor, median + k * max(1.4826 * MAD, minSpread))
// of the scores within the window, and is a local maximum (> previous, >= next).
// Candidates closer than minSpacing keep the highest. Ascending order.
std::vector<int> sceneCuts(std::span<const double> times, std::span<const float> scores,
                           const SceneCutParams& params = {});

// ---- Quality ---------------------------------------------------------------------------

// Every constant of the composite (units: the analysis scale of frame_metrics.h).
struct QualityParams {
  double sharpnessHalf = 50.0;  // Laplacian variance at which the sharpness term is 0.5
  double noiseSharpness = 20.0; // Laplacian variance per unit noise variance (white noise)
  double brightLow = 80.0;      // brightness range with no penalty ...
  double brightHigh = 176.0;
  double brightSoftness = 32.0; // ... then a Gaussian fall-off of this width outside it
  double noiseHalf = 5.0;       // noise sigma at which the noise term is 0.5
  double shakeHalf = 3.0;       // shake (px) at which the shake term is 0.5
};

struct QualityInputs {
  double sharpness = 0.0;
  double brightness = 0.0;
  double underexposed = 0.0;
  double overexposed = 0.0;
  double noise = 0.0;
  double shake = 0.0;
};

// Composite quality in [0, 1], the product of five terms each in [0, 1]:
//   sharp  = s / (s + sharpnessHalf),  s = max(sharpness - noiseSharpness * noise^2,
//            sharpness / 2)            (noise raises the Laplacian variance by 20 sigma^2;
//                                       removed, but never more than half)
//   bright = exp(-0.5 * (e / brightSoftness)^2), e = distance of brightness outside
//            [brightLow, brightHigh]
//   clip   = (1 - underexposed) * (1 - overexposed)
//   clean  = 1 / (1 + (noise / noiseHalf)^2)
//   steady = 1 / (1 + (shake / shakeHalf)^2)
// Each term decreases as its defect grows, so quality does: blur, bad exposure, noise
// and shake each lower it, and one bad aspect is enough to lower it a lot.
double quality(const QualityInputs& in, const QualityParams& params = {});

// The same over whole series (all of one length).
std::vector<float> quality(std::span<const float> sharpness, std::span<const float> brightness,
                           std::span<const float> underexposed,
                           std::span<const float> overexposed, std::span<const float> noise,
                           std::span<const float> shake, const QualityParams& params = {});

}  // namespace autocut
