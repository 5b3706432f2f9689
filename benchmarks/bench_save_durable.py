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


def bench(tmp: Path, n: int) -> tuple[list[float], list[float]]:
    """Time a bare insert+commit and a calldesk save alternately, so both see the same load."""
    conn = sqlite3.connect(tmp / "bare.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    store = LocalStore.open(tmp / "calldesk.sqlite3")
    bare: list[float] = []
    saves: list[float] = []
    try:
        for i in range(n):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (body) VALUES (?)", (f'{{"who": "Caller {i}"}}',))
            conn.execute("COMMIT")
            bare.append((time.perf_counter() - started) * 1000)

            fields = {"who": f"Caller {i}", "note": "discussed pricing", "duration": 60 + i}
            row = CallRow(when_ts=1.7e9 + i, who=f"Caller {i}", note_preview="discussed pricing")
            started = time.perf_counter()
            store.outbox.save_new("acc", fields, row, f"Caller {i} discussed pricing")
            saves.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
        store.close()
    return bare, saves


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        bare, saves = bench(Path(tmp), n)
    baseline, value = p99(bare), p99(saves)
    ratio = value / baseline if baseline else float("inf")
    print(f"n={n} save p99 {value:.3f} ms, bare insert+commit p99 {baseline:.3f} ms")
    print(
        f"BENCH save_durable_p99 value={value:.3f} baseline={baseline:.3f} "
        f"ratio={ratio:.2f} goal=2.0"
    )


if __name__ == "__main__":
    main()
