"""One measured run in its own process: `python bench/runner.py <tool> '<args json>'`.

Prints one JSON object as the last line of stdout:
  wall_s       seconds of the work itself (after the tool's imports)
  import_s     seconds spent importing the tool's modules
  peak_rss_mb  peak resident memory of the work, MiB:
               - in-process tools: the larger of this process's own VmHWM (Linux; the
                 kernel's high-water mark of *this* process, which, unlike ru_maxrss, does
                 not inherit the parent's across fork+exec) and the sampled peak of this
                 process plus all its descendants (MoviePy and librosa run ffmpeg
                 subprocesses; batches may run worker processes);
               - the ffmpeg CLI: the child's own ru_maxrss from os.wait4 (several runs:
                 the largest).
  base_rss_mb  resident memory before the work started (interpreter + imports)
  items        per-file records where the tool runs file by file
  extra        tool-specific facts (frames, encoder used, beat F-measure, ...)

Only the standard library is imported before the tool's own imports, so the baseline is
the same for every tool.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time

T_START = time.perf_counter()
FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
ANALYSIS_SIZE = 360


# ---- Memory ------------------------------------------------------------------------------


def _status_kb(pid: int | str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def vm_hwm_mb() -> float:
    """This process's peak RSS (Linux VmHWM); elsewhere ru_maxrss as a fallback."""
    kb = _status_kb("self", "VmHWM")
    if kb:
        return kb / 1024
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / (1024 * 1024) if sys.platform == "darwin" else r / 1024


def rss_mb() -> float:
    kb = _status_kb("self", "VmRSS")
    return kb / 1024


def _children(pid: int) -> list[int]:
    """Direct children of pid (Linux /proc), without psutil."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except OSError:
            pass
    return out


class TreeSampler:
    """Samples the RSS of this process plus all its descendants every `interval` s and
    keeps the largest sum: catches memory held by subprocesses (ffmpeg readers of MoviePy,
    audioread's ffmpeg, worker processes)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.peak_kb = 0
        self.max_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        me = os.getpid()
        total = _status_kb(me, "VmRSS")
        stack, seen = _children(me), 0
        while stack:
            pid = stack.pop()
            seen += 1
            total += _status_kb(pid, "VmRSS")
            stack.extend(_children(pid))
        self.peak_kb = max(self.peak_kb, total)
        self.max_children = max(self.max_children, seen)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeSampler:
        if sys.platform.startswith("linux"):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


# ---- Shared helpers ----------------------------------------------------------------------


def grid(width: int, height: int, short: int = ANALYSIS_SIZE) -> tuple[int, int]:
    """Analysis size: short side `short`, aspect kept, even, never upscaled."""
    s = min(width, height)
    if s <= short:
        return width, height
    f = short / s
    return max(2, round(width * f / 2) * 2), max(2, round(height * f / 2) * 2)


def np_metrics(g, prev):
    """The peers' per-frame metrics on a float32 luma image: Laplacian variance, mean, std
    and mean absolute difference to the previous frame."""
    import numpy as np

    lap = (4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:])
    diff = float(np.abs(g - prev).mean()) if prev is not None and prev.shape == g.shape else 0.0
    return float(lap.var()), float(g.mean()), float(g.std()), diff


