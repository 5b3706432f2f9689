"""Which open store holds an outbox operation in flight, and whether it still runs.

Every open :class:`~calldesk.store.local.LocalStore` takes a lease: a small lock file under the
data folder's ``owners/`` folder, locked by the OS for as long as the store is open. The kernel
drops the lock when the process ends, however it ends (``kill -9`` included), so another process
can tell an operation that a live calldesk is sending from one a dead calldesk left behind,
without trusting process ids (which are reused). Two ``calldesk sync`` at once, or a CLI sync
beside the window, therefore never reset (and resend) what the other has in flight.

A lease file is locked before it gets the name checkers look for, and its token reaches the
outbox only after that, so a checker never mistakes a lease being taken for a dead one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import weakref
from pathlib import Path
from typing import BinaryIO

#: The most stale lease files one start-up clears (the rest go on later start-ups).
CLEANUP_LIMIT = 64

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: BinaryIO) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: BinaryIO) -> None:
        handle.seek(0)
        with contextlib.suppress(OSError):
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: BinaryIO) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: BinaryIO) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ProcessLease:
    """This open store's lease: held until :meth:`release` or the process ends."""

    def __init__(self, folder: Path, token: str, handle: BinaryIO) -> None:
        self.folder = folder
        self.token = token
        self._handle: BinaryIO | None = handle
        # A lease dropped without release (a store abandoned, as a crash leaves it) ends like
        # its process would: the lock goes with the handle; the file stays for a checker.
        self._finalizer = weakref.finalize(self, handle.close)

    @classmethod
    def take(cls, folder: Path) -> ProcessLease:
        """Create and lock a new lease file in ``folder`` (clearing a few dead ones first)."""
        folder.mkdir(parents=True, exist_ok=True)
        clear_dead(folder)
        token = f"{os.getpid()}-{secrets.token_hex(6)}"
        # Locked under a name no checker looks at, then renamed (the lock stays with the file):
        # a checker never sees the lease file unlocked.
        # (Windows cannot rename an open file: there the file is locked under its final name.)
        taking = folder / f"{token}.{'lock' if sys.platform == 'win32' else 'taking'}"
        handle = taking.open("a+b")
        if not _try_lock(handle):  # a brand-new file: nobody else can hold it
            handle.close()
            raise OSError(f"could not lock the new lease file in {folder}")
        try:
            if taking.suffix != ".lock":
                os.replace(taking, folder / f"{token}.lock")
        except OSError:
            handle.close()
            with contextlib.suppress(OSError):
                taking.unlink()
            raise
        return cls(folder, token, handle)

    def release(self) -> None:
        """Unlock and remove the lease file (idempotent)."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            (self.folder / f"{self.token}.lock").unlink()
        with contextlib.suppress(OSError):
            _unlock(handle)
        self._finalizer()


def is_alive(folder: Path, token: str) -> bool:
    """Whether the store that took lease ``token`` is still open in a running process."""
    if not token or "/" in token or "\\" in token or token.startswith("."):
        return False
    path = folder / f"{token}.lock"
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: the safe side is "someone holds it"
    with handle:
        if not _try_lock(handle):
            return True
        _unlock(handle)
    with contextlib.suppress(OSError):
        path.unlink()
    return False


def clear_dead(folder: Path, limit: int = CLEANUP_LIMIT) -> int:
    """Remove up to ``limit`` lease files whose holders are gone; how many were removed."""
    removed = 0
    with contextlib.suppress(OSError):
        for path in folder.glob("*.lock"):
            if removed >= limit:
                break
            if not is_alive(folder, path.stem):
                removed += 1
    return removed
