"""Analysis of every clip: autocut_native against the bare decode (the limit) and peers.

Each tool runs over the whole clip set in one child process; sequential tools go clip by
clip, analyze_many runs the batch, MoviePy opens every clip up front (the old pipeline).
"""

from __future__ import annotations

import pytest


def available_mib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")

# label -> (runner tool, extra args, modules the child needs)
TOOLS = {
    "ffmpeg_decode": ("ffmpeg_decode", {}, ()),
    "analyze": ("analyze", {}, ("autocut_native",)),
    "analyze_sample5": ("analyze", {"kwargs": {"sample_fps": 5}}, ("autocut_native",)),
    "analyze_many": ("analyze_many", {"kwargs": {"cache": False}}, ("autocut_native.batch",)),
    "pyav_numpy": ("pyav_numpy", {}, ("av", "numpy")),
    "opencv": ("opencv", {}, ("cv2", "numpy")),
    "moviepy_all_open": ("moviepy_all_open", {}, ("moviepy", "numpy")),
}


@pytest.mark.benchmark(group="analysis")
@pytest.mark.parametrize("label", list(TOOLS))
def test_analysis(benchmark, bench, require, clip_paths, label):
    tool, extra, needs = TOOLS[label]
    require(label, needs)
    if label == "moviepy_all_open":
        # One ffmpeg reader process per open clip, ~170 MiB each at 1080p (more at 4K):
        # do not push the machine (and whoever else runs on it) into the OOM killer.
        need = 2048 + 300 * len(clip_paths)
        if available_mib() < need:
            pytest.skip(f"moviepy_all_open needs ~{need} MiB free, {available_mib():.0f} MiB")
    rec = bench.measure(benchmark, "analysis", label, tool, {"paths": clip_paths, **extra})
    assert rec["wall_s"] > 0 and rec["peak_rss_mb"] > 0
    frames = rec["extra"].get("frames_analyzed")
    if frames is not None:
        assert frames > 0