def ffmpeg_child(cmd: list[str]) -> tuple[float, float, int, str]:
    """Runs cmd; returns (wall s, its own peak RSS MiB from wait4, exit code, stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    # Read stderr in a thread so a chatty child cannot block on a full pipe; wait4 must be
    # the call that reaps the child to get its rusage.
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    kb = usage.ru_maxrss
    mb = kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024
    return wall, mb, proc.returncode, (err[0] if err else b"").decode(errors="replace")


def beat_fmeasure(found, truth, tol: float = 0.07) -> float:
    found = sorted(float(x) for x in found)
    truth = sorted(float(x) for x in truth)
    if not found or not truth:
        return 0.0
    used, hits, j = set(), 0, 0
    for t in truth:
        while j < len(found) and found[j] < t - tol:
            j += 1
        k = j
        while k < len(found) and found[k] <= t + tol:
            if k not in used:
                used.add(k)
                hits += 1
                break
            k += 1
    p, r = hits / len(found), hits / len(truth)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


# ---- Analysis tools ----------------------------------------------------------------------


def tool_ffmpeg_decode(a: dict) -> dict:
    """The limit: `ffmpeg -threads 0 -i clip -f null -` per clip (video stream only, no
    autorotation filter), one process after another."""
    items, walls, peak = [], 0.0, 0.0
    for p in a["paths"]:
        cmd = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-threads", "0",
               "-noautorotate", "-i", p, "-map", "0:v:0", "-f", "null", "-"]
        wall, mb, rc, err = ffmpeg_child(cmd)
        if rc != 0:
            raise RuntimeError(f"ffmpeg failed on {p}: {err}")
        walls += wall
        peak = max(peak, mb)
        items.append({"path": p, "wall_s": wall, "peak_rss_mb": mb})
    return {"wall_s": walls, "peak_rss_mb": peak, "rss_source": "wait4", "items": items}


def tool_analyze(a: dict) -> dict:
    import autocut_native as ac

    kw = a.get("kwargs", {})
    t0 = time.perf_counter()
    items, frames = [], 0
    hw = set()
    for p in a["paths"]:
        t = time.perf_counter()
        r = ac.analyze(p, **kw)
        items.append({"path": p, "wall_s": time.perf_counter() - t,
                      "frames": int(r.frames_analyzed), "decoded": int(r.frames_decoded)})
        frames += int(r.frames_analyzed)
        hw.add(r.hwaccel_used)
    return {"wall_s": time.perf_counter() - t0, "items": items,
            "extra": {"frames_analyzed": frames, "hwaccel_used": sorted(hw)}}


def tool_analyze_many(a: dict) -> dict:
    from autocut_native.batch import analyze_many

    kw = dict(a.get("kwargs", {}))
    kw.setdefault("cache", False)
    t0 = time.perf_counter()
    res = analyze_many(a["paths"], **kw)
    wall = time.perf_counter() - t0
    extra: dict = {"kwargs": kw}
    results = list(res.values()) if isinstance(res, dict) else list(res)
    ok = [r for r in results if hasattr(r, "frames_analyzed")]
    extra["clips_ok"] = len(ok)
    extra["frames_analyzed"] = sum(int(r.frames_analyzed) for r in ok)
    if len(ok) != len(results):  # AnalysisFailure records
        failures = [r for r in results if not hasattr(r, "frames_analyzed")]
        raise RuntimeError(f"analyze_many failed on {len(failures)} clips: {failures[:3]}")
    return {"wall_s": wall, "extra": extra}


def tool_pyav_numpy(a: dict) -> dict:
    import av
    import numpy as np

    t0 = time.perf_counter()
    items, frames = [], 0
    for p in a["paths"]:
        t = time.perf_counter()
        n, prev = 0, None
        with av.open(p) as c:
            s = c.streams.video[0]
            s.thread_type = "AUTO"
            w, h = grid(s.codec_context.width, s.codec_context.height)
            for fr in c.decode(s):
                g = fr.reformat(width=w, height=h, format="gray",
                                interpolation="AREA").to_ndarray().astype(np.float32)
                np_metrics(g, prev)
                prev = g
                n += 1
        items.append({"path": p, "wall_s": time.perf_counter() - t, "frames": n})
        frames += n
    return {"wall_s": time.perf_counter() - t0, "items": items,
            "extra": {"frames_analyzed": frames, "av": av.__version__}}


def tool_opencv(a: dict) -> dict:
    import cv2

    t0 = time.perf_counter()
    items, frames = [], 0
    for p in a["paths"]:
        t = time.perf_counter()
        cap = cv2.VideoCapture(p)
        if not cap.isOpened():
            raise RuntimeError(f"OpenCV cannot open {p}")
        n, prev, size = 0, None, None
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            if size is None:
                size = grid(gray.shape[1], gray.shape[0])
            small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
            cv2.Laplacian(small, cv2.CV_32F).var()
            cv2.meanStdDev(small)
            if prev is not None:
                cv2.absdiff(small, prev).mean()
            prev = small
            n += 1
        cap.release()
        items.append({"path": p, "wall_s": time.perf_counter() - t, "frames": n})
        frames += n
    return {"wall_s": time.perf_counter() - t0, "items": items,
            "extra": {"frames_analyzed": frames, "cv2": cv2.__version__}}


def _moviepy():
    """(VideoFileClip, AudioFileClip, concatenate_videoclips, version) for MoviePy 1.x or 2.x,
    using the system ffmpeg (the same libx264 and decoders as the other tools)."""
    os.environ.setdefault("FFMPEG_BINARY", FFMPEG)
    import moviepy

    try:  # 2.x
        from moviepy import AudioFileClip, VideoFileClip, concatenate_videoclips
    except ImportError:  # 1.x
        from moviepy.editor import AudioFileClip, VideoFileClip, concatenate_videoclips
    version = getattr(moviepy, "__version__", "?")
    return VideoFileClip, AudioFileClip, concatenate_videoclips, version


def tool_moviepy_all_open(a: dict) -> dict:
    """The old pipeline's pattern: open every clip up front, then iter_frames each."""
    VideoFileClip, _, _, ver = _moviepy()
    import numpy as np

    try:
        import cv2
    except ImportError:
        cv2 = None
    t0 = time.perf_counter()
    clips = [VideoFileClip(p) for p in a["paths"]]
    opened_s = time.perf_counter() - t0
    frames = 0
    for clip in clips:
        prev = None
        w, h = grid(int(clip.w), int(clip.h))
        for rgb in clip.iter_frames():
            if cv2 is not None:
                gray = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (w, h),
                                  interpolation=cv2.INTER_AREA)
            else:
                step = max(1, min(rgb.shape[:2]) // ANALYSIS_SIZE)
                gray = rgb[::step, ::step, 1]
            g = gray.astype(np.float32)
            np_metrics(g, prev)
            prev = g
            frames += 1
    for clip in clips:
        clip.close()
    return {"wall_s": time.perf_counter() - t0,
            "extra": {"frames_analyzed": frames, "open_all_s": opened_s, "moviepy": ver}}


# ---- Beats -------------------------------------------------------------------------------


def tool_detect_beats(a: dict) -> dict:
    import autocut_native as ac

    t0 = time.perf_counter()
    items = []
    for tr in a["tracks"]:
        t = time.perf_counter()
        bt = ac.detect_beats(tr["path"])
        items.append({"path": tr["path"], "wall_s": time.perf_counter() - t,
                      "tempo": float(bt.tempo),
                      "f_measure": beat_fmeasure(bt.beats, tr["beats"])})
    return {"wall_s": time.perf_counter() - t0, "items": items}


def tool_librosa(a: dict) -> dict:
    import warnings

    import librosa
    import numpy as np

    t0 = time.perf_counter()
    items = []
    for tr in a["tracks"]:
        t = time.perf_counter()
        with warnings.catch_warnings():
            # m4a/mp3 may go through audioread (deprecated in librosa 0.10+).
            warnings.simplefilter("ignore")
            y, sr = librosa.load(tr["path"], sr=22050, mono=True)
        tempo, frames = librosa.beat.beat_track(y=y, sr=sr)
        beats = librosa.frames_to_time(frames, sr=sr)
        items.append({"path": tr["path"], "wall_s": time.perf_counter() - t,
                      "tempo": float(np.atleast_1d(tempo)[0]),
                      "f_measure": beat_fmeasure(beats, tr["beats"])})
    return {"wall_s": time.perf_counter() - t0, "items": items,
            "extra": {"librosa": librosa.__version__}}


# ---- Render ------------------------------------------------------------------------------
# An edit: {"canvas": [w, h], "fps": 30, "audio": path, "audio_fade_out": 1.0,
#           "segments": [{"path", "start", "end"}, ...], "output": path}
# Encoder settings are render()'s quality="high" for libx264 (cpp/render/encoder.h).
X264_HIGH = {"preset": "medium", "crf": "18"}
AAC_BITRATE = "192k"
AUDIO_RATE = 48000


def tool_render(a: dict) -> dict:
    import autocut_native as ac

    e = a["edit"]
    t0 = time.perf_counter()
    tl = ac.Timeline(canvas=tuple(e["canvas"]), fps=e["fps"], fit="crop", audio=e.get("audio"),
                     audio_fade_out=e.get("audio_fade_out", 1.0))
    for s in e["segments"]:
        tl.add(s["path"], s["start"], s["end"])
    r = ac.render(tl, e["output"], encoder="libx264", quality="high",
                  hwaccel=a.get("hwaccel", "auto"))
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "extra": {"frames": r.frames, "encoder": r.encoder_used,
                                      "hwaccel_used": r.hwaccel_used,
                                      "output_bytes": os.path.getsize(e["output"])}}


