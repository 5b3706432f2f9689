"""How long a durable save takes: LocalStore.outbox.save_new p99 vs a bare SQLite insert+commit.

Both use WAL + synchronous=FULL on the same disk in the same run. Run on demand:
``python benchmarks/bench_save_durable.py [n]``; the last line is machine-readable.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from calldesk.store.local import LocalStore
from calldesk.store.records import CallRow


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def bench_baseline(path: Path, n: int) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    samples = []
    try:
        for i in range(n):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (body) VALUES (?)", (f'{{"who": "Caller {i}"}}',))
            conn.execute("COMMIT")
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return samples


def bench_store(path: Path, n: int) -> list[float]:
    store = LocalStore.open(path)
    samples = []
    try:
        for i in range(n):
            fields = {"who": f"Caller {i}", "note": "discussed pricing", "duration": 60 + i}
            row = CallRow(when_ts=1.7e9 + i, who=f"Caller {i}", note_preview="discussed pricing")
            started = time.perf_counter()
            store.outbox.save_new("acc", fields, row, f"Caller {i} discussed pricing")
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        store.close()
    return samples


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        baseline = p99(bench_baseline(Path(tmp) / "bare.sqlite3", n))
        value = p99(bench_store(Path(tmp) / "calldesk.sqlite3", n))
    ratio = value / baseline if baseline else float("inf")
    print(f"n={n} save p99 {value:.3f} ms, bare insert+commit p99 {baseline:.3f} ms")
    print(
        f"BENCH save_durable_p99 value={value:.3f} baseline={baseline:.3f} "
        f"ratio={ratio:.2f} goal=2.0"
    )


if __name__ == "__main__":
    main()
