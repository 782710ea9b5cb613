"""autocut-native: the command line (also `python -m autocut_native`).

Errors print one line `autocut-native: error: ...` on stderr and exit 1 (2 for usage);
`--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

PROG = "autocut-native"
VIDEO_EXTENSIONS = {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".ts",
                    ".3gp", ".mpg", ".mpeg", ".wmv", ".flv", ".mxf"}


class UsageError(Exception):
    """A bad argument found after parsing (exit status 2)."""


# ---- Helpers ---------------------------------------------------------------------------


def peak_rss_bytes() -> int:
    """This process's peak resident memory (see MemoryMonitor.process_peak_rss)."""
    from .batch import MemoryMonitor

    return MemoryMonitor.process_peak_rss()


def expand_videos(items: list[str]) -> list[str]:
    """Files as given; directories expanded to their video files (sorted, not recursive)."""
    out: list[str] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(str(c) for c in p.iterdir()
                           if c.is_file() and c.suffix.lower() in VIDEO_EXTENSIONS)
            if not found:
                raise UsageError(f"no video files in directory '{item}'")
            out.extend(found)
        else:
            out.append(item)
    return out


def parse_canvas(text: str):
    if text == "auto":
        return "auto"
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--canvas must be WxH (e.g. 1920x1080) or auto, got '{text}'") from None
    return (w, h)


def fmt_duration(s: float) -> str:
    return f"{s:6.2f}s"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _save_plot(fn, *args) -> None:
    from .report import PlotUnavailableError

    try:
        fn(*args)
    except PlotUnavailableError as exc:
        raise UsageError(str(exc)) from None


# ---- Subcommands -----------------------------------------------------------------------


def cmd_probe(args) -> int:
    from . import probe

    infos = [probe(p) for p in args.files]
    if args.json:
        print(json.dumps([i.to_dict() for i in infos], indent=2))
        return 0
    rows = []
    for i in infos:
        video = "-"
        if i.has_video:
            video = f"{i.codec} {i.width}x{i.height}"
            if i.rotation:
                video += f" rot{i.rotation}"
            video += f" {i.bit_depth}bit {i.fps:.3g}fps" + (" vfr" if i.vfr else "")
        audio = f"{i.audio_codec} {i.sample_rate}Hz {i.channels}ch" if i.has_audio else "-"
        rows.append([os.path.basename(i.path), i.container.split(",")[0],
                     fmt_duration(i.duration), video, audio])
    print(table(rows, ["file", "container", "duration", "video", "audio"]))
    return 0


def _analyze_paths(paths, *, sample_fps, workers, cache, progress=True):
    from .batch import analyze_many

    kw = {}
    if sample_fps:
        kw["sample_fps"] = sample_fps
    return analyze_many(paths, workers=workers, cache=cache, progress=progress, **kw)


def cmd_analyze(args) -> int:
    from .analysis import METRICS, ClipAnalysis

    paths = expand_videos(args.inputs)
    results = _analyze_paths(paths, sample_fps=args.sample_fps, workers=args.workers,
                             cache=not args.no_cache)
    rows, records, failures = [], [], 0
    for path, r in zip(paths, results):
        if isinstance(r, ClipAnalysis):
            best = r.best_segments(min(2.0, max(r.end_time * 0.5, 0.1)))
            seg = f"{best[0][0]:.2f}-{best[0][1]:.2f}s" if best else "-"
            s = r.summary()
            rows.append([os.path.basename(path), fmt_duration(r.info.duration),
                         f"{s['quality']:.3f}", seg, str(len(r.scene_cuts))])
            records.append({"path": path, "summary": s,
                            "best_segment": list(best[0]) if best else None,
                            "analysis": r.to_dict()})
        else:
            failures += 1
            rows.append([os.path.basename(path), "-", "failed", r.error_type, r.message[:60]])
            records.append({"path": path, "error": r.error_type, "message": r.message})
    print(table(rows, ["clip", "duration", "quality", "best segment", "cuts"]))
    if args.json:
        Path(args.json).write_text(json.dumps({"clips": records}, indent=1))
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["path", "time", *METRICS])
            for r in results:
                if isinstance(r, ClipAnalysis):
                    cols = [getattr(r, m) for m in METRICS]
                    for i, t in enumerate(r.times):
                        w.writerow([r.path, f"{t:.6f}", *(f"{c[i]:.6g}" for c in cols)])
    if args.plot:
        from .report import plot_analyses

        _save_plot(plot_analyses, [r for r in results if isinstance(r, ClipAnalysis)], args.plot)
    if failures:
        print(f"{failures} of {len(paths)} clips failed", file=sys.stderr)
    return 1 if failures == len(paths) else 0


