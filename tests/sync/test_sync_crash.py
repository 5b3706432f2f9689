"""The crash test: ``calldesk sync`` SIGKILLed at 20 random moments still delivers exactly once.

200 creates are queued for a Close account; the sandbox (in this process) answers 20% of requests
with a 5xx and drops 5% of answers after committing. A child ``calldesk sync`` is killed with
SIGKILL after a seeded random number of sandbox requests, 20 times, then run to completion.
Replay a failure with ``CALLDESK_CRASH_SEED=<seed>`` (the seed is printed).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calldesk.cli import run
from calldesk.domain import Account, KeySource, Vendor
from calldesk.runtime import BACKOFF_BASE_ENV, BACKOFF_CAP_ENV
from calldesk.sandbox import SANDBOX_KEYS, SandboxConfig, SandboxServer
from tests.sync.sync_support import close_values, sandbox_secret, sync_runtime

CALLS = 200
KILLS = 20
DEFAULT_SEED = 20261121


def _seed() -> int:
    return int(os.environ.get("CALLDESK_CRASH_SEED", DEFAULT_SEED))


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["K"] = SANDBOX_KEYS[Vendor.CLOSE]
    env[BACKOFF_BASE_ENV] = "0.02"
    env[BACKOFF_CAP_ENV] = "0.2"
    return env


def _start_sync(log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "calldesk", "sync", "--account", "c", "--timeout", "600"],
            env=_child_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for_requests(
    server: SandboxServer, child: subprocess.Popen[bytes], target: int, timeout: float
) -> None:
    """Block until the sandbox has seen ``target`` requests in total, or the child exits."""
    counter = server.sandbox.counters[Vendor.CLOSE]
    deadline = time.monotonic() + timeout
    while counter.total < target and child.poll() is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no progress: {counter.total} requests, waiting for {target}")
        time.sleep(0.005)  # polling a condition with a deadline


@pytest.mark.slow
def test_sigkill_at_random_moments_delivers_every_call_exactly_once(
    tmp_path: Path, calldesk_home: Path
) -> None:
    seed = _seed()
    print(f"CALLDESK_CRASH_SEED={seed}")
    rnd = random.Random(seed)
    config = SandboxConfig(seed=seed, calls_per_vendor=20, recordings_dir=tmp_path / "rec")
    with SandboxServer(config) as server:
        close = server.sandbox.apis[Vendor.CLOSE]
        sample_calls = close.call_count()
        assert (
            run(
                [
                    "accounts",
                    "add",
                    "c",
                    "--vendor",
                    "close",
                    "--base-url",
                    server.base_url(Vendor.CLOSE),
                    "--api-key-env",
                    "K",
                ]
            )
            == 0
        )
        asyncio.run(_queue_creates(calldesk_home, server))
        server.sandbox.faults.set(Vendor.CLOSE, error_rate=0.2, commit_then_drop=0.05)
        counter = server.sandbox.counters[Vendor.CLOSE]
        log = tmp_path / "sync.log"
        kills = 0
        for _ in range(KILLS):
            child = _start_sync(log)
            try:
                _wait_for_requests(server, child, counter.total + rnd.randint(1, 12), 60)
            finally:
                if child.poll() is None:
                    child.send_signal(signal.SIGKILL)
                    kills += 1
                child.wait(timeout=30)
        child = _start_sync(log)
        try:
            code = child.wait(timeout=240)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        assert code == 0, log.read_text()[-3000:]
        assert kills >= KILLS // 2, "most runs must have been killed mid-sync"
        assert counter.by_status[503] > 0 and counter.dropped > 0
        phones = [str(c["phone"]) for c in close.calls.values()]  # type: ignore[attr-defined]
        for i in range(CALLS):
            phone = str(close_values(i)["phone"])
            assert phones.count(phone) == 1, f"call {i} held {phones.count(phone)} times"
        assert close.call_count() == sample_calls + CALLS
        assert asyncio.run(_outbox_total(calldesk_home, server)) == 0


async def _queue_creates(home: Path, server: SandboxServer) -> None:
    account = Account("c", Vendor.CLOSE, server.base_url(Vendor.CLOSE), KeySource("env", "K"))
    async with sync_runtime(home.parent, [account], start_engine=False, home=home) as rt:
        for i in range(CALLS):
            await rt.service.log_call("c", close_values(i))
        assert (await rt.service.counts("c")).pending == CALLS


async def _outbox_total(home: Path, server: SandboxServer) -> int:
    account = Account("c", Vendor.CLOSE, server.base_url(Vendor.CLOSE), KeySource("env", "K"))
    async with sync_runtime(
        home.parent, [account], secret_for=sandbox_secret, start_engine=False, home=home
    ) as rt:
        return (await rt.service.counts("c")).total
