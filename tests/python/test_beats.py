"""detect_beats(): beats, tempo and downbeats against generated tracks with known beats.

Tracks come from beatgen (drum-and-pad, swing, silent intros, chord changes), encoded to
every container/codec the issue names; quality is beat F-measure at +-70 ms and tempo
within 1% (no octave errors).
"""

from __future__ import annotations

import _thread
import json
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

import autocut_native as ac
import numpy as np
import pytest
from beatgen import CODECS, BeatMedia, TrackSpec, f_measure


@pytest.fixture(scope="session")
def beats_media(media) -> BeatMedia:
    return BeatMedia(media.root)


def _check_quality(spec: TrackSpec, track: ac.BeatTrack, min_f: float = 0.95) -> float:
    reference = spec.beat_times()
    f = f_measure(reference, track.beats)
    assert f >= min_f, f"F={f:.3f} tempo={track.tempo:.2f} for {spec}"
    assert track.tempo == pytest.approx(spec.bpm, rel=0.01), f"tempo {track.tempo} for {spec}"
    return f


# Tempos 70..180 BPM; swing from straight (0.5) to triplet (0.67); silent intros; every
# codec at least twice; two rock patterns (kick on 1 and 3 only).
_SWINGS = [0.5, 0.62, 0.67, 0.58]
_INTROS = [0.0, 1.5, 2.0, 0.5]
_CODECS = ["wav", "mp3", "flac", "m4a", "ogg", "opus", "mp4"]
GRID = [
    (TrackSpec(bpm, intro=_INTROS[i % 4], swing=_SWINGS[i % 4]), _CODECS[i % len(_CODECS)])
    for i, bpm in enumerate([70, 76, 84, 92, 100, 110, 120, 128, 137, 146, 155, 164, 172, 180])
] + [
    (TrackSpec(96, intro=1.0, swing=0.6, rock=True), "m4a"),
    (TrackSpec(150, swing=0.5, rock=True), "ogg"),
]


def _grid_id(case) -> str:
    spec, codec = case
    extra = "-rock" if spec.rock else ""
    return f"{spec.bpm:g}bpm-sw{spec.swing:g}-intro{spec.intro:g}-{codec}{extra}"


@pytest.mark.parametrize("case", GRID, ids=[_grid_id(c) for c in GRID])
def test_grid_f_measure_and_tempo(beats_media, case):
    spec, codec = case
    track = ac.detect_beats(beats_media.get(spec, codec))
    _check_quality(spec, track)
    # No octave error shows as a beat count near the truth, not half or double.
    assert abs(len(track.beats) - len(spec.beat_times())) <= 2
    # No beats in the silent intro.
    assert track.beats[0] >= spec.intro - 0.07
    assert 0.5 < track.confidence <= 1.0


def test_grid_downbeats_are_bar_starts(beats_media):
    hits = 0
    for spec, codec in GRID:
        track = ac.detect_beats(beats_media.get(spec, codec))
        assert np.all(np.isin(track.downbeats, track.beats))
        assert len(track.downbeats) >= len(track.beats) // 4
        hits += f_measure(spec.downbeat_times(), track.downbeats) >= 0.9
    # The generator accents the one and changes chord there: the bar phase is found.
    assert hits >= len(GRID) - 1


@pytest.mark.parametrize("codec", list(CODECS))
def test_every_container_decodes_whole_track(beats_media, codec):
    spec = TrackSpec(118, intro=1.0, swing=0.6)
    track = ac.detect_beats(beats_media.get(spec, codec))
    # The envelope covers the whole file (one frame per 256 samples at 22050 Hz).
    assert track.onset_rate == pytest.approx(22050 / 256)
    assert len(track.onset_envelope) / track.onset_rate == pytest.approx(spec.seconds, abs=0.1)
    assert track.onset_start == 0.0
    _check_quality(spec, track)
    # Encoder delay is compensated: beats line up with the source's within a few ms.
    ref = spec.beat_times()
    offsets = [np.min(np.abs(track.beats - r)) for r in ref]
    assert np.median(offsets) < 0.015


