from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mediagen import MediaFactory  # noqa: E402


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> MediaFactory:
    """Fixture media, generated once per session (AUTOCUT_TEST_MEDIA keeps it across runs)."""
    keep = os.environ.get("AUTOCUT_TEST_MEDIA")
    root = Path(keep) if keep else tmp_path_factory.mktemp("media")
    return MediaFactory(root)
