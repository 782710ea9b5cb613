"""Reliability: RSS stays flat over 1,000 open/analyse/close cycles; Ctrl-C during
analyze_many, detect_beats and render ends the call within a second leaving no threads,
temporaries or cache locks; many workers on few cores give sequential results; a full or
read-only disk raises OutputError and leaves nothing behind.

Each scenario runs in a child process: RSS is measured without pytest's own allocations,
SIGINT is delivered to a process of its own, and the disk tests run in a mount namespace.
(Bad input through every entry point is tests/python/test_smoke.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from batchgen import clip_set

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Never touch the user's real cache: the default location is a temp file."""
    monkeypatch.setenv("AUTOCUT_NATIVE_CACHE", str(tmp_path / "default-cache.sqlite"))


def run_child(script: str, *args, timeout: float = 120) -> dict:
    res = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True,
                         text=True, timeout=timeout)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def tiny(media):
    """64x64, 10 frames, with a little audio: one cycle costs a few milliseconds."""
    return media.make("tiny64.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10:duration=1",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:duration=1",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest"])


@pytest.fixture(scope="module")
def long_clip(media):
    """A minute of 640x360 (the same file test_sources.py interrupts)."""
    return media.make("len60.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=60", "-c:v", "libx264",
        "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p"])


# ---- Soak ---------------------------------------------------------------------------------

SOAK = textwrap.dedent(
    """
    import gc, json, sys
    import psutil
    import autocut_native as ac

    clip = sys.argv[1]
    with open(clip, "rb") as f:
        data = f.read()
    proc = psutil.Process()
    out = {}

    def cycles(name, n, fn):
        for i in range(n):
            fn()
            if i == n // 5 - 1:
                gc.collect()
                start = proc.memory_info().rss
        gc.collect()
        out[name] = proc.memory_info().rss - start

    def read_all(src):
        with ac.VideoReader(src, threads=1) as r:
            for _ in r:
                pass

    cycles("analyze", 1000, lambda: ac.analyze(clip, threads=1))
    cycles("analyze_bytes", 300, lambda: ac.analyze(data, threads=1, sample_fps=5))
    cycles("analyze_pool", 300, lambda: ac.analyze(clip, threads=2, sample_fps=5))
    cycles("reader", 1000, lambda: read_all(clip))
    cycles("reader_bytes", 300, lambda: read_all(data))
    cycles("probe", 1000, lambda: (ac.probe(clip), ac.probe(data)))
    cycles("beats", 300, lambda: ac.detect_beats(clip))
    print(json.dumps(out))
    """
)


def test_rss_stays_flat_over_open_analyse_close_cycles(tiny):
    """After a fifth of the cycles (allocator pools warmed) RSS grows < 15 MB more (none, in
    practice); keeping one decoded 64x64 frame per cycle shows as ~25 MB over 800 cycles."""
    growth = run_child(SOAK, tiny, timeout=240)
    mb = {k: round(v / 2**20, 1) for k, v in growth.items()}
    assert all(v < 15 for v in mb.values()), mb


# ---- Interruption -------------------------------------------------------------------------

INTERRUPT = textwrap.dedent(
    """
    import json, os, signal, sys, threading, time
    import autocut_native as ac

    mode, src, work = sys.argv[1], sys.argv[2], sys.argv[3]
    sent = []

    def interrupt():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)
    timer.start()
    try:
        if mode == "analyze_many":
            ac.analyze_many([src] * 8, workers=2, cache=os.path.join(work, "cache.sqlite"))
        elif mode == "analyze_sampled":
            while True:
                ac.analyze(src, sample_fps=5, threads=2)  # the GOP pool's workers
        elif mode == "detect_beats":
            while True:
                ac.detect_beats(src)
        else:
            t = ac.Timeline(canvas=(640, 360), audio=sys.argv[4])
            for i in range(20):
                t.add(src, i, i + 3)
            while True:
                ac.render(t, os.path.join(work, "out.mp4"), hwaccel="none")
        result = "finished"
    except KeyboardInterrupt:
        result = "interrupted"
    caught = time.perf_counter()
    timer.join()
    print(json.dumps({"result": result, "delay": caught - sent[0],
                      "threads": [t.name for t in threading.enumerate()]}))
    """
)

# A second process must be able to write the cache right away (no lock left held).
CACHE_AFTER = textwrap.dedent(
    """
    import json, sqlite3, sys
    import autocut_native as ac
    db, clip = sys.argv[1], sys.argv[2]
    conn = sqlite3.connect(db, timeout=1.0)
    conn.execute("BEGIN IMMEDIATE")
    conn.rollback()
    ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    r = ac.analyze_many([clip], cache=db)[0]
    with ac.AnalysisCache(db) as c:
        hit = c.get(clip) is not None
    print(json.dumps({"integrity": ok, "analysed": isinstance(r, ac.ClipAnalysis), "hit": hit}))
    """
)