@pytest.mark.parametrize(
    "channels,rate,codec",
    [(1, 44100, "wav"), (2, 48000, "flac"), (6, 48000, "wav"), (6, 44100, "m4a"),
     (1, 48000, "opus"), (2, 44100, "mp3")],
)
def test_channel_layouts_and_rates(beats_media, channels, rate, codec):
    spec = TrackSpec(131, intro=0.5, swing=0.6, channels=channels, rate=rate)
    path = beats_media.get(spec, codec)
    info = ac.probe(path)
    assert info.channels == channels
    _check_quality(spec, ac.detect_beats(path))


# ---- Windows ---------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["wav", "mp3", "m4a"])
@pytest.mark.parametrize("start,duration", [(5.0, 8.0), (0.0, 9.0), (11.3, None)])
def test_window_beats_are_absolute(beats_media, codec, start, duration):
    spec = TrackSpec(123, intro=1.0, swing=0.6)
    track = ac.detect_beats(beats_media.get(spec, codec), start=start, duration=duration)
    end = start + duration if duration else spec.seconds
    assert track.onset_start == pytest.approx(start, abs=1e-6)
    assert len(track.onset_envelope) / track.onset_rate == pytest.approx(end - start, abs=0.05)
    assert np.all(track.beats >= start) and np.all(track.beats < end)
    reference = spec.beat_times()
    reference = reference[(reference >= start) & (reference < end)]
    assert f_measure(reference, track.beats) >= 0.95
    assert track.tempo == pytest.approx(spec.bpm, rel=0.01)


def test_window_past_the_end_is_empty(beats_media):
    path = beats_media.get(TrackSpec(123), "wav")
    track = ac.detect_beats(path, start=60.0)
    assert track.tempo == 0.0 and track.beats.size == 0 and track.confidence == 0.0


# ---- Silence, errors ----------------------------------------------------------------------


def test_silence_has_no_beats(beats_media, media):
    silent_aac = media.make("silence.m4a", ["-f", "lavfi", "-i",
                                            "anullsrc=r=44100:cl=stereo", "-t", "6", "-c:a", "aac"])
    for path in (beats_media.silence(), silent_aac):
        track = ac.detect_beats(path)
        assert track.tempo == 0.0
        assert track.confidence == 0.0
        assert track.beats.size == 0 and track.downbeats.size == 0
        assert track.onset_envelope.size > 0


def test_no_audio_stream_raises(media):
    with pytest.raises(ac.NoAudioStreamError) as err:
        ac.detect_beats(media.get("vp9_webm"))
    assert isinstance(err.value, ac.InvalidMediaError)
    assert err.value.path == str(media.get("vp9_webm"))


def test_missing_and_garbage_files_raise(media):
    with pytest.raises(ac.MediaNotFoundError):
        ac.detect_beats(media.malformed("missing"))
    for kind in ("random", "text", "empty", "directory"):
        with pytest.raises(ac.InvalidMediaError):
            ac.detect_beats(media.malformed(kind))


