"""A persistent cache of analysis results: one SQLite file, shared safely between threads
and processes.

An entry is keyed by the clip's absolute path, its size, mtime_ns and a content
fingerprint (BLAKE2b of the size and the first and last MiB), the analysis parameters
that change values (`sample_fps`, `skip`, `analysis_size`; not `hwaccel` or `threads`)
and ANALYZER_VERSION. A file rewritten in place therefore misses, and so does a new
analyzer. Values are the arrays' exact bytes (byte-shuffled, zlib), so a hit is
bit-identical to a fresh run.

A database that is not SQLite, or is someone else's SQLite, is moved aside (renamed
`<name>.corrupt-<timestamp>`) and rebuilt with a :class:`CacheCorruptWarning`; an entry
that cannot be decoded is a miss. The cache never raises for its own faults.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import struct
import sys
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np

from ._core import MediaInfo
from .analysis import ANALYZER_VERSION, METRICS, ClipAnalysis

PathLike = Union[str, "os.PathLike[str]"]

#: Bumped whenever the tables or the value format change; other versions are rebuilt.
SCHEMA_VERSION = 1
_APP = "autocut_native.analysis_cache"
_MAGIC = b"ACA1"
_FINGERPRINT_SPAN = 1 << 20
_ARRAYS: tuple[tuple[str, Any], ...] = (
    ("times", np.float64),
    ("scene_cuts", np.float64),
    *((m, np.float32) for m in METRICS),
)
_SCALARS = ("frames_decoded", "frames_analyzed", "decode_errors", "hwaccel_used", "elapsed_s")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS analyses ("
    " path TEXT NOT NULL, params TEXT NOT NULL, analyzer_version INTEGER NOT NULL,"
    " size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, fingerprint BLOB NOT NULL,"
    " created REAL NOT NULL, last_used REAL NOT NULL, value BLOB NOT NULL,"
    " PRIMARY KEY (path, params, analyzer_version))",
)


class CacheWarning(UserWarning):
    """The analysis cache could not be used as asked; the batch goes on without it."""


class CacheCorruptWarning(CacheWarning):
    """The cache database was corrupt or foreign; it was moved aside and rebuilt."""


def default_cache_path() -> Path:
    """`AUTOCUT_NATIVE_CACHE` if set, else analysis.sqlite in the user cache directory
    (~/Library/Caches/autocut_native on macOS, %LOCALAPPDATA%/autocut_native/Cache on
    Windows, $XDG_CACHE_HOME or ~/.cache /autocut_native elsewhere)."""
    env = os.environ.get("AUTOCUT_NATIVE_CACHE")
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "autocut_native"
    elif os.name == "nt":
        local = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        base = Path(local) / "autocut_native" / "Cache"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache")
        base = base / "autocut_native"
    return base / "analysis.sqlite"


def _warn(message: str, category: type[Warning]) -> None:
    """warnings.warn pointing at the first caller outside this package."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame = sys._getframe(1)
    level = 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


# ---- Keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheKey:
    """What identifies one clip's analysis: the file as it is now and the parameters."""

    path: str  # absolute
    size: int
    mtime_ns: int
    fingerprint: bytes
    params: str  # canonical JSON of the value-changing parameters

    def same_file(self, other: CacheKey) -> bool:
        return (self.path, self.size, self.mtime_ns) == (other.path, other.size, other.mtime_ns)


def cache_params(
    sample_fps: float | None = None, skip: str = "auto", analysis_size: int = 360, **_: Any
) -> str:
    """The canonical form of the parameters that change analysis values. Others
    (`hwaccel`, `threads`, `progress`) are accepted and ignored."""
    fps = None if sample_fps is None else float(sample_fps)
    return json.dumps({"analysis_size": int(analysis_size), "sample_fps": fps, "skip": str(skip)},
                      sort_keys=True, separators=(",", ":"))


def fingerprint(path: PathLike, size: int | None = None) -> bytes:
    """BLAKE2b-128 of the file size and its first and last MiB (the whole file if small)."""
    with open(path, "rb") as f:
        if size is None:
            size = os.fstat(f.fileno()).st_size
        h = hashlib.blake2b(struct.pack("<Q", size), digest_size=16)
        h.update(f.read(_FINGERPRINT_SPAN))
        if size > _FINGERPRINT_SPAN:
            f.seek(max(_FINGERPRINT_SPAN, size - _FINGERPRINT_SPAN))
            h.update(f.read(_FINGERPRINT_SPAN))
    return h.digest()


