"""Recording files: check that a dropped file is audio (by its bytes), read its length, copy it.

``filetype`` sniffs the container from the file's first bytes (the extension is never trusted)
and ``mutagen`` reads the duration. calldesk never modifies the rep's file: it keeps its own
entry for it in its private recordings folder (a hard link where the folder is on the same file
system — no bytes copied, and the rep may move or delete the original — else a copy) and uploads
that, removing it once the CRM confirms.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import filetype

#: The largest recording calldesk accepts (the vendors document no limit; this keeps memory,
#: disk and upload times sane for a phone call: 200 MiB is ~3.5 hours of 128 kbit/s MP3).
MAX_RECORDING_BYTES = 200 * 1024 * 1024

_AUDIO_EXTENSIONS = {"mp3", "wav", "ogg", "oga", "opus", "m4a", "aac", "flac", "amr", "webm", "mp4"}


class RecordingRejected(ValueError):
    """The file cannot be attached; the message says why in a rep's words."""


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """What calldesk learned about a recording file."""

    path: Path
    mime: str
    size: int
    duration_s: int | None

    @property
    def size_text(self) -> str:
        """The size for people: ``4.2 MB``."""
        size = float(self.size)
        for unit in ("B", "KB", "MB", "GB"):
            if size < 1000 or unit == "GB":
                return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
            size /= 1000
        return f"{size:.1f} GB"


def inspect_recording(path: Path, max_bytes: int = MAX_RECORDING_BYTES) -> RecordingInfo:
    """Check ``path`` is an audio file within the size limit and read its length."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RecordingRejected(f"Can't read {path.name}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise RecordingRejected(f"{path.name} is not a file")
    if size == 0:
        raise RecordingRejected(f"{path.name} is empty")
    if size > max_bytes:
        raise RecordingRejected(
            f"{path.name} is {size / 1e6:.0f} MB; "
            f"recordings can be at most {max_bytes / 1e6:.0f} MB"
        )
    try:
        kind = filetype.guess(str(path))
    except OSError as exc:
        raise RecordingRejected(f"Can't read {path.name}: {exc.strerror or exc}") from None
    if kind is None or not (kind.mime.startswith("audio/") or kind.extension in _AUDIO_EXTENSIONS):
        found = f" (it looks like {kind.mime})" if kind is not None else ""
        raise RecordingRejected(f"{path.name} is not an audio file{found}")
    import mutagen  # imported on first use: the window paints before any recording is read

    duration: int | None = None
    try:
        audio = mutagen.File(str(path))
        length = getattr(getattr(audio, "info", None), "length", None)
        if isinstance(length, (int, float)) and length > 0:
            duration = round(length)
    except Exception:  # mutagen raises many types on odd files; length is optional
        duration = None
    return RecordingInfo(path=path, mime=kind.mime, size=size, duration_s=duration)


def keep_copy(info: RecordingInfo, folder: Path) -> Path:
    """Keep the recording in calldesk's own (private) folder; the rep's file is never touched.

    A hard link when the folder is on the file's file system (instant, whatever the size; its
    mode is the rep's file's, so it is not changed), otherwise a copy readable only by the user.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{info.path.suffix.lower()}"
    try:
        os.link(info.path, target)
    except OSError:  # another file system, or links not allowed there: copy the bytes
        _copy(info.path, target)
    return target


def _copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` (user-only); a failed copy leaves no partial file."""
    try:
        shutil.copyfile(source, target)
        target.chmod(0o600)
    except OSError as exc:
        target.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise OSError(
                f"the disk is full: the recording could not be copied into {target.parent} "
                "(nothing was attached; free some space and try again)"
            ) from exc
        raise
