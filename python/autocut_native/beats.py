"""Beat tracking: :func:`detect_beats` and :class:`BeatTrack` from the native core.

The work happens in C++ (cpp/audio/beats.h documents the method); this module is the
Python home of the beat API so ``autocut_native.beats`` can be imported on its own.
"""

from __future__ import annotations

from ._core import BeatTrack, detect_beats

__all__ = ["BeatTrack", "detect_beats"]
