"""Synthetic media made by the library's users and its demo: a drum-and-pad music track
with known beat times.

A track is kick on every beat (accented on the one), snare on 2 and 4, closed hi-hats
on the 8ths (the off-beat hat delayed by `swing`), a pad of sawtooth chords over a bass
root that change at every bar line, and an optional silent intro. It is synthesised
with numpy and written as 16-bit PCM with the stdlib `wave` module: no FFmpeg needed.
"""

from __future__ import annotations

import os
import wave
from dataclasses import dataclass

import numpy as np

# A minor: Am - F - C - G, one chord per bar, as MIDI notes (bass root first).
PROGRESSION = [
    (33, [57, 60, 64]),
    (29, [53, 57, 60]),
    (36, [55, 60, 64]),
    (31, [55, 59, 62]),
]


@dataclass(frozen=True)
class TrackSpec:
    bpm: float
    seconds: float = 20.0
    intro: float = 0.0  # silent seconds before the first beat
    swing: float = 0.5  # off-beat hi-hat position as a fraction of the beat (0.5 straight)
    rate: int = 44100
    channels: int = 2
    seed: int = 0
    rock: bool = False  # kick on 1 and 3 only (snare still on 2 and 4)

    @property
    def name(self) -> str:
        return (f"beats_{self.bpm:g}bpm_sw{self.swing:g}_in{self.intro:g}_{self.seconds:g}s_"
                f"{self.rate}_{self.channels}ch_s{self.seed}{'_rock' if self.rock else ''}")

    @property
    def period(self) -> float:
        return 60.0 / self.bpm

    def beat_times(self) -> np.ndarray:
        """Every beat that sounds (the last at least 0.2 s before the end)."""
        n = int(np.floor((self.seconds - 0.2 - self.intro) / self.period)) + 1
        return self.intro + self.period * np.arange(max(n, 0))

    def downbeat_times(self) -> np.ndarray:
        return self.beat_times()[::4]


# ---- Synthesis -------------------------------------------------------------------------


def _midi_hz(note: int) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12.0)


def _kick(rate: int) -> np.ndarray:
    t = np.arange(int(0.35 * rate)) / rate
    freq = 45.0 + 90.0 * np.exp(-t / 0.035)
    phase = 2 * np.pi * np.cumsum(freq) / rate
    body = np.sin(phase) * np.exp(-t / 0.16)
    click = np.random.default_rng(1).standard_normal(t.size) * np.exp(-t / 0.002) * 0.25
    return body + click


def _snare(rate: int) -> np.ndarray:
    t = np.arange(int(0.25 * rate)) / rate
    noise = np.random.default_rng(2).standard_normal(t.size)
    noise = np.diff(noise, prepend=0.0) * 0.5  # tilt towards the highs
    tone = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.04)
    return 0.6 * noise * np.exp(-t / 0.07) + 0.4 * tone


def _hat(rate: int) -> np.ndarray:
    t = np.arange(int(0.06 * rate)) / rate
    noise = np.random.default_rng(3).standard_normal(t.size)
    noise = np.diff(np.diff(noise, prepend=0.0), prepend=0.0) * 0.25  # high-passed
    return noise * np.exp(-t / 0.018)


def _place(out: np.ndarray, sound: np.ndarray, at: float, rate: int, gain: float) -> None:
    i = int(round(at * rate))
    if i >= out.size:
        return
    n = min(sound.size, out.size - i)
    out[i:i + n] += gain * sound[:n]


def _note(freq: float, length: int, rate: int, attack: float, harmonics: int) -> np.ndarray:
    t = np.arange(length) / rate
    wave_ = np.zeros(length)
    for k in range(1, harmonics + 1):
        if freq * k < rate / 2.5:
            wave_ += np.sin(2 * np.pi * freq * k * t) / k
    release = np.minimum(1.0, (length - np.arange(length)) / (0.03 * rate))
    env = np.minimum(1.0, t / attack) * release
    return wave_ * env


def synth(spec: TrackSpec) -> np.ndarray:
    """The track as float64 samples, shape (frames, channels), peak 0.8."""
    rate = spec.rate
    n = int(round(spec.seconds * rate))
    drums = np.zeros(n)
    kick_bus = np.zeros(n)
    hats = np.zeros(n)
    pad = np.zeros(n)
    bass = np.zeros(n)
    kick, snare, hat = _kick(rate), _snare(rate), _hat(rate)
    rng = np.random.default_rng(spec.seed)
    beats = spec.beat_times()
    for i, b in enumerate(beats):
        if not (spec.rock and i % 2 == 1):
            _place(kick_bus, kick, b, rate, 1.0 if i % 4 == 0 else 0.8)
        if i % 2 == 1:
            _place(drums, snare, b, rate, 0.55)
        _place(hats, hat, b, rate, 0.12 * (1 + 0.1 * rng.standard_normal()))
        off_beat = b + spec.swing * spec.period
        _place(hats, hat, off_beat, rate, 0.16 * (1 + 0.1 * rng.standard_normal()))
    bar = 4 * spec.period
    for j, start in enumerate(beats[::4]):
        root, chord = PROGRESSION[j % len(PROGRESSION)]
        length = int(round(min(bar, spec.seconds - start) * rate))
        i = int(round(start * rate))
        length = min(length, n - i)
        if length <= 0:
            continue
        bass[i:i + length] += 0.35 * _note(_midi_hz(root), length, rate, 0.01, 3)
        for note in chord:
            pad[i:i + length] += 0.07 * _note(_midi_hz(note), length, rate, 0.04, 8)
    if spec.channels == 1:
        mix = (kick_bus + drums + hats + pad + bass)[:, None]
    elif spec.channels == 2:
        mix = np.stack([kick_bus + drums + 0.8 * hats + pad + bass,
                        kick_bus + drums + 1.2 * hats + 0.9 * pad + bass], axis=1)
    elif spec.channels == 6:
        # FL FR FC LFE BL BR: drums up front, pad behind, kick and bass also in the LFE.
        mix = np.stack([0.5 * drums + hats + 0.5 * pad, 0.5 * drums + hats + 0.5 * pad,
                        kick_bus + drums + bass, kick_bus + bass, pad, pad], axis=1)
    else:
        raise ValueError(f"channels must be 1, 2 or 6, got {spec.channels}")
    return mix * (0.8 / np.max(np.abs(mix)))


def write_wav(path: str | os.PathLike[str], samples: np.ndarray, rate: int) -> None:
    """16-bit PCM WAV from float samples (frames, channels) in [-1, 1]."""
    if samples.ndim == 1:
        samples = samples[:, None]
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(os.fspath(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
