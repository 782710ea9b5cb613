#include "media/ticks.h"

#include <cmath>

namespace autocut {

namespace {

// Ticks are computed as k * step, the way the sampler computes them, so the comparisons
// below see the same doubles. k is stepped by one when floor() lands next to it.
double firstTickAfter(double a, double step) {
  if (!(a >= 0.0)) return 0.0;  // before zero (or -inf): the first tick
  double k = std::floor(a / step);
  while (k > 0.0 && (k - 1.0) * step > a) k -= 1.0;
  while (k * step <= a) k += 1.0;
  return k * step;
}

// The last tick at or before b; NaN when b precedes the first tick.
double lastTickUpTo(double b, double step) {
  if (b < 0.0) return NAN;
  if (std::isinf(b)) return INFINITY;
  double k = std::floor(b / step);
  while ((k + 1.0) * step <= b) k += 1.0;
  while (k >= 0.0 && k * step > b) k -= 1.0;
  return k >= 0.0 ? k * step : NAN;
}

}  // namespace

void markNearestToTicks(const std::vector<double>& times, double before, double after,
                        double step, std::vector<char>& want) {
  constexpr double kSlack = 1e-9;
  const size_t n = times.size();
  want.assign(n, 0);
  if (n == 0) return;
  // Gap i lies between frame i-1 (or `before`) and frame i (or `after`); the ticks in
  // (a, b] go to a when strictly nearer to it, else to b.
  for (size_t i = 0; i <= n; ++i) {
    const double a = i == 0 ? before : times[i - 1];
    const double b = i == n ? after : times[i];
    if (std::isnan(a) || std::isnan(b) || b < a) {
      // Unknown or out-of-order neighbours: keep both frames next to the gap.
      if (i > 0) want[i - 1] = 1;
      if (i < n) want[i] = 1;
      continue;
    }
    if (a == b) continue;  // no tick in (a, a]
    const double lo = firstTickAfter(a, step);
    if (lo > b) continue;  // no tick in the gap
    const double hi = lastTickUpTo(b, step);
    if (i > 0 && (lo - a) < (b - lo) + kSlack) want[i - 1] = 1;
    if (i < n && !std::isnan(hi) && !((hi - a) < (b - hi) - kSlack)) want[i] = 1;
  }
  // Frames sharing a time go together (which of them is output first is the decoder's).
  for (size_t i = 1; i < n; ++i) {
    if (times[i] == times[i - 1] && (want[i] || want[i - 1])) want[i] = want[i - 1] = 1;
  }
  for (size_t i = n - 1; i > 0; --i) {
    if (times[i] == times[i - 1] && want[i]) want[i - 1] = 1;
  }
}

}  // namespace autocut
