"""Media from memory and file-like objects, and Ctrl-C during long native calls."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import autocut_native as ac
import numpy as np
import pytest


def test_probe_and_decode_from_bytes_and_file_like(media):
    path = media.get("faststart_mp4")
    data = path.read_bytes()
    ref = ac.probe(path)
    for src in (data, bytearray(data), memoryview(data), io.BytesIO(data)):
        info = ac.probe(src)
        assert (info.codec, info.width, info.height, info.frame_count) == (
            ref.codec, ref.width, ref.height, ref.frame_count)
        assert info.size_bytes == len(data)
    with ac.VideoReader(path) as r:
        expected = [f.array.copy() for f in r]
    with ac.VideoReader(io.BytesIO(data)) as r:
        got = [f.array for f in r]
    assert len(got) == len(expected)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))
    with ac.VideoReader(data) as r:
        f = r.frame_at(1.0)
        assert np.array_equal(f.array, expected[30])


def test_analyze_file_object_matches_path(media):
    path = media.get("h264_mp4")
    with open(path, "rb") as f:
        a = ac.analyze(f)
    b = ac.analyze(path)
    assert np.array_equal(a.sharpness, b.sharpness) and np.array_equal(a.times, b.times)


def test_non_seekable_stream_still_decodes(media):
    data = media.get("faststart_mp4").read_bytes()

    class Pipe(io.RawIOBase):
        def __init__(self, b):
            self._b = io.BytesIO(b)

        def readable(self):
            return True

        def read(self, n=-1):
            return self._b.read(n)

        def seekable(self):
            return False

    with ac.VideoReader(Pipe(data)) as r:
        assert sum(1 for _ in r) == 60


def test_bad_memory_inputs(media):
    with pytest.raises(ac.InvalidMediaError, match="<bytes>"):
        ac.probe(b"\x00not media at all" * 500)
    with pytest.raises(ac.InvalidMediaError):
        ac.probe(io.BytesIO(b""))
    with pytest.raises(TypeError):
        ac.probe(12345)

    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, n=-1):
            raise OSError("device gone")

    with pytest.raises(ac.InvalidMediaError):
        ac.probe(Broken())


INTERRUPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    import autocut_native as ac
    mode, path = sys.argv[1], sys.argv[2]
    threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    t0 = time.perf_counter()
    try:
        if mode == "analyze":
            while True:
                ac.analyze(path, threads=1)
        else:
            while True:
                with ac.VideoReader(path, threads=1) as r:
                    r.frames_at([i * 0.5 for i in range(100)])
    except KeyboardInterrupt:
        print("interrupted after %.2f s" % (time.perf_counter() - t0 - 0.3))
        print("threads", threading.active_count())
    """
)


@pytest.mark.parametrize("mode", ["analyze", "reader"])
def test_ctrl_c_interrupts_long_native_calls(media, mode):
    long = media.make("len60.mp4", [
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=60", "-c:v", "libx264",
        "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p"])
    res = subprocess.run([sys.executable, "-c", INTERRUPT, mode, str(long)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.split("\n")
    delay = float(lines[0].split()[2])
    assert delay < 1.0, res.stdout
    assert lines[1] == "threads 1"