def ffmpeg_render_cmd(e: dict) -> list[str]:
    """The same edit as one ffmpeg run: each segment an input seeked with -ss, then
    setpts + fps + trim + crop/scale to fill the canvas (the centre cut to the canvas's
    aspect, then scaled, as render() does), concat, the music cut and faded,
    libx264 and AAC with render()'s settings.

    Frame choice as render() makes it: output frame k of a segment is the source frame
    displayed at start + k / fps. The input is seeked a little before `start` (ffmpeg's
    accurate seek drops frames before the seek point, including the one on screen at
    `start`), setpts puts `start` at 0, fps=...:round=up shows at each tick the last frame
    at or before it, and trim keeps the segment's frames (end_frame counts the frames
    a trim sees, so the second trim counts from `start`)."""
    w, h = e["canvas"]
    fps = e["fps"]
    cmd = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    chains, labels = [], []
    total = 0.0
    for i, s in enumerate(e["segments"]):
        nframes = int((s["end"] - s["start"]) * fps + 0.5)
        total += nframes / fps
        seek = max(0.0, s["start"] - 0.25)
        cmd += ["-ss", f"{seek:.6f}", "-t", f"{s['end'] - seek + 0.5:.6f}", "-i", s["path"]]
        chains.append(
            f"[{i}:v]setpts=PTS-{s['start'] - seek:.6f}/TB,fps={fps}:round=up,"
            f"trim=start=0,setpts=PTS-STARTPTS,trim=end_frame={nframes},"
            f"crop='2*round(min(iw,ih*{w}/{h})/2)':'2*round(min(ih,iw*{h}/{w})/2)',"
            f"scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p[v{i}]")
        labels.append(f"[v{i}]")
    n = len(e["segments"])
    if e.get("audio"):
        cmd += ["-ss", f"{e.get('audio_start', 0.0):.6f}", "-t", f"{total:.6f}", "-i", e["audio"]]
    graph = ";".join(chains) + ";" + "".join(labels) + f"concat=n={n}:v=1:a=0[v]"
    cmd += ["-filter_complex", graph, "-map", "[v]"]
    if e.get("audio"):
        fade = float(e.get("audio_fade_out", 1.0))
        cmd += ["-map", f"{n}:a:0", "-af", f"afade=t=out:st={max(0.0, total - fade):.6f}:d={fade}",
                "-c:a", "aac", "-b:a", AAC_BITRATE, "-ar", str(AUDIO_RATE)]
    cmd += ["-c:v", "libx264", "-preset", X264_HIGH["preset"], "-crf", X264_HIGH["crf"],
            "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709",
            "-color_trc", "bt709", "-movflags", "+faststart", e["output"]]
    return cmd


