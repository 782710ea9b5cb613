"""analyze(): behaviour of every metric on generated clips from one source, sampling,
resolution independence, ClipAnalysis API, and bad input."""

from __future__ import annotations

import json
import pickle

import autocut_native as ac
import numpy as np
import pytest

X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p",
        "-g", "30"]


@pytest.fixture(scope="session")
def still(media):
    """A detailed still picture (mandelbrot) to film with a virtual camera."""
    return media.make("still.png", ["-f", "lavfi", "-i", "mandelbrot=size=1600x900:rate=1",
                                    "-frames:v", "1", "-update", "1"])


@pytest.fixture(scope="session")
def clip(media, still):
    """clip(name, vf, seconds=2): the still filmed through filter chain `vf` at 30 fps."""

    def make(name: str, vf: str, seconds: float = 2.0, size: str = "640x360") -> str:
        return str(media.make(f"an_{name}.mp4", [
            "-loop", "1", "-framerate", "30", "-i", str(still), "-t", str(seconds),
            "-vf", f"{vf},scale={size}:flags=area,format=yuv420p", *X264]))

    return make


STATIC = "crop=800:450:300:200"
PAN = "crop=800:450:x='100+t*150':y=200"                      # camera pans right
JITTER = ("crop=800:450:x='100+t*150+10*sin(2*PI*t*7)':"
          "y='200+8*sin(2*PI*t*5.3)'")                          # same pan, handheld


def med(a: ac.ClipAnalysis, name: str) -> float:
    return float(np.median(getattr(a, name)))


@pytest.fixture(scope="session")
def analyses(clip):
    specs = {
        "clean": STATIC,
        "blur": STATIC + ",gblur=sigma=4",
        "dark": STATIC + ",eq=brightness=-0.4",
        "bright": STATIC + ",eq=brightness=0.45",
        "noisy": STATIC + ",noise=alls=30:allf=t",
        "pan": PAN,
        "jitter": JITTER,
    }
    return {k: ac.analyze(clip(k, vf)) for k, vf in specs.items()}


def test_clip_analysis_shape_and_fields(analyses):
    a = analyses["clean"]
    assert isinstance(a, ac.ClipAnalysis)
    n = len(a.times)
    assert n == a.frames_analyzed == a.frames_decoded == 60
    assert a.times.dtype == np.float64 and np.all(np.diff(a.times) > 0)
    for m in ac.METRICS:
        arr = getattr(a, m)
        assert arr.dtype == np.float32 and arr.shape == (n,), m
        assert np.all(np.isfinite(arr)), m
    assert np.all((a.quality >= 0) & (a.quality <= 1))
    assert a.decode_errors == 0 and a.hwaccel_used == "none"
    assert a.params["grid"] == (640, 360) and a.params["skip"] == "none"
    assert a.params["decode_s"] >= 0 and a.params["metrics_s"] > 0
    assert a.elapsed_s > 0


def test_blur_lowers_sharpness(analyses):
    assert med(analyses["blur"], "sharpness") < 0.3 * med(analyses["clean"], "sharpness")


def test_exposure_follows_eq(analyses):
    clean, dark, bright = analyses["clean"], analyses["dark"], analyses["bright"]
    assert med(dark, "brightness") < med(clean, "brightness") - 40
    assert med(bright, "brightness") > med(clean, "brightness") + 40
    assert med(dark, "underexposed") > med(clean, "underexposed") + 0.2
    assert med(bright, "overexposed") > med(clean, "overexposed") + 0.2


def test_noise_detected_on_textured_content(analyses):
    clean, noisy = med(analyses["clean"], "noise"), med(analyses["noisy"], "noise")
    assert noisy > 3 * clean and noisy > 3.0


def test_static_shot_has_no_motion_and_pan_has_direction(analyses):
    static, pan = analyses["clean"], analyses["pan"]
    assert med(static, "motion") < 1.0
    assert abs(med(static, "motion_x")) < 1.0 and abs(med(static, "motion_y")) < 1.0
    assert med(pan, "motion") > 20 * max(med(static, "motion"), 0.1)
    # The crop window moves right at 150 px/s in an 800 px wide view shown at 640 px:
    # content moves left at 120 analysis px/s.
    assert med(pan, "motion_x") == pytest.approx(-120, rel=0.1)
    assert abs(med(pan, "motion_y")) < 5


