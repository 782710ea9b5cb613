"""Plots for people: per-clip metric timelines and the beat grid (matplotlib, optional)."""

from __future__ import annotations

import os
from collections.abc import Sequence


class PlotUnavailableError(RuntimeError):
    """matplotlib is not installed (pip install 'autocut_native[plot]')."""


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise PlotUnavailableError(
            "plots need matplotlib: pip install 'autocut_native[plot]' (or pip install matplotlib)"
        ) from exc
    return plt


def plot_analyses(analyses: Sequence, path: str | os.PathLike[str]) -> None:
    """One row per clip: quality, sharpness, motion and shake over time; scene cuts as
    vertical lines. Writes a PNG."""
    plt = _pyplot()
    clips = [a for a in analyses if hasattr(a, "times")]
    if not clips:
        raise ValueError("nothing to plot: no analysed clip")
    fig, axes = plt.subplots(len(clips), 1, figsize=(11, 2.2 * len(clips) + 0.6), squeeze=False)
    for ax, a in zip(axes[:, 0], clips):
        t = a.times
        ax.plot(t, a.quality, color="black", lw=1.6, label="quality")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("quality")
        twin = ax.twinx()

        def norm(x):
            top = float(x.max()) if len(x) and x.max() > 0 else 1.0
            return x / top

        twin.plot(t, norm(a.sharpness), lw=0.9, color="tab:blue", label="sharpness (norm.)")
        twin.plot(t, norm(a.motion), lw=0.9, color="tab:orange", label="motion (norm.)")
        twin.plot(t, norm(a.shake), lw=0.9, color="tab:red", label="shake (norm.)")
        twin.set_ylim(0, 1.05)
        twin.set_yticks([])
        for c in a.scene_cuts:
            ax.axvline(c, color="tab:purple", ls="--", lw=1)
        ax.set_title(f"{os.path.basename(a.path)}  (median quality {a.summary()['quality']:.2f})",
                     fontsize=9, loc="left")
        ax.set_xlim(0, max(a.end_time, 1e-3))
    axes[-1, 0].set_xlabel("time (s)")
    handles = axes[0, 0].get_legend_handles_labels()
    twin_handles = fig.axes[1].get_legend_handles_labels() if len(fig.axes) > 1 else ([], [])
    fig.legend(handles[0] + twin_handles[0], handles[1] + twin_handles[1], loc="upper right",
               fontsize=8, ncol=4)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(os.fspath(path), dpi=90)
    plt.close(fig)


def plot_beats(track, path: str | os.PathLike[str], title: str = "") -> None:
    """The onset envelope with beats (thin) and downbeats (thick). Writes a PNG."""
    import numpy as np

    plt = _pyplot()
    env = np.asarray(track.onset_envelope, dtype=np.float64)
    t = track.onset_start + np.arange(len(env)) / max(track.onset_rate, 1e-9)
    fig, ax = plt.subplots(figsize=(11, 3))
    ax.plot(t, env, color="tab:gray", lw=0.8, label="onset strength")
    for i, b in enumerate(track.beats):
        ax.axvline(b, color="tab:blue", lw=0.6, alpha=0.8, label="beats" if i == 0 else None)
    for i, b in enumerate(track.downbeats):
        ax.axvline(b, color="tab:red", lw=1.6, label="downbeats" if i == 0 else None)
    ax.set_xlabel("time (s)")
    ax.set_title(title or f"{track.tempo:.1f} BPM, {len(track.beats)} beats, "
                 f"confidence {track.confidence:.2f}", fontsize=9, loc="left")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=90)
    plt.close(fig)