def cmd_beats(args) -> int:
    from . import detect_beats

    track = detect_beats(args.song)
    if args.json:
        print(json.dumps(track.to_dict()))
    else:
        first = ", ".join(f"{b:.2f}" for b in track.beats[:8])
        print(f"tempo       {track.tempo:.2f} BPM")
        print(f"beats       {len(track.beats)} (downbeats {len(track.downbeats)})")
        print(f"confidence  {track.confidence:.2f}")
        print(f"first beats {first}{' ...' if len(track.beats) > 8 else ''}")
    if args.plot:
        from .report import plot_beats

        _save_plot(plot_beats, track, args.plot, os.path.basename(args.song))
    return 0


def _render_and_report(timeline, output, encoder, started, extra=None) -> dict:
    from .render import render

    result = render(timeline, output, encoder=encoder, progress=_progress_bar("render"))
    sys.stderr.write("\n")
    summary = {
        "output": str(output),
        "segments": len(timeline.segments),
        "clips_used": len({s.path for s in timeline.segments}),
        "cuts": max(len(timeline.segments) - 1, 0),
        "frames": result.frames,
        "duration": result.duration,
        "encoder": result.encoder_used,
        "hwaccel": result.hwaccel_used,
        "elapsed_s": round(time.perf_counter() - started, 2),
        "peak_memory_mb": round(peak_rss_bytes() / 2**20, 1),
        **(extra or {}),
    }
    for k, v in summary.items():
        print(f"{k:15s} {v}")
    return summary


def _progress_bar(label: str):
    if not sys.stderr.isatty():
        return None
    t0 = time.perf_counter()

    def show(done: int, total: int) -> None:
        frac = done / total if total else 0.0
        bar = "#" * int(frac * 30)
        rate = done / max(time.perf_counter() - t0, 1e-6)
        sys.stderr.write(f"\r{label} [{bar:<30}] {done}/{total} {rate:5.0f} fps")
        sys.stderr.flush()

    return show


def cmd_auto(args) -> int:
    from . import detect_beats
    from .planner import plan_edit

    started = time.perf_counter()
    clips = expand_videos([args.clips_dir])
    canvas = parse_canvas(args.canvas)
    analyses = _analyze_paths(clips, sample_fps=args.sample_fps, workers=args.workers,
                              cache=not args.no_cache)
    beats = detect_beats(args.song)
    timeline = plan_edit(analyses, beats, duration=args.duration, canvas=canvas, fit=args.fit,
                         min_cut=args.min_cut, audio=args.song)
    if args.plan:
        timeline.save(args.plan)
    _render_and_report(timeline, args.output, args.encoder, started,
                       {"tempo": round(float(beats.tempo), 2)})
    return 0


def cmd_render(args) -> int:
    from .timeline import Timeline

    started = time.perf_counter()
    timeline = Timeline.load(args.plan)
    _render_and_report(timeline, args.output, args.encoder, started)
    return 0


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(Path(args.output), encoder=args.encoder, duration=args.duration,
                    clip_seconds=args.clip_seconds)