def test_jitter_shakes_far_more_than_a_smooth_pan(analyses):
    pan, jitter = analyses["pan"], analyses["jitter"]
    assert med(jitter, "shake") > 5 * max(med(pan, "shake"), 0.2)
    assert med(pan, "shake") < 1.0


def test_quality_ranks_clean_above_each_defect(analyses):
    q = {k: med(a, "quality") for k, a in analyses.items()}
    for bad in ("blur", "dark", "noisy", "jitter"):
        assert q["clean"] > q[bad] + 0.05, q


def test_colorfulness_from_chroma(clip):
    colourful = ac.analyze(clip("colour", STATIC))
    grey = ac.analyze(clip("grey", STATIC + ",hue=s=0"))
    assert med(grey, "colorfulness") < 2.0
    assert med(colourful, "colorfulness") > 10 * max(med(grey, "colorfulness"), 0.5)


def test_one_scene_cut_at_the_junction(media, still):
    a_src = ["-loop", "1", "-framerate", "30", "-t", "2", "-i", str(still)]
    b_src = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=2"]
    path = media.make("an_cut.mp4", [
        *a_src, *b_src, "-filter_complex",
        "[0:v]crop=800:450:x='100+t*150':y=200,scale=640:360,setsar=1,format=yuv420p[a];"
        "[1:v]format=yuv420p,setsar=1[b];[a][b]concat=n=2:v=1[v]",
        "-map", "[v]", *X264])
    a = ac.analyze(path)
    assert len(a.scene_cuts) == 1, a.scene_cuts
    assert abs(a.scene_cuts[0] - 2.0) <= 1 / 30 + 1e-6
    # best_segments never crosses the cut
    for s, e, _ in a.best_segments(1.0, count=3):
        assert not (s < a.scene_cuts[0] < e)


def test_single_shots_have_no_cuts_even_with_fast_pans(analyses, clip):
    fast = ac.analyze(clip("fastpan", "crop=800:450:x='50+t*350':y='100+t*60'"))
    for a in (*analyses.values(), fast):
        assert len(a.scene_cuts) == 0, (a.path, a.scene_cuts)


def test_resolution_independence(media):
    # One 4K+ scene filmed by cameras of three resolutions (downscaled, never upscaled).
    big = media.make("still_big.png", ["-f", "lavfi", "-i", "mandelbrot=size=4096x2304:rate=1",
                                       "-frames:v", "1", "-update", "1"])
    medians = {}
    for size in ("1280x720", "1920x1080", "3840x2160"):
        path = media.make(f"an_res_{size}.mp4", [
            "-loop", "1", "-framerate", "30", "-i", str(big), "-t", "0.5", "-vf",
            f"crop=3840:2160:x='60+t*200':y=60,scale={size}:flags=area,format=yuv420p",
            *X264])
        a = ac.analyze(path)
        assert a.params["grid"] == (640, 360)
        medians[size] = {m: med(a, m) for m in ("sharpness", "brightness", "contrast", "noise",
                                                "colorfulness", "motion", "quality")}
    ref = medians["1920x1080"]
    for size, m in medians.items():
        for k, v in m.items():
            assert v == pytest.approx(ref[k], rel=0.10, abs=0.5), (size, k, v, ref[k])


def test_ten_bit_and_portrait_are_normalised(media):
    a8 = ac.analyze(media.get("h264_mp4"))
    a10 = ac.analyze(media.get("hevc10_rot_mov"))
    portrait = ac.analyze(media.get("portrait_mp4"))
    assert a10.params["grid"] == (640, 360)
    assert portrait.params["grid"] == (360, 640)
    for a in (a8, a10):
        assert 60 < med(a, "brightness") < 200
    assert med(a10, "brightness") == pytest.approx(med(a8, "brightness"), rel=0.1)


