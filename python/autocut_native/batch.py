"""analyze_many: analyse many clips on worker threads within a memory budget, with the
persistent cache, failures as values and progress reporting.

The native analyze() releases the GIL for the whole pass, so plain threads scale across
cores without multiprocessing. The calling thread is the scheduler: it looks clips up
in the cache, probes the rest, starts each one only when its estimated decode footprint
fits the budget beside those running, records results, writes the cache and delivers
progress events. Every callback runs on the calling thread.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import count
from typing import Any, TextIO, Union

from ._core import MediaInfo, probe
from .analysis import ClipAnalysis, analyze
from .cache import AnalysisCache, CacheKey, make_key, open_cache

_BATCH_IDS = count(1)  # numbers each analyze_many call's worker threads

PathLike = Union[str, "os.PathLike[str]"]
Result = Union[ClipAnalysis, "AnalysisFailure"]

_ANALYZE_KWARGS = frozenset({"sample_fps", "skip", "hwaccel", "threads", "analysis_size"})
_SKIP_MODES = frozenset({"auto", "none", "default", "nonref", "nonkey"})


# ---- Results and events -------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisFailure:
    """A clip that could not be analysed: its path (as given), the exception's class name
    (e.g. "NoVideoStreamError") and message. `exception` is the original, or None when
    the failure crossed a process boundary."""

    path: str
    error_type: str
    message: str
    exception: BaseException | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_exception(cls, path: str, exc: BaseException) -> AnalysisFailure:
        return cls(path, type(exc).__name__, str(exc), exc)


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a batch, delivered to a `progress` callable on the calling thread.

    kind: "start" (before anything runs), "cached" (a cache hit), "clip_start" (a clip
    is handed to a worker), "clip_done", "clip_failed", "progress" (about twice a second
    while clips run) and "done" (last). `path`/`index` name the clip (None for batch-wide
    kinds); `result` is its ClipAnalysis or AnalysisFailure. Counts are clips: `done` =
    analysed + cached + failed, of `total`; `running` is how many are being analysed now.
    `frames` counts frames decoded in this batch; `frames_per_s` their rate since the
    start; `eta_s` the estimated seconds left (None until known).
    """

    kind: str
    path: str | None
    index: int | None
    done: int
    total: int
    analyzed: int
    cached: int
    failed: int
    running: int
    frames: int
    frames_per_s: float
    elapsed_s: float
    eta_s: float | None
    result: Result | None = field(default=None, repr=False)


# ---- Memory -------------------------------------------------------------------------


