"""autocut-native end to end: every subcommand on generated media, JSON parsed and
checked, plots are real images, errors are one line with the right exit status."""

from __future__ import annotations

import json
import subprocess
import sys

import autocut_native as ac
import numpy as np
import pytest
from autocut_native.cli import main
from autocut_native.synth import TrackSpec, synth, write_wav

X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "15"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autocut_native", *args], capture_output=True,
                          text=True, timeout=300)


def is_png(path, min_bytes=8000) -> bool:
    data = path.read_bytes()
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= min_bytes


@pytest.fixture(scope="session")
def clip_dir(media, tmp_path_factory):
    """Six good clips and two known-bad ones (blurred, dark), 3 s each."""
    d = tmp_path_factory.mktemp("clips")
    good = ["testsrc2=size=640x360:rate=30", "mandelbrot=size=640x360:rate=30:maxiter=200",
            "smptehdbars=size=640x360:rate=30,rotate=angle='0.2*t'",
            "life=size=640x360:rate=30:mold=10:life_color=#30e090:death_color=#c03010",
            "testsrc2=size=800x450:rate=30,crop=640:360:x='t*40':y=20",
            "mandelbrot=size=640x360:rate=30:maxiter=200:start_scale=1,hue=H=t"]
    bad = {"bad_blur": "mandelbrot=size=640x360:rate=30:maxiter=200,gblur=sigma=10",
           "bad_dark": "testsrc2=size=640x360:rate=30,eq=brightness=-0.6:contrast=0.4"}
    for i, src in enumerate(good):
        p = media.make(f"cli_good_{i}.mp4", ["-f", "lavfi", "-i", src, "-t", "3", *X264])
        (d / p.name).symlink_to(p)
    for name, src in bad.items():
        p = media.make(f"cli_{name}.mp4", ["-f", "lavfi", "-i", src, "-t", "3", *X264])
        (d / p.name).symlink_to(p)
    return d


@pytest.fixture(scope="session")
def song(media):
    spec = TrackSpec(bpm=124, seconds=16, intro=0.5)
    path = media.root / "cli_song.wav"
    if not path.exists():
        write_wav(path, synth(spec), spec.rate)
    return path


