"""The services the command line and the window use: save, list, search, refresh, lookups, queue.

``CallService`` validates every save against the vendor schema, commits it to the outbox (durable
before the call returns) and wakes the sync engine. All database work goes through the store's
``DbWorker`` thread, so nothing here blocks an event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from calldesk.crm import CallAdapter, CrmError
from calldesk.domain import (
    Account,
    AuditEntry,
    CallRecord,
    Changes,
    FieldError,
    JSONValue,
    LookupItem,
    Operation,
    OpState,
    RemoteCall,
    Vendor,
    utcnow,
)
from calldesk.schema import VendorSchema
from calldesk.store.calls import ConflictVersion
from calldesk.store.local import LocalStore
from calldesk.store.records import CallRow
from calldesk.store.worker import DbWorker
from calldesk.sync.audit import AuditRecorder
from calldesk.sync.engine import SyncEngine
from calldesk.sync.events import ChangeBus
from calldesk.sync.reads import StoreReads
from calldesk.sync.recordings import RecordingInfo, inspect_recording, keep_copy
from calldesk.sync.rows import LabelCache, RowBuilder

__all__ = ["CallService", "LabelCache", "RowBuilder", "StoreOutbox"]

log = logging.getLogger("calldesk.sync")

#: How many remote calls are written to the store per transaction during a refresh.
REFRESH_BATCH = 200
#: How many cached calls get their list columns recomputed per transaction by ``relabel``.
RELABEL_BATCH = 500


class ServiceError(Exception):
    """A request the service refuses; the message is for the rep."""


class ValidationFailed(ServiceError):
    """The fields do not pass the vendor schema; ``errors`` lists every reason."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field or 'form'}: {e.message}" for e in self.errors))


class NotAllowed(ServiceError):
    """The vendor (or the record's state) does not allow this change."""


class UnknownRecord(ServiceError):
    """No call with that id is known for the account."""


def _replace_lookups(
    store: LocalStore, account: str, source: str, items: Sequence[LookupItem]
) -> int:
    return store.lookups.replace(account, source, items)


def _rebuild_rows(store: LocalStore, account: str, after: str) -> str | None:
    return store.calls.rebuild_rows(account, after=after, limit=RELABEL_BATCH)


def _all_lookups(store: LocalStore, account: str, source: str) -> list[LookupItem]:
    return store.lookups.search(account, source, "", limit=100_000)


class StoreOutbox:
    """The outbox as the sync engine needs it: async methods run on the DB worker thread."""

    def __init__(self, worker: DbWorker) -> None:
        self._worker = worker

    async def ready_ops(
        self, account: str, now: datetime, limit: int, *, exclude: frozenset[str] = frozenset()
    ) -> list[Operation]:
        return await self._worker.run(
            lambda s: s.outbox.ready_ops(account, now, limit, exclude=exclude)
        )

    async def next_attempt_at(self, account: str) -> datetime | None:
        return await self._worker.run(lambda s: s.outbox.next_attempt_at(account))

    async def recover_interrupted(self, account: str) -> int:
        return await self._worker.run(lambda s: s.outbox.recover_interrupted(account, mine=True))

    async def mark_in_flight(self, op_id: str) -> Operation | None:
        return await self._worker.run(lambda s: s.outbox.mark_in_flight(op_id))

    async def held_remote_ids(self, account: str, remote_ids: list[str], local_id: str) -> set[str]:
        return await self._worker.run(
            lambda s: s.outbox.held_remote_ids(account, remote_ids, local_id)
        )

    async def mark_sent(self, op_id: str, remote: RemoteCall | None) -> None:
        await self._worker.run(lambda s: s.outbox.mark_sent(op_id, remote))

    async def reschedule(self, op_id: str, at: datetime, error: str) -> None:
        await self._worker.run(lambda s: s.outbox.reschedule(op_id, at, error))

    async def mark_failed(self, op_id: str, state: OpState, error: str) -> None:
        await self._worker.run(lambda s: s.outbox.mark_failed(op_id, state, error))


