"""analyze_many: results aligned with paths and failures as values, the memory governor,
progress events and bar, MemoryMonitor, peak RSS independent of batch length, and the
Dask adapter."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import autocut_native as ac
import numpy as np
import pytest
from autocut_native import AnalysisFailure, MemoryMonitor, ProgressEvent, analyze_many
from autocut_native.batch import (
    FIXED_OVERHEAD,
    ProgressBar,
    _cpu_count,
    estimate_footprint,
    resolve_memory_limit,
)
from batchgen import clip_set, hd_segments

CALM = dict(warn_percent=100.0, critical_percent=100.0)  # never throttled by system memory


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Never touch the user's real cache: the default location is a temp file."""
    monkeypatch.setenv("AUTOCUT_NATIVE_CACHE", str(tmp_path / "default-cache.sqlite"))


@pytest.fixture(scope="module")
def clips(media):
    return clip_set(media, 6)


def run_logged(paths, **kw):
    events: list[ProgressEvent] = []
    results = analyze_many(paths, progress=events.append, **kw)
    return results, events


def max_running(events: list[ProgressEvent]) -> int:
    return max(e.running for e in events if e.kind == "clip_start")


# ---- Results -------------------------------------------------------------------------


def test_results_align_with_failures_mixed_in(media, clips):
    paths = [clips[0], media.malformed("missing"), clips[1], media.malformed("random"),
             media.get("audio_m4a"), media.malformed("text"), clips[2]]
    results = analyze_many(paths, workers=2, cache=False)
    assert len(results) == len(paths)
    kinds = [type(r).__name__ if isinstance(r, ac.ClipAnalysis) else r.error_type
             for r in results]
    assert kinds == ["ClipAnalysis", "MediaNotFoundError", "ClipAnalysis", "InvalidMediaError",
                     "NoVideoStreamError", "InvalidMediaError", "ClipAnalysis"]
    for path, r in zip(paths, results):
        assert r.path == str(path)
        if isinstance(r, AnalysisFailure):
            assert str(path) in r.message
            assert isinstance(r.exception, ac.Error)
            assert type(r.exception).__name__ == r.error_type
        else:
            assert r == ac.analyze(path)


def test_on_error_raise_reraises_the_first_failure(media, clips):
    with pytest.raises(ac.MediaNotFoundError):
        analyze_many([clips[0], media.malformed("missing"), clips[1]], on_error="raise",
                     cache=False)
    with pytest.raises(ac.NoVideoStreamError):
        analyze_many([media.get("audio_m4a"), *clips[:3]], on_error="raise", cache=False)
    assert not [t for t in threading.enumerate() if t.name.startswith("autocut-analyze")]


def test_empty_batch():
    assert analyze_many([]) == []


def test_bad_arguments(clips):
    with pytest.raises(ValueError):
        analyze_many(clips, on_error="ignore")
    with pytest.raises(ValueError):
        analyze_many(clips, workers=0)
    with pytest.raises(TypeError):
        analyze_many(clips, sample_rate=10)
    with pytest.raises(ValueError):
        analyze_many(clips, sample_fps=0)
    with pytest.raises(ValueError):
        analyze_many(clips, skip="sometimes")
    with pytest.raises(TypeError):
        analyze_many(clips, progress="yes")
    with pytest.raises(ValueError):
        analyze_many(clips, memory_limit=-1)


def test_analyze_kwargs_pass_through_and_threads_split_across_workers(clips):
    results = analyze_many(clips[:2], workers=2, cache=False, sample_fps=5, analysis_size=120)
    for path, r in zip(clips, results):
        assert r.frames_analyzed < 10 and r.params["analysis_size"] == 120
        assert r.params["threads"] == max(1, round(_cpu_count() / 2))
        assert r == ac.analyze(path, sample_fps=5, analysis_size=120)
    (r,) = analyze_many(clips[:1], cache=False, threads=3)
    assert r.params["threads"] == 3


# ---- Progress ------------------------------------------------------------------------


def test_progress_events(media, clips, tmp_path):
    paths = [*clips[:3], media.malformed("missing")]
    db = tmp_path / "c.sqlite"
    results, events = run_logged(paths, cache=db, workers=2)
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert kinds.count("clip_start") == 3 and kinds.count("clip_done") == 3
    assert kinds.count("clip_failed") == 1
    assert [e.done for e in events] == sorted(e.done for e in events)
    last = events[-1]
    assert (last.done, last.total, last.analyzed, last.failed, last.cached) == (4, 4, 3, 1, 0)
    assert last.frames == 3 * 30 and last.frames_per_s > 0 and last.eta_s == 0
    assert last.running == 0
    for e in events:
        if e.kind in ("clip_done", "clip_failed"):
            assert e.result is results[e.index] and e.path == str(paths[e.index])
    _, again = run_logged(paths, cache=db, workers=2)
    assert [e.kind for e in again].count("cached") == 3
    assert again[-1].cached == 3 and again[-1].frames == 0


