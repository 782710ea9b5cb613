"""AnalysisCache: hits identical to fresh runs and far faster, invalidation on a changed
file or parameter, recovery from corrupt or foreign databases, two processes at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time

import autocut_native as ac
import numpy as np
import pytest
from autocut_native import AnalysisCache, CacheCorruptWarning, CacheWarning, analyze_many
from autocut_native.cache import default_cache_path, make_key
from batchgen import clip_set


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Never touch the user's real cache: the default location is a temp file."""
    path = tmp_path / "default-cache.sqlite"
    monkeypatch.setenv("AUTOCUT_NATIVE_CACHE", str(path))
    return path


@pytest.fixture(scope="module")
def clips(media):
    return clip_set(media, 4, size="640x360", seconds=2.0)


@pytest.fixture(scope="module")
def small(media):
    return clip_set(media, 2)


def assert_identical(a: ac.ClipAnalysis, b: ac.ClipAnalysis) -> None:
    assert a == b
    for name in ("times", "scene_cuts", *ac.METRICS):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert a.info.to_dict() == b.info.to_dict()
    for name in ("frames_decoded", "frames_analyzed", "decode_errors", "hwaccel_used"):
        assert getattr(a, name) == getattr(b, name), name
    keep = ("sample_fps", "skip", "analysis_size", "grid", "analyzer_version")
    assert {k: a.params[k] for k in keep} == {k: b.params[k] for k in keep}


def test_hit_is_identical_to_a_fresh_run_and_much_faster(tmp_path, clips):
    with AnalysisCache(tmp_path / "c.sqlite") as cache:
        t0 = time.perf_counter()
        cold = analyze_many(clips, cache=cache, workers=1)
        t1 = time.perf_counter()
        hot = analyze_many(clips, cache=cache, workers=1)
        t2 = time.perf_counter()
        stats = cache.stats()
    assert stats["entries"] == 4 and stats["hits"] == 4 and stats["misses"] == 4
    assert 0 < stats["bytes"] < 4 * 100_000
    assert (t1 - t0) >= 5 * (t2 - t1), (t1 - t0, t2 - t1)
    for path, c, h in zip(clips, cold, hot):
        assert isinstance(h, ac.ClipAnalysis) and h.path == str(path)
        assert_identical(h, c)
        assert_identical(h, ac.analyze(path))
        assert h.params == c.params and h.elapsed_s == c.elapsed_s
    # A new connection (as a later process would open it) sees the same entries.
    with AnalysisCache(tmp_path / "c.sqlite") as again:
        for path, c in zip(clips, cold):
            assert_identical(again.get(path), c)


def test_hit_keeps_the_callers_spelling_of_the_path(tmp_path, small, monkeypatch):
    db = tmp_path / "c.sqlite"
    analyze_many(small, cache=db)
    monkeypatch.chdir(small[0].parent)
    with AnalysisCache(db) as cache:
        hit = cache.get(small[0].name)
    assert hit is not None and hit.path == small[0].name and hit.info.path == small[0].name


def test_a_file_changed_in_place_is_reanalysed(tmp_path, clips):
    path = tmp_path / "clip.mp4"
    shutil.copyfile(clips[0], path)
    with AnalysisCache(tmp_path / "c.sqlite") as cache:
        (first,) = analyze_many([path], cache=cache)
        path.write_bytes(clips[1].read_bytes())  # same name, other content
        (second,) = analyze_many([path], cache=cache)
        assert cache.stats()["misses"] == 2 and cache.stats()["hits"] == 0
        assert second != first
        assert_identical(second, ac.analyze(path))
        (third,) = analyze_many([path], cache=cache)
        assert cache.stats()["hits"] == 1 and cache.stats()["entries"] == 1
        assert_identical(third, second)


def test_same_size_and_mtime_but_other_bytes_is_a_miss(tmp_path, small):
    path = tmp_path / "clip.mp4"
    shutil.copyfile(small[0], path)
    with AnalysisCache(tmp_path / "c.sqlite") as cache:
        cache.put(path, ac.analyze(path))
        assert cache.get(path) is not None
        st = path.stat()
        data = bytearray(path.read_bytes())
        data[-100] ^= 0xFF
        path.write_bytes(bytes(data))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
        assert cache.get(path) is None


