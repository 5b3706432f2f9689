"""Benchmark: drain 1,000 queued Close creates under a sandbox rate limit, with the store full
(run on demand).

The store first holds ``--store`` cached calls (``bench_ui_common.bulk_home``, default 100,000),
so every create's index update and bookkeeping work over a full store. The floor is
(N - the limit's initial burst) / (limit per second): no client can go faster without meeting
429s. The engine's ``Pacer`` reads the ``RateLimit`` headers, so it should come close to the
floor (goal: within 10%) while meeting almost no 429s (goal: at most 1% of requests). CPU per
operation is this process's CPU time during the drain / N (the sandbox CRM runs in a thread of
the same process, so its share is included).

    python benchmarks/bench_drain_rate_limited.py [--creates 1000] [--store 100000] [--limit 100]

The last line is ``BENCH drain_rate_limited value=<s> baseline=<floor s> ratio=<r> goal=1.10``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench_ui_common import bulk_home

from calldesk.domain import Account, KeySource, Vendor
from calldesk.runtime import open_runtime
from calldesk.sandbox import SANDBOX_KEYS, SandboxConfig, SandboxServer
from calldesk.store.paths import Paths
from calldesk.sync.policy import BackoffPolicy


async def bench(server: SandboxServer, home: Path, updates: int, limit: int, window: float) -> None:
    """Queue ``updates`` creates while the engine is stopped, then time their drain."""
    account = Account("c", Vendor.CLOSE, server.base_url(Vendor.CLOSE), KeySource("env", "K"))
    async with open_runtime(
        Paths.under(home),
        [account],
        lambda a: SANDBOX_KEYS[a.vendor],
        start_engine=False,
        backoff=BackoffPolicy(base=0.05, cap=0.5),
        seed=1,
    ) as rt:
        schema = rt.service.schema_for("c")
        for n in range(updates):
            values, errors = schema.parse_inputs({"duration": str(30 + n), "note": f"bench {n}"})
            assert not errors, errors
            await rt.service.log_call("c", values)
        counter = server.sandbox.counters[Vendor.CLOSE]
        server.sandbox.faults.set(Vendor.CLOSE, rate_limit=limit, rate_window=window)
        server.sandbox.gates[Vendor.CLOSE].reset()
        before_total, before_429 = counter.total, counter.rate_limited

        async def settled() -> bool:
            return (await rt.service.counts("c")).total == 0

        started = time.monotonic()
        cpu = time.process_time()
        rt.engine.start()
        done = await rt.engine.drain("c", timeout=updates / (limit / window) * 5, settle=settled)
        elapsed = time.monotonic() - started
        cpu = time.process_time() - cpu
    requests = counter.total - before_total
    limited = counter.rate_limited - before_429
    floor = max(0, updates - limit) / (limit / window)  # the first window's burst is free
    print(f"drained={done} creates={updates} requests={requests} 429s={limited}")
    print(f"CPU {cpu:.2f} s in all, {cpu / updates * 1000:.2f} ms per operation")
    print(f"429 percentage: {100 * limited / max(1, requests):.2f}% (goal <= 1%)")
    print(
        f"BENCH drain_rate_limited value={elapsed:.2f} baseline={floor:.2f} "
        f"ratio={elapsed / floor:.3f} goal=1.10"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", dest="updates", type=int, default=1000)
    parser.add_argument("--store", type=int, default=100_000, help="cached calls first")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--window", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        config = SandboxConfig(seed=5, calls_per_vendor=10, recordings_dir=Path(tmp) / "rec")
        home = Path(tmp) / "home"
        bulk_home(home, args.store)
        print(f"store: {args.store:,} cached calls", flush=True)
        with SandboxServer(config) as server:
            asyncio.run(bench(server, home, args.updates, args.limit, args.window))


if __name__ == "__main__":
    main()
