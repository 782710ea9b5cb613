"""ClipAnalysis: the per-frame metrics of one clip, and what AutoCut asks of them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _core
from ._core import MediaInfo

#: Per-frame metric arrays (float32, one value per analysed frame).
METRICS: tuple[str, ...] = (
    "sharpness",
    "brightness",
    "contrast",
    "underexposed",
    "overexposed",
    "noise",
    "colorfulness",
    "motion",
    "motion_x",
    "motion_y",
    "shake",
    "scene_score",
    "quality",
)

ANALYZER_VERSION: int = _core.ANALYZER_VERSION


@dataclass(eq=False)
class ClipAnalysis:
    """Metrics of one clip from one streaming pass (see README "Analysis" for units).

    `times` (float64 seconds from the stream's start) and every metric array have one
    entry per analysed frame; `scene_cuts` holds the times of the first frame of each
    new shot.
    """

    path: str
    info: MediaInfo
    times: np.ndarray
    sharpness: np.ndarray
    brightness: np.ndarray
    contrast: np.ndarray
    underexposed: np.ndarray
    overexposed: np.ndarray
    noise: np.ndarray
    colorfulness: np.ndarray
    motion: np.ndarray
    motion_x: np.ndarray
    motion_y: np.ndarray
    shake: np.ndarray
    scene_score: np.ndarray
    quality: np.ndarray
    scene_cuts: np.ndarray
    frames_decoded: int
    frames_analyzed: int
    decode_errors: int
    hwaccel_used: str
    elapsed_s: float
    params: dict = field(default_factory=dict)

    # ---- Derived views ------------------------------------------------------------

    @property
    def end_time(self) -> float:
        """End of the clip's last frame (seconds from the stream's start)."""
        last = float(self.times[-1]) if len(self.times) else 0.0
        step = 1.0 / self.info.fps if self.info.fps > 0 else 0.0
        return max(self.info.duration, last + step)

    def summary(self) -> dict[str, Any]:
        """Per-metric median/p10/p90, plus the clip's quality (median of `quality`)."""
        stats = {}
        for name in METRICS:
            a = getattr(self, name)
            if len(a):
                p10, med, p90 = np.percentile(a.astype(np.float64), [10, 50, 90])
                stats[name] = {"median": float(med), "p10": float(p10), "p90": float(p90)}
            else:
                stats[name] = {"median": 0.0, "p10": 0.0, "p90": 0.0}
        return {
            "path": self.path,
            "duration": self.info.duration,
            "frames_analyzed": self.frames_analyzed,
            "scene_cuts": len(self.scene_cuts),
            "quality": stats["quality"]["median"],
            "metrics": stats,
        }

    def best_segments(
        self, duration: float, count: int = 1, min_gap: float = 0.0, avoid_cuts: bool = True
    ) -> list[tuple[float, float, float]]:
        """Up to `count` non-overlapping windows `(start, end, score)` of `duration` s.

        Windows start at analysed frame times, lie inside the clip, and (with
        `avoid_cuts`) do not cross a scene cut. `score` is the mean quality of the
        frames inside; windows are chosen greedily by score, each at least `min_gap`
        seconds from those already chosen, and returned best first. Empty when the
        clip is shorter than `duration`.
        """
        if duration <= 0:
            raise ValueError("duration must be > 0")
        if count < 1 or len(self.times) == 0:
            return []
        t = self.times
        q = self.quality.astype(np.float64)
        end = self.end_time
        starts = t[t + duration <= end + 1e-9]
        if len(starts) == 0:
            return []
        csum = np.concatenate([[0.0], np.cumsum(q)])
        lo = np.searchsorted(t, starts, side="left")
        hi = np.searchsorted(t, starts + duration - 1e-9, side="left")
        n = np.maximum(hi - lo, 1)
        score = (csum[hi] - csum[lo]) / n
        valid = hi > lo
        if avoid_cuts and len(self.scene_cuts):
            cuts = np.asarray(self.scene_cuts, dtype=np.float64)
            # A window crosses a cut when a cut lies strictly inside (start, start + d).
            first_after = np.searchsorted(cuts, starts, side="right")
            nxt = np.where(first_after < len(cuts), cuts[np.minimum(first_after, len(cuts) - 1)],
                           np.inf)
            valid &= nxt >= starts + duration - 1e-9
        chosen: list[tuple[float, float, float]] = []
        order = np.argsort(-score, kind="stable")
        for i in order:
            if not valid[i]:
                continue
            s = float(starts[i])
            if any(s < e + min_gap and b < s + duration + min_gap for b, e, _ in chosen):
                continue
            chosen.append((s, s + duration, float(score[i])))
            if len(chosen) == count:
                break
        return chosen

    # ---- Serialisation ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (lists of floats); `from_dict` rebuilds an equal object."""
        d: dict[str, Any] = {
            "path": self.path,
            "info": self.info.to_dict(),
            "times": self.times.tolist(),
            "scene_cuts": self.scene_cuts.tolist(),
        }
        for name in METRICS:
            d[name] = getattr(self, name).tolist()
        for name in ("frames_decoded", "frames_analyzed", "decode_errors", "hwaccel_used",
                     "elapsed_s"):
            d[name] = getattr(self, name)
        d["params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.params.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClipAnalysis:
        info = d["info"]
        kw = dict(d)
        kw["info"] = info if isinstance(info, MediaInfo) else MediaInfo.from_dict(info)
        kw["times"] = np.asarray(d["times"], dtype=np.float64)
        kw["scene_cuts"] = np.asarray(d["scene_cuts"], dtype=np.float64)
        for name in METRICS:
            kw[name] = np.asarray(d[name], dtype=np.float32)
        kw["params"] = dict(d.get("params", {}))
        return cls(**kw)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClipAnalysis):
            return NotImplemented
        if self.path != other.path or self.info != other.info:
            return False
        arrays = ("times", "scene_cuts", *METRICS)
        return all(np.array_equal(getattr(self, a), getattr(other, a)) for a in arrays)

    def __repr__(self) -> str:
        q = self.summary()["quality"] if len(self.times) else 0.0
        return (f"ClipAnalysis(path={self.path!r}, frames_analyzed={self.frames_analyzed}, "
                f"quality={q:.3f}, scene_cuts={len(self.scene_cuts)}, "
                f"hwaccel_used={self.hwaccel_used!r})")


def analyze(
    path: str | os.PathLike[str],
    *,
    sample_fps: float | None = None,
    skip: str = "auto",
    hwaccel: str = "auto",
    threads: int = 0,
    analysis_size: int = 360,
    progress: Callable[[int, int], Any] | None = None,
) -> ClipAnalysis:
    """Analyse one clip in a single streaming pass through the decoder.

    `sample_fps` analyses the frame nearest each tick k/sample_fps and lets the decoder
    skip what it can (`skip="auto"`: unreferenced frames when at most every other frame
    is wanted, keyframes only when sampling is sparser than the keyframes, and, reading a
    GOP ahead, whatever no tick will pick: same frames, same values). The GIL is
    released; `progress(frames_done, frames_total)` is called from this thread; Ctrl-C
    raises KeyboardInterrupt.
    """
    d = _core.analyze(path, sample_fps=sample_fps, skip=skip, hwaccel=hwaccel, threads=threads,
                      analysis_size=analysis_size, progress=progress)
    d["params"]["grid"] = tuple(d["params"]["grid"])
    return ClipAnalysis(**d)
