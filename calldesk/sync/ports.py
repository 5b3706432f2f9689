"""What the sync engine needs from the store, as a protocol (the async store facade fulfils it)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from calldesk.domain import Operation, OpState, RemoteCall


class OutboxPort(Protocol):
    """The outbox operations the drain loop uses; every method is durable when it returns."""

    async def ready_ops(
        self, account: str, now: datetime, limit: int, *, exclude: frozenset[str] = frozenset()
    ) -> list[Operation]:
        """Head op of each record due by ``now`` (skipping records in ``exclude``)."""
        ...

    async def next_attempt_at(self, account: str) -> datetime | None:
        """When the earliest pending op of ``account`` becomes due."""
        ...

    async def recover_interrupted(self, account: str) -> int:
        """Ops of ``account`` left in flight by this store's last engine or a dead process:
        pending again, to be checked before they are sent (ops a live process sends stay)."""
        ...

    async def mark_in_flight(self, op_id: str) -> Operation | None:
        """Mark sent-about-to-be; counts an attempt. None: another process took or sent it."""
        ...

    async def held_remote_ids(self, account: str, remote_ids: list[str], local_id: str) -> set[str]:
        """Which of ``remote_ids`` other local calls of ``account`` already hold."""
        ...

    async def mark_sent(self, op_id: str, remote: RemoteCall | None) -> None:
        """The CRM confirmed the op; ``remote`` is its answer (for creates: the new record)."""
        ...

    async def reschedule(self, op_id: str, at: datetime, error: str) -> None:
        """Back to pending, due at ``at``, remembering why."""
        ...

    async def mark_failed(self, op_id: str, state: OpState, error: str) -> None:
        """Stop retrying: failed, conflict or needs-auth, with the reason."""
        ...