def test_sampling(media, clip):
    path = clip("pan5", PAN, seconds=4)
    full = ac.analyze(path)
    s5 = ac.analyze(path, sample_fps=5)
    assert len(s5.times) == pytest.approx(4 * 5, abs=1)
    assert np.allclose(np.diff(s5.times), 0.2, atol=1 / 30 + 1e-6)
    # motion is per second, so its scale does not depend on the sampling rate
    assert med(s5, "motion_x") == pytest.approx(med(full, "motion_x"), rel=0.1)
    sparse = ac.analyze(path, sample_fps=0.5)
    assert sparse.params["skip"] == "nonkey"
    assert sparse.frames_decoded <= 5 and len(sparse.times) >= 2
    forced = ac.analyze(path, sample_fps=5, skip="none")
    assert forced.frames_decoded == 120


def test_sampled_analysis_skips_nonref_frames(media):
    path = media.make("an_bframes.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=4", "-c:v", "libx264",
        "-preset", "veryfast", "-bf", "3", "-b-pyramid", "none", "-g", "60",
        "-pix_fmt", "yuv420p"])
    a = ac.analyze(path, sample_fps=5)
    assert a.params["skip"] == "nonref"
    assert a.frames_decoded < 0.6 * 120
    assert len(a.times) == pytest.approx(20, abs=1)


METRICS = ("sharpness", "brightness", "contrast", "underexposed", "overexposed", "noise",
           "colorfulness", "motion", "motion_x", "motion_y", "shake", "scene_score", "quality")


def _pan_clip(media, name: str, codec: list[str], seconds: float = 4, rate: int = 30,
              size: str = "640x360") -> str:
    return str(media.make(name, [
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}",
        "-vf", "crop=iw-64:ih:x='32+30*sin(t)':y=0,format=yuv420p", *codec]))


@pytest.mark.sanitize
@pytest.mark.parametrize("name,codec,fps", [
    # x264's B-pyramid (referenced B frames), closed GOPs of 1 s
    ("la_h264.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-g", "30"], 5),
    # x265: open GOPs (CRA with leading pictures), B-pyramid
    ("la_hevc.mkv", ["-c:v", "libx265", "-preset", "superfast",
                     "-x265-params", "log-level=error:keyint=30:bframes=3"], 5),
    ("la_vp9.webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
                     "-g", "30", "-b:v", "1M"], 5),
    # every frame a keyframe: only the picked ones are decoded
    ("la_mjpeg.mov", ["-c:v", "mjpeg", "-q:v", "5", "-pix_fmt", "yuvj420p"], 3),
    # MPEG-4 part 2 with B frames, closed GOPs, in an MPEG-TS (PES timestamps)
    ("la_mpeg4.ts", ["-c:v", "mpeg4", "-bf", "2", "-g", "24", "-flags", "+cgop",
                     "-sc_threshold", "1000000000", "-q:v", "4"], 5),
    # most frames wanted: nothing skipped by the skip mode, only by the ticks
    ("la_h264.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-g", "30"], 16),
    ("la_hevc.mkv", ["-c:v", "libx265", "-preset", "superfast",
                     "-x265-params", "log-level=error:keyint=30:bframes=3"], 16),
])
def test_sampled_decode_leaves_out_only_what_no_tick_picks(media, name, codec, fps):
    """skip="auto" reads a GOP ahead and never decodes what no tick picks (a GOP's tail,
    unpicked frames nothing references): the frames analysed and every metric are
    exactly those of decoding everything the skip mode keeps."""
    path = _pan_clip(media, name, codec)
    auto = ac.analyze(path, sample_fps=fps)
    explicit = ac.analyze(path, sample_fps=fps, skip=auto.params["skip"])
    np.testing.assert_array_equal(auto.times, explicit.times)
    for m in METRICS:
        np.testing.assert_array_equal(getattr(auto, m), getattr(explicit, m), err_msg=m)
    assert auto.decode_errors == explicit.decode_errors == 0
    assert auto.frames_decoded < explicit.frames_decoded
    assert auto.params["packets_read"] == explicit.params["packets_read"] == 120
    assert auto.params["packets_skipped"] > explicit.params["packets_skipped"]
    if "mjpeg" in name:
        assert auto.frames_decoded <= len(auto.times) + 2
    # One decoder (threads=1) and the pool of single-threaded decoders taking turns on
    # closed GOPs (threads=3) hand out the same frames.
    for threads in (1, 3):
        other = ac.analyze(path, sample_fps=fps, threads=threads)
        np.testing.assert_array_equal(other.times, auto.times)
        np.testing.assert_array_equal(other.quality, auto.quality)
        assert other.frames_decoded == auto.frames_decoded
        # the pool when picks are sparse (at most every fourth frame), never one thread
        sparse = 30 / fps >= 4
        assert other.params["gop_decoders"] == (threads if threads > 1 and sparse else 0)
    assert explicit.params["gop_decoders"] == 0


