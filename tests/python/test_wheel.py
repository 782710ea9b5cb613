"""The distributable wheel: built and repaired by `scripts/build_wheel.sh --lgpl` (against
the lean LGPL-only FFmpeg of scripts/build_ffmpeg_lgpl.sh), installed into a fresh virtual
environment, and smoke-tested (import, probe, decode of the common camera codecs, analyse,
beats, render, library-made media, the CLI) with the system's FFmpeg libraries hidden from
the loader. Also checked: it bundles no GPL library, every bundled FFmpeg library reports
the LGPL licence, it bundles nothing beyond the list below, and its size stays under
MAX_WHEEL_MIB (README "Distribution (wheels)").

Hiding: in a private mount namespace (`unshare --mount`, so root only) each system
libav*/libsw*/libpostproc shared object is bind-mounted over with /dev/null, and the
loader cache is rebuilt without them; nothing outside the namespace changes.

Opt-in, because it builds FFmpeg and the wheel (minutes): AUTOCUT_TEST_WHEEL=1.
scripts/test.sh runs it as its last step. AUTOCUT_WHEEL=path/to.whl tests a wheel built
elsewhere instead; AUTOCUT_WHEEL_FFMPEG=system builds against the system FFmpeg (a GPL
wheel on Debian/Ubuntu; the LGPL, size and bundle-list checks are then skipped).
Fixture media is made with the ffmpeg CLI before anything is hidden.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FFMPEG_NAMES = r"(avcodec|avformat|avutil|avfilter|avdevice|swscale|swresample|postproc)"
FFMPEG_LIB = re.compile(rf"^lib{FFMPEG_NAMES}\.so")
LINKED = ("avcodec", "avformat", "avutil", "swscale", "swresample", "avfilter")
VARIANT = os.environ.get("AUTOCUT_WHEEL_FFMPEG", "lgpl")
# The LGPL wheel, compressed; measured 5.0 MiB with FFmpeg 5.1.9 on Debian 12 x86_64.
MAX_WHEEL_MIB = 8
# Everything the LGPL wheel may bundle: the FFmpeg libraries it links, OpenH264 (software
# H.264 encoder), dav1d (AV1 decoder), libva + libva-drm + libdrm (VAAPI), zlib.
LGPL_BUNDLE = set(LINKED) | {"openh264", "dav1d", "va", "va-drm", "drm", "z"}
GPL_LIBS = re.compile(r"^lib(x264|x265|postproc|xvidcore|vidstab|rubberband|frei0r)[-.]")
LGPL = "LGPL version 2.1 or later"
# A kick (falling sine) with a click on top every 0.5 s: 120 BPM, as MP3.
KICKS_120 = [
    "-f", "lavfi", "-i",
    r"aevalsrc='0.8*sin(2*PI*(60+120*exp(-mod(t\,0.5)*40))*mod(t\,0.5))*exp(-mod(t\,0.5)*12)"
    r"+0.2*sin(2*PI*3000*t)*exp(-mod(t\,0.5)*80)':s=44100:d=8",
    "-c:a", "libmp3lame", "-b:a", "128k",
]
_SMALL = ["-f", "lavfi", "-i", "testsrc2=size=160x96:rate=30:duration=1",
          "-f", "lavfi", "-i", "sine=frequency=440:duration=1:sample_rate=48000"]
# Codecs of phones and cameras the lean build must decode, beyond h264/aac and mp3 above:
# the suite's own media (by key) and a few made here (by file name) -> (video, audio).
DECODE_SUITE = {"hevc10_rot_mov": ("hevc", None), "vp9_webm": ("vp9", None),
                "mpeg4_avi": ("mpeg4", None)}
DECODE_MADE = {
    "av1_opus.mkv": ([*_SMALL, "-c:v", "libsvtav1", "-preset", "12", "-c:a", "libopus"],
                     ("av1", "opus")),
    "prores_pcm.mov": ([*_SMALL, "-c:v", "prores_ks", "-profile:v", "0", "-c:a", "pcm_s16le"],
                       ("prores", "pcm_s16le")),
    "mjpeg_pcm.avi": ([*_SMALL, "-c:v", "mjpeg", "-c:a", "pcm_s16le"], ("mjpeg", "pcm_s16le")),
}


def _skip_reason() -> str | None:
    if os.environ.get("AUTOCUT_TEST_WHEEL") != "1":
        return ("opt-in: set AUTOCUT_TEST_WHEEL=1 (builds FFmpeg and the wheel; "
                "scripts/test.sh does)")
    if not sys.platform.startswith("linux"):
        return "hides libraries with Linux mount namespaces"
    if os.geteuid() != 0:
        return "needs root to bind-mount over the system libraries"
    if not shutil.which("unshare") or not shutil.which("ldconfig"):
        return "needs unshare(1) and ldconfig"
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True).returncode != 0:
        return "unshare --mount is not permitted here"
    if not shutil.which("ffmpeg"):
        return "needs the ffmpeg CLI to make fixture media"
    return None


_reason = _skip_reason()
pytestmark = [pytest.mark.wheel, pytest.mark.skipif(_reason is not None, reason=_reason or "")]
lgpl_only = pytest.mark.skipif(VARIANT != "lgpl", reason="checks of the LGPL wheel")


def _run(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        pytest.fail(f"{what} failed ({res.returncode}): {' '.join(map(str, cmd))}\n"
                    f"--- stdout\n{res.stdout[-6000:]}\n--- stderr\n{res.stderr[-6000:]}")
    return res


def system_ffmpeg_libs() -> tuple[list[str], list[str]]:
    """(sonames, real files) of the FFmpeg libraries in the loader cache."""
    names, files = set(), set()
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    for line in cache.splitlines():
        m = re.match(r"\s*(\S+) \(.*\) => (\S+)$", line)
        if m and FFMPEG_LIB.match(m.group(1)):
            names.add(m.group(1))
            files.add(os.path.realpath(m.group(2)))
    return sorted(names), sorted(files)


# Runs "$@" after "--" in a private mount namespace with the files before "--" hidden.
HIDE = textwrap.dedent("""\
    set -euo pipefail
    tmp=$1; shift
    while [ "$1" != "--" ]; do mount --bind /dev/null "$1"; shift; done; shift
    # A loader cache without the hidden libraries (ld.so and ldconfig -p read it); -X
    # leaves the real symlinks alone, the aux cache goes to a private directory.
    mkdir -p "$tmp/aux"
    [ -d /var/cache/ldconfig ] && mount --bind "$tmp/aux" /var/cache/ldconfig
    ldconfig -X -C "$tmp/ld.so.cache" 2>/dev/null
    mount --bind "$tmp/ld.so.cache" /etc/ld.so.cache
    exec "$@"
