"""Keeps each request's audit entry in the record's history.

Adapters report every request through a plain callback. The callback cannot know which record
it served, so the engine sets ``current_operation`` in the task that sends an operation (a
``ContextVar`` is task-local) and the recorder stamps entries with it. Entries are buffered and
written in one transaction by ``flush`` (after each operation, refresh or lookup), so recording
never blocks the event loop.
"""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar

from calldesk.domain import AuditEntry, Operation
from calldesk.store.local import LocalStore
from calldesk.store.worker import DbWorker

current_operation: ContextVar[Operation | None] = ContextVar("calldesk_operation", default=None)


class AuditRecorder:
    """Buffers audit entries from adapters and writes them to the store on ``flush``."""

    def __init__(self, worker: DbWorker) -> None:
        self._worker = worker
        self._pending: list[AuditEntry] = []

    def __call__(self, entry: AuditEntry) -> None:
        op = current_operation.get()
        if op is not None and entry.local_id is None:
            entry = dataclasses.replace(entry, local_id=op.local_id, op_id=op.op_id)
        self._pending.append(entry)

    async def flush(self) -> None:
        """Write what was buffered."""
        entries, self._pending = self._pending, []
        if not entries:
            return

        def write(store: LocalStore) -> None:
            for entry in entries:
                store.audit.record(entry)

        await self._worker.run(write)