def tool_ffmpeg_render(a: dict) -> dict:
    e = a["edit"]
    wall, mb, rc, err = ffmpeg_child(ffmpeg_render_cmd(e))
    if rc != 0:
        raise RuntimeError(f"ffmpeg render failed: {err[-2000:]}")
    return {"wall_s": wall, "peak_rss_mb": mb, "rss_source": "wait4",
            "extra": {"output_bytes": os.path.getsize(e["output"])}}


def tool_moviepy_render(a: dict) -> dict:
    VideoFileClip, AudioFileClip, concatenate_videoclips, ver = _moviepy()
    e = a["edit"]
    w, h = e["canvas"]
    v2 = hasattr(VideoFileClip, "subclipped")
    t0 = time.perf_counter()
    sources: dict[str, object] = {}
    parts = []
    for s in e["segments"]:
        src = sources.get(s["path"])
        if src is None:
            src = sources[s["path"]] = VideoFileClip(s["path"], audio=False)
        sub = src.subclipped(s["start"], s["end"]) if v2 else src.subclip(s["start"], s["end"])
        f = max(w / sub.w, h / sub.h)
        nw, nh = max(w, round(sub.w * f)), max(h, round(sub.h * f))
        if v2:
            sub = sub.resized(new_size=(nw, nh)).cropped(
                x_center=nw / 2, y_center=nh / 2, width=w, height=h)
        else:
            sub = sub.resize(newsize=(nw, nh)).crop(
                x_center=nw / 2, y_center=nh / 2, width=w, height=h)
        parts.append(sub)
    video = concatenate_videoclips(parts)
    music = None
    if e.get("audio"):
        music = AudioFileClip(e["audio"])
        end = min(video.duration, music.duration)
        music = music.subclipped(0, end) if v2 else music.subclip(0, end)
        fade = float(e.get("audio_fade_out", 1.0))
        if v2:
            from moviepy.audio.fx import AudioFadeOut

            music = music.with_effects([AudioFadeOut(fade)])
            video = video.with_audio(music)
        else:
            from moviepy.audio.fx.all import audio_fadeout

            video = video.set_audio(audio_fadeout(music, fade))
    kwargs = dict(fps=e["fps"], codec="libx264", preset=X264_HIGH["preset"],
                  ffmpeg_params=["-crf", X264_HIGH["crf"], "-pix_fmt", "yuv420p"],
                  audio_codec="aac", audio_bitrate=AAC_BITRATE, audio_fps=AUDIO_RATE,
                  logger=None)
    if not e.get("audio"):
        kwargs["audio"] = False
    video.write_videofile(e["output"], **kwargs)
    wall = time.perf_counter() - t0
    video.close()
    for src in sources.values():
        src.close()
    return {"wall_s": wall, "extra": {"moviepy": ver,
                                      "output_bytes": os.path.getsize(e["output"])}}