def test_probe_table_and_json(media, capsys):
    path = media.get("h264_mp4")
    assert main(["probe", str(path), str(media.get("audio_m4a"))]) == 0
    out = capsys.readouterr().out
    assert "h264 640x360" in out and "aac" in out and "audio.m4a" in out
    assert main(["probe", "--json", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data[0]["codec"] == "h264" and data[0]["width"] == 640


def test_analyze_outputs(clip_dir, tmp_path, capsys):
    js, cs, png = tmp_path / "a.json", tmp_path / "a.csv", tmp_path / "a.png"
    assert main(["analyze", str(clip_dir), "--sample-fps", "10", "--no-cache", "--json", str(js),
                 "--csv", str(cs), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "quality" in out and "cli_bad_dark.mp4" in out
    data = json.loads(js.read_text())["clips"]
    assert len(data) == 8
    for c in data:
        assert 0 <= c["summary"]["quality"] <= 1
        a = ac.ClipAnalysis.from_dict(c["analysis"])
        assert len(a.times) == pytest.approx(30, abs=2)
        s, e, score = c["best_segment"]
        assert e > s and 0 <= score <= 1
    q = {c["path"].rsplit("/", 1)[-1]: c["summary"]["quality"] for c in data}
    assert max(q["cli_bad_blur.mp4"], q["cli_bad_dark.mp4"]) < min(
        v for k, v in q.items() if "good" in k)
    rows = cs.read_text().splitlines()
    assert rows[0].split(",")[:3] == ["path", "time", "sharpness"]
    assert len(rows) - 1 == sum(len(c["analysis"]["times"]) for c in data)
    assert is_png(png, 20000)


def test_beats_json_and_plot(song, tmp_path, capsys):
    png = tmp_path / "b.png"
    assert main(["beats", str(song), "--json", "--plot", str(png)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["tempo"] == pytest.approx(124, rel=0.01)
    assert d["beats"][0] == pytest.approx(0.5, abs=0.05)
    assert is_png(png)
    assert main(["beats", str(song)]) == 0
    out = capsys.readouterr().out
    assert "tempo" in out and "beats       32" in out and "first beats 0.50" in out


@pytest.fixture(scope="session")
def auto_run(clip_dir, song, tmp_path_factory):
    out = tmp_path_factory.mktemp("auto")
    res = cli("auto", str(clip_dir), str(song), "-o", str(out / "edit.mp4"), "--duration", "10",
              "--min-cut", "0.9", "--plan", str(out / "plan.json"), "--no-cache")
    assert res.returncode == 0, res.stderr
    return out, res.stdout


def test_auto_cuts_on_beats_and_avoids_bad_clips(auto_run, song, clip_dir):
    out, stdout = auto_run
    plan = json.loads((out / "plan.json").read_text())
    tl = ac.Timeline.from_dict(plan)
    beats = ac.detect_beats(song).beats
    fps = tl.fps
    t = 0.0
    cuts = []
    for seg in tl.segments[:-1]:
        t += round((seg.end - seg.start) * fps) / fps
        cuts.append(t + tl.audio_start)
    assert len(cuts) >= 6
    for c in cuts:
        assert np.min(np.abs(beats - c)) <= 0.5 / fps + 1e-6, c
    period = float(np.median(np.diff(beats)))
    for seg in tl.segments:
        n = (seg.end - seg.start) / period
        assert abs(n - round(n)) < 0.1 and seg.end - seg.start >= 0.9 - 1 / fps
    used = [s.path.rsplit("/", 1)[-1] for s in tl.segments]
    assert not any("bad" in u for u in used)
    assert all(a != b for a, b in zip(used, used[1:]))
    # No clip is reused while an unused good clip remains ("good" as the planner rules).
    from autocut_native.planner import BAD_CLIP_RATIO

    paths = sorted(str(p) for p in clip_dir.iterdir())
    q = {p.rsplit("/", 1)[-1]: a.summary()["quality"]
         for p, a in zip(paths, ac.analyze_many(paths, cache=False, sample_fps=10))}
    good = {k for k, v in q.items() if v >= BAD_CLIP_RATIO * float(np.median(list(q.values())))}
    assert len(good) >= 5
    first = used[: len(good)]
    assert len(set(first)) == min(len(used), len(good)) and set(first) <= good
    info = ac.probe(out / "edit.mp4")
    assert info.has_audio and info.duration == pytest.approx(tl.duration, abs=0.1)
    assert "encoder" in stdout and "peak_memory_mb" in stdout and "clips_used" in stdout


def test_render_plan_reproduces_auto(auto_run):
    out, _ = auto_run
    res = cli("render", str(out / "plan.json"), "-o", str(out / "again.mp4"))
    assert res.returncode == 0, res.stderr
    a, b = ac.probe(out / "edit.mp4"), ac.probe(out / "again.mp4")
    assert a.frame_count == b.frame_count == ac.Timeline.load(out / "plan.json").frames


def test_plan_edit_api(clip_dir, song):
    paths = sorted(str(p) for p in clip_dir.iterdir())
    analyses = ac.analyze_many(paths, cache=False, sample_fps=10)
    beats = ac.detect_beats(song)
    tl = ac.plan_edit(analyses, beats, duration=8, canvas=(640, 360), fit="pad", min_cut=1.5,
                      audio=song)
    assert tl.canvas == (640, 360) and tl.fit == "pad" and tl.audio == str(song)
    assert tl.duration <= 8 + 1e-6 and len(tl.segments) >= 3
    assert all(s.end - s.start >= 1.5 - 1 / 30 for s in tl.segments)
    landscape = ac.plan_edit(analyses[:2], beats, duration=4)
    assert landscape.canvas == (640, 360)
    with pytest.raises(ValueError):
        ac.plan_edit([], beats)
    with pytest.raises(ValueError):
        ac.plan_edit(analyses, np.array([1.0]))


def test_demo_runs_with_library_made_media(tmp_path):
    res = cli("demo", "-o", str(tmp_path / "demo"), "--duration", "6", "--clip-seconds", "2")
    assert res.returncode == 0, res.stderr
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    assert summary["bad_clips_used"] == [] and summary["cuts"] >= 3
    assert ac.probe(summary["output"]).has_audio
    for p in summary["plots"]:
        assert is_png(__import__("pathlib").Path(p))
    assert len(list((tmp_path / "demo" / "clips").glob("*.mp4"))) == 12


def test_doctor(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "libavcodec" in out and "hardware encoders" in out and "cache:" in out


def test_errors_are_one_line_with_status(tmp_path):
    res = cli("probe", str(tmp_path / "missing.mp4"))
    assert res.returncode == 1
    assert res.stderr.startswith("autocut-native: error: ") and "missing.mp4" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    res = cli("render", str(tmp_path / "nope.json"), "-o", str(tmp_path / "o.mp4"))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    res = cli("auto", str(tmp_path), "song.wav")  # missing -o
    assert res.returncode == 2 and "usage" in res.stderr
    res = cli("auto", str(tmp_path), "x.wav", "-o", "o.mp4", "--canvas", "huge")
    assert res.returncode == 2 and "error" in res.stderr
    res = cli("--debug", "probe", str(tmp_path / "missing.mp4"))
    assert res.returncode == 1 and "Traceback" in res.stderr
    res = cli("frobnicate")
    assert res.returncode == 2
