"""The SQLite database file: opening it safely, its pragmas, transactions and the error split.

One :class:`Database` wraps one ``sqlite3`` connection, which belongs to the thread that opened
it (services reach it through :class:`calldesk.store.worker.DbWorker`). The file is created with
mode 0600 before SQLite opens it; SQLite gives the ``-wal``/``-shm`` files the same mode (they are
also chmodded defensively). Durability: WAL journal with ``synchronous=FULL``, so a committed
transaction survives a killed process and a power cut.

Errors follow qutebrowser's split: :class:`StoreEnvironmentError` is the user's environment (disk
full, read-only, locked, corrupt, unreadable) and is shown as a message; :class:`StoreBugError` is
a programming error (bad SQL, constraint violation, misuse) and should surface as a crash report.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeAlias

from calldesk.domain.model import JSONValue

SqlParams: TypeAlias = Sequence[Any] | Mapping[str, Any]

BUSY_TIMEOUT_MS = 5000
FILE_MODE = 0o600
DIR_MODE = 0o700

# Primary SQLite result codes that mean "the user's environment", not a bug.
_ENVIRONMENT_CODES = frozenset(
    {
        3,  # SQLITE_PERM
        5,  # SQLITE_BUSY
        6,  # SQLITE_LOCKED
        7,  # SQLITE_NOMEM
        8,  # SQLITE_READONLY
        10,  # SQLITE_IOERR
        11,  # SQLITE_CORRUPT
        13,  # SQLITE_FULL
        14,  # SQLITE_CANTOPEN
        15,  # SQLITE_PROTOCOL
        26,  # SQLITE_NOTADB
    }
)


class StoreError(Exception):
    """Base of every error the local store raises."""


class StoreEnvironmentError(StoreError):
    """The database cannot be used because of the user's environment (disk, permissions, lock)."""


class StoreBugError(StoreError):
    """The store was used wrongly or an SQL statement is broken: a bug in calldesk."""


def classify(error: sqlite3.Error, where: Path | None = None) -> StoreError:
    """Map an ``sqlite3`` error to the environment or the bug side of the split.

    A write that failed for want of space (``SQLITE_FULL``, or an I/O error while the disk
    holding ``where`` has almost nothing free) says so, and where.
    """
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int) and _out_of_space(code, where):
        return StoreEnvironmentError(disk_full_message("the local database", where))
    if isinstance(code, int) and (code & 0xFF) in _ENVIRONMENT_CODES:
        return StoreEnvironmentError(f"local database unusable: {error}")
    if isinstance(error, sqlite3.OperationalError) and code is None:
        # Errors raised before a statement runs (e.g. opening) carry no code; their text decides.
        text = str(error).lower()
        markers = ("locked", "disk", "readonly", "read-only", "unable to open", "malformed")
        if any(marker in text for marker in markers):
            return StoreEnvironmentError(f"local database unusable: {error}")
    return StoreBugError(f"local database misuse: {error}")


#: Below this many free bytes, a failed write is taken as a full disk.
NEARLY_FULL = 1024 * 1024
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
_SQLITE_IOERR_WRITE = 778


def _out_of_space(code: int, where: Path | None) -> bool:
    if code & 0xFF == _SQLITE_FULL or code == _SQLITE_IOERR_WRITE:
        return True
    return code & 0xFF == _SQLITE_IOERR and free_bytes(where) < NEARLY_FULL


def free_bytes(where: Path | None) -> int:
    """Free bytes on the disk holding ``where`` (a large number when unknown)."""
    if where is None:
        return 1 << 62
    folder = where if where.is_dir() else where.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 1 << 62


def disk_full_message(what: str, where: Path | None) -> str:
    """The rep's sentence for a write that ran out of space."""
    folder = "" if where is None else f" in {where if where.is_dir() else where.parent}"
    return (
        f"the disk is full: calldesk could not write {what}{folder}; "
        "free some space (or raise the file-size limit) and try again — nothing was lost"
    )


@contextlib.contextmanager
def translate_errors(where: Path | None = None) -> Iterator[None]:
    """Re-raise ``sqlite3`` and ``OSError`` failures as :class:`StoreError` subclasses
    (``where``: the database file, to name a full disk)."""
    try:
        yield
    except sqlite3.Error as error:
        raise classify(error, where) from error
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise StoreEnvironmentError(disk_full_message("the local database", where)) from error
        raise StoreEnvironmentError(f"local database file: {error}") from error