def test_sampled_decode_reads_ahead_boundedly(media):
    """A GOP longer than the read-ahead (a screen recording's 25 s) is decoded whole up
    to the limit; the rest of it still ends at its last picked frame."""
    path = _pan_clip(media, "la_longgop.mp4", [
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "100000", "-bf", "0",
        "-force_key_frames", "25"], seconds=26, rate=50, size="160x90")
    auto = ac.analyze(path, sample_fps=2)
    explicit = ac.analyze(path, sample_fps=2, skip=auto.params["skip"])
    np.testing.assert_array_equal(auto.times, explicit.times)
    np.testing.assert_array_equal(auto.sharpness, explicit.sharpness)
    assert auto.params["packets_read"] == 1300
    # 24.5 s is the last tick before the keyframe at 25 s: 24 frames after it are left.
    assert explicit.frames_decoded - auto.frames_decoded == 24


def test_progress_and_serialisation(analyses, clip):
    calls = []
    a = ac.analyze(clip("pan", PAN), progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1] == a.frames_decoded
    d = a.to_dict()
    b = ac.ClipAnalysis.from_dict(json.loads(json.dumps(d)))
    assert b == a and b.params["grid"] == [640, 360]
    c = pickle.loads(pickle.dumps(a))
    assert c == a and c.info == a.info
    s = a.summary()
    assert set(s["metrics"]) == set(ac.METRICS) and 0 <= s["quality"] <= 1
    assert s["metrics"]["motion_x"]["p10"] <= s["metrics"]["motion_x"]["p90"]


def test_best_segments(analyses):
    a = analyses["jitter"]
    segs = a.best_segments(0.5, count=3, min_gap=0.1)
    assert 1 <= len(segs) <= 3
    for i, (s, e, score) in enumerate(segs):
        assert e - s == pytest.approx(0.5) and 0 <= s and e <= a.end_time + 1e-9
        mask = (a.times >= s) & (a.times < e)
        assert score == pytest.approx(float(a.quality[mask].mean()), rel=1e-5)
        for s2, e2, _ in segs[i + 1:]:
            assert e2 + 0.1 <= s or e + 0.1 <= s2
    assert [x[2] for x in segs] == sorted((x[2] for x in segs), reverse=True)
    assert a.best_segments(100.0) == []
    with pytest.raises(ValueError):
        a.best_segments(0)


def test_bad_inputs(media):
    with pytest.raises(ac.NoVideoStreamError):
        ac.analyze(media.get("audio_m4a"))
    with pytest.raises(ac.MediaNotFoundError):
        ac.analyze(media.malformed("missing"))
    with pytest.raises(ac.InvalidMediaError):
        ac.analyze(media.malformed("random"))
    with pytest.raises(ac.DecodeError):
        ac.analyze(media.malformed("header_only"))
    with pytest.raises(ValueError):
        ac.analyze(media.get("h264_mp4"), sample_fps=-1)
    a = ac.analyze(media.malformed("truncated_faststart"))
    assert 5 < a.frames_analyzed < 60
