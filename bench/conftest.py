"""Benchmark suite: autocut_native against its peers, each run in its own process.

    python -m pytest bench --scale small                       # measure
    python -m pytest bench --scale seed --benchmark-save=seed  # the issue's workload
    python -m pytest bench -q --benchmark-disable --scale tiny # CI: does it still work?
    python bench/report.py --scale seed                        # bench/RESULTS.md + PNG

Every test runs one tool over one workload in a child process (bench/runner.py), which
reports the work's wall time and peak RSS; pytest-benchmark times the child as a whole
(so saved runs can be compared) and keeps the child's report in extra_info. Each record
is also appended to bench/.media/<scale>/results.jsonl, which bench/report.py reads.
"""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import workloads  # noqa: E402

RUNNER = BENCH / "runner.py"
CHILD_TIMEOUT_S = 3600
PACKAGES = ("autocut_native", "numpy", "av", "opencv-python-headless", "moviepy", "librosa",
            "pytest-benchmark", "psutil")


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("autocut bench")
    g.addoption("--scale", choices=workloads.SCALES, default="small",
                help="workload size: tiny (CI smoke), small (~8 clips), seed (68 clips)")
    g.addoption("--bench-rounds", type=int, default=1,
                help="runs of each child process (median wall time, largest peak RSS)")
    g.addoption("--bench-results", default=None,
                help="JSON-lines file the records are appended to "
                     "(default bench/.media/<scale>/results.jsonl)")


def has_module(name: str) -> bool:
    """Whether `name` can be imported, without importing it here (a peer's import can be
    slow or warn; the children import it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def package_versions() -> dict[str, str]:
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0.0
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) / 1024 / 1024
                    break
    except OSError:
        pass
    osname = platform.platform()
    try:
        with open("/etc/os-release") as f:
            rel = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        osname = rel.get("PRETTY_NAME", osname).strip('"') + f" (kernel {platform.release()})"
    except OSError:
        pass
    ff = subprocess.run([workloads.FFMPEG, "-version"], capture_output=True, text=True).stdout
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1),
        "os": osname,
        "python": platform.python_version(),
        "ffmpeg": ff.split("\n", 1)[0] if ff else "not found",
        "packages": package_versions(),
    }


def _children_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Bench:
    """Session state: the scale, its workload and where records go."""

    def __init__(self, config: pytest.Config) -> None:
        self.scale: str = config.getoption("--scale")
        self.rounds: int = max(1, config.getoption("--bench-rounds"))
        self.root = workloads.MEDIA / self.scale
        results = config.getoption("--bench-results")
        self.results = Path(results) if results else self.root / "results.jsonl"
        self.run_id = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        self._manifest: workloads.Manifest | None = None

    @property
    def manifest(self) -> workloads.Manifest:
        if self._manifest is None:
            self._manifest = workloads.ensure(
                self.scale, self.root, log=lambda m: print(f"[bench] making {m}", flush=True))
            self.results.parent.mkdir(parents=True, exist_ok=True)
            info = machine_info()
            info.update(scale=self.scale, run_id=self.run_id, clips=len(self._manifest.clips),
                        tracks=len(self._manifest.tracks))
            (self.results.parent / "machine.json").write_text(json.dumps(info, indent=1))
        return self._manifest

    def out_dir(self) -> Path:
        d = self.root / "out"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def child(self, tool: str, args: dict) -> dict:
        before = _children_cpu()
        res = subprocess.run([sys.executable, str(RUNNER), tool, json.dumps(args)],
                             capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
        if res.returncode != 0:
            raise RuntimeError(f"{tool} failed (exit {res.returncode}):\n{res.stderr[-4000:]}")
        out = json.loads(res.stdout.strip().splitlines()[-1])
        # CPU seconds (user + system) of the child and every process it waited for, imports
        # included: the work done, much less sensitive than wall time to a busy machine.
        out["cpu_s"] = _children_cpu() - before
        return out

    def measure(self, benchmark, workload: str, label: str, tool: str, args: dict) -> dict:
        """Runs the child --bench-rounds times under pytest-benchmark; records the result."""
        runs: list[dict] = []
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        benchmark.pedantic(lambda: runs.append(self.child(tool, args)), rounds=self.rounds,
                           iterations=1, warmup_rounds=0)
        last = runs[-1]
        rec = {
            "run_id": self.run_id, "scale": self.scale, "workload": workload, "label": label,
            "tool": tool, "rounds": len(runs),
            "wall_s": statistics.median(r["wall_s"] for r in runs),
            "cpu_s": statistics.median(r["cpu_s"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "base_rss_mb": last["base_rss_mb"], "process_s": last["process_s"],
            "import_s": last["import_s"], "rss_source": last["rss_source"],
            "wall_rounds": [r["wall_s"] for r in runs],
            "items": last["items"], "extra": last["extra"],
            # 1-minute load average before and after: other work on the machine skews times.
            "load": [load, os.getloadavg()[0] if load is not None else None],
        }
        for k in ("peak_rss_self_mb", "subprocesses"):
            if k in last:
                rec[k] = last[k]
        benchmark.extra_info.update({k: v for k, v in rec.items() if k != "items"})
        self.record(rec)
        return rec

    def record(self, rec: dict) -> None:
        """Appends a record (measured or a fact about the run) to the results file."""
        rec = {"run_id": self.run_id, "scale": self.scale, **rec}
        self.results.parent.mkdir(parents=True, exist_ok=True)
        with open(self.results, "a") as f:
            f.write(json.dumps(rec) + "\n")


@pytest.fixture(scope="session")
def bench(pytestconfig: pytest.Config) -> Bench:
    return Bench(pytestconfig)


@pytest.fixture(scope="session")
def manifest(bench: Bench) -> workloads.Manifest:
    return bench.manifest


@pytest.fixture(scope="session")
def clip_paths(manifest: workloads.Manifest) -> list[str]:
    return [c["path"] for c in manifest.clips]


@pytest.fixture(scope="session")
def require():
    """require(label, modules): skips the test, naming what is missing, unless every
    module can be imported (peers are optional: the CI run has only the test extras)."""

    def check(label: str, modules) -> None:
        missing = [m for m in modules if not has_module(m)]
        if missing:
            pytest.skip(f"{label}: {', '.join(missing)} not installed")

    return check
