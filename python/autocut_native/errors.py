"""The exception hierarchy of autocut_native.

Every class derives from :class:`Error` and also from the matching builtin, so callers
can catch either ``autocut_native.InvalidMediaError`` or plain ``ValueError``.
Instances raised by the native core carry ``operation``, ``path``, ``averror`` (FFmpeg's
error code, 0 when not from FFmpeg) and ``detail`` (FFmpeg's message text).
"""

from __future__ import annotations


class Error(Exception):
    """Base class of every autocut_native error."""

    operation: str | None = None
    path: str | None = None
    averror: int = 0
    detail: str | None = None

    def __str__(self) -> str:
        # OSError subclasses format (errno, strerror) themselves; keep our message.
        return self.args[0] if self.args else super().__str__()


class MediaNotFoundError(Error, FileNotFoundError):
    """The input path does not exist."""


class InvalidMediaError(Error, ValueError):
    """Not a media file, unreadable header, or unsupported codec."""


class NoVideoStreamError(InvalidMediaError):
    """The media has no video stream (e.g. an audio-only file)."""


class NoAudioStreamError(InvalidMediaError):
    """The media has no audio stream."""


class DecodeError(Error, RuntimeError):
    """Decoding failed beyond recovery."""


class EncodeError(Error, RuntimeError):
    """An encoder could not be opened or failed."""


class HardwareUnavailableError(Error, RuntimeError):
    """An explicitly requested hardware device cannot be used here."""


class OutputError(Error, OSError):
    """An output file cannot be written (permissions, disk full, bad directory)."""


__all__ = [
    "Error",
    "MediaNotFoundError",
    "InvalidMediaError",
    "NoVideoStreamError",
    "NoAudioStreamError",
    "DecodeError",
    "EncodeError",
    "HardwareUnavailableError",
    "OutputError",
]
