"""autocut_native: streaming video analysis, beat tracking and rendering over FFmpeg.

The engine under AutoCut: decode each clip once with bounded memory, measure it, track
the music's beats, and render the beat-synced edit in one streaming pass.
"""

from __future__ import annotations

from ._core import MediaInfo, ffmpeg_versions, hardware, probe
from .errors import (
    DecodeError,
    EncodeError,
    Error,
    HardwareUnavailableError,
    InvalidMediaError,
    MediaNotFoundError,
    NoAudioStreamError,
    NoVideoStreamError,
    OutputError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # errors
    "Error",
    "MediaNotFoundError",
    "InvalidMediaError",
    "NoVideoStreamError",
    "NoAudioStreamError",
    "DecodeError",
    "EncodeError",
    "HardwareUnavailableError",
    "OutputError",
    # probe and environment
    "MediaInfo",
    "probe",
    "ffmpeg_versions",
    "hardware",
]
