"""Timeline: the edit to render — segments of clips on one canvas, plus one music track.

A thin data class: it checks what it is given (probing each clip's headers through the
native core) and serialises to JSON; :func:`autocut_native.render` does the work.

JSON shape::

    {"canvas": [w, h], "fps": 30, "fit": "crop", "audio": "song.mp3" | null,
     "audio_start": 0.0, "audio_fade_out": 1.0,
     "segments": [{"path": "clip.mp4", "start": 1.0, "end": 2.5}, ...]}

plus ``"background": [r, g, b]`` when the pad colour is not the default black.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from ._core import MediaInfo, probe
from .errors import Error, NoAudioStreamError, NoVideoStreamError

PathLike = Union[str, "os.PathLike[str]"]

FITS = ("crop", "pad", "blur")
_KEYS = {"canvas", "fps", "fit", "background", "audio", "audio_start", "audio_fade_out",
         "segments"}


def segment_frames(start: float, end: float, fps: float) -> int:
    """Frames a segment contributes to the output: floor((end - start) * fps + 0.5),
    the formula the native renderer uses."""
    return int(math.floor((end - start) * fps + 0.5))


@dataclass(frozen=True)
class Segment:
    """A cut: the part of the clip at `path` from `start` to `end` seconds, in the clip's
    own time (as VideoReader's frame pts count it)."""

    path: str
    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "start": self.start, "end": self.end}


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return float(value) if not isinstance(value, numbers.Integral) else int(value)


def _reraise_naming(exc: Error, where: str) -> Error:
    """The same error class with `where` in front of the message, attributes kept."""
    named = type(exc)(f"{where}: {exc}")
    for attr in ("operation", "path", "averror", "detail"):
        setattr(named, attr, getattr(exc, attr, None))
    return named


