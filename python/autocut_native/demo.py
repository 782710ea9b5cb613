"""`autocut-native demo`: a built-in sample set made by the library itself, then `auto`.

Twelve short clips come from FFmpeg's generated sources (rendered through libavfilter
and encoded by the library, no ffmpeg CLI), with variety in motion, blur, exposure,
noise, shake and orientation; three of them are deliberately bad. The music is a
synthesised drum-and-pad track (autocut_native.synth). Then the clips are analysed
(cached), the beats tracked, the edit planned and rendered, and plots drawn.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from . import _core

W, H = 640, 360
#: name -> (libavfilter source chain, seconds). Sizes are the clip's own.
DEMO_CLIPS: dict[str, tuple[str, float]] = {
    "01_mandelbrot_zoom": (f"mandelbrot=size={W}x{H}:rate=30:maxiter=256", 5.0),
    "02_testcard": (f"testsrc2=size={W}x{H}:rate=30", 5.0),
    "03_pan_right": ("mandelbrot=size=1280x720:rate=30:maxiter=256,"
                     f"crop={W}:{H}:x='100+t*80':y=180", 5.0),
    "04_life_colour": (f"life=size={W}x{H}:rate=30:mold=10:ratio=0.12:"
                       "life_color=#30e090:death_color=#c03010:mold_color=#1030a0", 5.0),
    "05_gradients": (f"gradients=size={W}x{H}:rate=30:speed=0.03:n=5", 5.0),
    "06_portrait": (f"mandelbrot=size={H}x{W}:rate=30:maxiter=256:start_scale=2", 5.0),
    "07_hd_bars": (f"smptehdbars=size={W}x{H}:rate=30,"
                   f"rotate=angle='0.15*sin(2*PI*t/5)':fillcolor=black", 5.0),
    "08_tilt": ("testsrc2=size=960x720:rate=30,"
                f"crop={W}:{H}:x=160:y='40+t*50'", 5.0),
    "09_colour_cycle": (f"mandelbrot=size={W}x{H}:rate=30:maxiter=256:start_x=-0.743643:"
                        "start_y=0.131825:start_scale=0.5,hue=H=2*t", 5.0),
    # The deliberately bad ones: blurred, dark, and noisy + shaky.
    "10_bad_blurry": (f"mandelbrot=size={W}x{H}:rate=30:maxiter=256,gblur=sigma=8", 5.0),
    # eq=brightness=-0.55:contrast=0.5 as a luma curve: lutyuv is in LGPL builds, eq not.
    "11_bad_dark": (f"testsrc2=size={W}x{H}:rate=30,lutyuv=y='clip(val*0.5-76.5,0,255)'", 5.0),
    "12_bad_shaky_noisy": ("mandelbrot=size=800x450:rate=30:maxiter=256,"
                           f"crop={W}:{H}:x='80+40*sin(2*PI*t*7)':y='45+30*sin(2*PI*t*5.3)',"
                           "noise=alls=45:allf=t", 5.0),
}
BAD_CLIPS = {"10_bad_blurry", "11_bad_dark", "12_bad_shaky_noisy"}
SONG_BPM = 118.0
SONG_SECONDS = 30.0


def make_sample_set(root: Path, encoder: str = "auto",
                    clip_seconds: float | None = None) -> tuple[list[Path], Path]:
    """The demo's clips and song under root (made once; reused when present).
    `clip_seconds` overrides every clip's length (shorter runs for tests)."""
    from .synth import TrackSpec, synth, write_wav

    clips_dir = root / "clips"
    clips_dir.mkdir(parents=True, exist_ok=True)
    clips = []
    for name, (source, seconds) in DEMO_CLIPS.items():
        path = clips_dir / f"{name}.mp4"
        if not path.exists():
            _core.synthesize_video(source, path, seconds=clip_seconds or seconds,
                                   quality="medium",
                                   encoder="libx264" if encoder == "auto" else encoder)
        clips.append(path)
    song = root / "song.wav"
    if not song.exists():
        spec = TrackSpec(bpm=SONG_BPM, seconds=SONG_SECONDS, intro=1.0)
        tmp = song.with_name(".tmp-song.wav")
        write_wav(tmp, synth(spec), spec.rate)
        tmp.replace(song)
    return clips, song


def run_demo(root: Path, encoder: str = "auto", duration: float = 20.0,
             clip_seconds: float | None = None) -> int:
    from . import detect_beats
    from .analysis import ClipAnalysis
    from .batch import analyze_many
    from .cli import peak_rss_bytes
    from .planner import plan_edit
    from .render import render

    t0 = time.perf_counter()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    print(f"demo: making the sample set in {root}/ ...", flush=True)
    clips, song = make_sample_set(root, encoder, clip_seconds)
    print(f"demo: analysing {len(clips)} clips ...", flush=True)
    analyses = analyze_many([str(c) for c in clips], cache=root / "analysis-cache.sqlite",
                            sample_fps=10, progress=sys.stderr.isatty())
    ok = [a for a in analyses if isinstance(a, ClipAnalysis)]
    beats = detect_beats(song)
    print(f"demo: song at {beats.tempo:.1f} BPM, {len(beats.beats)} beats", flush=True)
    timeline = plan_edit(ok, beats, duration=duration, canvas="auto", fit="blur",
                         min_cut=1.0, audio=song)
    plan = root / "plan.json"
    timeline.save(plan)
    output = root / "autocut_demo.mp4"
    result = render(timeline, output, encoder=encoder)
    plots = []
    try:
        from .report import plot_analyses, plot_beats

        plot_analyses(ok, root / "analysis.png")
        plot_beats(beats, root / "beats.png", f"demo song ({SONG_BPM:g} BPM)")
        plots = [root / "analysis.png", root / "beats.png"]
    except Exception as exc:  # noqa: BLE001 - plots are optional (matplotlib)
        print(f"demo: plots skipped: {exc}", file=sys.stderr)
    used = [Path(s.path).stem for s in timeline.segments]
    summary = {
        "output": str(output),
        "plan": str(plan),
        "plots": [str(p) for p in plots],
        "clips": len(clips),
        "clips_used": len(set(used)),
        "bad_clips_used": sorted(set(used) & BAD_CLIPS),
        "cuts": len(timeline.segments) - 1,
        "tempo": round(float(beats.tempo), 2),
        "frames": result.frames,
        "duration": round(result.duration, 3),
        "encoder": result.encoder_used,
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "peak_memory_mb": round(peak_rss_bytes() / 2**20, 1),
    }
    (root / "summary.json").write_text(json.dumps(summary, indent=2))
    for k, v in summary.items():
        print(f"{k:15s} {v}")
    print(f"demo: done. Watch {output}; plots in {root}/")
    return 0