def make_key(path: PathLike, **params: Any) -> CacheKey:
    """Stat and fingerprint `path` now. Raises OSError when it cannot be read."""
    p = os.path.abspath(os.fsdecode(os.fspath(path)))
    st = os.stat(p)
    if not os.path.isfile(p):
        raise IsADirectoryError(p)
    return CacheKey(p, st.st_size, st.st_mtime_ns, fingerprint(p, st.st_size),
                    cache_params(**params))


# ---- Values -------------------------------------------------------------------------


def encode_analysis(a: ClipAnalysis) -> bytes:
    """The arrays' exact bytes, byte-shuffled (one plane per byte of each value, which
    zlib compresses far better for floats) with a JSON header, compressed."""
    header: dict[str, Any] = {
        "info": a.info.to_dict(),
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in a.params.items()},
        "tuples": [k for k, v in a.params.items() if isinstance(v, tuple)],
        "lengths": {},
    }
    for name in _SCALARS:
        header[name] = getattr(a, name)
    planes = []
    for name, dtype in _ARRAYS:
        arr = np.ascontiguousarray(getattr(a, name), dtype=np.dtype(dtype).newbyteorder("<"))
        header["lengths"][name] = int(arr.size)
        planes.append(arr.view(np.uint8).reshape(-1, arr.itemsize).T.tobytes())
    head = json.dumps(header, separators=(",", ":")).encode()
    return zlib.compress(_MAGIC + struct.pack("<I", len(head)) + head + b"".join(planes), 6)


def decode_analysis(blob: bytes, path: str) -> ClipAnalysis:
    """Inverse of encode_analysis, with `path` (as the caller spelled it) put back in.
    Raises ValueError (or zlib.error) for anything malformed."""
    raw = zlib.decompress(blob)
    if raw[:4] != _MAGIC:
        raise ValueError("not an analysis record")
    (n,) = struct.unpack_from("<I", raw, 4)
    header = json.loads(raw[8:8 + n])
    pos = 8 + n
    kw: dict[str, Any] = {}
    for name, dtype in _ARRAYS:
        dt = np.dtype(dtype).newbyteorder("<")
        count = int(header["lengths"][name])
        nbytes = count * dt.itemsize
        if pos + nbytes > len(raw):
            raise ValueError("truncated analysis record")
        planes = np.frombuffer(raw, np.uint8, nbytes, pos).reshape(dt.itemsize, count)
        kw[name] = planes.T.copy().view(dt).reshape(count).astype(dtype, copy=False)
        pos += nbytes
    if pos != len(raw):
        raise ValueError("analysis record has trailing bytes")
    info = dict(header["info"])
    info["path"] = path
    params = dict(header["params"])
    for k in header["tuples"]:
        params[k] = tuple(params[k])
    return ClipAnalysis(path=path, info=MediaInfo.from_dict(info), params=params,
                        **{k: header[k] for k in _SCALARS}, **kw)


# ---- The cache ----------------------------------------------------------------------


