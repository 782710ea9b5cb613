#include "metrics/temporal.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace autocut {

namespace {

void checkTimes(std::span<const double> times, const char* what) {
  for (size_t i = 1; i < times.size(); ++i)
    if (!(times[i] >= times[i - 1]))
      throw std::invalid_argument(std::string(what) + ": times must be non-decreasing (index " +
                                  std::to_string(i) + ")");
}

void checkLength(size_t n, size_t m, const char* what, const char* name,
                 const char* reference = "times") {
  if (n != m)
    throw std::invalid_argument(std::string(what) + ": " + name + " has " + std::to_string(m) +
                                " values, " + reference + " has " + std::to_string(n));
}

// Median of v (reordered in place); v not empty.
double medianOf(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  const double lo = *std::max_element(v.begin(), v.begin() + mid);
  return 0.5 * (lo + hi);
}

}  // namespace

// ---- Shake ---------------------------------------------------------------------------

std::vector<float> shake(std::span<const double> times, std::span<const float> motionX,
                         std::span<const float> motionY, std::span<const int> cuts,
                         double window) {
  const size_t n = times.size();
  checkLength(n, motionX.size(), "shake", "motion_x");
  checkLength(n, motionY.size(), "shake", "motion_y");
  checkTimes(times, "shake");
  if (!(window > 0.0)) throw std::invalid_argument("shake: window must be > 0");
  std::vector<float> out(n, 0.0f);
  if (n == 0) return out;
  const double half = 0.5 * window;

  // Shot boundaries: [0, cuts..., n).
  std::vector<size_t> bounds{0};
  for (int c : cuts)
    if (c > 0 && static_cast<size_t>(c) < n) bounds.push_back(static_cast<size_t>(c));
  bounds.push_back(n);
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());

  std::vector<double> px(n, 0.0), py(n, 0.0), rx(n, 0.0), ry(n, 0.0);
  for (size_t s = 0; s + 1 < bounds.size(); ++s) {
    const size_t b = bounds[s];
    const size_t e = bounds[s + 1];
    for (size_t i = b + 1; i < e; ++i) {
      const double dt = times[i] - times[i - 1];
      px[i] = px[i - 1] + static_cast<double>(motionX[i]) * dt;
      py[i] = py[i - 1] + static_cast<double>(motionY[i]) * dt;
    }
    // Residual from the local line; windows found with two moving pointers.
    size_t lo = b, hi = b;
    for (size_t i = b; i < e; ++i) {
      while (times[lo] < times[i] - half) ++lo;
      while (hi < e && times[hi] <= times[i] + half) ++hi;
      const size_t m = hi - lo;
      if (m < 3) continue;
      double su = 0.0, sx = 0.0, sy = 0.0;
      for (size_t j = lo; j < hi; ++j) {
        su += times[j] - times[i];
        sx += px[j];
        sy += py[j];
      }
      const double ub = su / m, xb = sx / m, yb = sy / m;
      double suu = 0.0, sux = 0.0, suy = 0.0;
      for (size_t j = lo; j < hi; ++j) {
        const double u = times[j] - times[i] - ub;
        suu += u * u;
        sux += u * (px[j] - xb);
        suy += u * (py[j] - yb);
      }
      // All frames at one time (duplicates) leave only the mean to fit.
      const double slopeX = suu > 0.0 ? sux / suu : 0.0;
      const double slopeY = suu > 0.0 ? suy / suu : 0.0;
      rx[i] = px[i] - (xb - slopeX * ub);
      ry[i] = py[i] - (yb - slopeY * ub);
    }
    lo = b;
    hi = b;
    for (size_t i = b; i < e; ++i) {
      while (times[lo] < times[i] - half) ++lo;
      while (hi < e && times[hi] <= times[i] + half) ++hi;
      if (hi - lo < 3) continue;
      double ss = 0.0;
      for (size_t j = lo; j < hi; ++j) ss += rx[j] * rx[j] + ry[j] * ry[j];
      out[i] = static_cast<float>(std::sqrt(ss / static_cast<double>(hi - lo)));
    }
  }
  return out;
}

