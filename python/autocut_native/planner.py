"""plan_edit: the automatic beat-synced edit, from clip analyses and a beat track.

Rules (each one tested):
- Every cut falls on a beat. The music starts at the first beat (`audio_start`), so
  output time 0 is a beat; cut k sits at frame round((beat - first beat) * fps), within
  half a frame of its beat, and frame rounding never accumulates.
- Each segment lasts a whole number of beats, the fewest whose span is >= `min_cut`.
- Segments come from each clip's best windows by quality (ClipAnalysis.best_segments,
  never crossing a scene cut), and a clip's windows never overlap each other.
- The same clip is never used twice in a row (unless it is the only clip) and no clip is
  reused while unused good clips remain; reuse picks the least used, then the best.
- Clips "far below" the batch (median quality under BAD_CLIP_RATIO x the batch's median
  clip quality) are used only when no good clip can supply the segment.
- canvas="auto" follows the majority orientation of the clips (display size, rotation
  applied), at the largest of 1080/720/480/360 lines that the median clip reaches.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import ClipAnalysis
from .timeline import Timeline

#: A clip whose median quality is below this fraction of the batch median is "bad".
BAD_CLIP_RATIO = 0.6
_SHORT_SIDES = (1080, 720, 480, 360)


@dataclass
class _Clip:
    analysis: ClipAnalysis
    quality: float
    good: bool
    uses: int = 0
    taken: list[tuple[float, float]] | None = None

    def window(self, duration: float) -> tuple[float, float] | None:
        """The best window of `duration` not overlapping what this clip already gave."""
        taken = self.taken or []
        for s, e, _ in self.analysis.best_segments(duration, count=64):
            if all(e <= a or s >= b for a, b in taken):
                return s, e
        return None


def auto_canvas(analyses: Sequence[ClipAnalysis]) -> tuple[int, int]:
    """Canvas for the majority orientation at a resolution the median clip reaches."""
    if not analyses:
        return (1280, 720)
    dims = [(a.info.display_width, a.info.display_height) for a in analyses]
    portrait = sum(1 for w, h in dims if h > w)
    is_portrait = portrait * 2 > len(dims)
    same = [(w, h) for w, h in dims if (h > w) == is_portrait] or dims
    median_short = float(np.median([min(w, h) for w, h in same]))
    short = next((s for s in _SHORT_SIDES if median_short >= s), _SHORT_SIDES[-1])
    long = int(round(short * 16 / 9 / 2)) * 2
    return (short, long) if is_portrait else (long, short)


def _cut_beats(beats: np.ndarray, duration: float | None, min_cut: float) -> list[int]:
    """Indices of the beats where cuts fall: whole numbers of beats, each span >= min_cut."""
    cuts = [0]
    end = beats[0] + duration if duration is not None else math.inf
    while True:
        j = cuts[-1]
        k = j + 1
        while k < len(beats) and beats[k] - beats[j] < min_cut - 1e-9:
            k += 1
        if k >= len(beats) or beats[k] > end + 1e-9:
            return cuts
        cuts.append(k)


def plan_edit(
    analyses: Sequence[ClipAnalysis | object],
    beats,
    *,
    duration: float | None = None,
    canvas: tuple[int, int] | str = "auto",
    fit: str = "crop",
    min_cut: float = 1.0,
    audio: str | os.PathLike[str] | None = None,
    fps: float = 30,
) -> Timeline:
    """Plan a beat-synced edit; returns the Timeline that `render` encodes.

    `analyses`: ClipAnalysis objects (anything else, e.g. AnalysisFailure, is skipped).
    `beats`: a BeatTrack (or an array of beat times, seconds in the song). `duration`:
    the longest edit wanted (None: as long as beats and footage allow). `audio`: the
    song, played from the first beat.
    """
    if min_cut <= 0:
        raise ValueError("min_cut must be > 0")
    if duration is not None and duration <= 0:
        raise ValueError("duration must be > 0")
    times = np.asarray(getattr(beats, "beats", beats), dtype=np.float64)
    if times.ndim != 1 or len(times) < 2:
        raise ValueError("the music has fewer than two beats: nothing to cut on")
    clips_in = [a for a in analyses if isinstance(a, ClipAnalysis) and len(a.times)]
    if not clips_in:
        raise ValueError("no analysed clip to cut from")

    qualities = [a.summary()["quality"] for a in clips_in]
    batch = float(np.median(qualities))
    clips = [_Clip(a, q, q >= BAD_CLIP_RATIO * batch, taken=[])
             for a, q in zip(clips_in, qualities)]

    if canvas == "auto":
        canvas = auto_canvas(clips_in)
    elif isinstance(canvas, str):
        raise ValueError(f"canvas must be (width, height) or 'auto', got {canvas!r}")
    timeline = Timeline(canvas=tuple(canvas), fps=fps, fit=fit, audio=audio,
                        audio_start=float(times[0]))

    cut_idx = _cut_beats(times, duration, min_cut)
    frames = [round((times[j] - times[0]) * fps) for j in cut_idx]
    last: _Clip | None = None
    for f0, f1 in zip(frames, frames[1:]):
        seg_len = (f1 - f0) / fps
        choice = _choose(clips, last, seg_len)
        if choice is None:
            break  # no footage left that can fill this beat span
        clip, (start, _) = choice
        end = start + seg_len
        clip.taken.append((start, end))
        clip.uses += 1
        timeline.add(clip.analysis.path, start, end)
        last = clip
    if not timeline.segments:
        raise ValueError(f"no clip is long enough for a {min_cut} s cut")
    return timeline


def _choose(clips: list[_Clip], last: _Clip | None, seg_len: float):
    """The clip (and window) for the next segment, by the rules in the module doc."""
    tiers = [
        [c for c in clips if c.good and c.uses == 0],
        sorted((c for c in clips if c.good and c.uses > 0), key=lambda c: c.uses),
        [c for c in clips if not c.good and c.uses == 0],
        sorted((c for c in clips if not c.good and c.uses > 0), key=lambda c: c.uses),
    ]
    for allow_repeat in (False, True):
        for tier in tiers:
            ranked = sorted(tier, key=lambda c: (c.uses, -c.quality))
            for c in ranked:
                if c is last and not allow_repeat:
                    continue
                w = c.window(seg_len)
                if w is not None:
                    return c, w
        # Second pass: every other clip is exhausted for this length, so repeating the
        # last clip is the only way on.
    return None
