"""Beat tracking of the music tracks: detect_beats against librosa.load + beat_track."""

from __future__ import annotations

import pytest

TOOLS = {"detect_beats": ("autocut_native",), "librosa": ("librosa",)}


@pytest.mark.benchmark(group="beats")
@pytest.mark.parametrize("label", list(TOOLS))
def test_beats(benchmark, bench, require, manifest, label):
    require(label, TOOLS[label])
    tracks = [{"path": t["path"], "beats": t["beats"]} for t in manifest.tracks]
    rec = bench.measure(benchmark, "beats", label, label, {"tracks": tracks})
    assert len(rec["items"]) == len(tracks)