def cmd_doctor(args) -> int:
    from . import __version__, ffmpeg_versions, hardware

    print(f"autocut_native {__version__} (Python {sys.version.split()[0]})")
    for lib, v in ffmpeg_versions().items():
        print(f"  {lib:14s} {v}")
    hw = hardware()
    print(f"hardware devices built in: {', '.join(hw['device_types']) or 'none'}")
    print(f"hardware devices usable:   {', '.join(hw['available']) or 'none (software decode)'}")
    print(f"hardware encoders:         {', '.join(hw['encoders']) or 'none'}")
    forced = os.environ.get("AUTOCUT_NATIVE_HWACCEL")
    if forced:
        print(f"AUTOCUT_NATIVE_HWACCEL={forced}")
    try:
        from .cache import AnalysisCache, default_cache_path

        path = default_cache_path()
        if Path(path).exists():
            st = AnalysisCache(path).stats()
            print(f"cache: {path} ({st['entries']} entries, {st['bytes'] / 2**20:.1f} MiB)")
        else:
            print(f"cache: {path} (empty)")
    except ImportError:
        print("cache: unavailable")
    try:
        import matplotlib  # noqa: F401

        print("plots: matplotlib available")
    except ImportError:
        print("plots: matplotlib missing (pip install 'autocut_native[plot]')")
    return 0


# ---- Parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Beat-synced highlight videos, natively.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("probe", help="describe media files")
    s.add_argument("files", nargs="+", metavar="FILE")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(fn=cmd_probe)

    s = sub.add_parser("analyze", help="per-frame quality and motion of clips")
    s.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR")
    s.add_argument("--sample-fps", type=float, default=None)
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--no-cache", action="store_true")
    s.add_argument("--json", metavar="OUT")
    s.add_argument("--csv", metavar="OUT")
    s.add_argument("--plot", metavar="PNG")
    s.set_defaults(fn=cmd_analyze)

    s = sub.add_parser("beats", help="tempo and beats of a song")
    s.add_argument("song", metavar="SONG")
    s.add_argument("--json", action="store_true")
    s.add_argument("--plot", metavar="PNG")
    s.set_defaults(fn=cmd_beats)

    s = sub.add_parser("auto", help="analyse clips, track beats, plan and render the edit")
    s.add_argument("clips_dir", metavar="CLIPS_DIR")
    s.add_argument("song", metavar="SONG")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--duration", type=float, default=None, help="longest edit (s)")
    s.add_argument("--canvas", default="auto", help="WxH or auto (majority orientation)")
    s.add_argument("--fit", choices=("crop", "pad", "blur"), default="crop")
    s.add_argument("--min-cut", type=float, default=1.0, help="shortest segment (s)")
    s.add_argument("--plan", metavar="PLAN.json", help="also write the plan (Timeline JSON)")
    s.add_argument("--encoder", default="auto")
    s.add_argument("--sample-fps", type=float, default=10.0,
                   help="analysis sampling rate (default 10)")
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--no-cache", action="store_true")
    s.set_defaults(fn=cmd_auto)

    s = sub.add_parser("render", help="render a saved or hand-edited plan")
    s.add_argument("plan", metavar="PLAN.json")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--encoder", default="auto")
    s.set_defaults(fn=cmd_render)

    s = sub.add_parser("demo", help="make sample media with the library and run `auto` on it")
    s.add_argument("-o", "--output", default="autocut_demo", metavar="DIR")
    s.add_argument("--encoder", default="auto")
    s.add_argument("--duration", type=float, default=20.0, help="edit length (s)")
    s.add_argument("--clip-seconds", type=float, default=None,
                   help="length of each generated clip (default 5)")
    s.set_defaults(fn=cmd_demo)

    s = sub.add_parser("doctor", help="FFmpeg, hardware, encoders and cache of this machine")
    s.set_defaults(fn=cmd_doctor)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except UsageError as exc:
        if args.debug:
            raise
        parser.exit(2, f"{PROG}: error: {exc}\n")
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's one place that reports any error
        if args.debug:
            raise
        msg = str(exc) or type(exc).__name__
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
