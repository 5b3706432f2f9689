"""Where tests save the screenshots they take: a folder under pytest's own temporary tree."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "CALLDESK_TEST_SHOTS"


def shots_dir() -> Path:
    """The session's screenshot folder (set by the conftest from ``tmp_path_factory``)."""
    folder = Path(os.environ[ENV])
    folder.mkdir(parents=True, exist_ok=True)
    return folder
