"""Benchmark workloads, generated with the ffmpeg CLI into bench/.media/<scale> (never
committed) and described by a manifest.json there.

Clips are camera-like: a pan (with hand shake) across a detailed still, temporal sensor
noise, exposure drift, some out of focus, dark or with a cut, encoded the way phones and
cameras do (H.264 High with AAC, HEVC Main 10 in .mov, VP9 in .webm, 4K, 60 fps, portrait
stored upright or as landscape with a rotation matrix). Music tracks are the drum-and-pad
tracks of tests/python/beatgen.py, whose beat times are known.

Scales
  tiny   3 clips of 1.5 s at 320x180 and one 12 s track: keeps the suite working in CI
  small  8 clips of 3-4 s, one of each kind, and one 30 s track
  seed   68 clips of 4-12 s (the issue's workload) and four tracks of 30-60 s
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
MEDIA = BENCH / ".media"
FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
SCALES = ("tiny", "small", "seed")
# Bump when the recipes change so cached media is made again.
RECIPE_VERSION = 2


# The test suite's media helpers (tests/python), shared rather than written twice.
_TESTS = str(ROOT / "tests" / "python")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
from mediagen import ffmpeg_major, run_ffmpeg  # noqa: E402


def _beatgen():
    """tests/python/beatgen.py (on sys.path above)."""
    import beatgen

    return beatgen


# ---- Specs -------------------------------------------------------------------------------


@dataclass
class ClipSpec:
    name: str
    kind: str  # h264 | h264_60 | portrait | rotated | uhd | hevc10 | hevc | hevc10_uhd | vp9
    width: int  # stored size
    height: int
    fps: int
    seconds: float
    still: int  # index of the still it pans over
    look: str = "plain"  # plain | blur | dark | shaky | cut
    audio: bool = False
    seed: int = 0

    @property
    def filename(self) -> str:
        ext = {"hevc10": "mov", "hevc": "mov", "hevc10_uhd": "mov", "vp9": "webm"}
        return f"{self.name}.{ext.get(self.kind, 'mp4')}"


@dataclass
class TrackSpec:
    name: str
    bpm: float
    seconds: float
    codec: str  # beatgen.CODECS key
    swing: float = 0.5
    intro: float = 0.0
    seed: int = 0


@dataclass
class Manifest:
    scale: str
    canvas: tuple[int, int]
    clips: list[dict] = field(default_factory=list)
    tracks: list[dict] = field(default_factory=list)
    version: int = RECIPE_VERSION
    generated_s: float = 0.0


# Still images the clips pan across: mandelbrot regions with detail at every scale.
STILLS = [
    dict(start_x=-0.743643887, start_y=0.131825904, scale=0.004),
    dict(start_x=-0.7453, start_y=0.1127, scale=0.0065),
    dict(start_x=-1.25066, start_y=0.02012, scale=0.0017),
    dict(start_x=-0.16, start_y=1.0405, scale=0.026),
    dict(start_x=0.2549870375144766, start_y=-0.0005679790528465, scale=0.0002),
]


def clip_specs(scale: str) -> list[ClipSpec]:
    rng = random.Random(20240501)
    specs: list[ClipSpec] = []

    def add(kind: str, w: int, h: int, fps: int, lo: float, hi: float, n: int,
            looks: tuple[str, ...] = ("plain",), audio: bool = False) -> None:
        for i in range(n):
            specs.append(ClipSpec(
                name=f"{len(specs):02d}_{kind}", kind=kind, width=w, height=h, fps=fps,
                seconds=round(rng.uniform(lo, hi), 2), still=rng.randrange(len(STILLS)),
                look=looks[i % len(looks)], audio=audio, seed=rng.randrange(1 << 30)))

    if scale == "tiny":
        add("h264", 320, 180, 30, 1.5, 1.5, 1, audio=True)
        add("rotated", 320, 180, 25, 1.5, 1.5, 1)
        add("vp9", 320, 180, 24, 1.5, 1.5, 1)
        for s in specs:
            s.kind = {"rotated": "rotated_hevc10"}.get(s.kind, s.kind)
        return specs
    if scale == "small":
        add("h264", 1920, 1080, 30, 3, 4, 2, looks=("plain", "shaky"), audio=True)
        add("h264_60", 1920, 1080, 60, 3, 4, 1, audio=True)
        add("portrait", 1080, 1920, 30, 3, 4, 1, audio=True)
        add("rotated", 1920, 1080, 30, 3, 4, 1, audio=True)
        add("uhd", 3840, 2160, 30, 2, 3, 1, audio=True)
        add("hevc10", 1920, 1080, 30, 3, 4, 1)
        add("vp9", 1920, 1080, 30, 3, 4, 1)
        return specs
    if scale == "seed":
        looks = ("plain", "shaky", "plain", "blur", "plain", "dark", "plain", "cut")
        add("h264", 1920, 1080, 30, 4, 12, 40, looks=looks, audio=True)
        add("h264_60", 1920, 1080, 60, 4, 12, 6, looks=looks, audio=True)
        add("portrait", 1080, 1920, 30, 4, 12, 4, looks=looks, audio=True)
        add("rotated", 1920, 1080, 30, 4, 12, 2, audio=True)
        add("uhd", 3840, 2160, 30, 4, 6, 4, looks=looks, audio=True)
        add("hevc10", 1920, 1080, 30, 4, 12, 4, looks=looks)
        add("hevc", 1920, 1080, 30, 4, 12, 2)
        add("hevc10_uhd", 3840, 2160, 30, 4, 5, 2)
        add("vp9", 1920, 1080, 30, 4, 12, 4, looks=looks)
        return specs
    raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")


def track_specs(scale: str) -> list[TrackSpec]:
    if scale == "tiny":
        return [TrackSpec("track_120_wav", 120, 12, "wav")]
    if scale == "small":
        return [TrackSpec("track_100_mp3", 100, 30, "mp3", swing=0.6)]
    return [
        TrackSpec("track_96_mp3", 96, 30, "mp3", swing=0.6),
        TrackSpec("track_120_m4a", 120, 40, "m4a", intro=1.5),
        TrackSpec("track_128_wav", 128, 50, "wav"),
        TrackSpec("track_84_flac", 84, 60, "flac", swing=0.62, seed=3),
    ]


def canvas_for(scale: str) -> tuple[int, int]:
    return (320, 180) if scale == "tiny" else (1920, 1080)


# ---- Generation ----------------------------------------------------------------------------


def _still(root: Path, index: int, size: tuple[int, int]) -> Path:
    w, h = size
    path = root / "stills" / f"still{index}_{w}.png"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        p = STILLS[index]
        src = (f"mandelbrot=size={w}x{h}:rate=1:start_x={p['start_x']}:start_y={p['start_y']}"
               f":start_scale={p['scale']}:end_scale={p['scale']}:maxiter=1500")
        tmp = path.with_name(".tmp-" + path.name)
        run_ffmpeg(["-f", "lavfi", "-i", src, "-frames:v", "1", "-f", "image2", str(tmp)])
        os.replace(tmp, path)
    return path


def _pan(spec: ClipSpec, out_w: int, out_h: int, phase: float) -> str:
    """crop expression: a slow pan across the still plus hand shake."""
    r = random.Random(spec.seed + int(phase * 1000))
    px, py = r.uniform(7, 15), r.uniform(5, 11)
    shake = {"shaky": 14, "plain": 3}.get(spec.look, 3)
    x = (f"(iw-ow)/2+(iw-ow)/2.3*sin(2*PI*(t+{phase:.3f})/{px:.2f})"
         f"+{shake}*sin(2*PI*t*2.7)+{shake / 2}*sin(2*PI*t*6.1)")
    y = (f"(ih-oh)/2+(ih-oh)/2.5*sin(2*PI*(t+{phase:.3f})/{py:.2f})"
         f"+{shake}*sin(2*PI*t*3.3)")
    return f"crop={out_w}:{out_h}:x='{x}':y='{y}'"


def _clip_args(spec: ClipSpec, root: Path) -> tuple[list[str], list[str]]:
    """ffmpeg arguments for one clip, and those of a remux pass (rotation on FFmpeg 5)."""
    tiny = spec.width <= 640 and spec.height <= 640
    uhd = spec.width >= 3840
    portrait = spec.kind == "portrait"
    still_size = (960, 540) if tiny else (5120, 2880) if uhd else (2880, 1620)
    still = _still(root, spec.still, still_size)
    # The picture the camera sees (upright), before encoding.
    view_w, view_h = spec.width, spec.height
    crop_w, crop_h = (view_w, view_h)
    pre = ""
    if tiny:
        crop_w, crop_h = 640, 360
    if portrait:
        pre = "transpose=1,"  # the still on its side, so a 1080x1920 window fits
    args: list[str] = []
    remux: list[str] = []
    rotated = spec.kind.startswith("rotated")
    if rotated:
        # Stored landscape, displayed portrait (90 clockwise), as phones write it.
        if ffmpeg_major() >= 6:
            args += ["-display_rotation", "-90"]
        else:
            remux = ["-metadata:s:v:0", "rotate=270"]
    # One still decoded once and repeated by the loop filter (yuv444p, so crop offsets
    # are free and the pixel format is converted once).
    args += ["-framerate", str(spec.fps), "-i", str(still)]
    n_inputs = 1
    if spec.look == "cut":
        other = _still(root, (spec.still + 2) % len(STILLS), still_size)
        args += ["-framerate", str(spec.fps), "-i", str(other)]
        n_inputs = 2
    src = "format=yuv444p,loop=loop=-1:size=1:start=0,"
    if spec.audio:
        args += ["-f", "lavfi", "-i",
                 f"anoisesrc=a=0.03:c=pink:r=48000:seed={spec.seed % 100000},"
                 f"volume='0.6+0.4*sin(2*PI*t/3)':eval=frame"]
    look = ""
    if spec.look == "blur":
        look = ",gblur=sigma=4"
    elif spec.look == "dark":
        look = ",eq=brightness=-0.22:contrast=0.8"
    scale = f",scale={spec.width}:{spec.height}:flags=area" if tiny else ""
    noise = 4 if tiny else 7
    tail = (f"eq=brightness='0.04*sin(2*PI*t/5)':saturation=1.1:eval=frame{look}"
            f",noise=alls={noise}:allf=t{scale}")
    pix = "yuv420p10le" if "hevc10" in spec.kind else "yuv420p"
    if n_inputs == 1:
        graph = f"[0:v]{src}{pre}{_pan(spec, crop_w, crop_h, 0)},{tail},format={pix}[v]"
    else:
        half = round(spec.seconds / 2, 2)
        graph = (f"[0:v]{src}{pre}{_pan(spec, crop_w, crop_h, 0)},trim=duration={half}[a];"
                 f"[1:v]{src}{pre}{_pan(spec, crop_w, crop_h, 3.7)},"
                 f"trim=duration={spec.seconds - half:.2f},"
                 f"setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0,{tail},format={pix}[v]")
    args += ["-filter_complex", graph, "-map", "[v]"]
    if spec.audio:
        args += ["-map", f"{n_inputs}:a", "-c:a", "aac", "-b:a", "128k", "-ac", "2"]
    args += ["-t", f"{spec.seconds}", "-r", str(spec.fps)]
    gop = str(spec.fps)  # about a keyframe a second, like phones
    if spec.kind.startswith("h264") or spec.kind in ("portrait", "rotated", "uhd"):
        crf = "23" if not tiny else "26"
        args += ["-c:v", "libx264", "-preset", "veryfast", "-crf", crf, "-g", gop,
                 "-profile:v", "high", "-movflags", "+faststart"]
    elif "hevc" in spec.kind:
        preset = "ultrafast" if (uhd or tiny) else "superfast"
        args += ["-c:v", "libx265", "-preset", preset, "-crf", "24", "-tag:v", "hvc1",
                 "-x265-params", f"log-level=error:keyint={gop}:bframes=3"]
    elif spec.kind == "vp9":
        args += ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                 "-b:v", "400k" if tiny else "6M", "-g", gop, "-row-mt", "1"]
    else:
        raise ValueError(spec.kind)
    return args, remux


def _make_clip(spec: ClipSpec, root: Path) -> Path:
    path = root / spec.filename
    if path.exists():
        return path
    args, remux = _clip_args(spec, root)
    tmp = path.with_name(".tmp-" + path.name)
    run_ffmpeg([*args, str(tmp)])
    if remux:
        tmp2 = path.with_name(".tmp2-" + path.name)
        run_ffmpeg(["-i", str(tmp), "-map", "0", "-c", "copy", *remux, str(tmp2)])
        os.replace(tmp2, tmp)
    os.replace(tmp, path)
    return path


def _make_track(spec: TrackSpec, root: Path) -> tuple[Path, list[float]]:
    bg = _beatgen()
    t = bg.TrackSpec(bpm=spec.bpm, seconds=spec.seconds, intro=spec.intro, swing=spec.swing,
                     seed=spec.seed)
    media = bg.BeatMedia(root)
    return media.get(t, spec.codec), [float(b) for b in t.beat_times()]


def ensure(scale: str, root: Path | None = None, log=None) -> Manifest:
    """Makes (once) the workload of `scale` and returns its manifest."""
    root = Path(root or MEDIA / scale)
    root.mkdir(parents=True, exist_ok=True)
    mpath = root / "manifest.json"
    if mpath.exists():
        data = json.loads(mpath.read_text())
        if data.get("version") == RECIPE_VERSION and all(
                Path(c["path"]).exists() for c in data["clips"] + data["tracks"]):
            data["canvas"] = tuple(data["canvas"])
            return Manifest(**data)
    t0 = time.perf_counter()
    man = Manifest(scale=scale, canvas=canvas_for(scale))
    for spec in clip_specs(scale):
        if log:
            log(f"clip {spec.filename} ({spec.width}x{spec.height}@{spec.fps}, {spec.seconds} s)")
        path = _make_clip(spec, root)
        man.clips.append({**asdict(spec), "path": str(path), "size_bytes": path.stat().st_size})
    for spec in track_specs(scale):
        if log:
            log(f"track {spec.name} ({spec.bpm} BPM, {spec.seconds} s, {spec.codec})")
        path, beats = _make_track(spec, root)
        man.tracks.append({**asdict(spec), "path": str(path), "beats": beats})
    man.generated_s = round(time.perf_counter() - t0, 1)
    mpath.write_text(json.dumps(asdict(man), indent=1))
    return man


# ---- Edits ---------------------------------------------------------------------------------

# Segments per scale: (render workload: count, lengths in beats cycled), and the peak-memory
# pair (many short segments vs few long ones, the same total length).
EDITS = {
    "tiny": {"render": (4, (1, 2)), "peaks": ((16, 0.25), (4, 1.0))},
    "small": {"render": (12, (1, 2)), "peaks": ((40, 0.2), (4, 2.0))},
    "seed": {"render": (30, (1, 2)), "peaks": ((100, 0.3), (10, 3.0))},
}


def _music(man: Manifest) -> dict:
    """The track the edits cut to: the one nearest 120 BPM."""
    return min(man.tracks, key=lambda t: abs(t["bpm"] - 120))


def _round_robin(man: Manifest) -> list[dict]:
    """Clips ordered so that every run of len(kinds) consecutive clips has one of each
    kind: the first segments of an edit already touch 4K, HEVC 10-bit, VP9, rotation..."""
    kinds: dict[str, list[dict]] = {}
    for c in man.clips:
        kinds.setdefault(c["kind"], []).append(c)
    order, i = [], 0
    while len(order) < len(man.clips):
        for group in kinds.values():
            if i < len(group):
                order.append(group[i])
        i += 1
    return order


def edit(man: Manifest, n: int, lengths: tuple[float, ...], output: str | os.PathLike,
         beats: bool = False) -> dict:
    """An edit of n segments over the clips (round robin by kind), lengths cycled (in
    beats of the music when `beats`, else seconds), starts spread through each clip."""
    music = _music(man)
    unit = 60.0 / music["bpm"] if beats else 1.0
    order = _round_robin(man)
    segs = []
    for i in range(n):
        c = order[i % len(order)]
        dur = float(c["seconds"])
        length = min(lengths[i % len(lengths)] * unit, dur - 0.2)
        room = max(0.0, dur - length - 0.2)
        start = round(room * ((i * 0.618034) % 1.0), 3)
        segs.append({"path": c["path"], "start": start, "end": round(start + length, 3)})
    return {"canvas": list(man.canvas), "fps": 30, "audio": music["path"],
            "audio_fade_out": 1.0, "segments": segs, "output": str(output)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Make the benchmark media of a scale.")
    ap.add_argument("--scale", choices=SCALES, default="small")
    args = ap.parse_args(argv)
    man = ensure(args.scale, log=lambda m: print(f"[workloads] {m}", flush=True))
    print(f"[workloads] {len(man.clips)} clips, {len(man.tracks)} tracks in "
          f"{MEDIA / args.scale}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
