"""Benchmark: drain 1,000 queued Close updates under a sandbox rate limit (run on demand).

The floor is N / (limit per second): no client can go faster without meeting 429s. The engine's
``Pacer`` reads the ``RateLimit`` headers, so it should come close to the floor (goal: within
10%) while meeting almost no 429s (goal: at most 1% of requests).

    python benchmarks/bench_drain_rate_limited.py [--updates 1000] [--limit 100] [--window 1.0]

The last line is ``BENCH drain_rate_limited value=<s> baseline=<floor s> ratio=<r> goal=1.10``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from calldesk.domain import Account, KeySource, Vendor
from calldesk.runtime import open_runtime
from calldesk.sandbox import SANDBOX_KEYS, SandboxConfig, SandboxServer
from calldesk.store.calls import CallQuery
from calldesk.store.paths import Paths
from calldesk.sync.policy import BackoffPolicy


async def bench(server: SandboxServer, home: Path, updates: int, limit: int, window: float) -> None:
    account = Account("c", Vendor.CLOSE, server.base_url(Vendor.CLOSE), KeySource("env", "K"))
    async with open_runtime(
        Paths.under(home),
        [account],
        lambda a: SANDBOX_KEYS[a.vendor],
        start_engine=False,
        backoff=BackoffPolicy(base=0.05, cap=0.5),
        seed=1,
    ) as rt:
        await rt.service.refresh("c")
        rows = await rt.service.list_calls(CallQuery(accounts=("c",), limit=updates))
        assert len(rows) == updates, f"the sandbox holds only {len(rows)} calls"
        for n, row in enumerate(rows):
            await rt.service.update_call("c", row.local_id, {"note": f"bench {n}"})
        counter = server.sandbox.counters[Vendor.CLOSE]
        server.sandbox.faults.set(Vendor.CLOSE, rate_limit=limit, rate_window=window)
        server.sandbox.gates[Vendor.CLOSE].reset()
        before_total, before_429 = counter.total, counter.rate_limited

        async def settled() -> bool:
            return (await rt.service.counts("c")).total == 0

        started = time.monotonic()
        rt.engine.start()
        done = await rt.engine.drain("c", timeout=updates / (limit / window) * 5, settle=settled)
        elapsed = time.monotonic() - started
    requests = counter.total - before_total
    limited = counter.rate_limited - before_429
    floor = updates / (limit / window)
    print(f"drained={done} updates={updates} requests={requests} 429s={limited}")
    print(f"429 percentage: {100 * limited / max(1, requests):.2f}% (goal <= 1%)")
    print(
        f"BENCH drain_rate_limited value={elapsed:.2f} baseline={floor:.2f} "
        f"ratio={elapsed / floor:.3f} goal=1.10"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--window", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        config = SandboxConfig(
            seed=5, calls_per_vendor=args.updates, recordings_dir=Path(tmp) / "rec"
        )
        with SandboxServer(config) as server:
            asyncio.run(bench(server, Path(tmp) / "home", args.updates, args.limit, args.window))


if __name__ == "__main__":
    main()
