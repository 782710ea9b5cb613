"""Type stubs for the native core (hand-kept; mirrors cpp/bindings.cpp)."""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

import numpy as np

_Path = str | bytes | os.PathLike[str] | os.PathLike[bytes]
# Media inputs: a path, bytes-like data in memory, or a binary file-like object.
_Source = _Path | bytearray | memoryview | Any

__version__: str

# ---- Probe ----------------------------------------------------------------------

class MediaInfo:
    """What a media file holds. Sizes in pixels, times in seconds."""

    @property
    def path(self) -> str: ...
    @property
    def container(self) -> str: ...
    @property
    def duration(self) -> float: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def bitrate(self) -> int: ...
    @property
    def has_video(self) -> bool: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def rotation(self) -> int:
        """Clockwise degrees (0/90/180/270) needed to show the picture upright."""
    @property
    def display_width(self) -> int: ...
    @property
    def display_height(self) -> int: ...
    @property
    def fps(self) -> float: ...
    @property
    def frame_count(self) -> int: ...
    @property
    def frame_count_exact(self) -> bool: ...
    @property
    def vfr(self) -> bool: ...
    @property
    def codec(self) -> str | None: ...
    @property
    def profile(self) -> str | None: ...
    @property
    def pix_fmt(self) -> str | None: ...
    @property
    def bit_depth(self) -> int: ...
    @property
    def color_range(self) -> str: ...
    @property
    def color_space(self) -> str: ...
    @property
    def color_primaries(self) -> str: ...
    @property
    def color_transfer(self) -> str: ...
    @property
    def has_audio(self) -> bool: ...
    @property
    def audio_codec(self) -> str | None: ...
    @property
    def sample_rate(self) -> int: ...
    @property
    def channels(self) -> int: ...
    @property
    def creation_time(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def from_dict(d: dict[str, Any]) -> MediaInfo: ...

def probe(path: _Source) -> MediaInfo:
    """Read a media file's headers (and at most a few packets) and describe it."""

# ---- VideoReader ----------------------------------------------------------------

class Frame:
    """One decoded frame. `array` is a read-only numpy view (no copy) whose base keeps
    the decoded buffer alive, or a tuple of plane views for format='yuv'."""

    @property
    def pts(self) -> float:
        """Seconds from the stream's start, from real timestamps (correct for VFR)."""
    @property
    def index(self) -> int: ...
    @property
    def key_frame(self) -> bool: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def array(self) -> np.ndarray | tuple[np.ndarray, ...]: ...

class VideoReader:
    """Streaming decoder of a file's video stream. A context manager and an iterator.

    format: 'luma' (decoded Y plane as is: uint8, or uint16 for 10/12-bit), 'yuv' (tuple
    of plane views), 'gray8' (8-bit luma), 'rgb24'/'bgr24' (HxWx3 through swscale).
    hwaccel: 'auto', 'none' or a device type; threads: 0 = all cores;
    skip: 'none' | 'nonref' | 'nonkey'; size: (w, h) scales gray8/rgb24/bgr24 output;
    apply_rotation: turn frames upright per the display matrix (a strided view).
    One thread at a time per reader; separate readers run in parallel.
    """

    def __init__(
        self,
        path: _Source,
        *,
        format: str = "luma",
        hwaccel: str = "auto",
        threads: int = 0,
        skip: str = "none",
        size: tuple[int, int] | None = None,
        apply_rotation: bool = False,
    ) -> None: ...
    def __iter__(self) -> VideoReader: ...
    def __next__(self) -> Frame: ...
    def __enter__(self) -> VideoReader: ...
    def __exit__(self, *exc: object) -> None: ...
    def close(self) -> None: ...
    def seek(self, t: float) -> None:
        """Position so the next frame is the one displayed at t (the last with pts <= t)."""
    def frame_at(self, t: float) -> Frame: ...
    def frames_at(self, times: list[float]) -> list[Frame]:
        """Frames at sorted times in one pass, seeking only across GOPs."""
    @property
    def info(self) -> MediaInfo: ...
    @property
    def hwaccel_used(self) -> str:
        """'none' or the hardware device type that decoded the frames."""
    @property
    def decode_errors(self) -> int:
        """Corrupt packets skipped so far."""
    @property
    def frames_decoded(self) -> int: ...

# ---- Beats ----------------------------------------------------------------------

class BeatTrack:
    """Tempo, beats and downbeats of a music track. Times are seconds from the start of
    the file; arrays are read-only views."""

    @property
    def tempo(self) -> float:
        """Beats per minute; 0 when no beat was found (silence)."""
    @property
    def beats(self) -> np.ndarray:
        """Beat times, float64 seconds, absolute in the file."""
    @property
    def downbeats(self) -> np.ndarray:
        """Estimated bar starts (4/4 assumed), a subset of beats."""
    @property
    def onset_envelope(self) -> np.ndarray:
        """Onset strength per frame (float32); frame i is at onset_start + i / onset_rate."""
    @property
    def onset_rate(self) -> float: ...
    @property
    def onset_start(self) -> float: ...
    @property
    def confidence(self) -> float:
        """0..1; 0 for silence."""
    def every(self, n: int, offset: int = 0) -> np.ndarray:
        """beats[offset::n]: every n-th beat, e.g. to cut every n beats."""
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def from_dict(d: dict[str, Any]) -> BeatTrack: ...

def detect_beats(
    path: _Source,
    *,
    start: float = 0.0,
    duration: float | None = None,
    min_bpm: float = 60.0,
    max_bpm: float = 200.0,
    tempo_hint: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> BeatTrack:
    """Tempo, beats and downbeats of the audio in any audio or video file (GIL released,
    Ctrl-C interrupts). Silence: tempo 0, no beats. No audio: NoAudioStreamError."""

# ---- Analysis -------------------------------------------------------------------

ANALYZER_VERSION: int

def analyze(
    path: _Source,
    *,
    sample_fps: float | None = None,
    skip: str = "auto",
    hwaccel: str = "auto",
    threads: int = 0,
    analysis_size: int = 360,
    progress: Callable[[int, int], object] | None = None,
) -> dict[str, Any]:
    """One streaming pass: the fields of autocut_native.ClipAnalysis as a dict of numpy
    arrays and scalars (use autocut_native.analyze)."""

# ---- Synthesis ------------------------------------------------------------------

def synthesize_video(
    source: str,
    output: _Path,
    *,
    seconds: float,
    encoder: str = "libx264",
    quality: str = "high",
) -> dict[str, Any]:
    """Encode `seconds` of an FFmpeg generated source (a libavfilter chain such as
    'testsrc2=size=640x360:rate=30,gblur=sigma=2') to output; no ffmpeg CLI needed.
    Returns {'encoder_used', 'frames', 'width', 'height', 'fps'}."""

# ---- Environment ----------------------------------------------------------------

def ffmpeg_versions() -> dict[str, str]: ...
def hardware() -> dict[str, list[str]]:
    """{'device_types': built in, 'available': open here, 'encoders': hardware encoders}."""

# ---- Kernels --------------------------------------------------------------------
# kernels: the submodule autocut_native._core.kernels, the pure per-frame metric kernels of
# cpp/metrics bound one to one (tests against numpy references, experiments). Planes are
# 2-D uint8/uint16 arrays (bit_depth defaults to 8 / 16), images 2-D float arrays on the
# 8-bit full-range scale (converted to float32); row-strided views are read in place,
# other layouts copied. All release the GIL. Functions:
#   analysis_grid(width, height, analysis_size=360) -> (width, height)
#       short side analysis_size, aspect kept, never upscaled
#   downscale(plane, *, bit_depth=None, limited_range=False, analysis_size=360,
#             size=None) -> float32 (h, w)
#       exact area average to the analysis grid (or size=(w, h)); x 2^(8-bit_depth);
#       limited range maps 16..235 to 0..255; clamped to 0..255
#   chroma_stats(u, v, *, bit_depth=None, limited_range=False, step=1)
#       -> (mean_u, mean_v, var_u, var_v)   8-bit scale centred at 128, every step-th sample
#   colorfulness(u, v, *, bit_depth=None, limited_range=False, step=1) -> float
#       sqrt(var_u + var_v) + 0.3 * sqrt((mean_u - 128)^2 + (mean_v - 128)^2)
#   sharpness(image) -> float             variance of the 4-neighbour Laplacian (interior)
#   exposure(image) -> (brightness, contrast, underexposed, overexposed)
#       mean, std, fraction <= 16, fraction >= 240
#   noise(image) -> float                 sigma: Immerkaer over the flattest 20% (Sobel)
#   mean_abs_diff(a, b) -> float
#   luma_histogram(image) -> float32 (32,)   fractions over even x and y
#   translation(prev, cur) -> (dx, dy, confidence)
#       content displacement: cur(x, y) ~= prev(x - dx, y - dy); dx > 0 = content moved
#       right (camera panned left); confidence 0..1
#   motion_compensated_mad(prev, cur, dx, dy) -> float
#   scene_score(prev, cur, dx=0.0, dy=0.0) -> float in [0, 1]
#   shake(times, motion_x, motion_y, cuts=[], window=0.5) -> float32 (n,)
#       analysis px: RMS residual of the motion path around its local line
#   scene_cuts(times, scores, *, floor=0.3, k=4.0, min_spread=0.02, window=2.0,
#              min_spacing=0.5) -> list[int]   indices of frames that start a shot
#   quality(sharpness, brightness, underexposed, overexposed, noise, shake)
#       -> float32 (n,) in [0, 1]
# Definitions, units and constants: cpp/metrics/*.h.

kernels: types.ModuleType

# ---- Render ---------------------------------------------------------------------

class RenderResult:
    """What render() did."""

    @property
    def encoder_used(self) -> str:
        """The encoder that wrote the video, e.g. 'libx264' or 'h264_nvenc'."""
    @property
    def hwaccel_used(self) -> str:
        """'none' or the hardware device type that decoded any segment."""
    @property
    def frames(self) -> int: ...
    @property
    def device_frames(self) -> int:
        """Output frames decoded and scaled on the hardware device, never copied to system
        memory in full (encoded there too when encoder_used is a hardware encoder of that
        device)."""
    @property
    def duration(self) -> float:
        """frames / fps, seconds."""
    @property
    def elapsed_s(self) -> float: ...
    @property
    def output(self) -> str: ...

def render(
    timeline: dict[str, Any],
    output: _Path,
    *,
    encoder: str = "auto",
    codec: str = "h264",
    quality: str = "high",
    bitrate: int | None = None,
    hwaccel: str = "auto",
    threads: int = 0,
    progress: Callable[[int, int], object] | None = None,
    prefetch: bool = True,
) -> RenderResult:
    """Render Timeline.to_dict() to output in one streaming pass (no file checks; use
    autocut_native.render, which validates the Timeline first)."""

class QualityReport:
    """Per-frame luma PSNR and SSIM of a video against a reference."""

    @property
    def psnr(self) -> np.ndarray:
        """dB per frame (float32, read-only); inf for identical frames."""
    @property
    def ssim(self) -> np.ndarray:
        """SSIM per frame (float32, read-only)."""
    @property
    def mean_psnr(self) -> float:
        """PSNR of the mean squared error over all frames."""
    @property
    def mean_ssim(self) -> float: ...
    @property
    def frames(self) -> int:
        """Frames compared: min(reference_frames, distorted_frames)."""
    @property
    def reference_frames(self) -> int: ...
    @property
    def distorted_frames(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...

def compare(
    reference: _Path, distorted: _Path, *, hwaccel: str = "auto", threads: int = 0
) -> QualityReport:
    """PSNR and SSIM on upright 8-bit luma, frame i against frame i (GIL released, Ctrl-C
    interrupts). Sizes must match (ValueError otherwise)."""
