"""render(): exact frame counts and cut positions, retiming (24/60/VFR -> 30), rotated and
10-bit sources, fit geometry, quality against the scaled source, the music track, the
Timeline API and its validation, output handling (temporary file, unwritable
destination, Ctrl-C), encoder fallback and memory independent of the segment count."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import threading
import time
import zlib

import autocut_native as ac
import numpy as np
import pytest
from mediagen import FFPROBE, ffmpeg_major, ffprobe_count_frames, run_ffmpeg

# ---- Fixture clips -------------------------------------------------------------------

BT709 = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709"]
LOSSLESS = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p"]


def numbered(media, fps: int, seconds: float, cb: int, *, vf: str = "", extra=(),
             tagged: bool = True) -> os.PathLike:
    """A flat 160x96 clip whose frame n has luma 16 + 2n and chroma Cb `cb`, so every
    output frame tells which clip and which source frame it shows. Short GOPs and
    B-frames make the renderer seek and reorder. Untagged, it counts as BT.601 and goes
    through the renderer's matrix conversion, which must keep the levels exact."""
    src = (f"color=c=black:s=160x96:r={fps}:d={seconds},format=yuv420p,"
           f"geq=lum='16+2*N':cb={cb}:cr=128")
    name = (f"num_{fps}_{seconds}_{cb}{'' if tagged else '_601'}"
            f"{f'_{zlib.crc32(vf.encode()):08x}' if vf else ''}.mp4")
    return media.make(name, ["-f", "lavfi", "-i", src, *(["-vf", vf] if vf else []),
                             *extra, *LOSSLESS, "-g", "10", "-bf", "2",
                             *(BT709 if tagged else [])])


def shown(path) -> list[tuple[int, int]]:
    """(source frame number, Cb) of every frame of a rendered numbered clip."""
    out = []
    with ac.VideoReader(path, format="yuv") as r:
        for f in r:
            y, u, _ = f.array
            out.append((round((float(y.mean()) - 16) / 2), round(float(u.mean()))))
    return out