def test_progress_bar_on_stderr(clips, capsys):
    analyze_many(clips[:2], progress=True, cache=False)
    err = capsys.readouterr().err
    assert err.startswith("\r[") and err.endswith("\n")
    assert "2/2 clips" in err and "frames/s" in err


def test_progress_bar_text():
    out = io.StringIO()
    bar = ProgressBar(out, width=10)
    common = dict(path=None, index=None, total=4, analyzed=1, cached=1, failed=0,
                  running=1, frames=300, frames_per_s=150.0, elapsed_s=2.0)
    bar(ProgressEvent(kind="start", done=0, eta_s=None, **{**common, "analyzed": 0,
                                                            "cached": 0}))
    bar(ProgressEvent(kind="done", done=4, eta_s=0.0, **common))
    text = out.getvalue()
    assert "[..........] 0/4 clips" in text and "ETA --:--" in text
    assert text.endswith("[##########] 4/4 clips (1 cached)  150 frames/s  in 00:02\n")


def test_an_exception_in_the_callback_stops_the_batch(clips):
    def boom(e: ProgressEvent) -> None:
        if e.kind == "clip_start":
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        analyze_many(clips, progress=boom, workers=2, cache=False)
    assert not [t for t in threading.enumerate() if t.name.startswith("autocut-analyze")]


