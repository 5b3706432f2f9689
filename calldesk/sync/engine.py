"""The sync engine: one asyncio task per account drains that account's durable outbox.

Guarantees, and how they are kept:

- **Nothing is lost.** Every operation is already committed to the outbox before it reaches this
  engine; an operation leaves the outbox only when the CRM has confirmed it.
- **Nothing is sent twice.** An operation is marked in-flight (durably, with the time of its first
  attempt) before its request goes out. A create that has been attempted before (a timeout, a
  dropped connection, a killed process) is never resent blindly: the engine first asks the CRM for
  a matching record (``CallAdapter.find_created``) and adopts it only under the adoption rule
  (``adoption.py``: specific, created after the first send by this user, held by no other local
  call); an ambiguous lookup stops the create as a conflict the rep resolves; it resends only when
  the record is certainly absent. A lookup runs alone: no other create's answer is then unstored.
  Updates and deletes are idempotent, so resending them is safe; a recording upload that meets
  "already has a recording" after an unknown outcome counts as delivered.
- **Order.** The store hands out only the head operation of each record, so one record's
  operations go in order; independent records go in parallel up to the vendor's concurrency.
- **Politeness.** Transient failures back off exponentially with jitter; a rate limit waits exactly
  what the vendor said; the ``Pacer`` spaces requests from the rate-limit headers; an
  authentication error pauses the account and is reported once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from calldesk.crm import (
    AuthError,
    CallAdapter,
    CertificateError,
    CrmError,
    MalformedResponse,
    NotFound,
    RateInfo,
    RateLimited,
    Rejected,
    ServerError,
    TransportError,
    Unsupported,
)
from calldesk.domain import Account, Changes, Operation, OpKind, OpState, RemoteCall, utcnow
from calldesk.sync.adoption import Adoption, choose
from calldesk.sync.audit import AuditRecorder, current_operation
from calldesk.sync.connectivity import Connectivity
from calldesk.sync.events import ChangeBus
from calldesk.sync.policy import BackoffPolicy, Pacer
from calldesk.sync.ports import OutboxPort

log = logging.getLogger("calldesk.sync")

#: How often an offline account probes the network (seconds), at most.
OFFLINE_PROBE_INTERVAL = 15.0
#: The longest the drain loop sleeps before looking at the outbox again.
IDLE_POLL = 30.0
#: The longest the rep's one pass (``calldesk sync`` without ``--timeout``) may take.
REP_PASS_LIMIT_S = 600.0
#: A timed sync (``calldesk sync --timeout``) starts a new round of "sync now" after this many
#: seconds of nothing to send while records are still pending, then after twice as long, up to
#: :data:`ROUND_GAP_CAP_S`: what failed in one round is tried again within the rep's timeout,
#: whatever back-off its earlier failures earned, without hammering a CRM that keeps failing.
ROUND_GAP_S = 2.0
ROUND_GAP_CAP_S = 60.0

ProgressListener = Callable[[str, int, int], None]


@dataclass
class AccountStatus:
    """What the window's status bar shows for one account."""

    account: str
    needs_auth: bool = False
    auth_message: str = ""
    rate_info: RateInfo | None = None
    last_error: str = ""


class _Ambiguous(Exception):
    """A retried create's lookup found records it cannot tell apart from the call."""


class _CreateGate:
    """Creates run side by side; a lookup for an uncertain create runs alone.

    A create holds the gate from its request until its answer is stored, so a lookup never sees
    a record another local call is about to hold without seeing it held.
    """

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._creating = 0
        self._looking = False

    @contextlib.asynccontextmanager
    async def create(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._looking)
            self._creating += 1
        try:
            yield
        finally:
            self._creating -= 1
            await self._notify()

    @contextlib.asynccontextmanager
    async def lookup(self) -> AsyncIterator[None]:
        async with self._cond:
            await self._cond.wait_for(lambda: not self._looking and self._creating == 0)
            self._looking = True
        try:
            yield
        finally:
            self._looking = False
            await self._notify()

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()