def planes(path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    with ac.VideoReader(path, format="yuv") as r:
        return [tuple(np.array(p) for p in f.array) for f in r]


def ffprobe_streams(path) -> list[dict]:
    out = subprocess.run([FFPROBE, "-v", "error", "-show_entries",
                          "stream=codec_type,codec_name,duration,sample_rate,channels,width,"
                          "height,nb_frames,color_space", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["streams"]


@pytest.fixture()
def outdir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


# ---- Exact cuts ----------------------------------------------------------------------


def test_exact_frame_count_and_cut_positions(media, outdir):
    a = numbered(media, 30, 3, cb=80)
    b = numbered(media, 30, 3, cb=128, tagged=False)  # grey: the matrix keeps its luma
    t = ac.Timeline(canvas=(160, 96), fps=30)
    t.add(a, 0.5, 1.0).add(b, 1.0, 1.5).add(a, 2.0, 2.2).add(b, 0.0, 0.1).add(a, 0.7, 0.8)
    res = ac.render(t, outdir / "cuts.mp4")
    expected = ([(n, 80) for n in range(15, 30)] + [(n, 128) for n in range(30, 45)]
                + [(n, 80) for n in range(60, 66)] + [(n, 128) for n in range(0, 3)]
                + [(n, 80) for n in range(21, 24)])
    assert res.frames == t.frames == len(expected) == 42
    assert res.duration == pytest.approx(42 / 30)
    assert res.output == str(outdir / "cuts.mp4")
    assert ffprobe_count_frames(outdir / "cuts.mp4") == 42
    assert shown(outdir / "cuts.mp4") == expected
    assert sorted(os.listdir(outdir)) == ["cuts.mp4"]  # no temporary left


@pytest.mark.parametrize("kind", ["24fps", "60fps", "vfr"])
def test_retiming_shows_the_frame_displayed_at_each_output_time(media, outdir, kind):
    """Output frame k of a segment shows the last source frame with pts <= start + k/fps."""
    if kind == "24fps":
        src, times = numbered(media, 24, 3, cb=100), [n / 24 for n in range(72)]
    elif kind == "60fps":
        src, times = numbered(media, 60, 1.6, cb=100), [n / 60 for n in range(96)]
    else:  # frames 0-9 at 30 fps, then every third: steps of 1/30 and 1/10 s
        keep = [n for n in range(90) if n < 10 or n % 3 == 0]
        src = numbered(media, 30, 3, cb=100, vf="select='lt(n\\,10)+not(mod(n\\,3))'",
                       extra=["-fps_mode", "vfr"])
        times = [n / 30 for n in keep]
        assert ac.probe(src).vfr
    frame_numbers = keep if kind == "vfr" else list(range(len(times)))
    start, end = 0.2, 1.5
    t = ac.Timeline(canvas=(160, 96), fps=30).add(src, start, end)
    res = ac.render(t, outdir / f"{kind}.mp4")
    assert res.frames == 39
    expected = []
    for k in range(39):
        at = start + k / 30
        i = max(j for j, pts in enumerate(times) if pts <= at + 1e-6)
        expected.append((frame_numbers[i], 100))
    assert shown(outdir / f"{kind}.mp4") == expected


# ---- Rotation, bit depth, fit ------------------------------------------------------


def rotated_marker(media) -> os.PathLike:
    """Stored 160x96 with its bottom-left quadrant white, tagged to be shown turned 90
    degrees clockwise: upright 96x160 with the top-left quadrant white."""
    path = media.root / "marker_rot90.mp4"
    if path.exists():
        return path
    src = ("color=c=black:s=160x96:r=30:d=1,format=yuv420p,"
           "geq=lum='if(lt(X\\,W/2)*gte(Y\\,H/2)\\,235\\,16)':cb=128:cr=128")
    tmp = media.root / ".tmp-marker.mp4"
    if ffmpeg_major() >= 6:
        run_ffmpeg(["-display_rotation", "-90", "-f", "lavfi", "-i", src, *LOSSLESS, *BT709,
                    str(tmp)])
    else:  # 5.x writes the matrix on stream copy from the rotate tag (270 -> shown at 90)
        plain = media.root / ".tmp-marker-plain.mp4"
        run_ffmpeg(["-f", "lavfi", "-i", src, *LOSSLESS, *BT709, str(plain)])
        run_ffmpeg(["-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=270", str(tmp)])
        plain.unlink()
    os.replace(tmp, path)
    return path


def test_rotated_source_is_shown_upright(media, outdir):
    src = rotated_marker(media)
    assert ac.probe(src).rotation == 90
    t = ac.Timeline(canvas=(96, 160), fps=30).add(src, 0, 0.2)
    ac.render(t, outdir / "upright.mp4")
    y = planes(outdir / "upright.mp4")[0][0].astype(float)
    assert y.shape == (160, 96)
    q = {"tl": y[8:72, 8:40], "tr": y[8:72, 56:88], "bl": y[88:152, 8:40], "br": y[88:152, 56:88]}
    assert q["tl"].mean() > 225
    assert all(q[k].mean() < 26 for k in ("tr", "bl", "br"))


def ffmpeg_reference(src, out, vf: str) -> None:
    """The scaled source as the ffmpeg CLI makes it (autorotated), losslessly stored."""
    run_ffmpeg(["-i", str(src), "-vf", vf, "-c:v", "ffv1", "-pix_fmt", "yuv420p", str(out)])


@pytest.mark.parametrize("kind", ["h264_mp4", "hevc10_rot_mov"])
def test_psnr_against_the_scaled_source_at_high_quality(media, outdir, kind):
    """Untagged SD sources count as BT.601 and are converted to the output's BT.709; the
    10-bit one is also rotated 90 degrees and dithered to 8 bits."""
    src = media.get(kind)
    info = ac.probe(src)
    w, h = (320, 180) if info.display_width > info.display_height else (180, 320)
    ref = outdir / "ref.mkv"
    ffmpeg_reference(src, ref, f"scale={w}:{h}:flags=bicubic+accurate_rnd+full_chroma_int:"
                               "out_color_matrix=bt709:out_range=tv,format=yuv420p")
    fps, frames = (30, 60) if kind == "h264_mp4" else (25, 50)  # both 2 s long
    t = ac.Timeline(canvas=(w, h), fps=fps).add(src, 0, frames / fps)
    res = ac.render(t, outdir / "out.mp4", quality="high")
    assert res.frames == frames
    report = ac.compare(ref, outdir / "out.mp4")
    assert report.frames == report.reference_frames == report.distorted_frames == frames
    assert (report.width, report.height) == (w, h)
    assert report.psnr.dtype == np.float32 and report.psnr.shape == (frames,)
    assert report.psnr.min() >= 35.0, report.psnr
    assert report.mean_psnr >= 38.0
    assert report.ssim.min() > 0.95
    assert 0.95 < report.mean_ssim <= 1.0


def mean_rgb(path, matrix: str, frames: int = 4) -> np.ndarray:
    """Mean R, G, B (0..255) of the first frames of a limited-range YUV 4:2:0 file,
    decoded with the named matrix ("601" or "709") by plain numpy arithmetic."""
    kr, kb = {"601": (0.299, 0.114), "709": (0.2126, 0.0722)}[matrix]
    kg = 1 - kr - kb
    means = []
    for y, u, v in planes(path)[:frames]:
        up = lambda c: (c.astype(float).repeat(2, 0).repeat(2, 1) - 128) / 224  # noqa: E731
        yy, cb, cr = (y.astype(float) - 16) / 219, up(u), up(v)
        r, b = yy + 2 * (1 - kr) * cr, yy + 2 * (1 - kb) * cb
        g = (yy - kr * r - kb * b) / kg
        means.append([np.clip(c, 0, 1).mean() * 255 for c in (r, g, b)])
    return np.mean(means, axis=0)


@pytest.mark.parametrize("source", ["mandelbrot", "color=c=0xA8A8A8", "smptebars"])
def test_bt601_sources_keep_their_colours_in_bt709(media, outdir, source):
    """A source tagged BT.601 (smpte170m) comes out in BT.709: the luma values change
    with the matrix on saturated content (Y' weighs R, G, B differently), but the picture
    does not: mean R, G and B stay within a level, and a grey stays exactly grey."""
    name = f"tagged601_{zlib.crc32(source.encode()):08x}.mp4"
    src = media.make(name, ["-f", "lavfi", "-i",
                            f"{source}{':' if '=' in source else '='}s=320x180:r=30", "-t", "0.5",
                            *LOSSLESS, "-colorspace", "smpte170m", "-color_primaries",
                            "smpte170m", "-color_trc", "smpte170m"])
    t = ac.Timeline(canvas=(320, 180), fps=30).add(src, 0, 0.4)
    ac.render(t, outdir / "out.mp4", quality="high")
    assert ffprobe_streams(outdir / "out.mp4")[0]["color_space"] == "bt709"
    before, after = mean_rgb(src, "601"), mean_rgb(outdir / "out.mp4", "709")
    assert np.abs(after - before).max() < 1.0, (before, after)
    if source.startswith("color="):
        grey_in, grey_out = planes(src)[0][0], planes(outdir / "out.mp4")[0][0]
        assert abs(float(grey_out.mean()) - float(grey_in.mean())) < 0.5


def portrait_source(media) -> os.PathLike:
    return media.make("portrait_testsrc.mp4",
                      ["-f", "lavfi", "-i", "testsrc2=size=180x320:rate=30:duration=1",
                       *LOSSLESS, *BT709])


@pytest.mark.parametrize("fit", ["crop", "pad", "blur"])
def test_fit_geometry(media, outdir, fit):
    """A portrait 180x320 source on a 320x180 canvas: the foreground of pad and blur is
    102x180 at x = 108 (even sizes, centred); crop fills everything with detail."""
    t = ac.Timeline(canvas=(320, 180), fps=30, fit=fit).add(portrait_source(media), 0, 0.2)
    ac.render(t, outdir / f"{fit}.mp4")
    y, u, v = planes(outdir / f"{fit}.mp4")[3]
    y = y.astype(float)
    left, right, inner = y[:, :104], y[:, 214:], y[:, 112:206]  # 4 px clear of the edges
    bars = np.concatenate([left, right], axis=1)
    # Per row, the largest step between neighbours: the colour bars' edges are sharp.
    edges = lambda a: np.abs(np.diff(a, axis=1)).max(axis=1).mean()  # noqa: E731
    assert edges(inner) > 60  # the picture itself is there in every mode
    if fit == "pad":
        assert abs(bars.mean() - 16) < 1 and bars.std() < 1
        uv = np.concatenate([u[:, :50], u[:, 109:], v[:, :50], v[:, 109:]], axis=1)
        assert np.abs(uv.astype(float) - 128).max() <= 1
    elif fit == "blur":
        assert bars.mean() > 24 and bars.std() > 2  # filled, not black
        assert edges(left) < 8 and edges(right) < 8  # and smooth
    else:
        assert edges(left) > 20 and edges(right) > 20  # no bars: sharp content edge to edge


def test_pad_background_colour(media, outdir):
    t = ac.Timeline(canvas=(320, 180), fps=30, fit="pad", background=(255, 0, 0))
    t.add(portrait_source(media), 0, 0.1)
    ac.render(t, outdir / "red.mp4")
    y, u, v = planes(outdir / "red.mp4")[0]
    # BT.709 limited red: Y 63, Cb 102, Cr 240.
    assert abs(float(y[:, :100].mean()) - 63) < 2
    assert abs(float(u[:, :48].mean()) - 102) < 2
    assert abs(float(v[:, :48].mean()) - 240) < 2
    assert json.loads(t.to_json())["background"] == [255, 0, 0]


# ---- Audio ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1.5, 3.0])  # shorter and longer than the 2 s music
def test_audio_length_equals_video_length_and_fades_out(media, outdir, length):
    import av

    music = media.get("audio_m4a")  # 2 s, 44.1 kHz stereo sine
    src = numbered(media, 30, 3, cb=80)
    t = ac.Timeline(canvas=(160, 96), fps=30, audio=music, audio_start=0.25, audio_fade_out=0.5)
    t.add(src, 0, length)
    ac.render(t, outdir / "music.mp4")
    streams = {s["codec_type"]: s for s in ffprobe_streams(outdir / "music.mp4")}
    assert streams["audio"]["codec_name"] == "aac"
    assert int(streams["audio"]["sample_rate"]) == 48000
    assert int(streams["audio"]["channels"]) == 2
    video_len = float(streams["video"]["duration"])
    assert video_len == pytest.approx(length, abs=1e-3)
    assert float(streams["audio"]["duration"]) == pytest.approx(video_len, abs=1024 / 48000)
    with av.open(str(outdir / "music.mp4")) as f:
        pcm = np.concatenate([fr.to_ndarray().reshape(2, -1) for fr in f.decode(audio=0)], axis=1)
    assert abs(pcm.shape[1] - length * 48000) <= 1024
    rms = lambda a: float(np.sqrt(np.mean(a.astype(float) ** 2)))  # noqa: E731
    body = rms(pcm[:, 4800:14400])  # 0.1-0.3 s
    assert body > 0.05
    assert rms(pcm[:, -960:]) < 0.1 * body  # last 20 ms: faded out
    if length > 2.0:  # music ends at 1.75 s of the timeline: silence after
        assert rms(pcm[:, int(1.9 * 48000):int(2.4 * 48000)]) < 1e-3


def test_no_audio_track_without_music(media, outdir):
    t = ac.Timeline(canvas=(160, 96)).add(numbered(media, 30, 3, cb=80), 0, 0.5)
    ac.render(t, outdir / "silent.mkv")
    assert [s["codec_type"] for s in ffprobe_streams(outdir / "silent.mkv")] == ["video"]


# ---- Containers and encoders -------------------------------------------------------


@pytest.mark.parametrize("ext,container", [(".mp4", "mov,mp4,m4a,3gp,3g2,mj2"),
                                           (".mov", "mov,mp4,m4a,3gp,3g2,mj2"),
                                           (".mkv", "matroska,webm")])
def test_container_by_extension(media, outdir, ext, container):
    t = ac.Timeline(canvas=(160, 96), audio=media.get("audio_m4a"))
    t.add(numbered(media, 30, 3, cb=80), 0, 0.5)
    ac.render(t, outdir / f"out{ext}")
    info = ac.probe(outdir / f"out{ext}")
    assert info.container == container
    assert info.has_audio and info.codec == "h264" and info.color_space == "bt709"
    data = (outdir / f"out{ext}").read_bytes()
    if ext != ".mkv":  # +faststart: the index before the media data
        assert data.index(b"moov") < data.index(b"mdat")


def test_hevc_and_quality_levels(media, outdir):
    src = media.get("h264_mp4")
    t = ac.Timeline(canvas=(320, 180)).add(src, 0, 1)
    hevc = ac.render(t, outdir / "hevc.mp4", codec="hevc", quality="medium")
    assert hevc.encoder_used == "libx265"
    assert ac.probe(outdir / "hevc.mp4").codec == "hevc"
    low = ac.render(t, outdir / "low.mp4", encoder="libx264", quality="low")
    high = ac.render(t, outdir / "high.mp4", encoder="libx264", quality="high")
    assert low.encoder_used == high.encoder_used == "libx264"
    assert (outdir / "low.mp4").stat().st_size < (outdir / "high.mp4").stat().st_size
    rate = ac.render(t, outdir / "rate.mp4", encoder="libx264", bitrate=200_000)
    assert rate.frames == 30
    assert ac.compare(outdir / "high.mp4", outdir / "high.mp4").mean_psnr == math.inf


@pytest.mark.parametrize("encoder,device,software", [("h264_nvenc", "cuda", "libx264"),
                                                     ("h264_vaapi", "vaapi", "libx264"),
                                                     ("hevc_videotoolbox", "videotoolbox",
                                                      "libx265")])
def test_hardware_encoder_that_cannot_open_falls_back(media, outdir, encoder, device, software):
    if device in ac.hardware()["available"]:
        pytest.skip(f"{device} is usable here; {encoder} may open")
    t = ac.Timeline(canvas=(160, 96)).add(numbered(media, 30, 3, cb=80), 0, 0.3)
    res = ac.render(t, outdir / "fallback.mp4", encoder=encoder)
    assert res.encoder_used == software
    assert res.frames == 9
    assert ac.probe(outdir / "fallback.mp4").codec == ("hevc" if software == "libx265" else "h264")


@pytest.mark.parametrize("encoder,codec", [("libopenh264", "h264"), ("libkvazaar", "hevc"),
                                           ("libx264", "h264")])
def test_a_software_encoder_this_ffmpeg_lacks_falls_back_to_its_codecs(media, outdir, encoder,
                                                                      codec):
    """An LGPL build has no libx264, most builds no libkvazaar: naming one renders with
    the software encoder of the same codec instead of failing; one that exists is used."""
    t = ac.Timeline(canvas=(160, 96)).add(numbered(media, 30, 3, cb=80), 0, 0.3)
    res = ac.render(t, outdir / "sw.mp4", encoder=encoder)
    assert res.frames == 9
    assert ac.probe(outdir / "sw.mp4").codec == codec
    assert res.encoder_used not in ac.hardware()["encoders"]
    if encoder == "libx264":
        assert res.encoder_used == "libx264"


def test_auto_encoder_and_bad_options(media, outdir):
    t = ac.Timeline(canvas=(160, 96)).add(numbered(media, 30, 3, cb=80), 0, 0.3)
    res = ac.render(t, outdir / "auto.mp4", hwaccel="none")
    assert res.encoder_used in ("libx264", *ac.hardware()["encoders"])
    assert res.hwaccel_used == "none"
    assert res.elapsed_s > 0
    for kwargs in ({"encoder": "libx999"}, {"encoder": "aac"}, {"codec": "vp9"},
                   {"quality": "best"}, {"bitrate": 0}, {"threads": -1}):
        with pytest.raises(ValueError):
            ac.render(t, outdir / "bad.mp4", **kwargs)
    with pytest.raises(TypeError):
        ac.render(t, outdir / "bad.mp4", progress=42)
    assert sorted(os.listdir(outdir)) == ["auto.mp4"]


def hd_source(media) -> os.PathLike:
    """A 2 s 640x360 BT.709 clip with detail everywhere (the device path's case: its
    picture scaled to a 16:9 canvas is the whole canvas)."""
    return media.make("hd_testsrc_709.mp4",
                      ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=2",
                       "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
                       "-pix_fmt", "yuv420p", *BT709])


def usable_devices() -> list[str]:
    return [d for d in ("cuda", "vaapi", "qsv", "videotoolbox") if d in ac.hardware()["available"]]


def test_without_a_device_every_frame_takes_the_cpu_path(media, outdir):
    """hwaccel="auto" on a machine with no usable device decodes in software and reports
    no device frames; naming a device that does not open is HardwareUnavailableError
    before anything is written."""
    src = hd_source(media)
    t = ac.Timeline(canvas=(320, 180), fps=30).add(src, 0, 1)
    res = ac.render(t, outdir / "auto.mp4", hwaccel="auto")
    assert res.frames == 30
    if not usable_devices():
        assert res.hwaccel_used == "none" and res.device_frames == 0
    for device in ("cuda", "vaapi"):
        if device in ac.hardware()["available"] or device not in ac.hardware()["device_types"]:
            continue
        with pytest.raises(ac.HardwareUnavailableError):
            ac.render(t, outdir / f"{device}.mp4", hwaccel=device)
    assert sorted(os.listdir(outdir)) == ["auto.mp4"]


@pytest.mark.parametrize("device", ["cuda", "vaapi", "qsv", "videotoolbox"])
def test_device_path_matches_the_cpu_path(media, outdir, device):
    """On a machine with that device (skipped elsewhere): a picture scaled to the whole
    canvas is decoded and scaled on the device (every frame counted in device_frames)
    and looks like the CPU path's output; a portrait segment in the same timeline needs
    a crop, takes the CPU path, and its frames are not counted."""
    if device not in usable_devices():
        pytest.skip(f"no usable {device} device here")
    src = hd_source(media)
    t = ac.Timeline(canvas=(320, 180), fps=30).add(src, 0, 1)
    cpu = ac.render(t, outdir / "cpu.mp4", hwaccel="none", encoder="libx264")
    assert cpu.device_frames == 0
    dev = ac.render(t, outdir / "dev.mp4", hwaccel=device)
    assert dev.hwaccel_used == device
    assert dev.frames == dev.device_frames == 30
    report = ac.compare(outdir / "cpu.mp4", outdir / "dev.mp4")
    assert report.frames == 30 and report.mean_psnr > 35, report.psnr
    t.add(portrait_source(media), 0, 0.5)
    mixed = ac.render(t, outdir / "mixed.mp4", hwaccel=device)
    assert mixed.frames == 45 and mixed.device_frames == 30


# ---- Timeline ------------------------------------------------------------------------


def test_timeline_json_round_trip(media, tmp_path):
    a = numbered(media, 30, 3, cb=80)
    music = media.get("audio_m4a")
    t = ac.Timeline(canvas=(320, 180), fps=25, fit="blur", audio=music, audio_start=0.5,
                    audio_fade_out=2.0)
    t.add(a, 0.0, 1.0).add(a, 2.0, 2.5)
    assert len(t) == 2 and t.segments[1] == ac.Segment(str(a), 2.0, 2.5)
    assert t.frames == 25 + 13 and t.duration == pytest.approx(38 / 25)
    d = json.loads(t.to_json())
    assert d == {"canvas": [320, 180], "fps": 25, "fit": "blur", "audio": str(music),
                 "audio_start": 0.5, "audio_fade_out": 2.0,
                 "segments": [{"path": str(a), "start": 0.0, "end": 1.0},
                              {"path": str(a), "start": 2.0, "end": 2.5}]}
    assert ac.Timeline.from_json(t.to_json()) == t
    t.save(tmp_path / "t.json")
    assert ac.Timeline.load(tmp_path / "t.json") == t
    plain = ac.Timeline(canvas=(160, 96))
    assert json.loads(plain.to_json())["audio"] is None
    with pytest.raises(ValueError, match="unknown timeline keys"):
        ac.Timeline.from_dict({**d, "extra": 1})
    with pytest.raises(ValueError, match="lacks 'segments'"):
        ac.Timeline.from_dict({"canvas": [2, 2], "fps": 30})


def test_invalid_timelines_are_refused_naming_the_segment(media, outdir):
    a = numbered(media, 30, 3, cb=80)  # 3.0 s
    t = ac.Timeline(canvas=(160, 96)).add(a, 0, 1)
    with pytest.raises(ac.MediaNotFoundError, match="segment 1"):
        t.add(outdir / "missing.mp4", 0, 1)
    with pytest.raises(ac.NoVideoStreamError, match="segment 1"):
        t.add(media.get("audio_m4a"), 0, 1)
    with pytest.raises(ac.InvalidMediaError, match="segment 1"):
        t.add(media.malformed("text"), 0, 1)
    with pytest.raises(ValueError, match="segment 1.*start must be before end"):
        t.add(a, 1.0, 1.0)
    with pytest.raises(ValueError, match="start must be >= 0"):
        t.add(a, -0.5, 1.0)
    with pytest.raises(ValueError, match="ends after the clip"):
        t.add(a, 2.0, 3.1)
    with pytest.raises(ValueError, match="starts after the clip"):
        t.add(a, 3.0, 3.02)
    with pytest.raises(ValueError, match="half a frame"):
        t.add(a, 1.0, 1.01)
    t.add(a, 2.0, 3.0 + 0.9 / 30)  # within one frame of the end: accepted
    assert len(t) == 2
    for kwargs in ({"canvas": (0, 96)}, {"canvas": (161, 96)}, {"fps": 0}, {"fps": -1},
                   {"fit": "stretch"}, {"background": (0, 0, 300)}, {"audio_start": -1},
                   {"audio_fade_out": -1}):
        with pytest.raises(ValueError):
            ac.Timeline(**kwargs)
    with pytest.raises(TypeError):
        ac.Timeline(canvas=(160.0, 96))
    with pytest.raises(ac.NoAudioStreamError):
        ac.Timeline(audio=a)
    with pytest.raises(ac.MediaNotFoundError):
        ac.Timeline(audio=outdir / "missing.mp3")
    with pytest.raises(ValueError, match="no segments"):
        ac.render(ac.Timeline(canvas=(160, 96)), outdir / "empty.mp4")
    with pytest.raises(ValueError, match="extension"):
        ac.render(t, outdir / "out.avi")
    assert os.listdir(outdir) == []


def test_validation_happens_before_anything_is_written(media, outdir, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(numbered(media, 30, 3, cb=80).read_bytes())
    t = ac.Timeline(canvas=(160, 96)).add(numbered(media, 30, 3, cb=176), 0, 1).add(clip, 0, 1)
    clip.unlink()
    with pytest.raises(ac.MediaNotFoundError, match="segment 1"):
        ac.render(t, outdir / "out.mp4")
    assert os.listdir(outdir) == []


def test_compare_refuses_different_sizes(media):
    with pytest.raises(ValueError, match="differs"):
        ac.compare(media.get("h264_mp4"), media.get("mpeg4_avi"))
    with pytest.raises(ac.MediaNotFoundError):
        ac.compare(media.get("h264_mp4"), "/nonexistent.mp4")


# ---- Output handling -----------------------------------------------------------------


def test_unwritable_destination_raises_output_error(media, tmp_path):
    """Root can write anywhere, so the destinations are made impossible, not forbidden."""
    t = ac.Timeline(canvas=(160, 96)).add(numbered(media, 30, 3, cb=80), 0, 0.2)
    regular = tmp_path / "file.txt"
    regular.write_text("x")
    for dest in (regular / "out.mp4", tmp_path / "no" / "such" / "dir" / "out.mp4"):
        with pytest.raises(ac.OutputError) as exc:
            ac.render(t, dest)
        assert isinstance(exc.value, OSError)
        assert str(dest) in str(exc.value)
    (tmp_path / "adir.mp4").mkdir()
    with pytest.raises(ac.OutputError, match="directory"):
        ac.render(t, tmp_path / "adir.mp4")
    assert sorted(os.listdir(tmp_path)) == ["adir.mp4", "file.txt"]


def test_existing_output_is_replaced_only_on_success(media, outdir):
    t = ac.Timeline(canvas=(160, 96)).add(numbered(media, 30, 3, cb=80), 0, 0.2)
    out = outdir / "out.mp4"
    out.write_bytes(b"previous")

    def stop(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        ac.render(t, out, progress=stop)
    assert out.read_bytes() == b"previous"
    assert os.listdir(outdir) == ["out.mp4"]
    ac.render(t, out)
    assert ac.probe(out).has_video


def test_exception_from_progress_aborts_and_removes_the_temporary(media, outdir):
    t = ac.Timeline(canvas=(160, 96))
    for i in range(6):
        t.add(numbered(media, 30, 3, cb=80), i * 0.4, i * 0.4 + 0.4)
    calls = []

    def progress(done, total):
        calls.append((done, total))
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ac.render(t, outdir / "out.mp4", progress=progress)
    assert calls[0] == (0, 72)
    assert os.listdir(outdir) == []
    # Progress runs on the calling thread, first at 0 and last at the total.
    seen = []
    ac.render(t, outdir / "ok.mp4", progress=lambda d, n: seen.append((d, n)))
    assert seen[0] == (0, 72) and seen[-1] == (72, 72)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))


def test_render_releases_the_gil(media, outdir):
    t = ac.Timeline(canvas=(640, 360)).add(media.get("h264_mp4"), 0, 2)
    finished = threading.Event()
    errors = []

    def work():
        try:
            ac.render(t, outdir / "bg.mp4")
        except BaseException as exc:  # reported below, on the test thread
            errors.append(exc)
        finished.set()

    worker = threading.Thread(target=work)
    ticks = 0
    worker.start()
    while not finished.is_set():
        ticks += 1
        time.sleep(0.002)
    worker.join()
    assert not errors
    assert ticks > 10  # this thread kept running while the render worked


CTRL_C = textwrap.dedent(
    """
    import os, signal, sys, threading
    import autocut_native as ac
    src, out = sys.argv[1], sys.argv[2]
    t = ac.Timeline(canvas=(640, 360), audio=sys.argv[3])
    for i in range(40):
        t.add(src, 0, 2)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))

    def progress(done, total):  # arms the signal once rendering has begun
        if not timer.is_alive() and done == 0:
            timer.start()

    try:
        ac.render(t, out, progress=progress)
    except KeyboardInterrupt:
        print("interrupted")
        sys.exit(3)
    print("finished")
    """
)


def test_ctrl_c_leaves_no_file(media, outdir):
    """SIGINT while rendering (no progress callback): the core's interrupt check raises
    KeyboardInterrupt and the temporary file is removed."""
    res = subprocess.run([sys.executable, "-c", CTRL_C, str(media.get("h264_mp4")),
                          str(outdir / "out.mp4"), str(media.get("audio_m4a"))],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 3, (res.stdout, res.stderr)
    assert "interrupted" in res.stdout
    assert os.listdir(outdir) == []


# ---- Memory --------------------------------------------------------------------------

PEAK = textwrap.dedent(
    """
    import json, sys
    import autocut_native as ac

    srcs, n, out = sys.argv[1].split(","), int(sys.argv[2]), sys.argv[3]
    t = ac.Timeline(canvas=(640, 360))
    for i in range(n):
        t.add(srcs[i % len(srcs)], (i % 5) * 0.3, (i % 5) * 0.3 + 0.3)
    r = ac.render(t, out)
    print(json.dumps({"frames": r.frames, "peak": ac.MemoryMonitor.process_peak_rss()}))
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux VmHWM")
def test_peak_memory_does_not_grow_with_segment_count(media, outdir):
    srcs = ",".join(str(media.get(k)) for k in ("h264_mp4", "vp9_webm", "mpeg4_avi"))
    peaks = {}
    for n in (5, 40):
        res = subprocess.run([sys.executable, "-c", PEAK, srcs, str(n), str(outdir / f"{n}.mp4")],
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        assert out["frames"] == 9 * n
        peaks[n] = out["peak"]
    assert peaks[40] <= 1.3 * peaks[5], peaks