TOOLS = {
    "ffmpeg_decode": tool_ffmpeg_decode,
    "analyze": tool_analyze,
    "analyze_many": tool_analyze_many,
    "pyav_numpy": tool_pyav_numpy,
    "opencv": tool_opencv,
    "moviepy_all_open": tool_moviepy_all_open,
    "detect_beats": tool_detect_beats,
    "librosa": tool_librosa,
    "render": tool_render,
    "ffmpeg_render": tool_ffmpeg_render,
    "moviepy_render": tool_moviepy_render,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in TOOLS:
        print(f"usage: runner.py <{'|'.join(TOOLS)}> '<args json>'", file=sys.stderr)
        return 2
    tool, args = argv[0], json.loads(argv[1])
    base = rss_mb()
    with TreeSampler() as sampler:
        out = TOOLS[tool](args)
        sampler.sample()
    total = time.perf_counter() - T_START
    if "peak_rss_mb" not in out:
        out["peak_rss_mb"] = max(vm_hwm_mb(), sampler.peak_kb / 1024)
        out["rss_source"] = "VmHWM+tree" if sampler.max_children else "VmHWM"
        out["peak_rss_self_mb"] = vm_hwm_mb()
        out["subprocesses"] = sampler.max_children
    in_process = out.get("rss_source") != "wait4"
    out.update(tool=tool, base_rss_mb=base, process_s=total,
               import_s=max(0.0, total - out["wall_s"]) if in_process else 0.0)
    out.setdefault("items", [])
    out.setdefault("extra", {})
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