class Timeline:
    """Segments of clips, one canvas and one music track: what :func:`render` encodes.

    canvas: (width, height) in pixels, both even. fps: output frame rate.
    fit: "crop" fills the canvas, "pad" letterboxes in `background` (r, g, b), "blur"
    fills the bars with a blurred, scaled copy of the picture.
    audio: music file (any format FFmpeg reads) or None for no audio track; it plays from
    `audio_start` seconds for the timeline's duration, faded out over the last
    `audio_fade_out` seconds.

    Every clip is probed when added (MediaNotFoundError, InvalidMediaError,
    NoVideoStreamError, ValueError for times outside the clip), so mistakes surface at
    the line that made them; errors name the segment.
    """

    def __init__(
        self,
        canvas: tuple[int, int] = (1920, 1080),
        fps: float = 30,
        fit: str = "crop",
        background: tuple[int, int, int] = (0, 0, 0),
        audio: PathLike | None = None,
        audio_start: float = 0.0,
        audio_fade_out: float = 1.0,
    ) -> None:
        if (not isinstance(canvas, Sequence) or len(canvas) != 2
                or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                           for v in canvas)):
            raise TypeError(f"canvas must be (width, height) integers, got {canvas!r}")
        width, height = int(canvas[0]), int(canvas[1])
        if width <= 0 or height <= 0:
            raise ValueError(f"canvas must be positive, got {width}x{height}")
        if width % 2 or height % 2:
            raise ValueError(f"canvas sides must be even (4:2:0 video), got {width}x{height}")
        fps = _number(fps, "fps")
        if not 0 < fps <= 1000:
            raise ValueError(f"fps must be in (0, 1000], got {fps}")
        if fit not in FITS:
            raise ValueError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
        if (not isinstance(background, Sequence) or len(background) != 3
                or not all(isinstance(v, numbers.Integral) and 0 <= v <= 255
                           for v in background)):
            raise ValueError(f"background must be (r, g, b) with 0..255 each, got {background!r}")
        audio_start = _number(audio_start, "audio_start")
        audio_fade_out = _number(audio_fade_out, "audio_fade_out")
        if audio_start < 0:
            raise ValueError(f"audio_start must be >= 0, got {audio_start}")
        if audio_fade_out < 0:
            raise ValueError(f"audio_fade_out must be >= 0, got {audio_fade_out}")

        self._canvas = (width, height)
        self._fps = fps
        self._fit = fit
        self._background = (int(background[0]), int(background[1]), int(background[2]))
        self._audio = os.fspath(audio) if audio is not None else None
        self._audio_start = float(audio_start)
        self._audio_fade_out = float(audio_fade_out)
        self._segments: list[Segment] = []
        self._probed: dict[str, MediaInfo] = {}
        if self._audio is not None:
            self._check_audio()

    # ---- Properties ------------------------------------------------------------------

    @property
    def canvas(self) -> tuple[int, int]:
        return self._canvas

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def fit(self) -> str:
        return self._fit

    @property
    def background(self) -> tuple[int, int, int]:
        return self._background

    @property
    def audio(self) -> str | None:
        return self._audio

    @property
    def audio_start(self) -> float:
        return self._audio_start

    @property
    def audio_fade_out(self) -> float:
        return self._audio_fade_out

    @property
    def segments(self) -> list[Segment]:
        """The segments in order (a copy)."""
        return list(self._segments)

    @property
    def frames(self) -> int:
        """Frames of the rendered video: the sum of segment_frames() over the segments."""
        return sum(segment_frames(s.start, s.end, self._fps) for s in self._segments)

    @property
    def duration(self) -> float:
        """Seconds of the rendered video (frames / fps); the music is cut to this."""
        return self.frames / self._fps

    def __len__(self) -> int:
        return len(self._segments)

    def __repr__(self) -> str:
        w, h = self._canvas
        return (f"Timeline(canvas=({w}, {h}), fps={self._fps}, fit={self._fit!r}, "
                f"segments={len(self._segments)}, duration={self.duration:.3f}, "
                f"audio={self._audio!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timeline):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    # ---- Building --------------------------------------------------------------------

    def add(self, path: PathLike, start: float, end: float) -> Timeline:
        """Appends the part of `path` from `start` to `end` seconds; returns self.

        Checks now: the file exists and has video, 0 <= start < end, the segment is at
        least half an output frame long, and both times lie inside the clip (end may pass
        its last frame by up to one frame).
        """
        segment = Segment(os.fspath(path), float(_number(start, "start")),
                          float(_number(end, "end")))
        self._check_segment(len(self._segments), segment)
        self._segments.append(segment)
        return self

    def extend(self, segments: Iterable[tuple[PathLike, float, float]]) -> Timeline:
        """add() for each (path, start, end); returns self."""
        for path, start, end in segments:
            self.add(path, start, end)
        return self

    def validate(self) -> None:
        """Checks every segment and the music again (files may have changed since they
        were added). render() calls this before anything is written."""
        if not self._segments:
            raise ValueError("the timeline has no segments")
        self._probed.clear()
        for i, segment in enumerate(self._segments):
            self._check_segment(i, segment)
        if self._audio is not None:
            self._check_audio()

    def _info(self, path: str, where: str) -> MediaInfo:
        info = self._probed.get(path)
        if info is None:
            try:
                info = probe(path)
            except Error as exc:
                raise _reraise_naming(exc, where) from exc
            self._probed[path] = info
        return info

    def _check_segment(self, index: int, s: Segment) -> None:
        where = f"segment {index} ({s.path!r}, {s.start}-{s.end} s)"
        if s.start < 0:
            raise ValueError(f"{where}: start must be >= 0")
        if not s.start < s.end:
            raise ValueError(f"{where}: start must be before end")
        if segment_frames(s.start, s.end, self._fps) < 1:
            raise ValueError(f"{where}: shorter than half a frame at {self._fps} fps")
        info = self._info(s.path, where)
        if not info.has_video:
            raise NoVideoStreamError(f"{where}: the file has no video stream")
        if info.duration > 0:
            tolerance = 1.0 / info.fps if info.fps > 0 else 1.0 / self._fps
            if s.start >= info.duration:
                raise ValueError(f"{where}: starts after the clip ends ({info.duration:.3f} s)")
            if s.end > info.duration + tolerance + 1e-6:
                raise ValueError(f"{where}: ends after the clip ({info.duration:.3f} s, "
                                 f"one frame of tolerance)")

    def _check_audio(self) -> None:
        assert self._audio is not None
        where = f"audio ({self._audio!r})"
        info = self._info(self._audio, where)
        if not info.has_audio:
            raise NoAudioStreamError(f"{where}: the file has no audio stream")
        if info.duration > 0 and self._audio_start >= info.duration:
            raise ValueError(f"{where}: audio_start {self._audio_start} s is past the end of the "
                             f"music ({info.duration:.3f} s)")

    # ---- Serialisation ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "canvas": list(self._canvas),
            "fps": self._fps,
            "fit": self._fit,
            "audio": self._audio,
            "audio_start": self._audio_start,
            "audio_fade_out": self._audio_fade_out,
            "segments": [s.to_dict() for s in self._segments],
        }
        if self._background != (0, 0, 0):
            d["background"] = list(self._background)
        return d

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Timeline:
        """A timeline from to_dict()'s shape; clips are probed as add() does."""
        if not isinstance(d, dict):
            raise TypeError(f"a timeline is a JSON object, got {type(d).__name__}")
        unknown = set(d) - _KEYS
        if unknown:
            raise ValueError(f"unknown timeline keys: {', '.join(sorted(unknown))}")
        for key in ("canvas", "fps", "segments"):
            if key not in d:
                raise ValueError(f"timeline JSON lacks {key!r}")
        canvas = d["canvas"]
        if not isinstance(canvas, (list, tuple)) or len(canvas) != 2:
            raise ValueError(f"canvas must be [width, height], got {canvas!r}")
        t = cls(
            canvas=(canvas[0], canvas[1]),
            fps=d["fps"],
            fit=d.get("fit", "crop"),
            background=tuple(d.get("background", (0, 0, 0))),  # type: ignore[arg-type]
            audio=d.get("audio"),
            audio_start=d.get("audio_start", 0.0),
            audio_fade_out=d.get("audio_fade_out", 1.0),
        )
        segments = d["segments"]
        if not isinstance(segments, list):
            raise ValueError("segments must be a list")
        for i, seg in enumerate(segments):
            if not isinstance(seg, dict) or not {"path", "start", "end"} <= set(seg):
                raise ValueError(f"segment {i} must have path, start and end, got {seg!r}")
            t.add(seg["path"], seg["start"], seg["end"])
        return t

    @classmethod
    def from_json(cls, text: str) -> Timeline:
        return cls.from_dict(json.loads(text))

    def save(self, path: PathLike) -> None:
        Path(path).write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: PathLike) -> Timeline:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


__all__ = ["Timeline", "Segment", "segment_frames", "FITS"]
