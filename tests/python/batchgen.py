"""Clip sets for the batch and cache tests, made with the ffmpeg CLI and kept in the
session's media folder (AUTOCUT_TEST_MEDIA keeps them across runs)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from mediagen import MediaFactory, run_ffmpeg

X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def clip_set(media: MediaFactory, n: int, *, size: str = "320x240",
             seconds: float = 1.0) -> list[Path]:
    """`n` different clips (testsrc2 at other hues) of `size` and `seconds`."""
    return [media.make(f"batch_{size}_{seconds:g}s_{i}.mp4", [
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds:g}",
        "-vf", f"hue=h={i * 37 % 360}", *X264, "-g", "30"]) for i in range(n)]


def hd_segments(media: MediaFactory, n: int = 30) -> list[Path]:
    """`n` different 1080p clips of 0.5 s: one encode of a moving pattern, cut at every
    keyframe (far quicker than `n` encodes)."""
    folder = media.root / f"hd_segments_{n}"
    if not folder.is_dir():
        tmp = media.root / f".tmp-hd_segments_{n}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={n / 2:g}",
                    *X264, "-g", "15", "-f", "segment", "-segment_time", "0.5",
                    "-reset_timestamps", "1", str(tmp / "seg%03d.mp4")])
        os.replace(tmp, folder)
    clips = sorted(folder.glob("seg*.mp4"))
    assert len(clips) == n, f"expected {n} segments in {folder}, found {len(clips)}"
    return clips