class AnalysisCache:
    """Analysis results in one SQLite file (WAL, so readers never block; a busy timeout,
    so several processes can share it). Thread-safe. A context manager (closes)."""

    def __init__(self, path: PathLike | None = None, *, timeout: float = 60.0):
        self.path = Path(path).expanduser() if path is not None else default_cache_path()
        self.timeout = float(timeout)
        self.hits = 0
        self.misses = 0
        self._lock = threading.RLock()
        self._conn: Any = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._open()

    # ---- Opening, validation and recovery ---------------------------------------

    def _connect(self) -> Any:
        import sqlite3

        conn = sqlite3.connect(str(self.path), timeout=self.timeout, check_same_thread=False,
                               isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        return conn

    def _problem(self, conn: Any, *, deep: bool = False) -> str | None:
        """Why the database is not ours (None when it is, or was empty and is now set up).
        Touches nothing in a database that is not ours. `deep` also checks every page."""
        listing = ("SELECT name FROM sqlite_master WHERE type = 'table'"
                   " AND name NOT LIKE 'sqlite_%'")
        tables = {r[0] for r in conn.execute(listing)}
        if not tables:
            conn.execute("BEGIN IMMEDIATE")
            try:
                tables = {r[0] for r in conn.execute(listing)}
                if not tables:  # nobody set it up while we waited for the lock
                    for stmt in _SCHEMA:
                        conn.execute(stmt)
                    conn.executemany("INSERT INTO meta VALUES (?, ?)",
                                     [("app", _APP), ("schema_version", str(SCHEMA_VERSION))])
                    tables = {"meta", "analyses"}
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
                raise
        if tables != {"meta", "analyses"}:
            return f"foreign database (tables: {', '.join(sorted(tables))})"
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("app") != _APP:
            return "foreign database (not an autocut_native cache)"
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            return f"schema version {meta.get('schema_version')}, expected {SCHEMA_VERSION}"
        if deep:
            check = conn.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                return f"corrupt database ({check[0] if check else 'no answer'})"
        return None

    def _try_open(self, *, deep: bool = False) -> tuple[Any, str | None]:
        """(a validated connection, None) or (None, what is wrong with the file's content).
        Raises sqlite3.OperationalError when it cannot be used at all (locked past the
        timeout, no permission, I/O error)."""
        import sqlite3

        conn = None
        try:
            conn = self._connect()
            problem = self._problem(conn, deep=deep)
            if problem is None:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                return conn, None
        except sqlite3.OperationalError:
            # Locked past the timeout, unreadable, read-only, I/O: not the file's content.
            if conn is not None:
                conn.close()
            raise
        except sqlite3.DatabaseError as e:
            if conn is not None:
                conn.close()
            return None, f"corrupt database ({e})"
        conn.close()
        return None, problem

    def _open(self, *, deep: bool = False) -> None:
        for _ in range(3):
            conn, problem = self._try_open(deep=deep)
            if conn is not None:
                self._conn = conn
                return
            self._move_aside(problem or "unusable database", deep=deep)
        raise OSError(f"cannot set up the analysis cache at {self.path}")

    @contextlib.contextmanager
    def _recovery_lock(self) -> Iterator[None]:
        """Serialises recovery between processes, so two of them never both move a file
        aside (the second would move the first one's fresh database)."""
        try:
            import fcntl
        except ImportError:  # Windows: renaming an open database fails anyway
            yield
            return
        with open(str(self.path) + ".lock", "a+b") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _move_aside(self, problem: str, *, deep: bool = False) -> bool:
        """Rename the database (and its -wal/-shm) to <name>.corrupt-<timestamp>, unless
        another process has already rebuilt it (then False)."""
        with self._recovery_lock():
            conn, still = self._try_open(deep=deep)
            if conn is not None:
                conn.close()
                return False
            stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            dest = Path(f"{self.path}.corrupt-{stamp}")
            n = 1
            while dest.exists():
                dest = Path(f"{self.path}.corrupt-{stamp}-{n}")
                n += 1
            for suffix in ("", "-wal", "-shm", "-journal"):
                src = Path(str(self.path) + suffix)
                if src.exists():
                    os.replace(src, str(dest) + suffix)
        _warn(f"analysis cache {self.path}: {still or problem}; moved aside to {dest.name}"
              " and rebuilt", CacheCorruptWarning)
        return True

    def _execute(self, sql: str, args: tuple = ()) -> list[tuple]:
        import sqlite3

        with self._lock:
            if self._conn is None:
                raise ValueError("the analysis cache is closed")
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as e:
                if isinstance(e, sqlite3.OperationalError):
                    raise
                # Corrupted under us (a truncated or overwritten file): start afresh.
                self._conn.close()
                self._conn = None
                self._move_aside(f"corrupt database ({e})", deep=True)
                self._open()
                return self._conn.execute(sql, args).fetchall()

    # ---- Entries ------------------------------------------------------------------

    def get(self, path: PathLike, **params: Any) -> ClipAnalysis | None:
        """The cached analysis of `path` with these analyze() parameters, or None.
        The result's `path` is `path` as given, as a fresh analyze() would report it."""
        try:
            key = make_key(path, **params)
        except OSError:
            self._count(hit=False)
            return None
        return self.get_key(key, os.fsdecode(os.fspath(path)))

    def put(self, path: PathLike, analysis: ClipAnalysis, **params: Any) -> None:
        """Store `analysis` of `path` made with these analyze() parameters."""
        try:
            key = make_key(path, **params)
        except OSError:
            return
        self.put_key(key, analysis)

    def get_key(self, key: CacheKey, path: str | None = None) -> ClipAnalysis | None:
        """Lookup by a key from make_key (what analyze_many uses: one stat per clip)."""
        import sqlite3

        try:
            rows = self._execute(
                "SELECT size, mtime_ns, fingerprint, value FROM analyses"
                " WHERE path = ? AND params = ? AND analyzer_version = ?",
                (key.path, key.params, ANALYZER_VERSION))
        except sqlite3.Error as e:
            self._warn_unusable(e)
            rows = []
        if not rows or tuple(rows[0][:3]) != (key.size, key.mtime_ns, key.fingerprint):
            self._count(hit=False)
            return None
        try:
            result = decode_analysis(rows[0][3], key.path if path is None else path)
        except Exception:  # noqa: BLE001 - a damaged record is a miss, never a wrong result
            self._delete(key)
            self._count(hit=False)
            return None
        with contextlib.suppress(sqlite3.Error):
            self._execute("UPDATE analyses SET last_used = ? WHERE path = ? AND params = ?"
                          " AND analyzer_version = ?",
                          (time.time(), key.path, key.params, ANALYZER_VERSION))
        self._count(hit=True)
        return result

    def put_key(self, key: CacheKey, analysis: ClipAnalysis) -> None:
        import sqlite3

        blob = encode_analysis(analysis)
        now = time.time()
        try:
            self._execute(
                "INSERT OR REPLACE INTO analyses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key.path, key.params, ANALYZER_VERSION, key.size, key.mtime_ns,
                 key.fingerprint, now, now, blob))
        except sqlite3.Error as e:
            self._warn_unusable(e)

    def _delete(self, key: CacheKey) -> None:
        import sqlite3

        with contextlib.suppress(sqlite3.Error):
            self._execute("DELETE FROM analyses WHERE path = ? AND params = ?"
                          " AND analyzer_version = ?", (key.path, key.params, ANALYZER_VERSION))

    def _count(self, *, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    def _warn_unusable(self, e: Exception) -> None:
        _warn(f"analysis cache {self.path}: {e}", CacheWarning)

    # ---- Housekeeping --------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """entries, bytes (stored values), hits and misses (this object's), path."""
        entries, nbytes = self._execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM analyses")[0]
        return {"entries": int(entries), "bytes": int(nbytes), "hits": self.hits,
                "misses": self.misses, "path": str(self.path)}

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        n = self._execute("SELECT COUNT(*) FROM analyses")[0][0]
        self._execute("DELETE FROM analyses")
        return int(n)

    def prune(self, older_than: float | _dt.timedelta) -> int:
        """Remove entries not used (read or written) for `older_than` seconds (or a
        timedelta); returns how many were removed."""
        if isinstance(older_than, _dt.timedelta):
            older_than = older_than.total_seconds()
        if older_than < 0:
            raise ValueError("older_than must be >= 0")
        cutoff = time.time() - float(older_than)
        n = self._execute("SELECT COUNT(*) FROM analyses WHERE last_used <= ?", (cutoff,))[0][0]
        self._execute("DELETE FROM analyses WHERE last_used <= ?", (cutoff,))
        return int(n)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> AnalysisCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AnalysisCache({str(self.path)!r})"


def open_cache(
    cache: bool | PathLike | AnalysisCache | None,
) -> tuple[AnalysisCache | None, bool]:
    """(the cache analyze_many should use, whether the caller of this must close it).
    True: the default location; False/None: none; a path: that file; an instance: as is.
    A cache that cannot be opened is skipped with a CacheWarning."""
    if cache is None or cache is False:
        return None, False
    if isinstance(cache, AnalysisCache):
        return cache, False
    path = None if cache is True else cache
    try:
        return AnalysisCache(path), True  # type: ignore[arg-type]
    except Exception as e:  # noqa: BLE001 - the batch goes on without a cache
        _warn(f"analysis cache unavailable ({e}); continuing without it", CacheWarning)
        return None, False


__all__ = [
    "AnalysisCache",
    "CacheKey",
    "CacheWarning",
    "CacheCorruptWarning",
    "default_cache_path",
    "make_key",
    "fingerprint",
    "cache_params",
    "encode_analysis",
    "decode_analysis",
]