""")


def run_hidden(tmp: Path, hidden: list[str], cmd: list[str],
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    tmp.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "bash", "-c", HIDE, "hide",
         str(tmp), *hidden, "--", *cmd],
        capture_output=True, text=True, timeout=600, cwd=tmp, env=env,
    )


SMOKE = textwrap.dedent("""\
    import ctypes, ctypes.util, json, os, subprocess, sys
    names, files, clip, music, out, decode, synth_dir = json.loads(sys.argv[1])
    facts = {"find_library": {n: ctypes.util.find_library(n) for n in %(linked)r}}
    facts["dlopen"] = {}
    for lib in names + files:
        try:
            ctypes.CDLL(lib)
            facts["dlopen"][lib] = "loaded"
        except OSError as e:
            facts["dlopen"][lib] = str(e)

    import autocut_native as ac
    from autocut_native import _core
    from autocut_native.demo import DEMO_CLIPS
    facts["core"] = ac._core.__file__
    facts["ldd"] = subprocess.run(["ldd", ac._core.__file__], capture_output=True,
                                  text=True).stdout
    facts["versions"] = ac.ffmpeg_versions()
    facts["hardware"] = ac.hardware()
    info = ac.probe(clip)
    facts["probe"] = dict(codec=info.codec, width=info.width, height=info.height,
                          audio_codec=info.audio_codec)
    with ac.VideoReader(clip, format="rgb24") as reader:
        frames = [next(reader) for _ in range(5)]
        facts["frames"] = [[f.pts, list(f.array.shape), int(f.array.sum() > 0)] for f in frames]
    facts["decode"] = {}
    for key, path in decode.items():
        try:
            info = ac.probe(path)
            with ac.VideoReader(path, format="gray") as reader:
                frame = next(reader)
            facts["decode"][key] = [info.codec, info.audio_codec, int(frame.array.size > 0)]
        except Exception as e:
            facts["decode"][key] = f"{type(e).__name__}: {e}"
    clip_analysis = ac.analyze(clip)
    facts["analysis"] = dict(frames=clip_analysis.frames_analyzed,
                             quality=float(clip_analysis.quality.mean()))
    facts["tempo"] = ac.detect_beats(music).tempo
    timeline = ac.Timeline(canvas=(160, 96), fps=30, audio=music)
    timeline.add(clip, 0, 0.5).add(clip, 1, 1.5)
    result = ac.render(timeline, out)
    rendered = ac.probe(out)
    facts["render"] = dict(frames=result.frames, encoder=result.encoder_used,
                           codec=rendered.codec, width=rendered.width,
                           has_audio=rendered.has_audio)
    # Every generated source the demo uses, through the software encoder.
    facts["synth"] = {}
    for name, (source, _) in DEMO_CLIPS.items():
        try:
            r = _core.synthesize_video(source, os.path.join(synth_dir, name + ".mp4"),
                                       seconds=0.2, encoder="auto", quality="low")
            facts["synth"][name] = ["ok", r["encoder_used"]]
        except Exception as e:
            facts["synth"][name] = ["error", f"{type(e).__name__}: {e}"]
    facts["maps"] = sorted({line.split()[-1] for line in open("/proc/self/maps")
                            if "/lib" in line and any(
                                "lib" + n in line.split()[-1] for n in %(linked)r)})
    # The licence each FFmpeg library reports (<lib>_license()) and libavcodec's
    # configure line, from the copies actually mapped.
    facts["licenses"], facts["configuration"] = {}, ""
    for path in facts["maps"]:
        base = os.path.basename(path)
        for n in %(linked)r:
            if base.startswith("lib" + n + "-") or base.startswith("lib" + n + "."):
                lib = ctypes.CDLL(path)
                fn = getattr(lib, n + "_license")
                fn.restype = ctypes.c_char_p
                facts["licenses"][n] = fn().decode()
                if n == "avcodec":
                    lib.avcodec_configuration.restype = ctypes.c_char_p
                    facts["configuration"] = lib.avcodec_configuration().decode()
    print(json.dumps(facts))
