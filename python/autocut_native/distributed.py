"""Analysis across machines with Dask: one task per file.

Each task runs analyze() on whichever worker Dask picks and sends back `to_dict()` (plain
lists and numbers, so nothing native crosses the wire); the results are rebuilt into
ClipAnalysis here. Workers need autocut_native installed and the same paths readable
(a shared filesystem). Needs the `dask` extra: pip install "autocut_native[dask]".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Union

from . import errors
from .analysis import ClipAnalysis, analyze
from .batch import AnalysisFailure, _check_analyze_kwargs, _cpu_count

PathLike = Union[str, "os.PathLike[str]"]

_MISSING = ("analyze_dask needs dask.distributed, which is not installed: "
            'pip install "autocut_native[dask]"')


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as e:
        raise ImportError(_MISSING) from e
    return distributed


def task_threads(cpus_per_task: int | None = None) -> int:
    """Decoder threads for a task on this Dask worker: `cpus_per_task` when tasks reserve
    a "CPU" resource, else the worker's CPUs (its "CPU" resource, or the machine's cores)
    shared among the tasks it runs at once (its nthreads)."""
    if cpus_per_task:
        return max(1, int(cpus_per_task))
    try:
        worker = _distributed().get_worker()
    except (ImportError, ValueError):
        return _cpu_count()
    state = getattr(worker, "state", worker)
    resources = getattr(state, "total_resources", None) or {}
    cpus = int(resources.get("CPU", 0)) or _cpu_count()
    nthreads = int(getattr(state, "nthreads", 1) or 1)
    return max(1, cpus // nthreads)


def _analyze_task(path: str, kw: dict[str, Any], cpus_per_task: int | None) -> dict[str, Any]:
    """Runs on a worker. Always returns: {"ok": to_dict()} or {"error": (type, message)}."""
    kw = dict(kw)
    if kw.get("threads") is None:
        kw["threads"] = task_threads(cpus_per_task)
    try:
        return {"ok": analyze(path, **kw).to_dict()}
    except Exception as e:  # noqa: BLE001 - a bad file is a result, not a lost task
        return {"error": (type(e).__name__, str(e))}


def _rebuild(path: str, out: dict[str, Any]) -> ClipAnalysis | AnalysisFailure:
    if "error" in out:
        error_type, message = out["error"]
        return AnalysisFailure(path, error_type, message)
    a = ClipAnalysis.from_dict(out["ok"])
    if isinstance(a.params.get("grid"), list):
        a.params["grid"] = tuple(a.params["grid"])
    return a


def analyze_dask(
    paths: Iterable[PathLike],
    client: Any = None,
    *,
    cpus_per_task: int | None = None,
    on_error: str = "collect",
    **analyze_kwargs: Any,
) -> list[ClipAnalysis | AnalysisFailure]:
    """Analyse each path as one Dask task; a list aligned with `paths` of ClipAnalysis
    and AnalysisFailure, like analyze_many.

    client: a distributed.Client (None: the current default client). Each task decodes
    with threads = task_threads(): with `cpus_per_task`, tasks reserve that many of each
    worker's "CPU" resource (start workers with `--resources CPU=<cores>`) and use as
    many threads; otherwise a worker's cores are split among its nthreads. An explicit
    `threads=` wins. on_error="raise" raises the first failure (in path order) as its
    autocut_native error class. analyze_kwargs: as for analyze() (no progress).
    """
    distributed = _distributed()
    if on_error not in ("collect", "raise"):
        raise ValueError("on_error must be 'collect' or 'raise'")
    _check_analyze_kwargs(analyze_kwargs)
    if client is None:
        client = distributed.get_client()
    names = [os.fsdecode(os.fspath(p)) for p in paths]
    resources = {"CPU": cpus_per_task} if cpus_per_task else None
    futures = [client.submit(_analyze_task, name, analyze_kwargs, cpus_per_task, pure=False,
                             resources=resources) for name in names]
    try:
        outs = client.gather(futures)
    finally:
        for f in futures:
            f.release()
    results = [_rebuild(name, out) for name, out in zip(names, outs)]
    if on_error == "raise":
        for r in results:
            if isinstance(r, AnalysisFailure):
                cls = getattr(errors, r.error_type, None)
                if not (isinstance(cls, type) and issubclass(cls, errors.Error)):
                    cls = errors.Error
                raise cls(r.message)
    return results


__all__ = ["analyze_dask", "task_threads"]