class CallService(StoreReads):
    """Everything a rep does with calls, for any account, through one object."""

    def __init__(
        self,
        *,
        worker: DbWorker,
        schemas: Mapping[Vendor, VendorSchema],
        accounts: Callable[[], Mapping[str, Account]],
        adapters: Mapping[str, CallAdapter],
        bus: ChangeBus,
        recordings_dir: Path,
        labels: LabelCache,
        engine: SyncEngine | None = None,
        audit: AuditRecorder | None = None,
        rows: RowBuilder | None = None,
    ) -> None:
        self._worker = worker
        self._audit = audit
        self._schemas = schemas
        self._accounts = accounts
        self._adapters = adapters
        self._bus = bus
        self._recordings_dir = recordings_dir
        self._labels = labels
        self._engine = engine
        self.rows = rows or RowBuilder(schemas, self._vendor_of, labels)

    # -- accounts and schemas ------------------------------------------------------------------

    def accounts(self) -> Mapping[str, Account]:
        """The configured accounts by name."""
        return self._accounts()

    def account(self, name: str) -> Account:
        """The account called ``name``."""
        try:
            return self._accounts()[name]
        except KeyError:
            raise ServiceError(f"no account named {name!r}") from None

    def schema_for(self, account: str) -> VendorSchema:
        """The field schema of ``account``'s vendor."""
        return self._schemas[self.account(account).vendor]

    def _vendor_of(self, account: str) -> Vendor | None:
        found = self._accounts().get(account)
        return found.vendor if found else None

    def _adapter(self, account: str) -> CallAdapter:
        try:
            return self._adapters[account]
        except KeyError:
            raise ServiceError(f"account {account!r} is not connected") from None

    def _announce(self, changes: Changes, account: str | None = None) -> None:
        if self._engine is not None and (changes.outbox or changes.calls):
            self._engine.wake(account)
        self._bus.publish(changes)

    # -- reading -------------------------------------------------------------------------------

    async def find(self, account: str, ident: str) -> CallRecord:
        """The record with local id or CRM id ``ident`` in ``account``."""

        def lookup(store: LocalStore) -> CallRecord | None:
            record = store.calls.get(ident)
            if record is not None and record.account == account:
                return record
            return store.calls.get_by_remote(account, ident)

        record = await self._worker.run(lookup)
        if record is None:
            raise UnknownRecord(f"no call {ident!r} in account {account!r}")
        return record

    async def history(self, local_id: str) -> list[AuditEntry]:
        """What was sent for this record and what the CRM answered, newest first."""
        return await self._worker.run(lambda s: s.audit.for_record(local_id))

    async def conflict(self, local_id: str) -> ConflictVersion | None:
        """Both versions of a record in conflict, or None."""
        return await self._worker.run(lambda s: s.calls.conflict(local_id))

    async def resolve_conflict(
        self, local_id: str, chosen_fields: Mapping[str, JSONValue]
    ) -> Operation | None:
        """Settle a conflict with the values the rep chose field by field (wire form).

        The CRM's version becomes the base; what differs from it is queued as one update
        (``None`` when the rep took the CRM's version entirely).
        """
        chosen = dict(chosen_fields)
        op = await self._worker.run(lambda s: s.calls.resolve_conflict(local_id, chosen))
        account = op.account if op is not None else None
        self._announce(Changes(calls=True, outbox=True, local_ids=frozenset({local_id})), account)
        return op

    # -- saving --------------------------------------------------------------------------------

    async def log_call(self, account: str, values: Mapping[str, object]) -> CallRecord:
        """Validate and queue a new call; durable when this returns."""
        schema = self.schema_for(account)
        errors = schema.validate(values, op="create")
        if errors:
            raise ValidationFailed(errors)
        wire = schema.to_wire(values)
        row, text = self.rows(account, wire)
        op = await self._worker.run(lambda s: s.outbox.save_new(account, wire, row, text))
        self._announce(
            Changes(calls=True, outbox=True, local_ids=frozenset({op.local_id})), account
        )
        return await self.find(account, op.local_id)

    async def update_call(
        self, account: str, ident: str, values: Mapping[str, object]
    ) -> CallRecord:
        """Validate and queue changes to an existing call (merged with what is still queued)."""
        schema = self.schema_for(account)
        record = await self.find(account, ident)
        if record.deleted:
            raise NotAllowed("this call is deleted")
        if schema.capabilities.update is None and record.remote_id is not None:
            raise NotAllowed(
                f"{schema.label} does not allow changes to a call once it is logged; "
                "delete it and log it again"
            )
        errors = schema.validate(
            values, op="create" if record.remote_id is None else "update", current=record.fields
        )
        if record.remote_id is None:
            # An edit to a call not yet created merges into its queued create: fields the create
            # already carries are not missing.
            errors = [
                e
                for e in errors
                if not (
                    e.field and e.field not in values and record.fields.get(e.field) is not None
                )
            ]
        if errors:
            raise ValidationFailed(errors)
        wire = schema.to_wire(values)
        changed = set(wire)
        # Fields the precedence rules dropped (e.g. Close note when note_html is set) are cleared.
        changed |= {name for name in values if name not in wire}
        new_fields: dict[str, JSONValue] = {**record.fields, **wire}
        for name in changed - set(wire):
            new_fields.pop(name, None)
        row, text = self.rows(account, new_fields)
        await self._worker.run(
            lambda s: s.outbox.save_edit(
                account, record.local_id, new_fields, changed, row=row, search_text=text
            )
        )
        self._announce(
            Changes(calls=True, outbox=True, local_ids=frozenset({record.local_id})), account
        )
        return await self.find(account, record.local_id)

    async def delete_call(self, account: str, ident: str) -> Operation | None:
        """Delete a call (queued); None when nothing needs sending (it was never created)."""
        schema = self.schema_for(account)
        record = await self.find(account, ident)
        if record.remote_id is not None and not schema.capabilities.delete:
            raise NotAllowed(f"{schema.label} does not allow deleting calls through its API")
        op = await self._worker.run(lambda s: s.outbox.save_delete(account, record.local_id))
        self._announce(
            Changes(calls=True, outbox=True, local_ids=frozenset({record.local_id})), account
        )
        return op

    def check_recording(self, account: str, path: Path) -> RecordingInfo:
        """Whether ``path`` can be attached to a call of ``account``; raises with the reason.

        Blocking (stat, type sniffing, the audio's length): from the loop, use
        :meth:`inspect_recording`."""
        self._allow_recordings(account)
        return inspect_recording(path)

    async def inspect_recording(self, account: str, path: Path) -> RecordingInfo:
        """:meth:`check_recording` on a worker thread (the window stays responsive)."""
        return await asyncio.to_thread(self.check_recording, account, path)

    def _allow_recordings(self, account: str) -> None:
        schema = self.schema_for(account)
        caps = schema.capabilities
        if caps.recording != "upload":
            if caps.recording == "url":
                raise NotAllowed(
                    f"{schema.label} takes a link to the recording, not a file: "
                    f"put an https:// link in {caps.recording_field or 'the recording URL'}"
                )
            raise NotAllowed(f"{schema.label} does not accept call recordings")

    async def attach_recording(
        self, account: str, ident: str, recording: Path | RecordingInfo
    ) -> Operation:
        """Queue the upload of a recording; calldesk uploads its own copy of the file.

        ``recording``: a path (inspected here), or what :meth:`inspect_recording` found (not
        inspected again, unless the file's size changed since). Reading and copying the file
        (hundreds of MB at worst) run in a worker thread, so the window stays responsive.
        """
        self._allow_recordings(account)
        if isinstance(recording, RecordingInfo) and await asyncio.to_thread(_unchanged, recording):
            info = recording
        else:
            path = recording.path if isinstance(recording, RecordingInfo) else recording
            info = await asyncio.to_thread(self.check_recording, account, path)
        record = await self.find(account, ident)
        if record.deleted:
            raise NotAllowed("this call is deleted")
        copy = await asyncio.to_thread(keep_copy, info, self._recordings_dir)
        try:
            op = await self._worker.run(
                lambda s: s.outbox.save_upload(account, record.local_id, str(copy))
            )
        except BaseException:
            copy.unlink(missing_ok=True)
            raise
        self._announce(
            Changes(calls=True, outbox=True, local_ids=frozenset({record.local_id})), account
        )
        return op

    # -- drafts --------------------------------------------------------------------------------

    async def save_draft(
        self, draft_id: str, account: str, form: Mapping[str, str], local_id: str | None = None
    ) -> None:
        """Keep the form's text exactly as typed (a crash loses nothing)."""
        await self._worker.run(lambda s: s.drafts.save(draft_id, account, dict(form), local_id))

    async def drop_draft(self, draft_id: str) -> None:
        """Forget a draft (saved or abandoned)."""
        await self._worker.run(lambda s: s.drafts.delete(draft_id))

    # -- the queue -----------------------------------------------------------------------------

    async def retry(self, op_id: str) -> Operation:
        """Send a failed operation again."""
        op = await self._worker.run(lambda s: s.outbox.retry(op_id))
        self._announce(
            Changes(outbox=True, calls=True, local_ids=frozenset({op.local_id})), op.account
        )
        return op

    async def resume_account(self, account: str) -> int:
        """After a key was fixed: set the account's needs-auth operations pending again."""
        n = await self._worker.run(lambda s: s.outbox.resume_needs_auth(account))
        if self._engine is not None:
            self._engine.sync_now(account)
        self._bus.publish(Changes(outbox=True, calls=True, accounts=True))
        return n

    async def discard(self, op_id: str) -> None:
        """Drop an unsent operation and undo its local effect."""
        await self._worker.run(lambda s: s.outbox.discard(op_id))
        self._bus.publish(Changes(outbox=True, calls=True))

    # -- talking to the CRM --------------------------------------------------------------------

    async def refresh(self, account: str, *, since: datetime | None = None) -> int:
        """Fetch the account's calls from its CRM into the local cache; returns how many."""
        adapter = self._adapter(account)
        fetched = utcnow()
        batch: list[tuple[RemoteCall, CallRow, str]] = []
        total = 0
        async for remote in adapter.list_calls(since=since):
            row, text = self.rows(account, remote.fields)
            batch.append((remote, row, text))
            if len(batch) >= REFRESH_BATCH:
                total += await self._store_batch(account, batch, fetched)
                batch = []
        if batch:
            total += await self._store_batch(account, batch, fetched)
        await self._flush_audit()
        self._bus.publish(Changes(calls=True))
        return total

    async def _store_batch(
        self, account: str, batch: list[tuple[RemoteCall, CallRow, str]], fetched: datetime
    ) -> int:
        items = list(batch)
        await self._worker.run(lambda s: s.calls.upsert_remote_many(account, items, fetched))
        return len(items)

    async def refresh_lookups(self, account: str) -> dict[str, int]:
        """Fetch every lookup source of the account's schema into the offline cache."""
        schema = self.schema_for(account)
        adapter = self._adapter(account)
        counts: dict[str, int] = {}
        for source in schema.lookups:
            try:
                items = await adapter.lookup(source)
            except CrmError as exc:
                log.info("lookup %s/%s not refreshed: %s", account, source, exc)
                continue
            await self._worker.run(_replace_lookups, account, source, items)
            self._labels.replace(account, source, items)
            counts[source] = len(items)
        await self._flush_audit()
        self._bus.publish(Changes(lookups=True))
        if counts:
            await self.relabel(account)
        return counts

    async def relabel(self, account: str) -> None:
        """Recompute the list columns (who, outcome, …) of the account's cached calls with the
        current lookup labels, in batches on the DB worker; announces the change once."""
        after: str | None = ""
        while after is not None:
            after = await self._worker.run(_rebuild_rows, account, after)
        self._bus.publish(Changes(calls=True))

    async def load_labels(self) -> None:
        """Fill the label cache from the stored lookups (at start-up, before the list shows)."""
        for name, account in self._accounts().items():
            schema = self._schemas[account.vendor]
            for source in schema.lookups:
                items = await self._worker.run(_all_lookups, name, source)
                self._labels.replace(name, source, items)

    async def lookup(self, account: str, source: str, query: str = "") -> list[LookupItem]:
        """Choices for a picker from the offline cache (fetched once when the cache is empty).

        Items whose label contains ``query``; an item whose id is exactly ``query`` comes first
        (so a form can find the label of a stored id).
        """

        def search(store: LocalStore) -> list[LookupItem]:
            found = store.lookups.search(account, source, query)
            exact = store.lookups.get(account, source, query) if query else None
            if exact is None:
                return found
            return [exact, *(item for item in found if item.id != exact.id)]

        items = await self._worker.run(search)
        if items or query:
            return items
        fetched_at = await self._worker.run(lambda s: s.lookups.fetched_at(account, source))
        if fetched_at is not None and utcnow() - fetched_at < timedelta(hours=1):
            return items
        with contextlib.suppress(CrmError, ServiceError):
            fresh = await self._adapter(account).lookup(source)
            await self._worker.run(lambda s: s.lookups.replace(account, source, fresh))
            self._labels.replace(account, source, fresh)
            return fresh
        return items

    async def lookup_label(self, account: str, source: str, item_id: str) -> str | None:
        """The name of lookup item ``item_id`` of ``source`` from the cached lookups, or ``None``
        when it is not known (the caller then shows the id)."""
        label = self._labels.get(account, source, item_id)
        if label is not None:
            return label
        item = await self._worker.run(lambda s: s.lookups.get(account, source, item_id))
        return item.label if item is not None and item.label else None

    async def labels_for(
        self, account: str, pairs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str]:
        """Labels of several ``(source, id)`` pairs at once; unknown pairs are left out."""
        wanted = list(dict.fromkeys(pairs))
        known = {
            pair: label
            for pair in wanted
            if (label := self._labels.get(account, pair[0], pair[1])) is not None
        }
        missing = [pair for pair in wanted if pair not in known]

        def read(store: LocalStore) -> dict[tuple[str, str], str]:
            found: dict[tuple[str, str], str] = {}
            for source, item_id in missing:
                item = store.lookups.get(account, source, item_id)
                if item is not None and item.label:
                    found[(source, item_id)] = item.label
            return found

        if missing:
            known.update(await self._worker.run(read))
        return known

    async def _flush_audit(self) -> None:
        if self._audit is not None:
            await self._audit.flush()

    async def test_connection(self, account: str) -> str:
        """Ask the CRM who the key belongs to (raises ``CrmError`` with the reason)."""
        return await self._adapter(account).check_auth()


def _unchanged(info: RecordingInfo) -> bool:
    """Whether the inspected file is still there with the size it had (then it is not read
    again: its type and length were read moments ago)."""
    try:
        stat = info.path.stat()
    except OSError:
        return False
    return info.path.is_file() and stat.st_size == info.size
