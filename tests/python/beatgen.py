"""Drum-and-pad test tracks with known beat times, made at test time (never committed).

The tracks come from autocut_native.synth (also the demo's music); here they are
encoded to the other codecs with the ffmpeg CLI and cached by name in the media root.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from autocut_native.synth import TrackSpec, synth, write_wav  # noqa: F401 (re-exported)
from mediagen import run_ffmpeg

# Encoder arguments per container; "wav" is written directly.
CODECS: dict[str, tuple[str, list[str]]] = {
    "wav": (".wav", []),
    "flac": (".flac", ["-c:a", "flac"]),
    "mp3": (".mp3", ["-c:a", "libmp3lame", "-b:a", "160k"]),
    "m4a": (".m4a", ["-c:a", "aac", "-b:a", "128k"]),
    "ogg": (".ogg", ["-c:a", "libvorbis", "-q:a", "4"]),
    "opus": (".opus", ["-c:a", "libopus", "-b:a", "96k"]),
    "mp4": (".mp4", ["-c:a", "aac", "-b:a", "128k"]),  # with a small H.264 video track
}

# ---- Files -------------------------------------------------------------------------------


class BeatMedia:
    """Makes each (track, codec) file once into `root` and returns its path."""

    def __init__(self, root: Path):
        self.root = Path(root) / "beats"
        self.root.mkdir(parents=True, exist_ok=True)

    def wav(self, spec: TrackSpec) -> Path:
        path = self.root / f"{spec.name}.wav"
        if not path.exists():
            tmp = path.with_name(".tmp-" + path.name)
            write_wav(tmp, synth(spec), spec.rate)
            os.replace(tmp, path)
        return path

    def get(self, spec: TrackSpec, codec: str = "wav") -> Path:
        suffix, args = CODECS[codec]
        if codec == "wav":
            return self.wav(spec)
        path = self.root / f"{spec.name}{suffix}"
        if not path.exists():
            src = self.wav(spec)
            tmp = path.with_name(".tmp-" + path.name)
            if codec == "mp4":
                run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15", "-i", str(src),
                            "-map", "0:v", "-map", "1:a", "-shortest", "-c:v", "libx264",
                            "-preset", "ultrafast", "-pix_fmt", "yuv420p", *args, str(tmp)])
            else:
                run_ffmpeg(["-i", str(src), *args, str(tmp)])
            os.replace(tmp, path)
        return path

    def silence(self, seconds: float = 8.0, rate: int = 44100, channels: int = 2) -> Path:
        path = self.root / f"silence_{seconds:g}s_{rate}_{channels}ch.wav"
        if not path.exists():
            tmp = path.with_name(".tmp-" + path.name)
            write_wav(tmp, np.zeros((int(seconds * rate), channels)), rate)
            os.replace(tmp, path)
        return path


# ---- Scoring --------------------------------------------------------------------------------


def f_measure(reference: np.ndarray, estimated: np.ndarray, tolerance: float = 0.07) -> float:
    """Beat F-measure: one-to-one matches within +-tolerance seconds (as mir_eval)."""
    reference = np.asarray(reference, dtype=float)
    estimated = np.asarray(estimated, dtype=float)
    if reference.size == 0 and estimated.size == 0:
        return 1.0
    if reference.size == 0 or estimated.size == 0:
        return 0.0
    used = np.zeros(estimated.size, dtype=bool)
    hits = 0
    for r in reference:
        d = np.abs(estimated - r)
        d[used] = np.inf
        j = int(np.argmin(d))
        if d[j] <= tolerance:
            used[j] = True
            hits += 1
    precision = hits / estimated.size
    recall = hits / reference.size
    return 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)
