"""bench/report.py turns records into RESULTS.md and a chart (synthetic records, so this
checks the report itself, not a measurement)."""

from __future__ import annotations

import json

import report


def _rec(workload, label, tool, wall, rss, **kw):
    return {"run_id": "r1", "scale": "tiny", "workload": workload, "label": label, "tool": tool,
            "wall_s": wall, "peak_rss_mb": rss, "base_rss_mb": 12.0, "rss_source": "VmHWM",
            "items": kw.pop("items", []), "extra": kw.pop("extra", {}), **kw}


def test_report_writes_markdown_and_chart(tmp_path, require):
    clips = ["/m/00_h264.mp4", "/m/01_vp9.webm"]
    items = [{"path": p, "wall_s": 1.0, "frames": 30} for p in clips]
    recs = [
        _rec("analysis", "ffmpeg_decode", "ffmpeg_decode", 2.0, 80, items=items,
             rss_source="wait4"),
        _rec("analysis", "analyze", "analyze", 2.4, 120, items=items,
             extra={"frames_analyzed": 60}),
        _rec("analysis", "analyze_sample5", "analyze", 1.0, 110, items=items),
        _rec("analysis", "moviepy_all_open", "moviepy_all_open", 9.0, 900,
             rss_source="VmHWM+tree", subprocesses=4, peak_rss_self_mb=300),
        _rec("beats", "detect_beats", "detect_beats", 0.2, 60,
             items=[{"path": "a.wav", "f_measure": 1.0}]),
        _rec("beats", "librosa", "librosa", 4.0, 300, items=[{"path": "a.wav", "f_measure": 0.9}]),
        _rec("render", "render", "render", 5.0, 200, extra={"frames": 90}),
        _rec("render", "ffmpeg_render", "ffmpeg_render", 4.8, 250, rss_source="wait4"),
        _rec("render_quality", "psnr", "compare", 0, 0, extra={"ffmpeg_render": 41.0}),
        _rec("peaks", "render_4seg", "render", 1.0, 200),
        _rec("peaks", "render_16seg", "render", 1.1, 205),
    ]
    res = tmp_path / "results.jsonl"
    res.write_text("".join(json.dumps(r) + "\n" for r in recs))
    (tmp_path / "machine.json").write_text(json.dumps({"cpu": "Test CPU", "cores": 2,
                                                       "scale": "tiny", "packages": {}}))
    out, png = tmp_path / "RESULTS.md", tmp_path / "results.png"
    assert report.main(["--results", str(res), "--out", str(out), "--png", str(png)]) == 0
    text = out.read_text()
    assert "Test CPU" in text and "scale `tiny`" in text
    assert "1.20×" in text  # analyze / bare decode
    assert "20.0×" in text  # librosa / detect_beats
    assert "**missed**" in text  # analyze at 1.2x the bare decode
    assert "OpenCV" in text  # listed as not measured
    assert png.exists() and png.stat().st_size < 200_000
