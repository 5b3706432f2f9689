"""Waiting for an operation that is not due yet sleeps (until it is due or something changes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calldesk.domain import Vendor
from calldesk.sandbox import SandboxServer
from calldesk.sync.policy import BackoffPolicy
from tests.sync.sync_support import close_values, sandbox_account, sync_runtime


@pytest.mark.asyncio
async def test_draining_while_the_only_op_is_not_due_looks_a_few_times_not_thousands(
    sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    """``sync --timeout 10`` with a call whose retry is a minute away (it burned a CPU before)."""
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, error_rate=1.0)
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    slow = BackoffPolicy(base=60.0, cap=60.0)
    async with sync_runtime(tmp_path, [account], start_engine=False, backoff=slow) as rt:
        await rt.service.log_call("c", close_values(5))
        rt.engine.start()
        looks = 0

        async def settle() -> bool:
            nonlocal looks
            looks += 1
            return False

        assert not await rt.engine.drain("c", timeout=1.5, settle=settle)
        (op,) = await rt.service.queue("c")
    assert op.attempts == 1 and "503" in (op.last_error or "")
    assert 1 <= looks <= 15
