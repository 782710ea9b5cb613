"""The sanitizer smoke set: every entry point on small fixtures, and every malformed
fixture through every entry point.

All of it is marked `sanitize`: scripts/asan_python.sh runs `pytest -m sanitize` against
an ASan+UBSan build of _core, where any memory error or undefined behaviour aborts. The
malformed matrix runs in one child process so that a crash or a hang shows up as failures
of the pairs it hit (and those after it), never as the death of the test run.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import autocut_native as ac
import numpy as np
import pytest

pytestmark = pytest.mark.sanitize

LAVFI_V = ["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1"]
LAVFI_A = ["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=22050:duration=1"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10"]


@pytest.fixture(scope="module")
def small(media) -> dict[str, str]:
    """Small clips of each codec family the core decodes, and a music file."""
    return {
        "h264_aac": str(media.make("smoke_h264_aac.mp4", [*LAVFI_V, *LAVFI_A, *X264, "-c:a", "aac",
                                                          "-shortest"])),
        "vp9": str(media.make("smoke_vp9.webm", [*LAVFI_V, "-c:v", "libvpx-vp9", "-deadline",
                                                 "realtime", "-cpu-used", "8", "-b:v", "200k"])),
        "hevc10": str(media.make("smoke_hevc10.mkv", [*LAVFI_V, "-c:v", "libx265", "-preset",
                                                      "ultrafast", "-pix_fmt", "yuv420p10le",
                                                      "-x265-params", "log-level=error"])),
        "mpeg4": str(media.make("smoke_mpeg4.avi", [*LAVFI_V, "-c:v", "mpeg4", "-q:v", "5"])),
        "music": str(media.make("smoke_music.mp3", [
            "-f", "lavfi", "-i", "aevalsrc=sin(2*PI*110*t)*exp(-12*mod(t\\,0.5)):s=22050:d=4",
            "-c:a", "libmp3lame", "-b:a", "64k"])),
    }


VIDEOS = ("h264_aac", "vp9", "hevc10", "mpeg4")


# ---- Every entry point on small fixtures ------------------------------------------------


@pytest.mark.parametrize("kind", VIDEOS)
def test_probe_from_path_bytes_and_file(small, kind):
    path = small[kind]
    info = ac.probe(path)
    assert info.has_video and (info.width, info.height) == (160, 90)
    data = Path(path).read_bytes()
    for src in (data, io.BytesIO(data)):
        other = ac.probe(src)
        assert (other.codec, other.width, other.frame_count) == (info.codec, 160,
                                                                 info.frame_count)


@pytest.mark.parametrize("kind", VIDEOS)
def test_decode_formats_seek_and_memory(small, kind):
    path = small[kind]
    with ac.VideoReader(path, threads=2) as r:
        luma = [f.array.copy() for f in r]
    assert len(luma) == 25
    for fmt in ("rgb24", "yuv"):
        with ac.VideoReader(path, format=fmt, size=(80, 46)) as r:
            assert sum(1 for _ in r) == 25
    with ac.VideoReader(Path(path).read_bytes()) as r:
        assert np.array_equal(r.frame_at(0.5).array, luma[12])
        assert [f.index for f in r.frames_at([0.1, 0.2, 0.9])] == [2, 5, 22]
        r.seek(0.0)
        assert np.array_equal(next(r).array, luma[0])
        r.seek(1e300)  # far past the end: the last frame stays displayed
        assert np.array_equal(next(r).array, luma[-1])


def test_one_file_object_serves_several_calls(small):
    """Each open reads a file-like object from its start, wherever the last call left it."""
    with open(small["h264_aac"], "rb") as f:
        info = ac.probe(f)
        with ac.VideoReader(f) as r:
            assert sum(1 for _ in r) == 25
        assert ac.analyze(f).frames_analyzed == 25
        assert ac.detect_beats(f).onset_rate > 0
        assert ac.probe(f) == info


def test_analyze_and_batch(small, tmp_path):
    paths = [small[k] for k in VIDEOS]
    one = ac.analyze(paths[0], threads=1)
    assert one.frames_analyzed == 25 and np.all(np.isfinite(one.quality))
    sampled = ac.analyze(paths[1], sample_fps=5)
    assert 4 <= sampled.frames_analyzed <= 6
    results = ac.analyze_many([*paths, small["music"]], workers=2, cache=tmp_path / "c.sqlite")
    assert [type(r).__name__ for r in results] == ["ClipAnalysis"] * 4 + ["AnalysisFailure"]
    assert results[4].error_type == "NoVideoStreamError"
    again = ac.analyze_many(paths, workers=2, cache=tmp_path / "c.sqlite")
    assert again == results[:4]


def test_beats(small):
    track = ac.detect_beats(small["music"])
    assert track.tempo == pytest.approx(120, rel=0.05)
    window = ac.detect_beats(small["music"], start=1.0, duration=2.0)
    assert np.all((window.beats >= 1.0) & (window.beats < 3.1))
    assert ac.detect_beats(small["h264_aac"]).onset_rate > 0


def test_render(small, tmp_path):
    t = ac.Timeline(canvas=(96, 64), fps=25, fit="pad", audio=small["music"])
    for kind in VIDEOS:
        t.add(small[kind], 0.2, 0.6)
    out = tmp_path / "out.mp4"
    result = ac.render(t, out, encoder="libx264", hwaccel="none")
    assert result.frames == 40
    info = ac.probe(out)
    assert info.has_video and info.has_audio and (info.width, info.height) == (96, 64)
    assert sorted(os.listdir(tmp_path)) == ["out.mp4"]


# ---- Every malformed fixture through every entry point -----------------------------------

KINDS = ("missing", "directory", "empty", "random", "text", "truncated", "truncated_faststart",
         "header_only", "bitflip_header", "bitflip_payload", "timestamp_jump")
# The fuzzer's committed regression inputs (tests/fuzz/regressions) take the same path.
REGRESSIONS = Path(__file__).parents[1] / "fuzz" / "regressions"
FUZZED = tuple(sorted(p.name for p in REGRESSIONS.glob("*") if p.suffix != ".md"))
ENTRIES = ("probe", "reader", "analyze", "analyze_sampled", "analyze_many", "detect_beats",
           "timeline", "timeline_audio", "render", "render_audio")

MATRIX = textwrap.dedent(
    """
    import json, os, sys
    import autocut_native as ac
    from autocut_native import _core

    good, out_dir, pairs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

    def run(entry, path):
        if entry == "probe":
            ac.probe(path)
        elif entry == "reader":
            with ac.VideoReader(path, threads=1) as r:
                for _ in r:
                    pass
        elif entry == "analyze":
            ac.analyze(path, threads=1)
            ac.analyze(path, threads=1, sample_fps=7)
        elif entry == "analyze_sampled":
            ac.analyze(path, threads=2, sample_fps=7)  # the read-ahead and the GOP pool
        elif entry == "analyze_many":
            r = ac.analyze_many([path], workers=1, cache=False)[0]
            if isinstance(r, ac.AnalysisFailure):
                raise r.exception
        elif entry == "detect_beats":
            ac.detect_beats(path)
        elif entry == "timeline":
            ac.Timeline(canvas=(64, 48)).add(path, 0, 0.2).validate()
        elif entry == "timeline_audio":
            ac.Timeline(canvas=(64, 48), audio=path).add(good, 0, 0.2).validate()
        else:  # render, render_audio: the core's own checks, past Python's validation
            d = ac.Timeline(canvas=(64, 48)).add(good, 0, 0.2).to_dict()
            if entry == "render":
                d["segments"][0]["path"] = path
            else:
                d["audio"] = path
            _core.render(d, os.path.join(out_dir, "out.mp4"), hwaccel="none")
            os.remove(os.path.join(out_dir, "out.mp4"))

    for kind, path, entry in pairs:
        res = {"kind": kind, "entry": entry, "outcome": "ok"}
        try:
            run(entry, path)
        except Exception as e:
            res.update(outcome="error", type=type(e).__name__, message=str(e),
                       ac_error=isinstance(e, ac.Error) and type(e) is not ac.Error)
        res["left_behind"] = sorted(os.listdir(out_dir))
        print(json.dumps(res), flush=True)
    """
)

# Damage some data survives: readers may return what decodes, validation may pass it.
PARTLY_READABLE = {"truncated_faststart", "bitflip_payload", "timestamp_jump", "header_only",
                   *FUZZED}


def input_path(media, kind: str) -> str:
    return str(REGRESSIONS / kind) if kind in FUZZED else str(media.malformed(kind))


@pytest.fixture(scope="module")
def matrix(media, small, tmp_path_factory) -> tuple[dict, str]:
    out_dir = tmp_path_factory.mktemp("render-out")
    pairs = [(k, input_path(media, k), e) for k in (*KINDS, *FUZZED) for e in ENTRIES]
    try:
        res = subprocess.run([sys.executable, "-c", MATRIX, small["h264_aac"], str(out_dir),
                              json.dumps(pairs)], capture_output=True, text=True, timeout=120)
        stdout, stderr, rc = res.stdout, res.stderr, res.returncode
    except subprocess.TimeoutExpired as e:
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        stderr, rc = "timed out (a hang)", None
    found = {}
    for line in stdout.splitlines():
        r = json.loads(line)
        found[(r["kind"], r["entry"])] = r
    return found, f"child exit {rc}: {stderr[-3000:]}"


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("kind", KINDS + FUZZED)
def test_malformed_input_raises_a_specific_error_naming_the_file(media, matrix, kind, entry):
    found, why = matrix
    r = found.get((kind, entry))
    assert r is not None, f"never finished (crash or hang before or at this pair): {why}"
    assert r["left_behind"] == [], "render left a file behind"
    if r["outcome"] == "ok":
        assert kind in PARTLY_READABLE, f"{kind} through {entry} raised nothing"
        return
    assert r["ac_error"], f"{r['type']} is not a specific autocut_native.Error: {r['message']}"
    assert input_path(media, kind) in r["message"], r["message"]
