"""``calldesk calls log`` from a script: one call per process, and 1,000 calls from a JSON Lines
file in one process, against a bare Python process doing one durable SQLite insert.

For each store size (``bench_ui_common.bulk_home``, not timed) the value is the median wall time
of ``python -m calldesk calls log --account work ...`` (a fresh process each time, as a script
runs it; calldesk byte-compiled first, as an installed copy is), alternating with the baseline:
a fresh ``python -c`` that opens a WAL database with ``synchronous=FULL`` and commits one insert.
CPU time (user + system of the child) is printed too. Then ``calls log --from-jsonl`` logs 1,000
calls in one process (printed; before this path, 1,000 calls from a script took ~47 min).

Run on demand: ``python benchmarks/bench_cli_log.py [--sizes 10000,100000] [--runs 9]``; the last
line is ``BENCH cli_log ...`` for the largest size (goal ≤ 3×).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_ui_common import KEY_ENV, bulk_home, compile_calldesk, growth

GOAL = 3.0
BARE = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
    "c.execute('PRAGMA journal_mode=WAL'); c.execute('PRAGMA synchronous=FULL'); "
    "c.execute('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)'); "
    "c.execute('BEGIN IMMEDIATE'); c.execute('INSERT INTO t (body) VALUES (?)', ('call',)); "
    "c.execute('COMMIT')"
)
FIELDS = (
    "outcome=connected",
    "to_phone_number=+1 650 555 0142",
    "start_time=2026-11-21T10:00:00Z",
    "end_time=2026-11-21T10:01:30Z",
    "note=<p>Renewal, call back</p>",
)


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0,):
        raise RuntimeError(f"{args} failed ({done.returncode}): {done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def measure(size: int, runs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="calldesk-cli-") as tmp:
        home = Path(tmp)
        bulk_home(home, size)
        env = {**os.environ, "CALLDESK_HOME": str(home), KEY_ENV: "never-sent"}
        cli = [sys.executable, "-m", "calldesk", "calls", "log", "--account", "work"]
        bare = [sys.executable, "-c", BARE, str(home / "bare.sqlite3")]
        walls: dict[str, list[float]] = {"calldesk": [], "bare": []}
        cpus: dict[str, list[float]] = {"calldesk": [], "bare": []}
        timed([*cli, *FIELDS], env)  # warm the page cache once
        for _ in range(runs):
            for name, args in (("bare", bare), ("calldesk", [*cli, *FIELDS])):
                wall, cpu = timed(args, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        value, baseline = statistics.median(walls["calldesk"]), statistics.median(walls["bare"])
        print(
            f"{size:,} calls: calls log {value * 1000:.0f} ms (CPU "
            f"{statistics.median(cpus['calldesk']) * 1000:.0f} ms), bare insert "
            f"{baseline * 1000:.0f} ms (CPU {statistics.median(cpus['bare']) * 1000:.0f} ms), "
            f"ratio {value / baseline:.2f}"
        )
        lines = home / "calls.jsonl"
        with lines.open("w", encoding="utf-8") as out:
            for i in range(1000):
                out.write(
                    json.dumps(
                        {"outcome": "connected", "to_phone_number": f"+1 650 555 {i:04d}",
                         "start_time": "2026-11-21T10:00:00Z",
                         "end_time": "2026-11-21T10:01:30Z", "note": f"<p>Bulk {i}</p>"}
                    ) + "\n"
                )  # fmt: skip
        wall, cpu = timed([*cli, "--from-jsonl", str(lines)], env)
        print(f"  --from-jsonl 1,000 calls: {wall:.2f} s wall, {cpu:.2f} s CPU")
        return value, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    compile_calldesk()
    sizes = [int(size) for size in args.sizes.split(",")]
    results = [measure(size, args.runs) for size in sizes]
    exponent = growth(sizes, [value for value, _ in results]) if len(sizes) > 1 else 0.0
    value, baseline = results[-1]
    print(
        f"BENCH cli_log_{sizes[-1]} value={value:.3f} baseline={baseline:.3f} "
        f"ratio={value / baseline:.2f} goal=<={GOAL} growth={exponent:.2f}"
    )


if __name__ == "__main__":
    main()