INTERRUPT_SCRIPT = textwrap.dedent("""
    import sys, threading
    import autocut_native as ac

    def started(e):
        if e.kind == "clip_start" and e.index == 0:
            print("started", flush=True)

    try:
        ac.analyze_many(sys.argv[1:], workers=2, cache=False, progress=started)
    except KeyboardInterrupt:
        names = [t.name for t in threading.enumerate()]
        print("interrupted", [n for n in names if n.startswith("autocut-")], flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_the_workers(clips):
    # Enough work for a minute; the interrupt must end it at once.
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPT_SCRIPT, *map(str, clips * 300)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip() == "interrupted []"


# ---- Memory governor ------------------------------------------------------------------


def test_workers_run_in_parallel_when_memory_allows(clips):
    results, events = run_logged(clips, workers=3, cache=False, monitor=MemoryMonitor(**CALM))
    assert max_running(events) == 3
    assert all(isinstance(r, ac.ClipAnalysis) for r in results)


def test_a_tiny_memory_budget_runs_one_clip_at_a_time(clips):
    results, events = run_logged(clips, workers=4, cache=False, memory_limit=1024,
                                 monitor=MemoryMonitor(**CALM))
    assert max_running(events) == 1
    assert all(isinstance(r, ac.ClipAnalysis) for r in results)  # each still runs


def test_budget_fits_as_many_clips_as_their_estimates_allow(clips):
    est = estimate_footprint(ac.probe(clips[0]), threads=1)
    _, events = run_logged(clips, workers=4, threads=1, cache=False, memory_limit=2 * est + 1,
                           monitor=MemoryMonitor(**CALM))
    assert max_running(events) == 2


def test_system_memory_levels_shrink_concurrency(clips):
    warn = MemoryMonitor(warn_percent=0.0, critical_percent=100.0)
    assert warn.level == "warning"
    _, events = run_logged(clips, workers=4, cache=False, monitor=warn)
    assert max_running(events) == 2
    critical = MemoryMonitor(warn_percent=0.0, critical_percent=0.0)
    assert critical.level == "critical"
    _, events = run_logged(clips, workers=4, cache=False, monitor=critical)
    assert max_running(events) == 1


def test_estimate_footprint(media):
    hd = ac.probe(media.get("h264_mp4"))  # 640x360 8-bit 4:2:0 H.264
    assert estimate_footprint(hd, 2) == int(640 * 384 * 1.5 * (2 + 8 + 4)) + FIXED_OVERHEAD
    assert estimate_footprint(hd, 4) > estimate_footprint(hd, 2)
    # sampled: a pool of GOP decoders, each with its references and 2 waiting picks
    assert estimate_footprint(hd, 2, sampled=True) == \
        int(640 * 384 * 1.5 * (2 * (8 + 2) + 4)) + FIXED_OVERHEAD
    assert estimate_footprint(hd, 1, sampled=True) == estimate_footprint(hd, 1)
    uhd = ac.probe(media.get("uhd_mp4"))
    assert estimate_footprint(uhd, 2) > 20 * (estimate_footprint(hd, 2) - FIXED_OVERHEAD)
    ten = ac.probe(media.get("hevc10_rot_mov"))  # same size at 10 bits: twice the bytes
    assert estimate_footprint(ten, 2) - FIXED_OVERHEAD == \
        2 * (estimate_footprint(hd, 2) - FIXED_OVERHEAD)
    assert estimate_footprint(ac.probe(media.get("audio_m4a")), 2) == FIXED_OVERHEAD
    assert estimate_footprint(None, 2) > estimate_footprint(hd, 2)


def test_resolve_memory_limit():
    total = 16 << 30
    assert resolve_memory_limit(None, total) == int(0.4 * total)
    assert resolve_memory_limit(0.25, total) == total // 4
    assert resolve_memory_limit(1.0, total) == total
    assert resolve_memory_limit(3 << 30, total) == 3 << 30
    for bad in (0, -5, 0.0):
        with pytest.raises(ValueError):
            resolve_memory_limit(bad, total)
    with pytest.raises(TypeError):
        resolve_memory_limit(True, total)


def test_memory_monitor_records_the_peak_of_a_block():
    mon = MemoryMonitor()
    assert mon.rss > 0 and mon.peak_rss >= mon.rss * 0.5
    assert 0 < mon.system_percent <= 100
    assert MemoryMonitor.process_peak_rss() >= mon.rss * 0.5
    with mon:
        start = mon.rss
        block = np.ones(200 << 20, dtype=np.uint8)  # 200 MiB, touched
        del block
    assert mon.peak_rss - start >= 150 << 20
    assert mon.peak_rss == mon.peak_rss  # frozen after the block
    with pytest.raises(ValueError):
        MemoryMonitor(warn_percent=70, critical_percent=60)


PEAK_SCRIPT = textwrap.dedent("""
    import sys
    import autocut_native as ac
    paths = sys.argv[1:]
    results = ac.analyze_many(paths, workers=2, cache=False)
    assert all(isinstance(r, ac.ClipAnalysis) for r in results), results
    with open("/proc/self/status") as f:
        print([line.split()[1] for line in f if line.startswith("VmHWM:")][0])
""")


def peak_rss_kib(paths: list[Path]) -> int:
    # Measured in a fresh process from VmHWM (ru_maxrss would include the parent's peak).
    out = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, *map(str, paths)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux VmHWM")
def test_peak_rss_does_not_grow_with_batch_length(media):
    clips = hd_segments(media, 30)
    few, many = peak_rss_kib(clips[:5]), peak_rss_kib(clips)
    assert many <= 1.2 * few, (few, many)


# ---- Dask ----------------------------------------------------------------------------


def test_analyze_dask_on_a_local_cluster(media, clips):
    distributed = pytest.importorskip("dask.distributed")
    from autocut_native.distributed import analyze_dask

    paths = [clips[0], media.malformed("missing"), clips[1], media.get("audio_m4a")]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        results = analyze_dask(paths, client, sample_fps=10)
        assert isinstance(results[0], ac.ClipAnalysis) and isinstance(results[2], ac.ClipAnalysis)
        assert results[1] == AnalysisFailure(str(paths[1]), "MediaNotFoundError",
                                             results[1].message)
        assert results[3].error_type == "NoVideoStreamError"
        for i in (0, 2):
            assert results[i] == ac.analyze(paths[i], sample_fps=10)
            assert results[i].params["grid"] == (320, 240)
            # the worker's cores shared among its 2 task threads
            assert results[i].params["threads"] == max(1, _cpu_count() // 2)
        with pytest.raises(ac.MediaNotFoundError):
            analyze_dask(paths, client, on_error="raise")

    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None, resources={"CPU": 6}) as cluster, \
            distributed.Client(cluster) as client:
        (r,) = analyze_dask(clips[:1], client)
        assert r.params["threads"] == 3  # 6 CPUs over 2 task threads
        (r,) = analyze_dask(clips[:1], client, cpus_per_task=4)
        assert r.params["threads"] == 4


def test_analyze_dask_without_dask_says_how_to_install(monkeypatch, clips):
    from autocut_native.distributed import analyze_dask

    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"autocut_native\[dask\]"):
        analyze_dask(clips)