def test_a_parameter_change_is_a_miss_but_hwaccel_and_threads_are_not(tmp_path, small):
    clip = small[0]
    with AnalysisCache(tmp_path / "c.sqlite") as cache:
        analyze_many([clip], cache=cache)
        (sampled,) = analyze_many([clip], cache=cache, sample_fps=10)
        assert cache.stats()["misses"] == 2
        assert sampled.frames_analyzed < 15
        assert_identical(sampled, ac.analyze(clip, sample_fps=10))
        analyze_many([clip], cache=cache, analysis_size=180)
        assert cache.stats()["misses"] == 3
        (again,) = analyze_many([clip], cache=cache, sample_fps=10, hwaccel="none", threads=1)
        assert cache.stats()["hits"] == 1
        assert_identical(again, sampled)
        assert cache.stats()["entries"] == 3


def test_a_new_analyzer_version_misses(tmp_path, small, monkeypatch):
    from autocut_native import cache as cache_mod

    with AnalysisCache(tmp_path / "c.sqlite") as cache:
        analyze_many(small[:1], cache=cache)
        monkeypatch.setattr(cache_mod, "ANALYZER_VERSION", cache_mod.ANALYZER_VERSION + 1)
        assert cache.get(small[0]) is None


def test_garbage_database_is_moved_aside_and_rebuilt(tmp_path, small):
    db = tmp_path / "c.sqlite"
    expected = analyze_many(small, cache=db)
    garbage = os.urandom(64 * 1024)
    db.write_bytes(garbage)
    with pytest.warns(CacheCorruptWarning, match="moved aside"):
        results = analyze_many(small, cache=db)
    for r, e in zip(results, expected):
        assert_identical(r, e)
    (aside,) = tmp_path.glob("c.sqlite.corrupt-*")
    assert aside.read_bytes() == garbage
    with AnalysisCache(db) as cache:  # rebuilt, and already holding the new results
        assert cache.stats()["entries"] == len(small)


