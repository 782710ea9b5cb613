// cpp/media: the sampler's tick arithmetic (which frames a sampled decode must keep),
// against a brute-force replay of analyze()'s pick rule.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "media/ticks.h"

using namespace autocut;

namespace {

// analyze()'s rule, frame by frame: each tick k*step at or before a frame goes to that
// frame or the one before, whichever is nearer (the later one on a tie); ticks after the
// last frame go to it. Returns the indices picked.
std::set<size_t> replayPicks(const std::vector<double>& t, double step) {
  std::set<size_t> picks;
  std::optional<size_t> prev;
  long k = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    while (t[i] >= k * step) {
      const double tick = k * step;
      const bool prevNearer = prev && (tick - t[*prev]) < (t[i] - tick);
      picks.insert(prevNearer ? *prev : i);
      ++k;
    }
    prev = i;
  }
  if (prev && k * step - t[*prev] < step / 2) picks.insert(*prev);
  return picks;
}

std::vector<char> wantedFor(const std::vector<double>& t, double before, double after,
                            double step) {
  std::vector<char> want;
  markNearestToTicks(t, before, after, step, want);
  return want;
}

}  // namespace

TEST(Ticks, EveryPickIsWantedAndLittleElse) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    const double fps = std::uniform_real_distribution<double>(10, 60)(rng);
    const double step = 1.0 / std::uniform_real_distribution<double>(0.3, 30)(rng);
    std::vector<double> all;
    double t = std::uniform_real_distribution<double>(-0.2, 0.3)(rng);
    const int n = std::uniform_int_distribution<int>(1, 200)(rng);
    for (int i = 0; i < n; ++i) {
      all.push_back(t);
      // Mostly regular, sometimes a dropped frame or a repeated timestamp.
      const int r = std::uniform_int_distribution<int>(0, 19)(rng);
      t += r == 0 ? 0.0 : r == 1 ? 3.0 / fps : 1.0 / fps;
    }
    const std::set<size_t> picks = replayPicks(all, step);
    // Cut into windows the way the decoder does; each sees only its neighbours' times.
    std::vector<char> want(all.size(), 0);
    size_t start = 0;
    while (start < all.size()) {
      const size_t len = std::uniform_int_distribution<size_t>(1, 40)(rng);
      const size_t end = std::min(all.size(), start + len);
      const std::vector<double> window(all.begin() + static_cast<long>(start),
                                       all.begin() + static_cast<long>(end));
      const double before = start == 0 ? -INFINITY : all[start - 1];
      const double after = end == all.size() ? INFINITY : all[end];
      const std::vector<char> w = wantedFor(window, before, after, step);
      for (size_t i = 0; i < w.size(); ++i) want[start + i] = w[i];
      start = end;
    }
    size_t extra = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (picks.count(i)) {
        ASSERT_TRUE(want[i]) << "trial " << trial << " frame " << i << " t=" << all[i];
      } else if (want[i]) {
        ++extra;
      }
    }
    // Only ties, repeated times and the last frame are kept beyond the picks.
    EXPECT_LE(extra, 2 + all.size() / 10) << "trial " << trial;
  }
}

TEST(Ticks, RegularFramesKeepOnlyTheNearest) {
  std::vector<double> t;
  for (int i = 0; i < 30; ++i) t.push_back(i / 30.0);  // one second at 30 fps
  const std::vector<char> want = wantedFor(t, -INFINITY, 1.0, 0.2);
  std::vector<int> kept;
  for (int i = 0; i < 30; ++i) {
    if (want[static_cast<size_t>(i)]) kept.push_back(i);
  }
  EXPECT_EQ(kept, (std::vector<int>{0, 6, 12, 18, 24}));
}

TEST(Ticks, SparseTicksSkipWholeWindows) {
  // A window between ticks 0 and 2 s with its neighbours nearer to both ticks.
  const std::vector<double> t{0.6, 0.8, 1.0, 1.2};
  const std::vector<char> want = wantedFor(t, 0.0, 2.0, 2.0);
  EXPECT_EQ(want, (std::vector<char>{0, 0, 0, 0}));
  // The same frames with the tick at 1 s: only the frame on it.
  EXPECT_EQ(wantedFor(t, 0.0, 2.0, 1.0), (std::vector<char>{0, 0, 1, 0}));
}

TEST(Ticks, UnknownOrDisorderedNeighboursKeepTheEdges) {
  const std::vector<double> t{1.0, 1.1, 1.2};
  EXPECT_EQ(wantedFor(t, NAN, INFINITY, 10.0), (std::vector<char>{1, 0, 1}));
  EXPECT_EQ(wantedFor(t, 5.0, 0.5, 10.0), (std::vector<char>{1, 0, 1}));
  // Frames before time zero precede every tick: only the first tick's neighbours count.
  EXPECT_EQ(wantedFor({-0.3, -0.05, 0.1}, -INFINITY, 0.3, 1.0), (std::vector<char>{0, 1, 0}));
  EXPECT_TRUE(wantedFor({}, -INFINITY, INFINITY, 1.0).empty());
}

TEST(Ticks, FramesSharingATimeGoTogether) {
  EXPECT_EQ(wantedFor({0.0, 0.0, 0.5, 0.5}, -INFINITY, 1.0, 0.5),
            (std::vector<char>{1, 1, 1, 1}));
}