""") % {"linked": LINKED}


# ---- Fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    prebuilt = os.environ.get("AUTOCUT_WHEEL")
    if prebuilt:
        return Path(prebuilt).resolve()
    out = tmp_path_factory.mktemp("wheelhouse")
    env = dict(os.environ, PYTHON=sys.executable)
    cmd = ["bash", str(ROOT / "scripts" / "build_wheel.sh"), "--out", str(out)]
    if VARIANT == "lgpl":
        cmd.append("--lgpl")
    _run(cmd, "scripts/build_wheel.sh", env=env, cwd=ROOT, timeout=3000)
    (path,) = out.glob("autocut_native-*.whl")
    return path


@pytest.fixture(scope="module")
def bundled(wheel) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        return sorted(Path(n).name for n in z.namelist()
                      if n.startswith("autocut_native.libs/") and not n.endswith("/"))


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with only the wheel (and its dependencies) installed."""
    root = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", str(root)], "python -m venv")
    py = root / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
         "pip install the wheel", cwd=root)
    return py


@pytest.fixture(scope="module")
def hidden() -> tuple[list[str], list[str]]:
    names, files = system_ffmpeg_libs()
    if not files:
        pytest.skip("no system FFmpeg libraries in the loader cache: nothing to hide")
    return names, files


@pytest.fixture(scope="module")
def smoke(venv, hidden, media, tmp_path_factory) -> dict:
    names, files = hidden
    clip = media.get("h264_mp4")
    music = media.make("kicks_120bpm.mp3", KICKS_120)
    decode = {key: str(media.get(key)) for key in DECODE_SUITE}
    decode.update({name: str(media.make(name, args)) for name, (args, _) in DECODE_MADE.items()})
    tmp = tmp_path_factory.mktemp("hidden")
    synth = tmp / "synth"
    synth.mkdir()
    script = tmp / "smoke.py"
    script.write_text(SMOKE)
    args = json.dumps([names, files, str(clip), str(music), str(tmp / "out.mp4"), decode,
                       str(synth)])
    res = run_hidden(tmp, files, [str(venv), "-I", str(script), args])
    if res.returncode != 0:
        pytest.fail(f"smoke test in the namespace failed ({res.returncode}):\n"
                    f"--- stdout\n{res.stdout[-6000:]}\n--- stderr\n{res.stderr[-6000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# ---- The wheel file --------------------------------------------------------------------


def test_wheel_bundles_the_ffmpeg_libraries(wheel, bundled):
    assert re.search(r"-(manylinux|musllinux)_\d+_\d+_\w+\.whl$", wheel.name), wheel.name
    for lib in LINKED:
        assert any(b.startswith(f"lib{lib}-") for b in bundled), (lib, bundled)


@lgpl_only
def test_lgpl_wheel_bundles_no_gpl_library_and_nothing_unexpected(bundled):
    assert not [b for b in bundled if GPL_LIBS.match(b)], bundled
    # auditwheel names a copy lib<name>-<hash>.so.<N>.
    names = {re.sub(r"-[0-9a-f]{8}\.so.*$", "", b).removeprefix("lib") for b in bundled}
    assert names <= LGPL_BUNDLE, sorted(names - LGPL_BUNDLE)


@lgpl_only
def test_lgpl_wheel_stays_small(wheel):
    mib = wheel.stat().st_size / 2**20
    assert mib < MAX_WHEEL_MIB, f"{wheel.name}: {mib:.1f} MiB (bound {MAX_WHEEL_MIB} MiB)"


# ---- Installed, with the system FFmpeg hidden ------------------------------------------


def test_the_system_libraries_are_hidden_in_the_namespace(hidden, tmp_path):
    # The system ffmpeg CLI links them, so it must fail to start.
    res = run_hidden(tmp_path, hidden[1], ["ffmpeg", "-version"])
    assert res.returncode != 0
    assert "libav" in res.stderr or "libsw" in res.stderr or "libpostproc" in res.stderr


def test_system_ffmpeg_cannot_be_found_or_loaded(smoke, hidden):
    assert smoke["find_library"] == {n: None for n in LINKED}
    loaded = [lib for lib, why in smoke["dlopen"].items() if why == "loaded"]
    assert not loaded
    assert set(smoke["dlopen"]) == set(hidden[0]) | set(hidden[1])


def test_extension_resolves_ffmpeg_to_the_wheel(smoke):
    libs_dir = os.path.normpath(Path(smoke["core"]).parent.parent / "autocut_native.libs") + "/"
    assert "not found" not in smoke["ldd"], smoke["ldd"]
    resolved = {}
    for line in smoke["ldd"].splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        lib = m and re.match(rf"lib{FFMPEG_NAMES}[-.]", m.group(1))
        if lib:
            resolved[lib.group(1)] = os.path.normpath(m.group(2))
    # Ours, plus what they pull in themselves (e.g. a GPL libavfilter's libpostproc): all
    # bundled.
    assert set(LINKED) <= set(resolved), smoke["ldd"]
    assert all(p.startswith(libs_dir) for p in resolved.values()), resolved
    # What is actually mapped, not just what ldd predicts.
    assert len(smoke["maps"]) >= len(LINKED)
    assert all(os.path.normpath(p).startswith(libs_dir) for p in smoke["maps"]), smoke["maps"]


@lgpl_only
def test_every_bundled_ffmpeg_library_reports_lgpl(smoke):
    assert smoke["licenses"] == {n: LGPL for n in LINKED}
    assert "--enable-gpl" not in smoke["configuration"]
    assert "--enable-nonfree" not in smoke["configuration"]
    assert "--enable-libopenh264" in smoke["configuration"]


def test_probe_decode_analyse_beats_and_render_without_system_ffmpeg(smoke):
    assert smoke["versions"]["ffmpeg"]
    assert smoke["probe"] == dict(codec="h264", width=640, height=360, audio_codec="aac")
    assert [f[1] for f in smoke["frames"]] == [[360, 640, 3]] * 5
    pts = [f[0] for f in smoke["frames"]]
    assert pts == sorted(pts) and pts[0] == pytest.approx(0.0, abs=1e-6)
    assert all(f[2] for f in smoke["frames"])
    assert smoke["analysis"]["frames"] > 0 and 0 <= smoke["analysis"]["quality"] <= 1
    assert smoke["tempo"] == pytest.approx(120, rel=0.03)
    render = dict(smoke["render"])
    encoder = render.pop("encoder")
    assert render == dict(frames=30, codec="h264", width=160, has_audio=True)
    if VARIANT == "lgpl":
        # No libx264: OpenH264 unless this machine has a working hardware encoder.
        assert encoder == "libopenh264" or encoder in smoke["hardware"]["encoders"], encoder


def test_decodes_the_common_camera_codecs(smoke):
    want = {key: [*codecs, 1] for key, codecs in DECODE_SUITE.items()}
    want.update({name: [*codecs, 1] for name, (_, codecs) in DECODE_MADE.items()})
    assert smoke["decode"] == want


def test_every_demo_source_synthesizes(smoke):
    failed = {name: why for name, (status, why) in smoke["synth"].items() if status != "ok"}
    assert not failed


def test_cli_doctor_reports_the_bundled_ffmpeg(venv, hidden, tmp_path):
    res = run_hidden(tmp_path, hidden[1], [str(venv.parent / "autocut-native"), "doctor"])
    assert res.returncode == 0, res.stderr
    assert "libavcodec" in res.stdout and "hardware encoders" in res.stdout


def test_cli_demo_runs_without_system_ffmpeg(venv, hidden, tmp_path):
    out = tmp_path / "demo"
    res = run_hidden(tmp_path, hidden[1], [str(venv.parent / "autocut-native"), "demo",
                                           "-o", str(out), "--duration", "4",
                                           "--clip-seconds", "2"])
    assert res.returncode == 0, res.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cuts"] >= 2
