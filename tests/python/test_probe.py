"""probe(): every field against what the generator made; malformed inputs raise."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap

import autocut_native as ac
import pytest

KINDS = ["h264_mp4", "hevc10_rot_mov", "vp9_webm", "mpeg4_avi", "h264_60fps", "vfr_mp4",
         "portrait_mp4", "uhd_mp4", "audio_m4a", "unicode_mp4"]


@pytest.mark.parametrize("kind", KINDS)
def test_probe_fields_match_generator(media, kind):
    path = media.get(kind)
    facts = media.facts(kind)
    info = ac.probe(path)
    assert info.path == str(path)
    assert info.size_bytes == path.stat().st_size
    assert info.has_video == facts.get("has_video", True)
    if "container" in facts:
        assert info.container == facts["container"]
    if info.has_video:
        assert info.codec == facts["codec"]
        assert (info.width, info.height) == (facts["width"], facts["height"])
        rot = facts.get("rotation", 0)
        assert info.rotation == rot
        dw = facts.get("display_width", facts["width"] if rot in (0, 180) else facts["height"])
        dh = facts.get("display_height", facts["height"] if rot in (0, 180) else facts["width"])
        assert (info.display_width, info.display_height) == (dw, dh)
        if "fps" in facts:
            assert info.fps == pytest.approx(facts["fps"], rel=1e-3)
        assert info.vfr == facts.get("vfr", False)
        assert info.bit_depth == facts.get("bit_depth", 8)
        if "pix_fmt" in facts:
            assert info.pix_fmt == facts["pix_fmt"]
        if "profile" in facts:
            assert info.profile == facts["profile"]
        if info.frame_count_exact:
            assert info.frame_count == facts["frames"]
        else:
            assert abs(info.frame_count - facts["frames"]) <= 2
        expected_duration = facts["frames"] / facts["fps"] if "fps" in facts else None
        if expected_duration:
            assert info.duration == pytest.approx(expected_duration, abs=0.1)
        assert info.color_range in ("tv", "pc", "unknown")
        assert isinstance(info.color_space, str)
    else:
        assert info.width == info.height == 0
        assert info.codec is None
    assert info.has_audio == facts.get("has_audio", False)
    if info.has_audio:
        assert info.audio_codec == facts["audio_codec"]
        assert info.sample_rate == facts["sample_rate"]
        assert info.channels == facts["channels"]
        assert info.duration == pytest.approx(2.0, abs=0.1)
    else:
        assert info.audio_codec is None and info.sample_rate == 0
    if "creation_time" in facts:
        assert info.creation_time.startswith(facts["creation_time"])
    assert info.bitrate > 0


def test_exact_frame_count_from_mp4_index(media):
    info = ac.probe(media.get("h264_mp4"))
    assert info.frame_count_exact and info.frame_count == 60


def test_probe_accepts_pathlike_str_and_bytes(media):
    p = media.get("unicode_mp4")
    assert ac.probe(str(p)).width == ac.probe(p).width == ac.probe(os.fsencode(p)).width == 320


def test_mediainfo_dict_repr_pickle(media):
    info = ac.probe(media.get("h264_mp4"))
    d = info.to_dict()
    json.dumps(d)
    assert d["codec"] == "h264" and d["width"] == 640 and d["has_audio"] is True
    assert ac.MediaInfo.from_dict(d) == info
    assert pickle.loads(pickle.dumps(info)) == info
    r = repr(info)
    assert r.startswith("MediaInfo(") and "h264 640x360" in r and "aac" in r
    with pytest.raises(AttributeError):
        info.width = 3


def test_probe_reads_only_headers_of_a_large_file(media, tmp_path):
    # A 4K clip padded with garbage after the moov box: probe must not read to the end.
    info = ac.probe(media.get("uhd_mp4"))
    assert info.width == 3840


MALFORMED = {
    "empty": ac.InvalidMediaError,
    "random": ac.InvalidMediaError,
    "text": ac.InvalidMediaError,
    "truncated": ac.InvalidMediaError,
    "header_only": None,  # headers are intact: probe succeeds, decoding finds no data
    "bitflip_header": ac.InvalidMediaError,
    "directory": ac.InvalidMediaError,
    "missing": ac.MediaNotFoundError,
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_inputs_raise_specific_errors(media, kind):
    path = media.malformed(kind)
    expected = MALFORMED[kind]
    if expected is None:
        info = ac.probe(path)
        assert info.has_video
        return
    with pytest.raises(expected) as exc:
        ac.probe(path)
    err = exc.value
    assert isinstance(err, ac.Error)
    assert str(path) in str(err)
    assert err.path == str(path)
    assert err.operation


def test_error_classes_subclass_builtins():
    assert issubclass(ac.MediaNotFoundError, FileNotFoundError)
    assert issubclass(ac.InvalidMediaError, ValueError)
    assert issubclass(ac.NoVideoStreamError, ac.InvalidMediaError)
    assert issubclass(ac.NoAudioStreamError, ac.InvalidMediaError)
    for cls in (ac.DecodeError, ac.EncodeError, ac.HardwareUnavailableError):
        assert issubclass(cls, RuntimeError) and issubclass(cls, ac.Error)
    assert issubclass(ac.OutputError, OSError)


def test_missing_file_is_filenotfounderror(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.mp4"):
        ac.probe(tmp_path / "nope.mp4")


def test_ffmpeg_error_text_is_in_message(media):
    with pytest.raises(ac.InvalidMediaError) as exc:
        ac.probe(media.malformed("random"))
    assert exc.value.averror < 0
    assert exc.value.detail and exc.value.detail in str(exc.value)


def test_malformed_inputs_never_crash_the_interpreter(media):
    # Every malformed kind (including payload bit flips) in a fresh interpreter.
    paths = [str(media.malformed(k)) for k in
             [*MALFORMED, "truncated_faststart", "bitflip_payload"]]
    code = textwrap.dedent(
        """
        import sys, autocut_native as ac
        for p in sys.argv[1:]:
            try:
                ac.probe(p)
                print("ok", p)
            except ac.Error as e:
                print(type(e).__name__, p)
        print("done")
        """
    )
    res = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[-1] == "done" and len(lines) == len(paths) + 1


def test_versions_and_hardware():
    v = ac.ffmpeg_versions()
    assert set(v) >= {"libavformat", "libavcodec", "libavutil", "libswscale", "libswresample"}
    major = int(v["libavcodec"].split(".")[0])
    assert major >= 59
    hw = ac.hardware()
    assert set(hw) == {"device_types", "available", "encoders"}
    assert set(hw["available"]) <= set(hw["device_types"])


def test_package_ships_types():
    pkg = pathlib.Path(ac.__file__).parent
    assert (pkg / "py.typed").exists() and (pkg / "_core.pyi").exists()
    assert set(ac.__all__) <= set(dir(ac))