@dataclass
class _Wake:
    event: asyncio.Event = field(default_factory=asyncio.Event)
    force: bool = False


class AccountSyncer:
    """Drains one account's outbox against its CRM adapter."""

    def __init__(
        self,
        account: Account,
        adapter: CallAdapter,
        outbox: OutboxPort,
        *,
        concurrency: int,
        connectivity: Connectivity,
        bus: ChangeBus,
        backoff: BackoffPolicy | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_progress: ProgressListener | None = None,
        audit: AuditRecorder | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.account = account
        self._audit = audit
        self.adapter = adapter
        self.outbox = outbox
        self.concurrency = max(1, concurrency)
        self.connectivity = connectivity
        self.bus = bus
        self.backoff = backoff or BackoffPolicy()
        self.rng = rng or random.Random()
        self.clock = clock
        #: The account's one pacer: the adapter's requests (outbox and reads alike) wait for it
        #: and count themselves in it; this loop asks it how many operations may start.
        self.pacer = pacer or Pacer(clock)
        self.status = AccountStatus(account.name)
        self._on_progress = on_progress
        self._wake = _Wake()
        self._running: dict[str, asyncio.Task[None]] = {}
        #: Ops whose last attempt certainly did not reach the CRM (a 429, a refused connection):
        #: their next try needs no ``find_created``. Forgotten on restart, which is the safe side.
        self._undelivered: set[str] = set()
        #: Uncertain creates whose ``find_created`` in the current attempt found nothing: a
        #: failure after that point leaves them certainly undelivered again.
        self._checked_absent: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        # The rep's "sync now" round: the records it already tried (None when no round runs).
        self._round: set[str] | None = None
        #: While offline: when the next probe may go (clock time).
        self._probe_at: float | None = None
        self._gate = _CreateGate()

    # -- control -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start draining in the background."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"calldesk-sync-{self.account.name}"
            )

    async def stop(self) -> None:
        """Stop draining; in-flight requests are cancelled (their ops stay in-flight, recovered
        on the next start exactly as after a crash)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for running in list(self._running.values()):
            running.cancel()
        for running in list(self._running.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await running
        self._running.clear()

    def wake(self, *, force: bool = False) -> None:
        """Look at the outbox now; ``force`` also skips backoff waits (the rep's "sync now")."""
        if force:
            self._wake.force = True
            if self.status.needs_auth:
                # "Sync now" after fixing the key: try again.
                self.status.needs_auth = False
        self._wake.event.set()

    def rate_observer(self, info: RateInfo) -> None:
        """Adapter callback: remember the vendor's rate-limit headers for pacing."""
        self.status.rate_info = info
        self.pacer.note(info.limit, info.remaining, info.reset_after)

    @property
    def idle(self) -> bool:
        """Nothing running and nothing ready to send right now."""
        return self._idle.is_set()

    @property
    def forcing(self) -> bool:
        """A "sync now" round is asked for or under way (each pending record tried once)."""
        return self._wake.force or self._round is not None

    async def wait_idle(self) -> None:
        """Return once nothing is running and nothing is ready to send right now."""
        await self._idle.wait()

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        await self._recover()
        while True:
            self._idle.clear()
            if self._wake.force:
                self._round = set()  # a new round: every pending record may be tried once more
            self._wake.force = False
            self._wake.event.clear()
            if self.status.needs_auth or not self.connectivity.online:
                self._round = None  # nothing can be sent: the round ends here
                self._set_idle_if_quiet()
                if self._probe_at is None:
                    self._probe_at = self.clock() + OFFLINE_PROBE_INTERVAL
                await self._sleep(
                    self._probe_at - self.clock() if not self.status.needs_auth else IDLE_POLL
                )
                if (
                    not self.connectivity.online
                    and not self.connectivity.forced_offline
                    and self.clock() >= self._probe_at
                ):
                    # Probe: let one attempt through; its outcome flips the state. (Only when
                    # the interval is up: an operation finishing also wakes this loop.)
                    self._probe_at = None
                    self.connectivity.report_success()
                continue
            self._probe_at = None
            wait = self.pacer.wait_time()
            if wait > 0:
                self._round = None  # the CRM's rate-limit block holds, even for "sync now"
                self._set_idle_if_quiet()  # nothing can go before the block ends
                await self._sleep(wait)
                continue
            free = self.pacer.allowance(self.concurrency - len(self._running))
            ops: list[Operation] = []
            if free > 0:
                round_ = self._round
                horizon = utcnow() + timedelta(days=3650) if round_ is not None else utcnow()
                exclude = self._running_locals() | (round_ or set())
                ops = await self.outbox.ready_ops(
                    self.account.name, horizon, free, exclude=frozenset(exclude)
                )
                if round_ is not None:
                    if ops:
                        round_.update(op.local_id for op in ops)
                    else:
                        self._round = None  # every pending record was tried once:
                        continue  # look again as usual (a record's next op may be due now)
            for op in ops:
                self._launch(op)
            if not ops and not self._running:
                self._set_idle_if_quiet()
                await self._sleep(await self._until_next_attempt())
            elif not ops or len(self._running) >= self.concurrency:
                await self._sleep(IDLE_POLL)

    def _running_locals(self) -> set[str]:
        return {name.split("|", 1)[1] for name in self._running}

    def _launch(self, op: Operation) -> None:
        key = f"{op.op_id}|{op.local_id}"
        task = asyncio.get_running_loop().create_task(self._process(op), name=f"op-{op.op_id}")
        self._running[key] = task

        def done(_t: asyncio.Task[None], key: str = key) -> None:
            self._running.pop(key, None)
            self._wake.event.set()

        task.add_done_callback(done)

    def _set_idle_if_quiet(self) -> None:
        if not self._running:
            self._idle.set()

    async def _sleep(self, seconds: float) -> None:
        # ``asyncio.timeout`` rather than ``wait_for``: on Python 3.11 ``wait_for`` swallows a
        # cancellation that arrives just as the event is set, and ``stop()`` then hangs.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, seconds)):
                await self._wake.event.wait()

    async def _until_next_attempt(self) -> float:
        at = await self.outbox.next_attempt_at(self.account.name)
        if at is None:
            return IDLE_POLL
        return min(IDLE_POLL, max(0.0, (at - utcnow()).total_seconds()))

    async def _recover(self) -> None:
        """Ops left in-flight by a crash or a stop: their outcome is unknown."""
        await self.outbox.recover_interrupted(self.account.name)
        self.bus.publish(Changes(outbox=True))

    # -- one operation -----------------------------------------------------------------------

    async def _process(self, op: Operation) -> None:
        changes = Changes(outbox=True, calls=True, local_ids=frozenset({op.local_id}))
        current_operation.set(op)
        try:
            await self._process_inner(op)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: never lose the op, keep it visible
            log.exception("unexpected error while sending %s", op.op_id)
            await self.outbox.mark_failed(op.op_id, OpState.FAILED, f"calldesk error: {exc!r}")
        finally:
            if self._audit is not None:
                with contextlib.suppress(Exception):
                    await self._audit.flush()
            self.bus.publish(changes)

    async def _process_inner(self, op: Operation) -> None:
        uncertain = op.attempts > 0 and op.op_id not in self._undelivered
        self._undelivered.discard(op.op_id)
        self._checked_absent.discard(op.op_id)
        taken = await self.outbox.mark_in_flight(op.op_id)
        if taken is None:
            return  # another calldesk process took it (or sent it) since it was listed
        op = taken
        if op.kind is OpKind.CREATE:
            async with self._gate.lookup() if uncertain else self._gate.create():
                await self._attempt(op, uncertain)
        else:
            await self._attempt(op, uncertain)

    async def _attempt(self, op: Operation, uncertain: bool) -> None:
        try:
            remote = await self._send(op, uncertain=uncertain)
        except TransportError as exc:
            if not exc.maybe_delivered and not isinstance(exc, CertificateError):
                # (A refused certificate is the CRM's problem, not the network's: not offline.)
                self.connectivity.report_failure()
                self._not_delivered(op.op_id, uncertain)
            await self._retry_later(op, exc)
        except RateLimited as exc:
            self.connectivity.report_success()
            self._not_delivered(op.op_id, uncertain)
            self.pacer.block_for(exc.retry_after)
            await self.outbox.reschedule(
                op.op_id, utcnow() + timedelta(seconds=exc.retry_after), _describe(exc)
            )
        except AuthError as exc:
            self.connectivity.report_success()
            self._not_delivered(op.op_id, uncertain)
            await self.outbox.mark_failed(op.op_id, OpState.NEEDS_AUTH, _describe(exc))
            if not self.status.needs_auth:
                self.status.needs_auth = True
                self.status.auth_message = _describe(exc)
                log.warning("account %s needs auth: %s", self.account.name, _describe(exc))
                self.bus.publish(Changes(accounts=True))
        except NotFound as exc:
            self.connectivity.report_success()
            if op.kind in (OpKind.UPDATE, OpKind.DELETE, OpKind.UPLOAD):
                await self.outbox.mark_failed(
                    op.op_id, OpState.CONFLICT, f"deleted in the CRM ({_describe(exc)})"
                )
            else:
                await self.outbox.mark_failed(op.op_id, OpState.FAILED, _describe(exc))
        except _Ambiguous as exc:
            self.connectivity.report_success()
            await self.outbox.mark_failed(op.op_id, OpState.CONFLICT, str(exc))
        except (Rejected, Unsupported) as exc:
            self.connectivity.report_success()
            await self.outbox.mark_failed(op.op_id, OpState.FAILED, _describe(exc))
        except (ServerError, MalformedResponse) as exc:
            self.connectivity.report_success()
            await self._retry_later(op, exc)
        except CrmError as exc:
            await self._retry_later(op, exc)
        else:
            self.connectivity.report_success()
            await self.outbox.mark_sent(op.op_id, remote)
            if op.kind is OpKind.UPLOAD and op.file_path:
                # calldesk's own copy is no longer needed once the CRM has the recording.
                with contextlib.suppress(OSError):
                    Path(op.file_path).unlink()

    def _not_delivered(self, op_id: str, uncertain: bool) -> None:
        """This attempt's request certainly did not take effect.

        That clears an earlier uncertainty only if this attempt already looked the record up
        and found it absent; a 429 or 401 on the lookup itself leaves the create uncertain.
        """
        if not uncertain or op_id in self._checked_absent:
            self._undelivered.add(op_id)
        self._checked_absent.discard(op_id)

    async def _retry_later(self, op: Operation, exc: CrmError) -> None:
        delay = self.backoff.delay(op.attempts, self.rng)
        await self.outbox.reschedule(op.op_id, utcnow() + timedelta(seconds=delay), _describe(exc))

    async def _send(self, op: Operation, *, uncertain: bool) -> RemoteCall | None:
        adapter = self.adapter
        if op.kind is OpKind.CREATE:
            if uncertain:
                adopted = await self._adoptable(op)
                if adopted is not None:
                    return adopted
                self._checked_absent.add(op.op_id)
            return await adapter.create_call(op.payload)
        remote_id = op.remote_id
        if remote_id is None:
            raise Unsupported(f"{op.kind} has no CRM id to act on yet")
        if op.kind is OpKind.UPDATE:
            return await adapter.update_call(remote_id, op.payload)
        if op.kind is OpKind.DELETE:
            try:
                await adapter.delete_call(remote_id)
            except NotFound as exc:
                if uncertain:
                    return None  # our earlier delete got through
                raise exc
            return None
        if op.kind is OpKind.UPLOAD:
            if not op.file_path:
                raise Unsupported("the upload has no file")
            try:
                await adapter.upload_recording(
                    remote_id, Path(op.file_path), progress=self._progress_for(op.op_id)
                )
            except Rejected as exc:
                if uncertain and exc.status == 409:
                    return None  # our earlier upload got through
                raise
            return None
        raise Unsupported(f"unknown operation {op.kind}")

    async def _adoptable(self, op: Operation) -> RemoteCall | None:
        """The CRM record an uncertain create may adopt, None when it is certainly absent;
        raises ``_Ambiguous`` when records it cannot tell apart could be the call."""
        recovery = self.adapter.recovery
        found = await self.adapter.find_created(op.payload, sent_after=op.first_sent_at)
        held = await self.outbox.held_remote_ids(
            self.account.name, [call.remote_id for call in found], op.local_id
        )
        choice = choose(
            op.payload,
            found,
            held=held,
            time_field=recovery.time_field,
            stamped=recovery.stamped and op.first_sent_at is not None,
            identity=recovery.identity,
        )
        if choice.kind is Adoption.ADOPT:
            return choice.call
        if choice.kind is Adoption.AMBIGUOUS:
            where = self.account.vendor.value.capitalize()
            log.warning("%d CRM records could be %s; kept as a conflict", choice.count, op.op_id)
            raise _Ambiguous(
                f"{choice.count} records in {where} could be this call (an earlier send may have "
                f"arrived); check {where}, then send this call as new or discard it"
            )
        return None

    def _progress_for(self, op_id: str) -> Callable[[int, int], None] | None:
        listener = self._on_progress
        if listener is None:
            return None

        def progress(sent: int, total: int) -> None:
            listener(op_id, sent, total)

        return progress


def _describe(exc: CrmError) -> str:
    return str(exc) or type(exc).__name__


AdapterFactory = Callable[[Account, Callable[[RateInfo], None]], Awaitable[CallAdapter]]


class SyncEngine:
    """Owns one ``AccountSyncer`` per account and the shared connectivity state."""

    def __init__(
        self,
        outbox: OutboxPort,
        bus: ChangeBus,
        *,
        connectivity: Connectivity | None = None,
        seed: int | None = None,
        backoff: BackoffPolicy | None = None,
        on_progress: ProgressListener | None = None,
        audit: AuditRecorder | None = None,
    ) -> None:
        self.outbox = outbox
        self._audit = audit
        self.bus = bus
        self.connectivity = connectivity or Connectivity()
        self.connectivity.subscribe(self._connectivity_changed)
        self._seed = seed
        self._backoff = backoff
        self._on_progress = on_progress
        self._syncers: dict[str, AccountSyncer] = {}

    @property
    def syncers(self) -> Mapping[str, AccountSyncer]:
        """The running syncers by account name."""
        return self._syncers

    def add_account(
        self,
        account: Account,
        adapter: CallAdapter,
        *,
        concurrency: int,
        pacer: Pacer | None = None,
    ) -> AccountSyncer:
        """Create (but do not start) the syncer for ``account``; ``pacer`` is the one its
        adapter's requests wait for (see ``open_runtime``)."""
        rng = random.Random(None if self._seed is None else f"{self._seed}:{account.name}")
        syncer = AccountSyncer(
            account,
            adapter,
            self.outbox,
            concurrency=concurrency,
            connectivity=self.connectivity,
            bus=self.bus,
            backoff=self._backoff,
            rng=rng,
            on_progress=self._on_progress,
            audit=self._audit,
            pacer=pacer,
        )
        self._syncers[account.name] = syncer
        return syncer

    def start(self) -> None:
        """Start every syncer."""
        for syncer in self._syncers.values():
            syncer.start()

    async def stop(self) -> None:
        """Stop every syncer (ops in flight stay recoverable)."""
        await asyncio.gather(*(s.stop() for s in self._syncers.values()))

    def wake(self, account: str | None = None, *, force: bool = False) -> None:
        """Something was queued (or the rep asked to sync now): look at the outbox."""
        for name, syncer in self._syncers.items():
            if account is None or name == account:
                syncer.wake(force=force)

    def sync_now(self, account: str | None = None) -> None:
        """The rep's "sync now": retry at once, skipping backoff waits."""
        if not self.connectivity.forced_offline:
            self.connectivity.report_success()
        self.wake(account, force=True)

    def _connectivity_changed(self, online: bool) -> None:
        self.bus.publish(Changes(connectivity=True))
        if online:
            self.wake()

    async def drain(
        self,
        account: str | None = None,
        *,
        timeout: float | None = None,
        settle: Callable[[], Awaitable[bool]],
    ) -> bool:
        """Run until ``settle()`` says nothing is left to do, or ``timeout`` passes.

        With ``timeout=None`` it is the rep's one pass: every pending operation is tried once,
        whatever its back-off, and the drain stops as soon as nothing is ready to send (at the
        latest after :data:`REP_PASS_LIMIT_S`). With a timeout, what is left after a round is
        tried again in new rounds spaced :data:`ROUND_GAP_S` apart, doubling. Returns True when
        settled. Used by ``calldesk sync`` and by tests.
        """
        self.sync_now(account)
        if timeout is None:
            return await self._rep_pass(account, settle)
        deadline = time.monotonic() + timeout
        gap = ROUND_GAP_S
        next_round = time.monotonic() + gap
        changed = asyncio.Event()
        unsubscribe = self.bus.subscribe(lambda _changes: changed.set())
        try:
            while time.monotonic() < deadline:
                changed.clear()
                if await settle():
                    return True
                syncers = [s for n, s in self._syncers.items() if account is None or n == account]
                if not syncers:
                    return await settle()
                now = time.monotonic()
                left = max(0.0, deadline - now)
                if all(s.idle and not s.forcing for s in syncers):
                    if now >= next_round:
                        # The round ended with records left: try them again (see ROUND_GAP_S).
                        self.sync_now(account)
                        gap = min(gap * 2, ROUND_GAP_CAP_S)
                        next_round = now + gap
                        continue
                    # Nothing is due: sleep until the next op is, the next round, or a change.
                    until_due = await self._until_due(syncers)
                    await _wait_event(changed, min(left, until_due, next_round - now))
                    continue
                waits = [asyncio.ensure_future(s.wait_idle()) for s in syncers]
                _done, pending = await asyncio.wait(waits, timeout=min(0.5, left))
                for p in pending:
                    p.cancel()
                for p in pending:
                    with contextlib.suppress(asyncio.CancelledError):
                        await p
            return await settle()
        finally:
            unsubscribe()

    async def _rep_pass(self, account: str | None, settle: Callable[[], Awaitable[bool]]) -> bool:
        """Wait until each syncer took its "sync now" and has nothing ready to send."""
        syncers = [s for n, s in self._syncers.items() if account is None or n == account]
        deadline = time.monotonic() + REP_PASS_LIMIT_S
        while time.monotonic() < deadline:
            if await settle():
                return True
            if all(not s.forcing and s.idle for s in syncers):
                return await settle()
            waits = [asyncio.ensure_future(s.wait_idle()) for s in syncers if not s.idle]
            if waits:
                _done, pending = await asyncio.wait(waits, timeout=0.5)
                for waiter in pending:
                    waiter.cancel()
            else:  # a syncer has not woken up yet: give its loop a turn
                await asyncio.sleep(0.01)
        return await settle()

    async def _until_due(self, syncers: list[AccountSyncer]) -> float:
        """Seconds until the earliest pending op of ``syncers`` is due (IDLE_POLL if none)."""
        times = [await self.outbox.next_attempt_at(s.account.name) for s in syncers]
        due = [next_attempt_in(at) for at in times if at is not None]
        # A little past the due time: the syncer's own loop sends first.
        return min(due) + 0.05 if due else IDLE_POLL


async def _wait_event(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, seconds)):
            await event.wait()


def next_attempt_in(at: datetime | None) -> float:
    """Seconds from now until ``at`` (0 when due or unknown)."""
    if at is None:
        return 0.0
    return max(0.0, (at - utcnow()).total_seconds())