def encode_time(value: datetime | None) -> str | None:
    """Store a datetime as fixed-width UTC text that sorts and round-trips exactly.

    Naive datetimes are taken as UTC.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decode_time(value: str | None) -> datetime | None:
    """Read a datetime written by :func:`encode_time`."""
    if value is None:
        return None
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def encode_json(value: Mapping[str, JSONValue] | None) -> str | None:
    """Serialise wire fields (or any JSON mapping) compactly; ``None`` stays NULL."""
    if value is None:
        return None
    return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def decode_json(value: str | None) -> dict[str, JSONValue] | None:
    """Parse a JSON mapping written by :func:`encode_json`."""
    if value is None:
        return None
    decoded = json.loads(value)
    if not isinstance(decoded, dict):
        raise StoreBugError(f"expected a JSON object in the database, got {type(decoded).__name__}")
    return decoded


def _create_private_file(path: Path) -> None:
    """Create ``path`` with mode 0600 if missing, and tighten an existing file to 0600."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE)
    os.close(fd)
    if (path.stat().st_mode & 0o777) != FILE_MODE:
        os.chmod(path, FILE_MODE)


class Database:
    """One SQLite connection to the calldesk database file, migrated to the latest schema.

    Use it from the thread that opened it only (``sqlite3`` enforces this). Write with
    :meth:`transaction` (``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception), read
    with :meth:`query`/:meth:`query_one`.
    """

    def __init__(self, path: Path, *, migrate: bool = True) -> None:
        self.path = path
        with translate_errors(self.path):
            _create_private_file(path)
            self._conn = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            )
        self._in_transaction = False
        self._closed = False
        try:
            with translate_errors(self.path):
                self._conn.row_factory = sqlite3.Row
                self._configure()
                self._tighten_sidecar_files()
            if migrate:
                from calldesk.store.migrations import migrate as run_migrations

                run_migrations(self)
        except BaseException:
            self._conn.close()
            raise

    def _configure(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreEnvironmentError(
                f"local database {self.path} cannot use WAL journaling (got {mode!r}); "
                "is it on a network drive?"
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA temp_store = MEMORY")

    def _tighten_sidecar_files(self) -> None:
        for suffix in ("-wal", "-shm"):
            sidecar = self.path.with_name(self.path.name + suffix)
            with contextlib.suppress(FileNotFoundError):
                if (sidecar.stat().st_mode & 0o777) != FILE_MODE:
                    os.chmod(sidecar, FILE_MODE)

    @property
    def connection(self) -> sqlite3.Connection:
        """The raw connection, for migrations and tests."""
        return self._conn

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._closed

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """Run a write transaction; nested use joins the outer transaction.

        ``durable=False`` commits with ``synchronous=NORMAL`` (no ``fsync``): still atomic and
        consistent, but a power cut before the next durable commit (whose ``fsync`` covers the
        whole WAL) may lose it. Only for data the store can rebuild, such as the search index.
        """
        if self._in_transaction:
            yield self._conn
            return
        if durable:
            with self._transaction() as conn:
                yield conn
            return
        with translate_errors(self.path):
            self._conn.execute("PRAGMA synchronous = NORMAL")
        try:
            with self._transaction() as conn:
                yield conn
        finally:
            with translate_errors(self.path):
                self._conn.execute("PRAGMA synchronous = FULL")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with translate_errors(self.path):
            self._conn.execute("BEGIN IMMEDIATE")
        self._in_transaction = True
        try:
            with translate_errors(self.path):
                yield self._conn
                self._conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise
        finally:
            self._in_transaction = False

    def query(self, sql: str, params: SqlParams = ()) -> list[sqlite3.Row]:
        """Run a read statement and return all rows."""
        with translate_errors(self.path):
            return self._conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: SqlParams = ()) -> sqlite3.Row | None:
        """Run a read statement and return its first row, if any."""
        with translate_errors(self.path):
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def pragma(self, name: str) -> Any:
        """Return the value of a read-only ``PRAGMA name`` query (for diagnostics and tests)."""
        if not name.replace("_", "").isalnum():
            raise StoreBugError(f"not a pragma name: {name!r}")
        row = self.query_one(f"PRAGMA {name}")
        return None if row is None else row[0]

    def close(self) -> None:
        """Checkpoint the WAL and close the connection (idempotent)."""
        with translate_errors(self.path):
            with contextlib.suppress(sqlite3.ProgrammingError):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()
        self._closed = True

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