// ---- Scene cuts ----------------------------------------------------------------------

std::vector<int> sceneCuts(std::span<const double> times, std::span<const float> scores,
                           const SceneCutParams& params) {
  const size_t n = times.size();
  checkLength(n, scores.size(), "sceneCuts", "scores");
  checkTimes(times, "sceneCuts");
  std::vector<int> cuts;
  if (n < 2) return cuts;
  const double half = 0.5 * params.window;
  std::vector<double> around;
  std::vector<double> dev;
  std::vector<size_t> candidates;
  size_t lo = 0, hi = 0;
  for (size_t i = 1; i < n; ++i) {
    while (times[lo] < times[i] - half) ++lo;
    while (hi < n && times[hi] <= times[i] + half) ++hi;
    const double s = scores[i];
    if (!(s > params.floor)) continue;
    if (!(s > scores[i - 1]) || (i + 1 < n && !(s >= scores[i + 1]))) continue;
    around.clear();
    for (size_t j = std::max<size_t>(lo, 1); j < hi; ++j)
      if (j != i) around.push_back(scores[j]);
    double threshold = params.floor;
    if (!around.empty()) {
      const double med = medianOf(around);
      dev.clear();
      for (double v : around) dev.push_back(std::fabs(v - med));
      const double spread = std::max(1.4826 * medianOf(dev), params.minSpread);
      threshold = std::max(threshold, med + params.k * spread);
    }
    if (s > threshold) candidates.push_back(i);
  }
  std::sort(candidates.begin(), candidates.end(), [&](size_t a, size_t b) {
    return scores[a] != scores[b] ? scores[a] > scores[b] : a < b;
  });
  for (size_t c : candidates) {
    bool clear = true;
    for (int k : cuts)
      if (std::fabs(times[c] - times[static_cast<size_t>(k)]) < params.minSpacing) clear = false;
    if (clear) cuts.push_back(static_cast<int>(c));
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

// ---- Quality ---------------------------------------------------------------------------

double quality(const QualityInputs& in, const QualityParams& p) {
  const double noise = std::max(0.0, in.noise);
  const double raw = std::max(0.0, in.sharpness);
  const double s = std::max(raw - p.noiseSharpness * noise * noise, 0.5 * raw);
  const double sharp = s / (s + p.sharpnessHalf);
  double excess = 0.0;
  if (in.brightness < p.brightLow) excess = p.brightLow - in.brightness;
  if (in.brightness > p.brightHigh) excess = in.brightness - p.brightHigh;
  const double bright = std::exp(-0.5 * (excess / p.brightSoftness) * (excess / p.brightSoftness));
  const double clip = (1.0 - std::clamp(in.underexposed, 0.0, 1.0)) *
                      (1.0 - std::clamp(in.overexposed, 0.0, 1.0));
  const double n = noise / p.noiseHalf;
  const double clean = 1.0 / (1.0 + n * n);
  const double k = std::max(0.0, in.shake) / p.shakeHalf;
  const double steady = 1.0 / (1.0 + k * k);
  return std::clamp(sharp * bright * clip * clean * steady, 0.0, 1.0);
}

std::vector<float> quality(std::span<const float> sharpness, std::span<const float> brightness,
                           std::span<const float> underexposed,
                           std::span<const float> overexposed, std::span<const float> noise,
                           std::span<const float> shake, const QualityParams& params) {
  const size_t n = sharpness.size();
  checkLength(n, brightness.size(), "quality", "brightness", "sharpness");
  checkLength(n, underexposed.size(), "quality", "underexposed", "sharpness");
  checkLength(n, overexposed.size(), "quality", "overexposed", "sharpness");
  checkLength(n, noise.size(), "quality", "noise", "sharpness");
  checkLength(n, shake.size(), "quality", "shake", "sharpness");
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(quality({sharpness[i], brightness[i], underexposed[i],
                                         overexposed[i], noise[i], shake[i]},
                                        params));
  return out;
}

}  // namespace autocut
