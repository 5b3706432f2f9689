"""Logging calls straight into the store, for scripts: ``calldesk calls log`` one call at a time
or a whole file of them (``--from-jsonl``), in one process and one transaction per batch.

A logged call is validated against its vendor's schema and queued in the durable outbox exactly
as a save in the window is (``CallService.log_call``); ``calldesk sync`` or the window sends it.
Nothing here opens the engine, HTTP, the keyring or asyncio: a script logging one call pays for
the store and the schema only. Each line of a file is read (bounded), parsed and validated on
its own; the valid lines of a batch are committed together, the others are reported with their
line number and every reason, and never stop the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import IO

from calldesk.domain import Account, CallRecord, FieldError
from calldesk.schema import VendorSchema
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.paths import Paths
from calldesk.sync.rows import RowBuilder, StoreLabels

#: Calls committed per transaction (one fsync each).
BATCH = 500
#: The longest line read from a file; a longer one is refused (and skipped), not read whole.
MAX_LINE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class LineResult:
    """What became of one line of a file: its call's local id, or why it was refused."""

    line: int
    local_id: str | None = None
    errors: tuple[str, ...] = ()


class Logbook:
    """Logs calls of one account into an open store (its thread only)."""

    def __init__(self, store: LocalStore, account: Account, schema: VendorSchema) -> None:
        self._store = store
        self._account = account
        self._schema = schema
        vendor = account.vendor
        self._rows = RowBuilder(
            {vendor: schema},
            lambda name: vendor if name == account.name else None,
            StoreLabels(store.lookups),
        )

    @property
    def store(self) -> LocalStore:
        return self._store

    def check(self, raw: Mapping[str, str]) -> tuple[dict[str, object], list[FieldError]]:
        """Parse text as typed (``field -> text``) and validate it for a create (every error
        once: a field whose text could not be read is not also reported as invalid)."""
        values, errors = self._schema.parse_inputs(raw)
        unreadable = {error.field for error in errors}
        errors += [
            e for e in self._schema.validate(values, op="create") if e.field not in unreadable
        ]
        return values, errors

    def log(self, calls: Sequence[Mapping[str, object]]) -> list[str]:
        """Queue valid ``calls`` (Python values) in one durable transaction; their local ids."""
        name = self._account.name
        ids = []
        with self._store.db.transaction():
            for values in calls:
                wire = self._schema.to_wire(values)
                row, text = self._rows(name, wire)
                ids.append(self._store.outbox.save_new(name, wire, row, text).local_id)
        return ids

    def record(self, local_id: str) -> CallRecord | None:
        return self._store.calls.get(local_id)

    def log_lines(self, lines: IO[str], batch: int = BATCH) -> Iterator[LineResult]:
        """Log every valid line of a JSON Lines stream (each an object ``field -> value``)."""
        pending: list[tuple[int, dict[str, object]]] = []
        for number, raw in enumerate(_bounded_lines(lines), start=1):
            if raw is None:
                yield LineResult(number, errors=(f"longer than {MAX_LINE_BYTES} bytes",))
                continue
            if not raw.strip():
                continue
            texts, problem = _line_texts(raw)
            if problem:
                yield LineResult(number, errors=(problem,))
                continue
            values, errors = self.check(texts)
            if errors:
                yield LineResult(number, errors=tuple(_reason(e) for e in errors))
                continue
            pending.append((number, values))
            if len(pending) >= batch:
                yield from self._flush(pending)
                pending = []
        yield from self._flush(pending)

    def _flush(self, pending: list[tuple[int, dict[str, object]]]) -> Iterator[LineResult]:
        if not pending:
            return
        ids = self.log([values for _number, values in pending])
        for (number, _values), local_id in zip(pending, ids, strict=True):
            yield LineResult(number, local_id=local_id)


LogbookOpener = Callable[[Paths, Account, VendorSchema], AbstractContextManager[Logbook]]
"""The signature of :func:`open_logbook`, for code that is handed it."""


@contextmanager
def open_logbook(paths: Paths, account: Account, schema: VendorSchema) -> Iterator[Logbook]:
    """Open the store under ``paths`` for logging ``account``'s calls; closing it brings the
    search index and list lines up to date."""
    paths.ensure()
    store = LocalStore.open(paths.data_dir / DB_FILENAME)
    try:
        yield Logbook(store, account, schema)
    finally:
        store.close()


def _reason(error: FieldError) -> str:
    return f"{error.field}: {error.message}" if error.field else error.message


def _bounded_lines(stream: IO[str]) -> Iterator[str | None]:
    """The stream's lines; ``None`` for a line longer than ``MAX_LINE_BYTES`` (skipped whole)."""
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # the rest of the long line
                line = stream.readline(MAX_LINE_BYTES)
            yield None
            continue
        yield line


def _line_texts(raw: str) -> tuple[dict[str, str], str | None]:
    """A line's fields as text typed by a rep, or what is wrong with the line."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return {}, f"not JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(data, dict):
        return {}, 'not a JSON object: write one call per line, as {"field": "value", ...}'
    texts: dict[str, str] = {}
    for name, value in data.items():
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            return {}, f"{name}: give the value as text or a number, as you would type it"
        texts[name] = value if isinstance(value, str) else json.dumps(value)
    return texts, None
