"""Writes bench/RESULTS.md and bench/results.png from a benchmark run.

    python bench/report.py --scale seed
    python bench/report.py --json .benchmarks/.../0001_seed.json   # a saved pytest-benchmark run

Input: the JSON-lines records the suite appends to bench/.media/<scale>/results.jsonl
(the latest record of each workload/tool is used) with machine.json beside it, or a
pytest-benchmark JSON file (--benchmark-json / --benchmark-save), whose extra_info holds
the same records. Ratios are of measurements taken in the same run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
MEDIA = BENCH / ".media"

# Per workload: the limit (what ratios are taken against), our tools, the peers, and how
# each tool is named in the tables.
WORKLOADS = {
    "analysis": {
        "title": "Analysis of every clip",
        "limit": "ffmpeg_decode",
        "ours": ["analyze", "analyze_sample5", "analyze_many"],
        "peers": ["pyav_numpy", "opencv", "moviepy_all_open"],
    },
    "beats": {
        "title": "Beat tracking of the music tracks",
        "limit": "librosa",
        "ours": ["detect_beats"],
        "peers": [],
    },
    "render": {
        "title": "Rendering an edit",
        "limit": "ffmpeg_render",
        "ours": ["render"],
        "peers": ["moviepy_render"],
    },
}
NAMES = {
    "ffmpeg_decode": "ffmpeg CLI decode (`-threads 0 -f null`), per clip",
    "analyze": "autocut_native.analyze, per clip",
    "analyze_sample5": "autocut_native.analyze(sample_fps=5), per clip",
    "analyze_many": "autocut_native.analyze_many (batch, cache off)",
    "pyav_numpy": "PyAV + numpy, per clip",
    "opencv": "OpenCV VideoCapture + cv2.Laplacian, per clip",
    "moviepy_all_open": "MoviePy: all clips open, iter_frames",
    "detect_beats": "autocut_native.detect_beats",
    "librosa": "librosa.load + beat.beat_track",
    "render": "autocut_native.render",
    "ffmpeg_render": "ffmpeg CLI, one filter graph",
    "moviepy_render": "MoviePy concatenate_videoclips + write_videofile",
}
SHORT = {
    "ffmpeg_decode": "ffmpeg decode",
    "analyze": "analyze",
    "analyze_sample5": "analyze 5 fps",
    "analyze_many": "analyze_many",
    "pyav_numpy": "PyAV+numpy",
    "opencv": "OpenCV",
    "moviepy_all_open": "MoviePy",
    "detect_beats": "detect_beats",
    "librosa": "librosa",
    "render": "render",
    "ffmpeg_render": "ffmpeg CLI",
    "moviepy_render": "MoviePy",
}


# ---- Loading -------------------------------------------------------------------------------


def load_jsonl(path: Path) -> list[dict]:
    recs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    return recs


def load_benchmark_json(path: Path) -> tuple[list[dict], dict]:
    data = json.loads(Path(path).read_text())
    recs = [b["extra_info"] for b in data.get("benchmarks", [])
            if b.get("extra_info", {}).get("tool")]
    mi = data.get("machine_info", {})
    cpu = mi.get("cpu", {})
    machine = {"cpu": cpu.get("brand_raw", mi.get("processor", "?")),
               "cores": cpu.get("count", "?"), "python": mi.get("python_version", "?"),
               "os": f"{mi.get('system', '?')} {mi.get('release', '')}".strip()}
    return recs, machine


def latest(recs: list[dict]) -> dict[tuple[str, str], dict]:
    """The last record of each (workload, label), from the newest run that has it."""
    out: dict[tuple[str, str], dict] = {}
    for r in recs:
        out[(r["workload"], r["label"])] = r
    return out


# ---- Formatting ----------------------------------------------------------------------------


def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2f}" if x < 10 else f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_mb(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}"


def fmt_x(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:.2f}×" if x < 10 else f"{x:.1f}×"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def table(header: list[str], rows: list[list[str]], align: str | None = None) -> list[str]:
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def kind_of(path: str) -> str:
    m = re.match(r"\d+_(.+)\.\w+$", os.path.basename(path))
    return m.group(1) if m else "?"


# ---- Sections ------------------------------------------------------------------------------


def machine_section(machine: dict, recs: list[dict]) -> list[str]:
    pk = machine.get("packages", {})
    lines = ["## Machine", ""]
    rows = [
        ["CPU", f"{machine.get('cpu', '?')} ({machine.get('cores', '?')} cores)"],
        ["RAM", f"{machine.get('ram_gib', '?')} GiB"],
        ["OS", str(machine.get("os", "?"))],
        ["FFmpeg", str(machine.get("ffmpeg", "?"))],
        ["Python", str(machine.get("python", "?"))],
    ]
    rows += [[name, ver] for name, ver in pk.items()]
    lines += table(["", ""], rows, "ll")
    scale = machine.get("scale") or (recs[0]["scale"] if recs else "?")
    runs = sorted({r.get("run_id", "?") for r in recs})
    lines += ["", f"Scale `{scale}`: {machine.get('clips', '?')} clips, "
              f"{machine.get('tracks', '?')} music tracks; run {', '.join(runs)}."]
    return lines


def workload_section(name: str, by: dict[tuple[str, str], dict], notes: list[str]) -> list[str]:
    spec = WORKLOADS[name]
    present = [t for t in [spec["limit"], *spec["ours"], *spec["peers"]] if (name, t) in by]
    if not present:
        return []
    lim = by.get((name, spec["limit"]))
    lim_wall = lim["wall_s"] if lim else None
    lim_rss = lim["peak_rss_mb"] if lim else None
    lines = [f"## {spec['title']}", ""]
    header = ["Tool", "Wall (s)", "Peak RSS (MiB)", "Time ÷ limit", "RSS ÷ limit"]
    extra_col = None
    if name == "analysis":
        extra_col = "Frames/s"
    elif name == "render":
        extra_col = "Frames/s"
    elif name == "beats":
        extra_col = "Beat F (±70 ms)"
    if extra_col:
        header.insert(3, extra_col)
    with_cpu = all(by[(name, t)].get("cpu_s") is not None for t in present)
    if with_cpu:
        header += ["CPU (s)", "CPU ÷ limit"]
    rows = []
    for t in present:
        r = by[(name, t)]
        row = [NAMES.get(t, t) + (" **(limit)**" if t == spec["limit"] else ""),
               fmt_s(r["wall_s"]), fmt_mb(r["peak_rss_mb"]),
               fmt_x(ratio(r["wall_s"], lim_wall)), fmt_x(ratio(r["peak_rss_mb"], lim_rss))]
        if extra_col == "Frames/s":
            frames = r["extra"].get("frames_analyzed") or r["extra"].get("frames")
            if frames is None and name == "render":
                frames = by.get((name, "render"), {}).get("extra", {}).get("frames")
            row.insert(3, f"{frames / r['wall_s']:.0f}" if frames and r["wall_s"] else "—")
        elif extra_col:
            fs = [i["f_measure"] for i in r.get("items", []) if "f_measure" in i]
            row.insert(3, f"{statistics.mean(fs):.3f}" if fs else "—")
        if with_cpu:
            row += [fmt_s(r["cpu_s"]), fmt_x(ratio(r["cpu_s"], lim.get("cpu_s") if lim else None))]
        rows.append(row)
    lines += table(header, rows)
    # Ours against each peer.
    others = [t for t in [spec["limit"], *spec["peers"]] if (name, t) in by]
    ours = [t for t in spec["ours"] if (name, t) in by]
    if ours and others:
        lines += ["", "Ours against each other tool: how many times faster (their wall time ÷ "
                  "ours) / how many times less peak memory (their peak RSS ÷ ours).", ""]
        rows = []
        for o in ours:
            r = by[(name, o)]
            rows.append([SHORT[o]] + [
                f"{fmt_x(ratio(by[(name, p)]['wall_s'], r['wall_s']))} / "
                f"{fmt_x(ratio(by[(name, p)]['peak_rss_mb'], r['peak_rss_mb']))}"
                for p in others])
        lines += table(["vs"] + [SHORT[p] for p in others], rows)
    if name == "analysis":
        lines += analysis_by_kind(by)
    if name == "render":
        q = by.get(("render_quality", "psnr"))
        if q:
            vals = ", ".join(f"{SHORT.get(k, k)} {v:.1f} dB" for k, v in q["extra"].items())
            lines += ["", f"Same edit check: luma PSNR of each peer's output against render()'s: "
                      f"{vals} (frame counts equal)."]
    for r in (by[(name, t)] for t in present):
        if r.get("rss_source") == "VmHWM+tree":
            notes.append(f"{SHORT.get(r['label'], r['label'])} "
                         f"({name}): peak RSS includes its {r.get('subprocesses', '?')} "
                         f"subprocess(es), sampled every 0.1 s; the process itself peaked at "
                         f"{fmt_mb(r.get('peak_rss_self_mb'))} MiB.")
    return lines


def analysis_by_kind(by: dict) -> list[str]:
    base = by.get(("analysis", "ffmpeg_decode"))
    full = by.get(("analysis", "analyze"))
    if not base or not full or not base.get("items") or not full.get("items"):
        return []
    cols = [t for t in ("analyze", "analyze_sample5", "pyav_numpy", "opencv")
            if by.get(("analysis", t), {}).get("items")]
    per: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    for t in ["ffmpeg_decode", *cols]:
        for it in by[("analysis", t)]["items"]:
            k = kind_of(it["path"])
            per.setdefault(k, {}).setdefault(t, 0.0)
            per[k][t] += it["wall_s"]
            if t == "ffmpeg_decode":
                counts[k] = counts.get(k, 0) + 1
    frames: dict[str, int] = {}
    for it in full["items"]:
        frames[kind_of(it["path"])] = frames.get(kind_of(it["path"]), 0) + it.get("frames", 0)
    rows = []
    for k in sorted(per):
        d = per[k]
        rows.append([k, str(counts.get(k, 0)), str(frames.get(k, "—")),
                     fmt_s(d.get("ffmpeg_decode"))]
                    + [fmt_x(ratio(d.get(t), d.get("ffmpeg_decode"))) for t in cols])
    return ["", "By kind of clip (wall time ÷ bare decode of the same clips):", ""] + table(
        ["Kind", "Clips", "Frames", "ffmpeg decode (s)"] + [SHORT[t] for t in cols], rows)


def peaks_section(by: dict) -> list[str]:
    rows = []
    ratios = {}
    for tool in ("render", "ffmpeg_render"):
        recs = sorted((r for (w, _), r in by.items() if w == "peaks" and r["tool"] == tool),
                      key=lambda r: int(re.search(r"(\d+)seg", r["label"]).group(1)))
        if len(recs) < 2:
            continue
        few, many = recs[0], recs[-1]
        nf = re.search(r"(\d+)seg", few["label"]).group(1)
        nm = re.search(r"(\d+)seg", many["label"]).group(1)
        ratios[tool] = ratio(many["peak_rss_mb"], few["peak_rss_mb"])
        rows.append([NAMES[tool], f"{fmt_mb(few['peak_rss_mb'])} ({nf} seg)",
                     f"{fmt_mb(many['peak_rss_mb'])} ({nm} seg)", fmt_x(ratios[tool]),
                     f"{fmt_s(few['wall_s'])} / {fmt_s(many['wall_s'])}"])
    if not rows:
        return []
    return ["## Peak memory against the number of segments", "",
            "The same total length cut into few long or many short segments (1080p canvas "
            "at seed scale).", ""] + table(
        ["Tool", "Peak RSS, few", "Peak RSS, many", "Many ÷ few", "Wall few / many (s)"], rows)


TARGETS = [
    # (label, workload, ours, against, how, threshold, text)
    ("analyze ≤ 1.15× bare decode", "analysis", "analyze", "ffmpeg_decode", "le", 1.15),
    ("analyze(sample_fps=5) ≤ 0.6× bare decode", "analysis", "analyze_sample5", "ffmpeg_decode",
     "le", 0.6),
    ("render ≤ 1.1× the ffmpeg CLI", "render", "render", "ffmpeg_render", "le", 1.1),
    ("detect_beats ≥ 10× faster than librosa", "beats", "librosa", "detect_beats", "ge", 10.0),
]


def targets_section(by: dict, again: dict | None = None
                    ) -> tuple[list[str], list[tuple[str, float | None, bool | None]]]:
    rows, results = [], []
    for label, w, a, b, how, thr in TARGETS:
        ra, rb = by.get((w, a)), by.get((w, b))
        x = ratio(ra["wall_s"], rb["wall_s"]) if ra and rb else None
        ok = None if x is None else (x <= thr if how == "le" else x >= thr)
        results.append((label, x, ok))
        rows.append([label, fmt_x(x), "—" if ok is None else "met" if ok else "**missed**"])
        ra, rb = (again or {}).get((w, a)), (again or {}).get((w, b))
        if ra and rb:
            x = ratio(ra["wall_s"], rb["wall_s"])
            cpu = ratio(ra.get("cpu_s"), rb.get("cpu_s"))
            ok = x <= thr if how == "le" else x >= thr
            rows.append(["↳ measured again: wall (CPU)", f"{fmt_x(x)} ({fmt_x(cpu)})",
                         "met" if ok else "**missed**"])
    recs = sorted((r for (w, _), r in by.items() if w == "peaks" and r["tool"] == "render"),
                  key=lambda r: int(re.search(r"(\d+)seg", r["label"]).group(1)))
    if len(recs) >= 2:
        x = ratio(recs[-1]["peak_rss_mb"], recs[0]["peak_rss_mb"])
        ok = x is not None and x <= 1.1
        label = "many-segment render peak RSS ≤ 1.1× few-segment"
        results.append((label, x, ok))
        rows.append([label, fmt_x(x), "met" if ok else "**missed**"])
    head = ["## Targets from the issues", ""]
    return head + table(["Target", "Measured", ""], rows, "lrl"), results


# ---- Chart ---------------------------------------------------------------------------------


def chart(by: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [w for w in WORKLOADS if any(k[0] == w for k in by)]
    peaks = sorted((r for (w, _), r in by.items() if w == "peaks"),
                   key=lambda r: (r["tool"], int(re.search(r"(\d+)seg", r["label"]).group(1))))
    if not groups:
        return
    ncols = len(groups) + (1 if peaks else 0)
    fig, axes = plt.subplots(2, ncols, figsize=(3.2 * ncols, 4.6), squeeze=False)
    ours_all = {t for w in WORKLOADS.values() for t in w["ours"]}
    columns = []
    for w in groups:
        spec = WORKLOADS[w]
        tools = [t for t in [spec["limit"], *spec["ours"], *spec["peers"]] if (w, t) in by]
        columns.append((
            spec["title"].replace(" of the music tracks", "").replace(" of every clip", ""),
            [SHORT[t] for t in tools], [by[(w, t)] for t in tools],
            ["#2a7ab0" if t in ours_all else "#999999" if t == spec["limit"] else "#e08a3c"
             for t in tools]))
    if peaks:
        columns.append((
            "Render: few vs many segments",
            [SHORT[r["tool"]] + " " + re.search(r"(\d+)seg", r["label"]).group(1) + " seg"
             for r in peaks], peaks,
            ["#2a7ab0" if r["tool"] == "render" else "#999999" for r in peaks]))
    for j, (title, names, recs, colors) in enumerate(columns):
        for i, (key, unit) in enumerate((("wall_s", "wall time (s)"),
                                         ("peak_rss_mb", "peak RSS (MiB)"))):
            ax = axes[i][j]
            vals = [r[key] for r in recs]
            ax.barh(range(len(vals)), vals, color=colors)
            ax.set_yticks(range(len(vals)))
            ax.set_yticklabels(names, fontsize=7)
            ax.invert_yaxis()
            ax.tick_params(axis="x", labelsize=7)
            ax.set_xlabel(unit, fontsize=7)
            if i == 0:
                ax.set_title(title, fontsize=8)
            for k, v in enumerate(vals):
                ax.text(v, k, f" {v:.0f}" if v >= 10 else f" {v:.1f}", va="center", fontsize=6)
            ax.set_xlim(0, max(vals) * 1.25 if vals and max(vals) > 0 else 1)
    fig.suptitle("autocut_native (blue) vs the limit (grey) and peers (orange)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ---- Main ----------------------------------------------------------------------------------


def recheck_section(recs: list[dict]) -> list[str]:
    """A second, smaller run of some analysis tools (e.g. when the machine was quieter)."""
    by = latest(recs)
    lim = by.get(("analysis", "ffmpeg_decode"))
    rows = []
    for t in ["ffmpeg_decode", *WORKLOADS["analysis"]["ours"], *WORKLOADS["analysis"]["peers"]]:
        r = by.get(("analysis", t))
        if not r:
            continue
        load = r.get("load") or [None, None]
        cpu = r.get("cpu_s")
        rows.append([NAMES[t], fmt_s(r["wall_s"]), fmt_mb(r["peak_rss_mb"]),
                     fmt_x(ratio(r["wall_s"], lim["wall_s"] if lim else None)),
                     fmt_s(cpu), fmt_x(ratio(cpu, lim.get("cpu_s") if lim else None)),
                     " → ".join(f"{x:.1f}" for x in load if x is not None) or "—"])
    if not rows:
        return []
    runs = ", ".join(sorted({r.get("run_id", "?") for r in recs}))
    return ["## Analysis, measured again", "",
            f"The same tools over the same clips in a second run ({runs}), to show how much "
            "of the difference above is the machine's load (1-minute load average before → "
            "after each tool). CPU is user + system seconds of the child process and its "
            "subprocesses (imports included), where recorded: the work done, whatever else "
            "ran on the machine.", ""] + table(
        ["Tool", "Wall (s)", "Peak RSS (MiB)", "Time ÷ limit", "CPU (s)", "CPU ÷ limit",
         "Load"], rows)


def build(recs: list[dict], machine: dict, png_name: str | None,
          recheck: list[dict] | None = None) -> tuple[str, list]:
    by = latest(recs)
    scale = machine.get("scale") or (recs[0]["scale"] if recs else "?")
    notes: list[str] = []
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `bench/report.py` from a `python -m pytest bench --scale {scale}` run "
        "(every tool in its own child process, peers measured side by side in the same run; "
        "wall time is the work after imports, peak RSS the child's own high-water mark, see "
        "bench/runner.py). Ratios below 1× in the *÷ limit* columns are faster / smaller "
        "than the limit.",
        "",
    ]
    if scale != "seed":
        lines += [f"**Note: this run is at scale `{scale}`, not the issue's `seed` workload.**", ""]
    lines += machine_section(machine, recs) + [""]
    tlines, results = targets_section(by, latest(recheck) if recheck else None)
    lines += tlines + [""]
    for w in WORKLOADS:
        sec = workload_section(w, by, notes)
        if sec:
            lines += sec + [""]
    lines += peaks_section(by) + [""]
    if recheck:
        lines += recheck_section(recheck) + [""]
    skipped = [t for w, spec in WORKLOADS.items()
               for t in [spec["limit"], *spec["ours"], *spec["peers"]] if (w, t) not in by]
    if skipped:
        notes.append("Not measured in this run (not installed or not run): "
                     + ", ".join(SHORT[t] for t in skipped) + ".")
    loads = [x for r in recs if r.get("load") for x in r["load"] if x is not None]
    if loads:
        notes.append(f"1-minute load average around the measured runs: {min(loads):.1f} to "
                     f"{max(loads):.1f} on {machine.get('cores', '?')} cores (other work on the "
                     "machine slows whichever tool runs beside it; ratios of tools measured "
                     "minutes apart carry that noise).")
    notes += [
        "The bare decode is one `ffmpeg -threads 0 -noautorotate -i clip -map 0:v:0 -f null -` "
        "process per clip; its peak RSS is the child's own ru_maxrss (os.wait4). Python tools' "
        "peak RSS includes the interpreter and their imports (about "
        f"{fmt_mb(statistics.median([r['base_rss_mb'] for r in recs]) if recs else None)} MiB "
        "before imports).",
        "The ffmpeg CLI render opens each segment as an input seeked with `-ss` and runs "
        "setpts, fps (round=up: the frame on screen at each tick, as render() picks), trim, "
        "a centre crop to the canvas's aspect and a bicubic scale per segment into one concat "
        "filter; every input stays open for the whole run. All renders use libx264 crf 18 "
        "preset medium (render's quality=\"high\") and AAC 192 kb/s from the same FFmpeg "
        "build.",
        "analyze_many runs with its defaults and cache=False: workers = half the cores, each "
        "decoding with cores / workers threads (on 2 cores: one clip at a time, as the "
        "sequential loop).",
        "librosa compiles its numba kernels on first use and caches them on disk; these runs "
        "found the cache warm (an earlier run had filled it), the favourable case for librosa. "
        "Beat F-measure is against the generated tracks' known beats.",
    ]
    lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    if png_name:
        lines += [f"![wall time and peak RSS per tool]({png_name})", ""]
    return "\n".join(lines), results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="seed")
    ap.add_argument("--results", type=Path, help="JSON-lines records (default: the scale's)")
    ap.add_argument("--json", type=Path, help="a pytest-benchmark JSON file instead")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument("--png", type=Path, default=BENCH / "results.png")
    ap.add_argument("--recheck", type=Path,
                    help="JSON-lines records of a second run of some analysis tools, "
                         "shown in their own table")
    args = ap.parse_args(argv)
    machine: dict = {}
    if args.json:
        recs, machine = load_benchmark_json(args.json)
    else:
        path = args.results or MEDIA / args.scale / "results.jsonl"
        if not path.exists():
            print(f"no results at {path}: run `python -m pytest bench --scale {args.scale}`",
                  file=sys.stderr)
            return 1
        recs = load_jsonl(path)
        mpath = path.parent / "machine.json"
        if mpath.exists():
            machine = json.loads(mpath.read_text())
    if not recs:
        print("no benchmark records found", file=sys.stderr)
        return 1
    png = args.png
    try:
        chart(latest(recs), png)
        rel = os.path.relpath(png, args.out.parent)
    except ImportError:
        print("matplotlib not installed: no chart", file=sys.stderr)
        rel = None
    recheck = load_jsonl(args.recheck) if args.recheck else None
    text, results = build(recs, machine, rel, recheck)
    args.out.write_text(text)
    print(f"wrote {args.out}" + (f" and {png}" if rel else ""))
    for label, x, ok in results:
        print(f"  {label}: {fmt_x(x)} {'' if ok is None else 'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
