"""A damaged local database stops the window with a plain message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_damaged_database_gives_a_plain_message_and_exit_1(calldesk_home: Path) -> None:
    data = calldesk_home / "data"
    data.mkdir(parents=True)
    database = data / "calldesk.sqlite3"
    garbage = bytes(range(256)) * 32
    database.write_bytes(garbage)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALLDESK_HOME": str(calldesk_home)}
    result = subprocess.run(
        [sys.executable, "-m", "calldesk"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"calldesk can't open its local database ({database})" in result.stderr
    assert "move it aside" in result.stderr
    assert database.read_bytes() == garbage  # nothing was changed