def _proc_status_bytes(field_name: str) -> int | None:
    """A `VmXXX:` line of /proc/self/status in bytes (Linux), else None."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(field_name.encode() + b":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


class MemoryMonitor:
    """Process and system memory, through psutil.

    `rss` is the resident set now, `system_percent` the share of the machine's RAM in
    use, `level` compares it with `warn_percent` / `critical_percent` (what analyze_many's
    governor reacts to: fewer workers at "warning", one at "critical").

    `peak_rss` is the highest RSS since the monitor was made, or since the outermost
    `with monitor:` block began; after that block it stays the block's peak. Inside a
    block a background thread samples RSS every `interval` seconds, and on Linux the
    kernel's exact high-water mark (VmHWM) is used whenever the block set a new one.
    """

    def __init__(self, *, warn_percent: float = 50.0, critical_percent: float = 65.0,
                 interval: float = 0.02):
        import psutil

        if not 0 <= warn_percent <= critical_percent:
            raise ValueError("need 0 <= warn_percent <= critical_percent")
        self.warn_percent = float(warn_percent)
        self.critical_percent = float(critical_percent)
        self.interval = float(interval)
        self._process = psutil.Process()
        self._psutil = psutil
        self._lock = threading.Lock()
        self._depth = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._final: int | None = None
        self._reset()

    # ---- Readings -----------------------------------------------------------------

    @property
    def rss(self) -> int:
        """Resident set size of this process now, bytes."""
        return int(self._process.memory_info().rss)

    @property
    def system_percent(self) -> float:
        """Share of the machine's RAM in use, percent (psutil.virtual_memory().percent)."""
        return float(self._psutil.virtual_memory().percent)

    @property
    def total_memory(self) -> int:
        return int(self._psutil.virtual_memory().total)

    @property
    def level(self) -> str:
        """"ok", "warning" (>= warn_percent) or "critical" (>= critical_percent)."""
        pct = self.system_percent
        if pct >= self.critical_percent:
            return "critical"
        if pct >= self.warn_percent:
            return "warning"
        return "ok"

    @property
    def peak_rss(self) -> int:
        """Highest RSS (bytes) since creation or the start of the current/last block."""
        if self._final is not None and self._depth == 0:
            return self._final
        return self._measure_peak()

    @staticmethod
    def process_peak_rss() -> int:
        """This process's lifetime peak RSS: VmHWM on Linux, getrusage elsewhere."""
        hwm = _proc_status_bytes("VmHWM")
        if hwm is not None:
            return hwm
        try:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return int(peak if sys.platform == "darwin" else peak * 1024)
        except ImportError:  # Windows
            import psutil

            return int(getattr(psutil.Process().memory_info(), "peak_wset", 0))

    # ---- Peak of a block ------------------------------------------------------------

    def _reset(self) -> None:
        self._start_hwm = _proc_status_bytes("VmHWM")
        self._sampled = self.rss

    def _measure_peak(self) -> int:
        now = self.rss
        with self._lock:
            self._sampled = max(self._sampled, now)
            peak = self._sampled
        hwm = _proc_status_bytes("VmHWM")
        if hwm is not None and self._start_hwm is not None and hwm > self._start_hwm:
            peak = max(peak, hwm)  # a new lifetime high was set inside: the exact peak
        return peak

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            now = self.rss
            with self._lock:
                if now > self._sampled:
                    self._sampled = now

    def __enter__(self) -> MemoryMonitor:
        self._depth += 1
        if self._depth == 1:
            self._final = None
            self._reset()
            self._stop.clear()
            self._thread = threading.Thread(target=self._sample, name="autocut-memory",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
                self._thread = None
            self._final = self._measure_peak()

    def __repr__(self) -> str:
        mib = 1 << 20
        return (f"MemoryMonitor(rss={self.rss / mib:.0f} MiB, peak_rss="
                f"{self.peak_rss / mib:.0f} MiB, system={self.system_percent:.0f}%)")


#: Frames a decoder may hold for reference, by codec: the reference slots of VP9 and AV1,
#: and for H.264/HEVC a generous phone/camera DPB (the standards allow up to 16).
REFERENCE_FRAMES: dict[str, int] = {
    "h264": 8, "hevc": 8, "vvc": 8, "av1": 8, "vp9": 8, "vp8": 3, "mpeg4": 2,
    "mpeg2video": 2, "mpeg1video": 2, "h263": 2, "mjpeg": 1, "prores": 1, "dnxhd": 1,
    "rawvideo": 1, "png": 1, "ffv1": 1,
}
DEFAULT_REFERENCE_FRAMES = 8
#: The analyzer's frame queue (3) plus the frame being measured.
QUEUE_FRAMES = 4
#: Picked frames a GOP decoder of sampled analysis may hold for the analyzer, and the most
#: GOP decoders one analysis runs (the native pool's, in cpp/media/decoder.cpp).
POOL_WAITING_FRAMES = 2
POOL_MAX_DECODERS = 8
#: Demuxer and codec state, the analysis grid's buffers, result arrays, thread stacks.
FIXED_OVERHEAD = 16 << 20


def estimate_footprint(info: MediaInfo | None, threads: int, sampled: bool = False) -> int:
    """Estimated bytes one analyze() of this clip holds at its peak:

        width x height x bytes per sample x chroma (1.5 for 4:2:0, 2 for 4:2:2, 3 for
        4:4:4) x (decoder threads + reference frames of the codec + QUEUE_FRAMES)
        + FIXED_OVERHEAD

    with sizes rounded up to 64 (decoders pad), threads 0 = every core, and 1080p 8-bit
    H.264 assumed when `info` is unknown. Files without video cost FIXED_OVERHEAD.
    Sampled analysis (`sampled`) with more than one thread decodes GOPs on that many
    single-threaded decoders (at most POOL_MAX_DECODERS), each with its own reference
    frames and up to POOL_WAITING_FRAMES picked frames waiting: decoders x (references +
    POOL_WAITING_FRAMES) + QUEUE_FRAMES frames.
    """
    if info is not None and not info.has_video:
        return FIXED_OVERHEAD
    width, height = (info.width, info.height) if info is not None else (1920, 1080)
    if width <= 0 or height <= 0:
        width, height = 1920, 1080
    depth = info.bit_depth if info is not None else 8
    pix_fmt = (info.pix_fmt if info is not None else None) or "yuv420p"
    codec = (info.codec if info is not None else None) or "h264"
    if "444" in pix_fmt or pix_fmt.startswith(("gbr", "rgb", "bgr")):
        chroma = 3.0
    elif "422" in pix_fmt:
        chroma = 2.0
    else:
        chroma = 1.5
    threads = threads if threads > 0 else _cpu_count()
    refs = REFERENCE_FRAMES.get(codec, DEFAULT_REFERENCE_FRAMES)
    frame = (-(-width // 64) * 64) * (-(-height // 64) * 64) * (1 if depth <= 8 else 2) * chroma
    frames = (min(threads, POOL_MAX_DECODERS) * (refs + POOL_WAITING_FRAMES)
              if sampled and threads > 1 else threads + refs)
    return int(frame * (frames + QUEUE_FRAMES)) + FIXED_OVERHEAD


def resolve_memory_limit(memory_limit: float | int | None, total: int | None = None) -> int:
    """Bytes: None = 40% of RAM, a float in (0, 1] = that share of RAM, else bytes."""
    if total is None:
        import psutil

        total = int(psutil.virtual_memory().total)
    if memory_limit is None:
        return int(0.4 * total)
    if isinstance(memory_limit, bool) or not isinstance(memory_limit, (int, float)):
        raise TypeError("memory_limit must be bytes (int) or a fraction of RAM (float)")
    if memory_limit <= 0:
        raise ValueError("memory_limit must be > 0")
    if isinstance(memory_limit, float) and memory_limit <= 1.0:
        return int(memory_limit * total)
    return int(memory_limit)


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


# ---- Progress bar -------------------------------------------------------------------


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m:02d}:{s % 60:02d}"


class ProgressBar:
    """The text bar progress=True shows: one line rewritten with \\r on `stream`."""

    def __init__(self, stream: TextIO | None = None, width: int = 24, interval: float = 0.1):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.interval = interval
        self._last = 0.0
        self._shown = 0

    def __call__(self, ev: ProgressEvent) -> None:
        now = time.monotonic()
        final = ev.kind == "done"
        if not final and ev.kind != "start" and now - self._last < self.interval:
            return
        self._last = now
        filled = int(self.width * ev.done / ev.total) if ev.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        extra = []
        if ev.cached:
            extra.append(f"{ev.cached} cached")
        if ev.failed:
            extra.append(f"{ev.failed} failed")
        note = f" ({', '.join(extra)})" if extra else ""
        tail = f"in {_clock(ev.elapsed_s)}" if final else f"ETA {_clock(ev.eta_s)}"
        line = (f"[{bar}] {ev.done}/{ev.total} clips{note}  {ev.frames_per_s:.0f} frames/s"
                f"  {tail}")
        pad = " " * max(0, self._shown - len(line))
        self._shown = len(line)
        self.stream.write("\r" + line + pad + ("\n" if final else ""))
        self.stream.flush()


# ---- The batch ----------------------------------------------------------------------


class _Cancelled(Exception):
    """Raised inside a worker's progress callback to stop its analysis early."""


def _check_analyze_kwargs(kw: dict[str, Any]) -> None:
    unknown = set(kw) - _ANALYZE_KWARGS
    if unknown:
        raise TypeError(f"analyze_many() got unexpected keyword argument(s) "
                        f"{', '.join(sorted(unknown))}")
    fps = kw.get("sample_fps")
    if fps is not None and not fps > 0:
        raise ValueError("sample_fps must be > 0")
    if "skip" in kw and kw["skip"] not in _SKIP_MODES:
        raise ValueError("skip must be 'auto', 'none', 'nonref' or 'nonkey'")
    if int(kw.get("analysis_size", 360)) < 16:
        raise ValueError("analysis_size must be >= 16")
    if int(kw.get("threads", 0)) < 0:
        raise ValueError("threads must be >= 0")


class _Batch:
    """State of one analyze_many call; run() on the calling thread."""

    def __init__(self, paths: Sequence[PathLike], *, workers: int | None,
                 cache: AnalysisCache | None, budget: int, monitor: MemoryMonitor,
                 on_error: str, emit: Callable[[ProgressEvent], Any] | None,
                 kw: dict[str, Any]):
        self.paths = list(paths)
        self.names = [os.fsdecode(os.fspath(p)) for p in self.paths]
        self.n = len(self.paths)
        self.requested_workers = workers
        self.cache = cache
        self.budget = budget
        self.monitor = monitor
        self.on_error = on_error
        self.emit_fn = emit
        self.kw = kw
        self.sampled = bool(kw.get("sample_fps"))
        self.results: list[Result | None] = [None] * self.n
        self.keys: dict[int, CacheKey] = {}
        self.infos: dict[int, MediaInfo] = {}
        self.estimates: dict[int, int] = {}
        self.expected: dict[int, int] = {}  # frames per clip to analyse (probe's count)
        self.live: dict[int, tuple[int, int]] = {}  # (done, total) of running clips
        self.frames_finished = 0
        self.units_done = 0.0
        self.analyzed = self.cached = self.failed = 0
        self.running: dict[Future, int] = {}
        self.in_use = 0
        self.cancel = threading.Event()
        self.t0 = time.monotonic()
        self.first_error: BaseException | None = None
        self.workers = 1
        self.threads = 1

    # ---- Events -------------------------------------------------------------------

    def frames(self) -> int:
        return self.frames_finished + sum(d for d, _ in list(self.live.values()))

    def eta(self, elapsed: float) -> float | None:
        """Seconds left, from the share of the expected frames (probe's counts) done so
        far: finished clips count whole, running ones by their progress reports."""
        total = sum(self.expected.values())
        done = self.units_done
        for i, (d, t) in list(self.live.items()):
            done += self.expected.get(i, 0) * min(1.0, d / t) if t > 0 else 0
        if total <= 0 or done <= 0 or elapsed <= 0:
            return None
        return max(0.0, (total - done) * elapsed / done)

    def emit(self, kind: str, index: int | None = None, result: Result | None = None) -> None:
        if self.emit_fn is None:
            return
        elapsed = time.monotonic() - self.t0
        frames = self.frames()
        left = self.n - (self.analyzed + self.cached + self.failed)
        self.emit_fn(ProgressEvent(
            kind=kind, path=None if index is None else self.names[index], index=index,
            done=self.n - left, total=self.n, analyzed=self.analyzed, cached=self.cached,
            failed=self.failed, running=len(self.running), frames=frames,
            frames_per_s=frames / elapsed if elapsed > 0 else 0.0, elapsed_s=elapsed,
            eta_s=0.0 if left == 0 else self.eta(elapsed), result=result))

    def fail(self, i: int, exc: BaseException) -> None:
        failure = AnalysisFailure.from_exception(self.names[i], exc)
        self.results[i] = failure
        self.failed += 1
        self.expected.pop(i, None)
        self.emit("clip_failed", i, failure)
        if self.on_error == "raise" and self.first_error is None:
            self.first_error = exc
            self.cancel.set()

    # ---- Phases -------------------------------------------------------------------

    def lookup_and_probe(self) -> list[int]:
        """Cache hits are answered; the rest are probed. Returns the clips to analyse."""
        todo = []
        for i, path in enumerate(self.paths):
            if self.first_error is not None:
                break
            if self.cache is not None:
                try:
                    self.keys[i] = make_key(path, **self.kw)
                except OSError:
                    pass  # missing or unreadable: probe says how, below
                else:
                    hit = self.cache.get_key(self.keys[i], self.names[i])
                    if hit is not None:
                        self.results[i] = hit
                        self.cached += 1
                        self.emit("cached", i, hit)
                        continue
            try:
                info = probe(path)
            except Exception as e:  # noqa: BLE001 - a bad file is a result, not an abort
                self.fail(i, e)
                continue
            self.infos[i] = info
            if info.frame_count > 0:
                self.expected[i] = info.frame_count
            elif info.duration > 0 and info.fps > 0:
                self.expected[i] = int(round(info.duration * info.fps))
            todo.append(i)
        return todo

    def plan(self, todo: list[int]) -> None:
        cores = _cpu_count()
        caller_threads = self.kw.get("threads")
        if self.requested_workers is None:
            probe_threads = caller_threads or 2
            typical = sorted(estimate_footprint(self.infos[i], probe_threads, self.sampled)
                             for i in todo)
            by_memory = self.budget // typical[len(typical) // 2] if typical else 1
            self.workers = max(1, min(len(todo), max(1, cores // 2), by_memory))
        else:
            self.workers = max(1, min(int(self.requested_workers), max(1, len(todo))))
        self.threads = (int(caller_threads) if caller_threads is not None
                        else max(1, round(cores / self.workers)))
        for i in todo:
            self.estimates[i] = estimate_footprint(self.infos[i], self.threads, self.sampled)

    def allowed(self) -> int:
        level = self.monitor.level
        if level == "critical":
            return 1
        if level == "warning":
            return max(1, self.workers // 2)
        return self.workers

    def work(self, i: int) -> ClipAnalysis:
        cancel, live = self.cancel, self.live

        def on_progress(done: int, total: int) -> None:
            live[i] = (done, total)
            if cancel.is_set():
                raise _Cancelled

        kw = dict(self.kw)
        kw["threads"] = self.threads
        return analyze(self.paths[i], progress=on_progress, **kw)

    def finish(self, fut: Future, i: int) -> None:
        self.in_use -= self.estimates[i]
        done_frames = self.live.pop(i, (0, 0))[0]
        exc = fut.exception()
        if exc is not None:
            self.frames_finished += done_frames
            if isinstance(exc, _Cancelled):
                return
            if not isinstance(exc, Exception):
                raise exc
            self.fail(i, exc)
            return
        a: ClipAnalysis = fut.result()
        self.frames_finished += a.frames_decoded
        self.units_done += self.expected.get(i, 0)
        self.results[i] = a
        self.analyzed += 1
        key = self.keys.get(i)
        if self.cache is not None and key is not None and self._unchanged(key):
            self.cache.put_key(key, a)
        self.emit("clip_done", i, a)

    @staticmethod
    def _unchanged(key: CacheKey) -> bool:
        """The file still has the size and mtime it was fingerprinted with (else the
        result may describe neither version: do not cache it)."""
        try:
            st = os.stat(key.path)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == (key.size, key.mtime_ns)

    def run(self) -> list[Result]:
        self.emit("start")
        todo = self.lookup_and_probe()
        if todo and self.first_error is None:
            self.plan(todo)
            self.schedule(todo)
        if self.first_error is not None:
            raise self.first_error
        self.emit("done")
        return self.results  # type: ignore[return-value]

    def schedule(self, todo: list[int]) -> None:
        pending = deque(todo)
        last_tick = time.monotonic()
        # A name of this batch's own: threads are joined by it below.
        prefix = f"autocut-analyze-{next(_BATCH_IDS)}"
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=prefix)
        try:
            while (pending and not self.cancel.is_set()) or self.running:
                limit = self.allowed()
                while pending and not self.cancel.is_set() and len(self.running) < limit:
                    i = pending[0]
                    # Always let one clip run, so a clip larger than the budget still goes.
                    if self.running and self.in_use + self.estimates[i] > self.budget:
                        break
                    pending.popleft()
                    self.in_use += self.estimates[i]
                    self.running[pool.submit(self.work, i)] = i
                    self.emit("clip_start", i)
                finished, _ = wait(list(self.running), timeout=0.25, return_when=FIRST_COMPLETED)
                for fut in finished:
                    i = self.running.pop(fut)
                    self.finish(fut, i)
                now = time.monotonic()
                if self.running and now - last_tick >= 0.5:
                    last_tick = now
                    self.emit("progress")
        except BaseException:
            self.cancel.set()
            raise
        finally:
            pool.shutdown(wait=True)
            # A Ctrl-C landing inside submit() can leave a worker started but not yet
            # known to the pool (so not joined by shutdown); it exits on the pool's
            # shutdown sentinel: wait for it too, so no thread outlives the call.
            for t in threading.enumerate():
                if t.name.startswith(prefix + "_") and t is not threading.current_thread():
                    t.join()


def analyze_many(
    paths: Iterable[PathLike],
    *,
    workers: int | None = None,
    cache: bool | PathLike | AnalysisCache | None = True,
    memory_limit: float | int | None = None,
    progress: bool | Callable[[ProgressEvent], Any] = False,
    on_error: str = "collect",
    monitor: MemoryMonitor | None = None,
    **analyze_kwargs: Any,
) -> list[Result]:
    """Analyse every clip; returns a list aligned with `paths` holding a ClipAnalysis
    per success and an AnalysisFailure per failure.

    workers: analysis threads (None: half the cores, fewer if the memory budget says
    so); each decodes with `threads` = cores / workers unless given. cache: True (the
    default location, see cache.default_cache_path), False, a file path or an
    AnalysisCache. memory_limit: budget for the estimated decode footprints of clips in
    flight (estimate_footprint), in bytes or as a fraction of RAM (default 0.4); a clip
    waits while it would not fit beside those running, but one always runs. While system
    memory is above `monitor.warn_percent` half the workers run, above
    `critical_percent` one. progress: True for a bar on stderr, or a callable receiving
    ProgressEvent. on_error: "collect" (failures are results) or "raise" (stop and
    re-raise the first). analyze_kwargs: sample_fps, skip, hwaccel, threads,
    analysis_size, as for analyze(). Ctrl-C stops the workers and raises
    KeyboardInterrupt.
    """
    if on_error not in ("collect", "raise"):
        raise ValueError("on_error must be 'collect' or 'raise'")
    if workers is not None and int(workers) < 1:
        raise ValueError("workers must be >= 1")
    _check_analyze_kwargs(analyze_kwargs)
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError("paths must be an iterable of paths, not a single path")
    paths = list(paths)
    monitor = monitor if monitor is not None else MemoryMonitor()
    budget = resolve_memory_limit(memory_limit, monitor.total_memory)
    if progress is True:
        emit: Callable[[ProgressEvent], Any] | None = ProgressBar()
    elif progress is False or progress is None:
        emit = None
    elif callable(progress):
        emit = progress
    else:
        raise TypeError("progress must be a bool or a callable")
    store, owned = open_cache(cache) if paths else (None, False)
    try:
        return _Batch(paths, workers=workers, cache=store, budget=budget, monitor=monitor,
                      on_error=on_error, emit=emit, kw=analyze_kwargs).run()
    finally:
        if owned and store is not None:
            store.close()


__all__ = [
    "analyze_many",
    "AnalysisFailure",
    "ProgressEvent",
    "MemoryMonitor",
    "ProgressBar",
    "estimate_footprint",
    "resolve_memory_limit",
]
