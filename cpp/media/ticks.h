// Which frames a sampler picks: for each tick k * step (k = 0, 1, ...), the frame
// nearest to it, the later one on a tie (exactly analyze()'s rule). Pure arithmetic on
// times, so the decoder can decide from packet timestamps which frames are worth
// decoding before it decodes any of them.
#pragma once

#include <vector>

namespace autocut {

// `times`: frame times in seconds, ascending (repeats allowed). `before` / `after`: the
// times of the frames just outside them (-inf / +inf when there are none; NaN when
// unknown, which makes the frame next to it wanted). Sets want[i] (resized to
// times.size()) for every frame some tick picks; frames tied or within 1e-9 s of a tie
// are all wanted, and frames sharing a time are wanted together.
void markNearestToTicks(const std::vector<double>& times, double before, double after,
                        double step, std::vector<char>& want);

}  // namespace autocut