def test_corrupt_packets_are_skipped(beats_media, tmp_path):
    spec = TrackSpec(112, swing=0.6)
    data = bytearray(beats_media.get(spec, "mp3").read_bytes())
    rng = np.random.default_rng(7)
    for i in rng.integers(len(data) // 4, len(data) - 1000, size=60):
        data[i] ^= 0xFF
    bad = tmp_path / "corrupt.mp3"
    bad.write_bytes(bytes(data))
    track = ac.detect_beats(bad)
    assert f_measure(spec.beat_times(), track.beats) >= 0.9
    assert track.tempo == pytest.approx(spec.bpm, rel=0.01)


@pytest.mark.parametrize(
    "kwargs",
    [dict(duration=0.0), dict(duration=-1.0), dict(start=-1.0), dict(min_bpm=0.0),
     dict(min_bpm=120.0, max_bpm=100.0), dict(tempo_hint=-5.0), dict(start=float("nan"))],
)
def test_bad_arguments_raise_value_error(beats_media, kwargs):
    with pytest.raises(ValueError):
        ac.detect_beats(beats_media.get(TrackSpec(123), "wav"), **kwargs)


# ---- Tempo range and hint -------------------------------------------------------------------


def test_tempo_range_picks_the_octave_inside(beats_media):
    spec = TrackSpec(172, swing=0.5)
    path = beats_media.get(spec, "wav")
    track = ac.detect_beats(path, max_bpm=120)
    assert track.tempo == pytest.approx(86.0, rel=0.01)
    # Straight 8ths make the double tempo a steady pulse (swung ones would not be).
    slow = TrackSpec(76, swing=0.5, intro=1.5)
    track = ac.detect_beats(beats_media.get(slow, "mp3"), min_bpm=100, max_bpm=200)
    assert track.tempo == pytest.approx(152.0, rel=0.01)


def test_tempo_hint_pins_the_octave(beats_media):
    spec = TrackSpec(164, swing=0.58, intro=0.5)
    path = beats_media.get(spec, "ogg")
    assert ac.detect_beats(path).tempo == pytest.approx(164.0, rel=0.01)
    half = ac.detect_beats(path, tempo_hint=80)
    assert half.tempo == pytest.approx(82.0, rel=0.01)
    assert f_measure(spec.beat_times()[::2], half.beats) >= 0.9 or \
        f_measure(spec.beat_times()[1::2], half.beats) >= 0.9


# ---- The BeatTrack object --------------------------------------------------------------------


def test_beat_track_arrays_and_methods(beats_media):
    track = ac.detect_beats(beats_media.get(TrackSpec(120, intro=2.0), "flac"))
    assert track.beats.dtype == np.float64 and track.downbeats.dtype == np.float64
    assert track.onset_envelope.dtype == np.float32
    assert np.all(np.diff(track.beats) > 0)
    with pytest.raises(ValueError):
        track.beats[0] = 1.0  # read-only view
    np.testing.assert_array_equal(track.every(1), track.beats)
    np.testing.assert_array_equal(track.every(4), track.beats[::4])
    np.testing.assert_array_equal(track.every(2, offset=1), track.beats[1::2])
    assert track.every(4, offset=len(track.beats)).size == 0
    with pytest.raises(ValueError):
        track.every(0)
    with pytest.raises(ValueError):
        track.every(2, offset=-1)
    assert "BeatTrack(tempo=120" in repr(track)


def test_beat_track_round_trips(beats_media):
    track = ac.detect_beats(beats_media.get(TrackSpec(99, swing=0.67), "wav"))
    d = track.to_dict()
    assert set(d) == {"tempo", "beats", "downbeats", "onset_envelope", "onset_rate",
                      "onset_start", "confidence"}
    restored = ac.BeatTrack.from_dict(json.loads(json.dumps(d)))
    assert restored == track
    np.testing.assert_array_equal(restored.beats, track.beats)
    np.testing.assert_array_equal(restored.onset_envelope, track.onset_envelope)
    clone = pickle.loads(pickle.dumps(track))
    assert clone == track and clone.tempo == track.tempo
    # The arrays keep their owner alive.
    beats = ac.detect_beats(beats_media.get(TrackSpec(99, swing=0.67), "wav")).beats
    assert beats.size > 10 and np.all(np.diff(beats) > 0)


# ---- Progress, Ctrl-C, threads -----------------------------------------------------------------


def test_progress_is_reported_and_ends_at_one(beats_media):
    seen: list[float] = []
    ac.detect_beats(beats_media.get(TrackSpec(140), "mp3"), progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)


def test_keyboard_interrupt_stops_the_call(beats_media):
    path = beats_media.get(TrackSpec(140), "mp3")
    calls = []

    def interrupt(fraction: float) -> None:
        calls.append(fraction)
        if len(calls) == 1:
            _thread.interrupt_main()  # as Ctrl-C: seen by the core's next signal check

    with pytest.raises(KeyboardInterrupt):
        ac.detect_beats(path, progress=interrupt)
    # The interpreter and the library are fine afterwards.
    assert ac.detect_beats(path).tempo == pytest.approx(140.0, rel=0.01)


def test_progress_exception_propagates(beats_media):
    def boom(fraction: float) -> None:
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        ac.detect_beats(beats_media.get(TrackSpec(140), "wav"), progress=boom)


def test_threads_run_in_parallel_with_same_results(beats_media):
    paths = [beats_media.get(TrackSpec(bpm, swing=0.6), "m4a") for bpm in (90, 120, 150, 175)]
    serial = [ac.detect_beats(p) for p in paths]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(ac.detect_beats, paths))
    assert parallel == serial
    # The GIL is released during the call: another thread keeps running meanwhile.
    ticks = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        for p in paths:
            ac.detect_beats(p)
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 5
