"""Test media made at test time with the ffmpeg CLI (never committed).

Each fixture kind is a recipe: ffmpeg arguments plus the facts the generator
guarantees, which tests check the library against. `MediaFactory.get(name)` makes a
file once per session and returns its path.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
FFPROBE = shutil.which("ffprobe") or "ffprobe"


def run_ffmpeg(args: list[str]) -> None:
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"ffmpeg failed: {' '.join(cmd)}\n{res.stderr}")


def ffmpeg_major() -> int:
    out = subprocess.run([FFMPEG, "-version"], capture_output=True, text=True).stdout
    ver = out.split()[2] if out else "0"
    digits = "".join(ch if ch.isdigit() else " " for ch in ver).split()
    return int(digits[0]) if digits else 0


@dataclass
class Recipe:
    filename: str
    args: list[str]
    facts: dict = field(default_factory=dict)
    remux: list[str] = field(default_factory=list)  # a second pass with -c copy


def _lavfi(src: str) -> list[str]:
    return ["-f", "lavfi", "-i", src]


X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
SINE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]


def recipes() -> dict[str, Recipe]:
    # Rotation 90 (clockwise to show upright, as FFmpeg's own autorotate shows it):
    # FFmpeg 6+ takes -display_rotation (an input option, counter-clockwise degrees);
    # 5.x's mov muxer writes the matrix only on stream copy, from the rotate tag, whose
    # 270 it displays as 90 clockwise.
    new = ffmpeg_major() >= 6
    rot_input: list[str] = ["-display_rotation", "-90"] if new else []
    rot_remux: list[str] = [] if new else ["-metadata:s:v:0", "rotate=270"]
    r: dict[str, Recipe] = {}
    r["h264_mp4"] = Recipe(
        "h264.mp4",
        [*_lavfi("testsrc2=size=640x360:rate=30:duration=2"), *SINE, "-t", "2",
         *X264, "-g", "30", "-bf", "2", "-c:a", "aac", "-b:a", "64k", "-shortest",
         "-metadata", "creation_time=2024-05-01T12:34:56Z"],
        dict(container="mov,mp4,m4a,3gp,3g2,mj2", codec="h264", width=640, height=360,
             fps=30.0, frames=60, rotation=0, bit_depth=8, pix_fmt="yuv420p",
             has_audio=True, audio_codec="aac", sample_rate=48000, channels=1,
             creation_time="2024-05-01T12:34:56"),
    )
    r["hevc10_rot_mov"] = Recipe(
        "hevc10_rot90.mov",
        [*rot_input, *_lavfi("testsrc2=size=640x360:rate=25:duration=2"),
         "-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
         "-x265-params", "log-level=error:keyint=25", "-tag:v", "hvc1"],
        dict(container="mov,mp4,m4a,3gp,3g2,mj2", codec="hevc", width=640, height=360,
             fps=25.0, frames=50, rotation=90, display_width=360, display_height=640,
             bit_depth=10, pix_fmt="yuv420p10le", profile="Main 10", has_audio=False),
        remux=rot_remux,
    )
    r["vp9_webm"] = Recipe(
        "vp9.webm",
        [*_lavfi("testsrc2=size=480x270:rate=24:duration=2"), "-c:v", "libvpx-vp9",
         "-deadline", "realtime", "-cpu-used", "8", "-b:v", "500k", "-g", "24",
         "-pix_fmt", "yuv420p"],
        dict(container="matroska,webm", codec="vp9", width=480, height=270, fps=24.0,
             frames=48, bit_depth=8, has_audio=False),
    )
    r["mpeg4_avi"] = Recipe(
        "mpeg4.avi",
        [*_lavfi("smptebars=size=320x240:rate=25:duration=2"), "-c:v", "mpeg4", "-q:v", "4",
         "-g", "12"],
        dict(container="avi", codec="mpeg4", width=320, height=240, fps=25.0, frames=50,
             bit_depth=8, has_audio=False),
    )
    r["h264_60fps"] = Recipe(
        "h264_60fps.mp4",
        [*_lavfi("testsrc2=size=640x360:rate=60:duration=1.5"), *X264, "-g", "60"],
        dict(codec="h264", width=640, height=360, fps=60.0, frames=90, has_audio=False),
    )
    # Frames 0-9 at 30 fps, then every third: steps of 1/30 s and 1/10 s.
    r["vfr_mp4"] = Recipe(
        "vfr.mp4",
        [*_lavfi("testsrc2=size=320x240:rate=30:duration=3"),
         "-vf", "select='lt(n\\,10)+not(mod(n\\,3))'", "-fps_mode", "vfr", *X264],
        dict(codec="h264", width=320, height=240, frames=10 + len(range(12, 90, 3)),
             vfr=True, has_audio=False),
    )
    r["portrait_mp4"] = Recipe(
        "portrait.mp4",
        [*_lavfi("mandelbrot=size=1080x1920:rate=30"), "-t", "1", *X264],
        dict(codec="h264", width=1080, height=1920, fps=30.0, frames=30, rotation=0,
             display_width=1080, display_height=1920, has_audio=False),
    )
    r["uhd_mp4"] = Recipe(
        "uhd.mp4",
        [*_lavfi("testsrc2=size=3840x2160:rate=30:duration=0.5"), *X264],
        dict(codec="h264", width=3840, height=2160, fps=30.0, frames=15, has_audio=False),
    )
    r["audio_m4a"] = Recipe(
        "audio.m4a",
        [*_lavfi("sine=frequency=220:sample_rate=44100:duration=2"), "-ac", "2", "-c:a", "aac",
         "-b:a", "96k"],
        dict(has_video=False, has_audio=True, audio_codec="aac", sample_rate=44100,
             channels=2),
    )
    r["unicode_mp4"] = Recipe(
        "clip é 日本 with spaces.mp4",
        [*_lavfi("testsrc2=size=320x240:rate=30:duration=1"), *X264],
        dict(codec="h264", width=320, height=240, fps=30.0, frames=30, has_audio=False),
    )
    r["faststart_mp4"] = Recipe(
        "faststart.mp4",
        [*_lavfi("testsrc2=size=320x240:rate=30:duration=2"), *X264, "-g", "15",
         "-movflags", "+faststart"],
        dict(codec="h264", width=320, height=240, fps=30.0, frames=60, has_audio=False),
    )
    return r


class MediaFactory:
    """Makes each fixture once into `root` and returns its path."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._recipes = recipes()

    def facts(self, name: str) -> dict:
        return self._recipes[name].facts

    def names(self) -> list[str]:
        return list(self._recipes)

    def get(self, name: str) -> Path:
        rec = self._recipes[name]
        path = self.root / rec.filename
        if not path.exists():
            tmp = path.with_name(".tmp-" + path.name)
            run_ffmpeg([*rec.args, str(tmp)])
            if rec.remux:
                tmp2 = path.with_name(".tmp2-" + path.name)
                run_ffmpeg(["-i", str(tmp), "-c", "copy", *rec.remux, str(tmp2)])
                os.replace(tmp2, tmp)
            os.replace(tmp, path)
        return path

    def make(self, filename: str, args: list[str]) -> Path:
        """A one-off clip (cached by name): `args` are ffmpeg arguments before the output."""
        path = self.root / filename
        if not path.exists():
            tmp = path.with_name(".tmp-" + path.name)
            run_ffmpeg([*args, str(tmp)])
            os.replace(tmp, path)
        return path

    # ---- Malformed inputs -------------------------------------------------------

    def malformed(self, kind: str) -> Path:
        path = self.root / f"bad_{kind}"
        if kind == "missing":
            return self.root / "does_not_exist.mp4"
        if kind == "directory":
            path.mkdir(exist_ok=True)
            return path
        if kind == "timestamp_jump":
            # Valid streams whose timestamps leap forward by years half way (damaged or
            # badly concatenated files): nothing may loop, or fill silence, per second of
            # the gap.
            path = self.root / "bad_timestamp_jump.mkv"
            if not path.exists():
                jump = "setts=ts=if(gt(N\\,4)\\,PTS+1000000000000000\\,PTS)"
                tmp = path.with_name(".tmp-" + path.name)
                run_ffmpeg([*_lavfi("testsrc2=size=64x48:rate=10:duration=1"),
                            *_lavfi("sine=frequency=440:sample_rate=8000:duration=1"),
                            *X264, "-bf", "0", "-c:a", "pcm_s16le", "-bsf:v", jump,
                            "-bsf:a", jump, str(tmp)])
                os.replace(tmp, path)
            return path
        if path.exists():
            return path
        good = self.get("h264_mp4").read_bytes()
        fast = self.get("faststart_mp4").read_bytes()
        rng = random.Random(1234)
        if kind == "empty":
            data = b""
        elif kind == "random":
            data = bytes(rng.getrandbits(8) for _ in range(64 * 1024))
        elif kind == "text":
            path = self.root / "bad_text.mov"
            data = ("This is not a video, just some words.\n" * 200).encode()
        elif kind == "truncated":
            # moov at the end: cutting the tail loses the index entirely.
            data = good[: len(good) // 2]
        elif kind == "truncated_faststart":
            # moov up front: headers survive, the media data stops half way.
            data = fast[: len(fast) // 2]
        elif kind == "header_only":
            moov = fast.find(b"mdat")
            data = fast[: moov + 16]
        elif kind == "bitflip_header":
            buf = bytearray(fast)
            moov = fast.find(b"moov")
            for i in range(moov - 4, moov + 400):
                buf[i] ^= 0xA5
            data = bytes(buf)
        elif kind == "bitflip_payload":
            buf = bytearray(fast)
            start = fast.find(b"mdat") + 2048
            for _ in range(200):
                i = rng.randrange(start, len(buf))
                buf[i] ^= 1 << rng.randrange(8)
            data = bytes(buf)
        else:
            raise ValueError(kind)
        path.write_bytes(data)
        return path


def ffprobe_frames(path: Path) -> list[float]:
    """Per-frame presentation times (s) of the first video stream, as ffprobe decodes them."""
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-select_streams", "v:0", "-show_entries",
         "frame=best_effort_timestamp_time", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return [float(x.strip().rstrip(",")) for x in out.split() if x.strip().rstrip(",")]


def ffprobe_count_frames(path: Path) -> int:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
         "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout
    return int(out.strip().split(",")[0])
