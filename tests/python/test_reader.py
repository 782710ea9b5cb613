"""VideoReader: frame counts, bit-exact luma, exact seeks, zero-copy views, hardware
fallback, malformed input, and bounded memory."""

from __future__ import annotations

import gc
import json
import os
import random
import subprocess
import sys
import textwrap
import threading

import autocut_native as ac
import numpy as np
import pytest
from mediagen import FFMPEG, ffprobe_count_frames, ffprobe_frames

VIDEO_KINDS = ["h264_mp4", "hevc10_rot_mov", "vp9_webm", "mpeg4_avi", "h264_60fps", "vfr_mp4",
               "portrait_mp4", "uhd_mp4"]


def ffmpeg_raw(path, pix_fmt: str, *extra: str) -> bytes:
    """Frames decoded by the ffmpeg CLI (same FFmpeg libraries), unrotated, no dup/drop."""
    cmd = [FFMPEG, "-v", "error", "-noautorotate", "-i", str(path), "-fps_mode", "passthrough",
           *extra, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"]
    return subprocess.run(cmd, capture_output=True, check=True).stdout


def ffmpeg_luma(path, width: int, height: int, ten_bit: bool) -> np.ndarray:
    pix = "yuv420p10le" if ten_bit else "yuv420p"
    dtype = np.uint16 if ten_bit else np.uint8
    raw = np.frombuffer(ffmpeg_raw(path, pix), dtype=dtype)
    frame = width * height * 3 // 2
    frames = raw.reshape(-1, frame)
    return frames[:, : width * height].reshape(-1, height, width)


@pytest.mark.parametrize("kind", VIDEO_KINDS)
def test_frame_count_matches_ffprobe(media, kind):
    path = media.get(kind)
    with ac.VideoReader(path) as r:
        frames = list(r)
        assert r.decode_errors == 0
        assert r.hwaccel_used in ("none", *ac.hardware()["available"])
    assert len(frames) == ffprobe_count_frames(path)
    assert [f.index for f in frames] == list(range(len(frames)))
    pts = [f.pts for f in frames]
    assert pts == sorted(pts) and pts[0] == pytest.approx(0.0, abs=1e-3)
    assert frames[0].key_frame


@pytest.mark.parametrize("kind,ten_bit", [("h264_mp4", False), ("hevc10_rot_mov", True),
                                          ("vp9_webm", False), ("mpeg4_avi", False)])
def test_luma_identical_to_ffmpeg_cli(media, kind, ten_bit):
    path = media.get(kind)
    info = ac.probe(path)
    ref = ffmpeg_luma(path, info.width, info.height, ten_bit)
    # Software, as the CLI decodes: hardware MPEG-4 Part 2 decoders need not be bit-exact.
    with ac.VideoReader(path, format="luma", hwaccel="none") as r:
        ours = [f.array for f in r]
    assert len(ours) == len(ref)
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.dtype == (np.uint16 if ten_bit else np.uint8)
        assert a.shape == b.shape
        assert np.array_equal(a, b), f"frame {i} differs"


def test_views_are_zero_copy_and_outlive_the_reader(media):
    r = ac.VideoReader(media.get("h264_mp4"))
    f = next(r)
    arr = f.array
    assert not arr.flags.owndata and arr.base is not None
    assert not arr.flags.writeable
    assert arr.strides[1] == 1 and arr.strides[0] >= arr.shape[1]
    copy = arr.copy()
    r.close()
    del r, f
    gc.collect()
    assert np.array_equal(arr, copy)
    with pytest.raises(ValueError):
        arr[0, 0] = 1


def test_closed_reader_raises(media):
    r = ac.VideoReader(media.get("h264_mp4"))
    r.close()
    with pytest.raises(ValueError, match="closed"):
        next(r)
    with pytest.raises(ValueError, match="closed"):
        _ = r.info


def test_formats(media):
    path = media.get("h264_mp4")
    with ac.VideoReader(path, format="yuv") as r:
        y, u, v = next(r).array
        assert y.shape == (360, 640) and u.shape == v.shape == (180, 320)
        assert not u.flags.owndata
    with ac.VideoReader(path, format="gray8") as r:
        g = next(r).array
    with ac.VideoReader(path, format="luma") as r:
        assert np.array_equal(next(r).array, g)
    with ac.VideoReader(path, format="gray8", size=(320, 180)) as r:
        f = next(r)
        assert f.array.shape == (180, 320) and (f.width, f.height) == (320, 180)
        small = g.reshape(180, 2, 320, 2).mean(axis=(1, 3))
        assert np.abs(f.array.astype(float) - small).mean() < 1.0
    ref = np.frombuffer(ffmpeg_raw(path, "rgb24", "-frames:v", "1"), np.uint8).reshape(360, 640, 3)
    with ac.VideoReader(path, format="rgb24") as r:
        rgb = next(r).array
    with ac.VideoReader(path, format="bgr24") as r:
        bgr = next(r).array
    assert rgb.shape == (360, 640, 3) and rgb.dtype == np.uint8
    assert np.array_equal(rgb[..., ::-1], bgr)
    assert np.abs(rgb.astype(int) - ref.astype(int)).mean() < 3.0
    with pytest.raises(ValueError):
        ac.VideoReader(path, format="cmyk")
    with pytest.raises(ValueError):
        ac.VideoReader(path, skip="sometimes")


def test_ten_bit_gray8_is_shifted_luma(media):
    path = media.get("hevc10_rot_mov")
    with ac.VideoReader(path, format="luma") as a, ac.VideoReader(path, format="gray8") as b:
        la, gb = next(a).array, next(b).array
    assert la.dtype == np.uint16 and gb.dtype == np.uint8
    assert np.array_equal(gb, (la >> 2).astype(np.uint8))


def test_apply_rotation_matches_ffmpeg_autorotate(media):
    path = media.get("hevc10_rot_mov")
    info = ac.probe(path)
    assert info.rotation == 90
    cmd = [FFMPEG, "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
           "-pix_fmt", "yuv420p10le", "-"]
    ref = np.frombuffer(subprocess.run(cmd, capture_output=True, check=True).stdout, np.uint16)
    ref = ref[: info.width * info.height].reshape(info.display_height, info.display_width)
    with ac.VideoReader(path, apply_rotation=True) as r:
        f = next(r)
    assert (f.width, f.height) == (info.display_width, info.display_height)
    assert f.array.shape == ref.shape
    assert np.array_equal(f.array, ref)
    with ac.VideoReader(path) as r:
        plain = next(r).array
    assert np.array_equal(np.rot90(plain, -1), f.array)
    with ac.VideoReader(path, format="rgb24", apply_rotation=True, size=(180, 320)) as r:
        assert next(r).array.shape == (320, 180, 3)


def test_vfr_pts_match_ffprobe(media):
    path = media.get("vfr_mp4")
    ref = ffprobe_frames(path)
    with ac.VideoReader(path) as r:
        pts = [f.pts for f in r]
    assert len(pts) == len(ref)
    base = ref[0]
    assert np.allclose(pts, [t - base for t in ref], atol=1e-4)
    steps = np.diff(pts)
    assert steps.min() == pytest.approx(1 / 30, abs=2e-3)
    assert steps.max() == pytest.approx(3 / 30, abs=2e-3)


@pytest.mark.parametrize("kind", ["h264_mp4", "hevc10_rot_mov", "vp9_webm", "mpeg4_avi",
                                  "vfr_mp4", "faststart_mp4"])
def test_seek_and_frame_at_equal_sequential_decode(media, kind):
    path = media.get(kind)
    with ac.VideoReader(path) as r:
        seq = [(f.pts, f.array.copy()) for f in r]
    pts = np.array([p for p, _ in seq])
    rng = random.Random(42)
    duration = pts[-1]
    times = [rng.uniform(0, duration + 0.2) for _ in range(12)] + [0.0, pts[7], pts[-1]]

    def expected(t):
        i = int(np.searchsorted(pts, t + 1e-9, side="right")) - 1
        return max(i, 0)

    with ac.VideoReader(path) as r:
        for t in times:  # random order: backwards and forwards
            f = r.frame_at(t)
            i = expected(t)
            assert f.pts == pytest.approx(pts[i], abs=1e-6), (t, f.pts, pts[i])
            assert np.array_equal(f.array, seq[i][1])
        r.seek(pts[10] + 1e-4)
        assert next(r).pts == pytest.approx(pts[10])
        assert next(r).pts == pytest.approx(pts[11])
    with ac.VideoReader(path) as r:
        got = r.frames_at(sorted(times))
        for t, f in zip(sorted(times), got):
            assert f.pts == pytest.approx(pts[expected(t)], abs=1e-6)
            assert np.array_equal(f.array, seq[expected(t)][1])


def test_frames_at_requires_sorted_times(media):
    with ac.VideoReader(media.get("h264_mp4")) as r, pytest.raises(ValueError):
        r.frames_at([1.0, 0.5])


def test_skip_modes(media):
    path = media.get("h264_mp4")  # keyframe every 30 frames, B-frames
    with ac.VideoReader(path, skip="nonkey") as r:
        keys = list(r)
    assert len(keys) == 2 and all(f.key_frame for f in keys)
    assert [f.index for f in keys] == [0, 30]
    with ac.VideoReader(path, skip="nonref") as r:
        refs = list(r)
    assert 2 <= len(refs) < 60


def test_hardware_fallback_and_explicit_device(media):
    path = media.get("h264_mp4")
    with ac.VideoReader(path, hwaccel="auto") as r:
        n = sum(1 for _ in r)
        assert r.hwaccel_used in ["none", *ac.hardware()["available"]]
    assert n == 60
    with ac.VideoReader(path, hwaccel="none") as r:
        next(r)
        assert r.hwaccel_used == "none"
    hw = ac.hardware()
    for dev in ("cuda", "vaapi", "qsv", "videotoolbox"):
        if dev not in hw["available"]:
            with pytest.raises(ac.HardwareUnavailableError):
                ac.VideoReader(path, hwaccel=dev)
    with pytest.raises(ValueError):
        ac.VideoReader(path, hwaccel="warpdrive")


def test_env_forces_software(media):
    code = textwrap.dedent(
        """
        import sys, autocut_native as ac
        r = ac.VideoReader(sys.argv[1], hwaccel="cuda")
        next(r)
        print(r.hwaccel_used)
        """
    )
    env = {**os.environ, "AUTOCUT_NATIVE_HWACCEL": "none"}
    res = subprocess.run([sys.executable, "-c", code, str(media.get("h264_mp4"))],
                         capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "none"


def test_bad_inputs(media):
    with pytest.raises(ac.NoVideoStreamError):
        ac.VideoReader(media.get("audio_m4a"))
    with pytest.raises(ac.MediaNotFoundError):
        ac.VideoReader(media.malformed("missing"))
    for kind in ("empty", "random", "text", "truncated", "directory"):
        with pytest.raises(ac.InvalidMediaError):
            ac.VideoReader(media.malformed(kind))
    with pytest.raises(ac.DecodeError), ac.VideoReader(media.malformed("header_only")) as r:
        list(r)


def test_truncated_file_ends_cleanly(media):
    with ac.VideoReader(media.malformed("truncated_faststart")) as r:
        frames = list(r)
    assert 5 < len(frames) < 60


def test_corrupt_packets_are_skipped_and_counted(media):
    with ac.VideoReader(media.malformed("bitflip_payload")) as r:
        frames = list(r)
        errors = r.decode_errors
    assert len(frames) >= 30
    assert errors >= 0
    # The same damage read again gives the same result (no state leaks between readers).
    with ac.VideoReader(media.malformed("bitflip_payload")) as r:
        assert len(list(r)) == len(frames) and r.decode_errors == errors


def test_readers_in_threads_match_sequential(media):
    paths = [media.get(k) for k in ("h264_mp4", "vp9_webm", "mpeg4_avi", "hevc10_rot_mov")]

    def digest(p):
        with ac.VideoReader(p, threads=1) as r:
            return [int(f.array.astype(np.int64).sum()) for f in r]

    expected = [digest(p) for p in paths]
    results: dict[int, list[int]] = {}

    def work(i):
        results[i] = digest(paths[i % len(paths)])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(8):
        assert results[i] == expected[i % len(paths)]


# Peak RSS of the child alone: MemoryMonitor.process_peak_rss reads Linux's VmHWM
# (ru_maxrss survives fork+exec and would include the pytest parent's peak).
PEAK_RSS = textwrap.dedent(
    """
    import json, sys
    import autocut_native as ac
    n = 0
    with ac.VideoReader(sys.argv[1], threads=int(sys.argv[2])) as r:
        for f in r:
            n += 1
    print(json.dumps({"frames": n, "peak": ac.MemoryMonitor.process_peak_rss()}))
    """
)


def peak_rss(path, threads=0) -> dict:
    res = subprocess.run([sys.executable, "-c", PEAK_RSS, str(path), str(threads)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.mark.slow
def test_memory_bounded_by_frame_size_not_length(media):
    src = "testsrc2=size=640x360:rate=30"
    args = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p"]
    short = media.make("len10.mp4", ["-f", "lavfi", "-i", f"{src}:duration=10", *args])
    long = media.make("len60.mp4", ["-f", "lavfi", "-i", f"{src}:duration=60", *args])
    a, b = peak_rss(short, 2), peak_rss(long, 2)
    assert a["frames"] == 300 and b["frames"] == 1800
    assert b["peak"] <= a["peak"] * 1.10, (a, b)


@pytest.mark.slow
def test_4k_decode_peak_rss_under_300mb(media):
    uhd = media.make("uhd_2s.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
    r = peak_rss(uhd, 0)
    assert r["frames"] == 60
    assert r["peak"] < 300 * 1024 * 1024, r
