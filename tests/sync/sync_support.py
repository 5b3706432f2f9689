"""Shared helpers for the sync tests: a runtime against the sandbox, distinct call values, waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calldesk.domain import Account, KeySource, Vendor
from calldesk.runtime import Runtime, SecretFor, open_runtime
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.paths import Paths
from calldesk.sync.policy import BackoffPolicy

#: A small backoff so retries happen within a test's patience.
FAST_BACKOFF = BackoffPolicy(base=0.05, cap=0.2)
#: A distinct base moment for generated calls (whole seconds, far from the sample data).
BASE_TIME = datetime(2031, 3, 4, 9, 0, tzinfo=UTC)


def sandbox_account(server: SandboxServer, vendor: Vendor, name: str | None = None) -> Account:
    """An account of ``vendor`` pointing at ``server``; its key comes from ``sandbox_secret``."""
    return Account(name or vendor.value[0], vendor, server.base_url(vendor), KeySource("env", "K"))


def sandbox_secret(account: Account) -> str:
    """The key the sandbox accepts for the account's vendor."""
    return SANDBOX_KEYS[account.vendor]


@asynccontextmanager
async def sync_runtime(
    tmp_path: Path,
    accounts: list[Account],
    *,
    secret_for: SecretFor = sandbox_secret,
    start_engine: bool = True,
    backoff: BackoffPolicy = FAST_BACKOFF,
    seed: int = 11,
    home: Path | None = None,
) -> AsyncIterator[Runtime]:
    """A runtime with its own store under ``tmp_path`` (reusable across opens), or ``home``."""
    async with open_runtime(
        Paths.under(home or tmp_path / "calldesk"),
        accounts,
        secret_for,
        seed=seed,
        start_engine=start_engine,
        backoff=backoff,
    ) as runtime:
        yield runtime


def close_calls(server: SandboxServer) -> dict[str, dict[str, object]]:
    """The Close sandbox's call records by id."""
    calls: dict[str, dict[str, object]] = server.sandbox.apis[Vendor.CLOSE].calls  # type: ignore[attr-defined]
    return calls


def close_calls_with_phone(server: SandboxServer, phone: str) -> list[dict[str, object]]:
    """The Close sandbox's call records for ``phone``."""
    return [c for c in close_calls(server).values() if c["phone"] == phone]


def close_values(i: int, **extra: Any) -> dict[str, Any]:
    """Values for a Close call that ``find_created`` can tell apart from every other ``i``."""
    return {
        "activity_at": BASE_TIME + timedelta(minutes=i),
        "phone": f"+1650555{i:04d}",
        "duration": 60 + i,
        "note": f"call {i}",
        **extra,
    }


def pipedrive_values(i: int, **extra: Any) -> dict[str, Any]:
    """Values for a Pipedrive call log (every field it requires)."""
    start = BASE_TIME + timedelta(minutes=i)
    return {
        "outcome": "connected",
        "to_phone_number": f"+1650555{i:04d}",
        "start_time": start,
        "end_time": start + timedelta(seconds=120),
        "duration": 120,
        "note": f"call {i}",
        **extra,
    }


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]], *, timeout: float, what: str
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


def outbox_empty(runtime: Runtime, account: str) -> Callable[[], Awaitable[bool]]:
    """A ``settle`` for ``engine.drain``: nothing at all left in the account's outbox."""

    async def settle() -> bool:
        return (await runtime.service.counts(account)).total == 0

    return settle


def nothing_pending(runtime: Runtime, account: str) -> Callable[[], Awaitable[bool]]:
    """A ``settle``: nothing pending or in flight (failed / conflict / needs-auth may remain)."""

    async def settle() -> bool:
        counts = await runtime.service.counts(account)
        return counts.pending + counts.in_flight == 0

    return settle
