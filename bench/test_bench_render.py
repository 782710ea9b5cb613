"""Rendering an edit: render() against the ffmpeg CLI doing the same edit with the same
encoder settings (libx264, render's quality="high": crf 18, preset medium; AAC 192k), and
against MoviePy concatenate_videoclips + write_videofile.

Peaks: peak RSS of a timeline of many short segments against one of few long segments
of the same total length; render() should not grow with the segment count.
"""

from __future__ import annotations

import pytest
import workloads

RENDER = {"render": ("autocut_native",), "ffmpeg_render": (), "moviepy_render": ("moviepy",)}


@pytest.mark.benchmark(group="render")
@pytest.mark.parametrize("label", list(RENDER))
def test_render(benchmark, bench, require, manifest, label):
    require(label, RENDER[label])
    n, beats = workloads.EDITS[bench.scale]["render"]
    out = bench.out_dir() / f"render_{label}.mp4"
    out.unlink(missing_ok=True)
    edit = workloads.edit(manifest, n, beats, out, beats=True)
    rec = bench.measure(benchmark, "render", label, label, {"edit": edit})
    assert out.exists() and out.stat().st_size > 0
    rec_frames = rec["extra"].get("frames")
    if rec_frames is not None:
        assert rec_frames > 0


def test_render_outputs_agree(bench, require, manifest):
    """Not timed: the peers rendered the same edit (same frame count); how close their
    pictures are to render()'s (luma PSNR) goes into the report."""
    require("compare", ("autocut_native",))
    import autocut_native as ac

    ref = bench.out_dir() / "render_render.mp4"
    if not ref.exists():
        pytest.skip("render() output missing")
    psnr = {}
    for label in ("ffmpeg_render", "moviepy_render"):
        out = bench.out_dir() / f"render_{label}.mp4"
        if out.exists():
            q = ac.compare(ref, out)
            assert q.reference_frames == q.distorted_frames, label
            psnr[label] = float(q.mean_psnr)
    bench.record({"workload": "render_quality", "label": "psnr", "tool": "compare",
                  "wall_s": 0.0, "peak_rss_mb": 0.0, "base_rss_mb": 0.0, "items": [],
                  "extra": psnr})


PEAKS = [(tool, which) for tool in ("render", "ffmpeg_render") for which in ("many", "few")]


@pytest.mark.benchmark(group="peaks")
@pytest.mark.parametrize(("tool", "which"), PEAKS, ids=[f"{t}-{w}" for t, w in PEAKS])
def test_peaks(benchmark, bench, require, manifest, tool, which):
    require(tool, RENDER[tool])
    many, few = workloads.EDITS[bench.scale]["peaks"]
    n, seconds = many if which == "many" else few
    out = bench.out_dir() / f"peaks_{tool}_{n}.mp4"
    out.unlink(missing_ok=True)
    edit = workloads.edit(manifest, n, (seconds,), out)
    bench.measure(benchmark, "peaks", f"{tool}_{n}seg", tool, {"edit": edit})
    assert out.exists()