def test_foreign_sqlite_database_is_moved_aside_untouched(tmp_path, small):
    db = tmp_path / "c.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (name TEXT)")
        conn.execute("INSERT INTO users VALUES ('ada')")
    conn.close()
    with pytest.warns(CacheCorruptWarning, match="foreign"):
        cache = AnalysisCache(db)
    with cache:
        assert cache.stats()["entries"] == 0
        cache.put(small[0], ac.analyze(small[0]))
        assert cache.get(small[0]) is not None
    (aside,) = tmp_path.glob("c.sqlite.corrupt-*")
    with sqlite3.connect(aside) as conn:
        assert conn.execute("SELECT name FROM users").fetchall() == [("ada",)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_other_schema_version_is_rebuilt(tmp_path, small):
    db = tmp_path / "c.sqlite"
    analyze_many(small[:1], cache=db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.close()
    with pytest.warns(CacheCorruptWarning, match="schema version 999"):
        (r,) = analyze_many(small[:1], cache=db)
    assert_identical(r, ac.analyze(small[0]))


def test_database_corrupted_while_open_is_rebuilt(tmp_path, small):
    db = tmp_path / "c.sqlite"
    analyze_many(small, cache=db)
    with AnalysisCache(db) as cache:
        size = db.stat().st_size
        with open(db, "r+b") as f:  # everything but the header: pages now garbage
            f.seek(100)
            f.write(os.urandom(size - 100))
        with pytest.warns(CacheCorruptWarning, match="malformed"):
            assert cache.get(small[0]) is None
        results = analyze_many(small, cache=cache)
        for path, r in zip(small, results):
            assert_identical(r, ac.analyze(path))
        assert cache.stats()["entries"] == len(small)
    assert len(list(tmp_path.glob("c.sqlite.corrupt-*"))) == 1


def test_damaged_entry_is_a_miss_never_a_wrong_result(tmp_path, small):
    db = tmp_path / "c.sqlite"
    analyze_many(small, cache=db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE analyses SET value = zeroblob(100)")
    conn.close()
    with AnalysisCache(db) as cache:
        assert cache.get(small[0]) is None
        results = analyze_many(small, cache=cache)
        assert cache.stats()["hits"] == 0
        for path, r in zip(small, results):
            assert_identical(r, ac.analyze(path))
        assert all(cache.get(p) is not None for p in small)


TWO_PROCESS_SCRIPT = textwrap.dedent("""
    import json, sys
    import autocut_native as ac
    db, out, *paths = sys.argv[1:]
    results = ac.analyze_many(paths, cache=db, workers=2)
    assert all(isinstance(r, ac.ClipAnalysis) for r in results), results
    with open(out, "w") as f:
        json.dump([r.to_dict() for r in results], f)
""")


def test_two_processes_share_one_cache(tmp_path, clips, small):
    db = tmp_path / "shared.sqlite"
    every = [*clips, *small]
    sets = [every[:4], every[2:][::-1]]  # overlapping, met from opposite ends
    outs = [tmp_path / "a.json", tmp_path / "b.json"]
    procs = [subprocess.Popen([sys.executable, "-W", "error", "-c", TWO_PROCESS_SCRIPT, str(db),
                               str(out), *map(str, s)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s, out in zip(sets, outs)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    by_path: dict[str, ac.ClipAnalysis] = {}
    for s, out in zip(sets, outs):
        results = [ac.ClipAnalysis.from_dict(d) for d in json.loads(out.read_text())]
        for path, r in zip(s, results):
            assert r.path == str(path)
            if r.path in by_path:
                assert r == by_path[r.path]
            by_path[r.path] = r
    with AnalysisCache(db) as cache:
        assert cache.stats()["entries"] == len(every)
        for path in every:
            assert cache.get(path) == by_path[str(path)]


def test_stats_clear_and_prune(tmp_path, small):
    with AnalysisCache(tmp_path / "c.sqlite") as cache:
        assert cache.stats() == {"entries": 0, "bytes": 0, "hits": 0, "misses": 0,
                                 "path": str(tmp_path / "c.sqlite")}
        analyze_many(small, cache=cache)
        assert cache.stats()["entries"] == 2 and cache.stats()["misses"] == 2
        assert cache.prune(older_than=dt.timedelta(hours=1)) == 0
        assert cache.prune(older_than=3600.0) == 0
        assert cache.get(small[0]) is not None
        assert cache.prune(older_than=0) == 2
        assert cache.stats()["entries"] == 0
        analyze_many(small, cache=cache)
        assert cache.clear() == 2
        assert cache.stats()["entries"] == 0 and cache.stats()["bytes"] == 0
        with pytest.raises(ValueError):
            cache.prune(older_than=-1)


def test_default_location(tmp_path, small, monkeypatch, private_cache):
    assert default_cache_path() == private_cache
    analyze_many(small[:1])
    with AnalysisCache() as cache:
        assert cache.path == private_cache and cache.stats()["entries"] == 1
    monkeypatch.delenv("AUTOCUT_NATIVE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if sys.platform == "darwin":
        want = tmp_path / "home" / "Library" / "Caches" / "autocut_native" / "analysis.sqlite"
    elif os.name == "nt":
        pytest.skip("Windows keeps the cache under LOCALAPPDATA")
    else:
        want = tmp_path / "xdg" / "autocut_native" / "analysis.sqlite"
    assert default_cache_path() == want
    if sys.platform != "darwin":
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert default_cache_path() == tmp_path / "home" / ".cache" / "autocut_native" / \
            "analysis.sqlite"


def test_cache_false_stores_nothing(small, private_cache):
    analyze_many(small, cache=False)
    assert not private_cache.exists()


def test_keys_ignore_how_the_path_is_spelled(small, monkeypatch):
    monkeypatch.chdir(small[0].parent)
    assert make_key(small[0].name) == make_key(small[0])
    assert make_key(small[0]) != make_key(small[0], sample_fps=5)
    assert make_key(small[0], hwaccel="none", threads=3) == make_key(small[0])


def test_an_unusable_cache_location_is_skipped_with_a_warning(tmp_path, small):
    where = tmp_path / "a-directory"
    where.mkdir()
    with pytest.raises(sqlite3.OperationalError):
        AnalysisCache(where)
    with pytest.warns(CacheWarning, match="continuing without it"):
        results = analyze_many(small, cache=where)
    assert all(isinstance(r, ac.ClipAnalysis) for r in results)
    assert list(where.iterdir()) == []


def test_missing_file_is_a_miss(tmp_path):
    with AnalysisCache(tmp_path / "c.sqlite") as cache:
        assert cache.get(tmp_path / "nope.mp4") is None
        assert cache.stats()["misses"] == 1