@posix_only
@pytest.mark.parametrize("mode", ["analyze_many", "analyze_sampled", "detect_beats", "render"])
def test_ctrl_c_stops_within_a_second_leaving_nothing_behind(media, long_clip, tiny, tmp_path,
                                                             mode):
    src = long_clip if mode != "detect_beats" else media.make("music60.m4a", [
        "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=44100:duration=60",
        "-c:a", "aac", "-b:a", "96k"])
    work = tmp_path / "work"
    work.mkdir()
    out = run_child(INTERRUPT, mode, src, work, media.get("audio_m4a"), timeout=120)
    assert out["result"] == "interrupted"
    assert out["delay"] < 1.0, out
    assert out["threads"] == ["MainThread"], out
    left = sorted(os.listdir(work))
    if mode == "analyze_many":
        # WAL side files are SQLite's own and harmless; what matters is that another
        # process can take the write lock at once and the database is intact.
        assert set(left) <= {"cache.sqlite", "cache.sqlite-wal", "cache.sqlite-shm"}, left
        after = run_child(CACHE_AFTER, work / "cache.sqlite", tiny)
        assert after == {"integrity": "ok", "analysed": True, "hit": True}
    else:
        assert left == [], f"temporaries left behind: {left}"


# ---- Concurrency --------------------------------------------------------------------------

OVERSUBSCRIBED = textwrap.dedent(
    """
    import json, os, sys
    import autocut_native as ac
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    paths = sys.argv[1:]
    sequential = [ac.analyze(p) for p in paths]
    parallel = ac.analyze_many(paths, workers=8, cache=False)
    same = [isinstance(r, ac.ClipAnalysis) and r == s for r, s in zip(parallel, sequential)]
    print(json.dumps({"same": same, "cores": len(os.sched_getaffinity(0))
                      if hasattr(os, "sched_getaffinity") else None}))
    """
)


def test_eight_workers_on_two_cores_match_a_sequential_run(media):
    paths = [*clip_set(media, 4), media.get("vp9_webm"), media.get("mpeg4_avi"),
             media.get("hevc10_rot_mov"), media.get("vfr_mp4")] * 2
    out = run_child(OVERSUBSCRIBED, *paths, timeout=240)
    assert out["same"] == [True] * len(paths)


# ---- Full and read-only disks -------------------------------------------------------------

DISK = textwrap.dedent(
    """
    import json, os, sys, warnings
    import autocut_native as ac
    clip, full, readonly = sys.argv[1], sys.argv[2], sys.argv[3]
    t = ac.Timeline(canvas=(640, 360))
    for i in range(4):
        t.add(clip, 0, 2)
    out = {}
    for name, folder in (("full", full), ("readonly", readonly)):
        try:
            ac.render(t, os.path.join(folder, "out.mp4"), quality="high", hwaccel="none")
            out[name] = {"error": None}
        except Exception as e:
            out[name] = {"error": type(e).__name__,
                         "names_file": os.path.join(folder, "out.mp4") in str(e),
                         "message": str(e)}
        out[name]["left"] = sorted(os.listdir(folder))
    # The analysis cache on a full disk: results still come back, with a warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = ac.analyze_many([clip], cache=os.path.join(full, "c.sqlite"))[0]
    out["cache_full"] = {"analysed": isinstance(r, ac.ClipAnalysis),
                         "warnings": sorted({type(w.message).__name__ for w in caught})}
    print(json.dumps(out))
    """
)

# A 200 KB tmpfs that is already full but for 8 KB, and a read-only one, in a private
# mount namespace (needs root or user namespaces; skipped when not allowed).
MOUNTS = """
set -e
mount -t tmpfs -o size=200k tmpfs "$1"
head -c 196608 /dev/zero > "$1/filler" || true
mount -t tmpfs -o size=64k,ro tmpfs "$2"
shift 2
exec "$@"
"""


def _can_mount(tmp_path) -> bool:
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return False
    probe_dir = tmp_path / "probe-mount"
    probe_dir.mkdir()
    res = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                          'mount -t tmpfs -o size=16k tmpfs "$0"', str(probe_dir)],
                         capture_output=True, timeout=30)
    return res.returncode == 0


def test_full_and_read_only_disks_raise_output_error_and_leave_nothing(media, tmp_path):
    if not _can_mount(tmp_path):
        pytest.skip("cannot mount a tmpfs here (needs root or user namespaces)")
    full, ro = tmp_path / "full", tmp_path / "ro"
    full.mkdir()
    ro.mkdir()
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNTS, "sh",
           str(full), str(ro), sys.executable, "-c", DISK, str(media.get("h264_mp4")),
           str(full), str(ro)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for name in ("full", "readonly"):
        assert out[name]["error"] == "OutputError", out
        assert out[name]["names_file"], out
    assert out["full"]["left"] == ["filler"], out  # the temporary is gone
    assert out["readonly"]["left"] == [], out
    assert out["cache_full"]["analysed"], out
    assert out["cache_full"]["warnings"] == ["CacheWarning"], out
