"""A full disk is named as such (and where), and leaves no partial recording copy.

The disk is made "full" for real in a child process with ``RLIMIT_FSIZE`` (writes past the limit
fail with ``EFBIG``, as they fail with ``ENOSPC`` on a full disk), so no loop device is needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, resource, signal, sys
from pathlib import Path
from calldesk.domain.model import Operation
from calldesk.store.db import StoreEnvironmentError
from calldesk.store.local import LocalStore
from calldesk.store.records import CallRow
from calldesk.sync.recordings import RecordingInfo, keep_copy

home = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing
store = LocalStore.open(home / "calldesk.db")
store.outbox.save_new("a", {"note": "before the disk filled"}, CallRow(), "")
limit = max(p.stat().st_size for p in home.iterdir() if p.is_file()) + 128 * 1024
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
out = {"db": None, "saved": 0, "copy": None}
try:
    for n in range(10_000):
        store.outbox.save_new("a", {"note": "x" * 4000 + str(n)}, CallRow(), "")
        out["saved"] += 1
except StoreEnvironmentError as exc:
    out["db"] = str(exc)
source = Path(sys.argv[2])  # on another file system: the recording is copied, not linked
info = RecordingInfo(path=source, mime="audio/wav", size=source.stat().st_size, duration_s=1)
try:
    keep_copy(info, home / "recordings")
except OSError as exc:
    out["copy"] = str(exc)
out["left"] = sorted(p.name for p in (home / "recordings").iterdir())
print(json.dumps(out))
"""


def test_a_full_disk_is_named_and_a_partial_recording_copy_removed(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(dir="/dev/shm") as elsewhere:
        source = Path(elsewhere) / "talk.wav"
        source.write_bytes(b"RIFF" + b"\0" * (2 * 1024 * 1024))
        assert source.stat().st_dev != tmp_path.stat().st_dev
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(tmp_path), str(source)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["saved"] > 0
    assert out["db"].startswith("the disk is full: calldesk could not write the local database")
    assert str(tmp_path) in out["db"]
    assert "disk I/O error" not in out["db"]
    assert out["copy"].startswith("the disk is full: the recording could not be copied")
    assert out["left"] == []
