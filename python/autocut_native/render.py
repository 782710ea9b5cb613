"""Rendering: :func:`render` a :class:`Timeline` to a video file, and :func:`compare` a
rendered video against a reference.

The work happens in C++ (cpp/render/: one streaming pass of decode -> canvas -> encode ->
mux, hardware encoders with software fallback); this module validates the timeline first
so nothing is written for a bad one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Union

from . import _core
from ._core import QualityReport, RenderResult, compare
from .timeline import Timeline

PathLike = Union[str, "os.PathLike[str]"]


def render(
    timeline: Timeline,
    output: PathLike,
    *,
    encoder: str = "auto",
    codec: str = "h264",
    quality: str = "high",
    bitrate: int | None = None,
    hwaccel: str = "auto",
    threads: int = 0,
    progress: Callable[[int, int], object] | None = None,
) -> RenderResult:
    """Encodes `timeline` to `output` (.mp4/.m4v/.mov with faststart, or .mkv).

    encoder: "auto" (hardware encoders of this platform first, then libx264/libx265) or an
    FFmpeg encoder name; a hardware encoder that cannot open falls back to software, and
    RenderResult.encoder_used says which ran. codec: "h264", "hevc" or "auto".
    quality: "high" | "medium" | "low", mapped to each encoder's own settings (CRF for
    x264/x265, cq/qp for NVENC/VAAPI/QSV, q:v or a bit rate for VideoToolbox; see
    README); bitrate (bits/s) overrides it. hwaccel: the device to decode on ("auto",
    "none", or a type such as "cuda"); with one, a segment whose canvas is its picture
    scaled and nothing else (upright, same aspect ratio, BT.709 8-bit) is scaled on the
    device and, with a hardware encoder of that device, encoded there without ever
    reaching system memory (RenderResult.device_frames counts those frames); other
    segments are downloaded and composited on the CPU. threads: 0 = automatic.
    progress(frames_done, frames_total) is called on this thread about every 0.1 s; an
    exception from it aborts the render.

    The file is written beside `output` under a temporary name and renamed at the end;
    on any error or Ctrl-C nothing is left behind. Raises OutputError when the destination
    cannot be written, ValueError for a bad timeline or option, and the input errors of
    Timeline.validate().
    """
    if not isinstance(timeline, Timeline):
        raise TypeError(f"timeline must be a Timeline, got {type(timeline).__name__}")
    timeline.validate()
    return _core.render(
        timeline.to_dict(), output, encoder=encoder, codec=codec, quality=quality,
        bitrate=bitrate, hwaccel=hwaccel, threads=threads, progress=progress,
    )


__all__ = ["render", "compare", "RenderResult", "QualityReport"]
