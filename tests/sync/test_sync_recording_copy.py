"""calldesk's own entry for a dropped recording: instant at any size, the rep's file untouched."""

from __future__ import annotations

import stat
from pathlib import Path

from calldesk.sync.recordings import RecordingInfo, keep_copy


def test_the_kept_recording_outlives_the_original_which_is_never_changed(tmp_path: Path) -> None:
    original = tmp_path / "Downloads" / "call.mp3"
    original.parent.mkdir()
    original.write_bytes(b"ID3" + b"\x01" * 4096)
    original.chmod(0o644)
    info = RecordingInfo(path=original, mime="audio/mpeg", size=4099, duration_s=None)
    kept = keep_copy(info, tmp_path / "calldesk" / "recordings")
    assert stat.S_IMODE(original.stat().st_mode) == 0o644  # the rep's file keeps its mode
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700  # calldesk's folder is private
    original.unlink()  # the rep tidies up before the upload went
    assert kept.read_bytes() == b"ID3" + b"\x01" * 4096
    kept.unlink()  # and calldesk removing its entry after the upload leaves nothing behind
    assert list(kept.parent.iterdir()) == []
