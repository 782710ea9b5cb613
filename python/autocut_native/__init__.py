"""autocut_native: streaming video analysis, beat tracking and rendering over FFmpeg.

The engine under AutoCut: decode each clip once with bounded memory, measure it, track
the music's beats, and render the beat-synced edit in one streaming pass.
"""

from __future__ import annotations

from ._core import Frame, MediaInfo, VideoReader, ffmpeg_versions, hardware, probe
from .analysis import METRICS, ClipAnalysis, analyze
from .batch import AnalysisFailure, MemoryMonitor, ProgressEvent, analyze_many
from .beats import BeatTrack, detect_beats
from .cache import AnalysisCache, CacheCorruptWarning, CacheWarning
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
from .planner import plan_edit
from .render import QualityReport, RenderResult, compare, render
from .timeline import Segment, Timeline

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
    # beats
    "BeatTrack",
    "detect_beats",
    # decode
    "VideoReader",
    "Frame",
    # analysis
    "analyze",
    "ClipAnalysis",
    "METRICS",
    # batch and cache
    "analyze_many",
    "AnalysisFailure",
    "ProgressEvent",
    "MemoryMonitor",
    "AnalysisCache",
    "CacheWarning",
    "CacheCorruptWarning",
    # render
    "Timeline",
    "Segment",
    "render",
    "RenderResult",
    "compare",
    "QualityReport",
    # planning
    "plan_edit",
]
