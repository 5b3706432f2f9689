"""Every store action a rep makes, at 10k, 100k and 1,000,000 cached calls, each against a bare
SQLite baseline measured in the same run on the same file, with the growth exponent per action.

For each size a store is built by bulk SQL (``bench_ui_common.bulk_home``; not timed), then:

* ``save``: ``Outbox.save_new`` **and** the index update that follows it (``SearchIndexer.flush``:
  search entry, list line, counts), p99 — vs a bare ``INSERT`` + ``COMMIT`` into a one-table
  database in the same directory (WAL, ``synchronous=FULL``), alternating. Goal ≤ 2×.
* ``search``: what the window runs per keystroke, ``list_calls`` (first page of 100, newest
  first) + ``count_calls``, for a common word (~1 call in 7) and a rare one (a phone number) —
  vs the same page and count read straight off calldesk's own search index with raw SQL (the
  page's rowids, their list lines by rid, ``COUNT(*)`` of the match). Each keystroke is a new
  search (no count cache). Goal ≤ 1.5×.
* ``oldest``: jump to the oldest call, ``list_calls(from_end=True)`` (a page of 100) — vs a
  bare keyset query for that page (``ORDER BY when_ts, rid LIMIT 100`` on the same index).
  Goal ≤ 3×.
* ``deep``: the page after the 5,000th call (``after=``) and the 50th search page, by keyset
  — vs OFFSET (printed; no goal).
* ``count``: "All calls" and one account — printed.

Run on demand: ``python benchmarks/bench_store_scale.py [--sizes 10000,100000,1000000]``. The
1,000,000 store takes a few minutes to build. The last lines are ``BENCH`` lines, one per action
at the largest size, with ``growth=`` the exponent from the smallest to the largest size.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_ui_common import ACCOUNT, bulk_home, growth, rare_phone

from calldesk.store.call_counts import CallCounter
from calldesk.store.calls import CallQuery, fts_query
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.migrations import SEARCH_RID_MASK
from calldesk.store.records import CallRow

COMMON, RARE = "forklift", rare_phone()
GOALS = {"save": 2.0, "search_common": 1.5, "search_rare": 1.5, "oldest": 3.0}
LINE = (
    "local_id, account, remote_id, state, deleted, when_ts, who, phone, direction, duration_s, "
    "outcome, note_preview"
)


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def mean_ms(action: Callable[[], object], repeats: int) -> float:
    action()
    started = time.perf_counter()
    for _ in range(repeats):
        action()
    return (time.perf_counter() - started) / repeats * 1000


def bench_saves(tmp: Path, store: LocalStore, n: int) -> tuple[float, float]:
    """p99 ms of a save including its index update, and of a bare insert+commit."""
    bare = sqlite3.connect(tmp / "bare.sqlite3", isolation_level=None)
    bare.execute("PRAGMA journal_mode = WAL")
    bare.execute("PRAGMA synchronous = FULL")
    bare.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
    saves: list[float] = []
    inserts: list[float] = []
    try:
        for i in range(n):
            started = time.perf_counter()
            bare.execute("BEGIN IMMEDIATE")
            bare.execute("INSERT INTO t (body) VALUES (?)", (f'{{"who": "Caller {i}"}}',))
            bare.execute("COMMIT")
            inserts.append((time.perf_counter() - started) * 1000)
            fields = {"who": f"Caller {i}", "note": "discussed pricing", "duration": 60 + i}
            row = CallRow(when_ts=1.7e9 + i, who=f"Caller {i}", note_preview="discussed pricing")
            started = time.perf_counter()
            store.outbox.save_new(ACCOUNT, fields, row, f"Caller {i} discussed pricing")
            store.search_index.flush()  # what the worker runs right after the save's commit
            saves.append((time.perf_counter() - started) * 1000)
    finally:
        bare.close()
    return p99(saves), p99(inserts)


def bare_search(conn: sqlite3.Connection, word: str) -> Callable[[], object]:
    match = fts_query(word)

    def run() -> object:
        keys = [
            int(row[0]) & SEARCH_RID_MASK
            for row in conn.execute(
                "SELECT rowid FROM calls_fts WHERE calls_fts MATCH ? ORDER BY rowid DESC LIMIT 100",
                (match,),
            )
        ]
        lines = [
            conn.execute(f"SELECT {LINE} FROM call_rows WHERE rid = ?", (rid,)).fetchone()
            for rid in keys
        ]
        count = conn.execute(
            "SELECT COUNT(*) FROM calls_fts WHERE calls_fts MATCH ?", (match,)
        ).fetchone()
        return lines, count

    return run


def measure(size: int, repeats: int, saves: int) -> dict[str, tuple[float, float]]:
    """``{action: (value ms, baseline ms)}`` for a store of ``size`` calls."""
    with tempfile.TemporaryDirectory(prefix="calldesk-scale-") as tmp:
        started = time.perf_counter()
        paths = bulk_home(Path(tmp), size)
        print(f"\n{size:,} calls: store built in {time.perf_counter() - started:.1f} s")
        db_path = paths.data_dir / DB_FILENAME
        store = LocalStore.open(db_path)
        raw = sqlite3.connect(db_path)
        results: dict[str, tuple[float, float]] = {}
        try:
            calls = store.calls
            for name, word in (("search_common", COMMON), ("search_rare", RARE)):
                query = CallQuery(text=word)

                def typed(query: CallQuery = query) -> object:
                    counter = CallCounter(store.db, store.search_index)  # a new search: no cache
                    return calls.list_calls(query), counter.count_calls(query)

                results[name] = (mean_ms(typed, repeats), mean_ms(bare_search(raw, word), repeats))
                print(f"  {name:14} {word!r}: {calls.count_calls(query):,} hits")
            results["oldest"] = (
                mean_ms(lambda: calls.list_calls(CallQuery(from_end=True)), repeats),
                mean_ms(
                    lambda: raw.execute(
                        f"SELECT {LINE} FROM call_rows WHERE deleted = 0 "
                        "ORDER BY when_ts ASC, rid ASC LIMIT 100"
                    ).fetchall(),
                    repeats,
                ),
            )
            after = calls.list_calls(CallQuery(limit=5000))[-1].local_id
            results["deep_page"] = (
                mean_ms(lambda: calls.list_calls(CallQuery(after=after)), repeats),
                mean_ms(lambda: calls.list_calls(CallQuery(offset=5000)), repeats),
            )
            hits = calls.list_calls(CallQuery(text=COMMON, limit=4900))
            results["deep_search"] = (
                mean_ms(
                    lambda: calls.list_calls(CallQuery(text=COMMON, after=hits[-1].local_id)),
                    repeats,
                ),
                mean_ms(lambda: calls.list_calls(CallQuery(text=COMMON, offset=4900)), repeats),
            )

            def recount(query: CallQuery) -> Callable[[], object]:
                def run() -> object:
                    return CallCounter(store.db, store.search_index).count_calls(query)

                return run

            results["count_all"] = (
                mean_ms(recount(CallQuery()), repeats),
                mean_ms(
                    lambda: raw.execute(
                        "SELECT COUNT(*) FROM call_rows WHERE deleted = 0"
                    ).fetchone(),
                    repeats,
                ),
            )
            results["save"] = bench_saves(Path(tmp), store, saves)
        finally:
            raw.close()
            store.close()
        for name, (value, baseline) in results.items():
            print(f"  {name:14} {value:8.3f} ms   baseline {baseline:8.3f} ms   ratio "
                  f"{value / baseline:5.2f}")  # fmt: skip
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--saves", type=int, default=400)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    runs = {size: measure(size, args.repeats, args.saves) for size in sizes}
    print("\ngrowth exponents (value ~ size^k; goal <= 0.1 per action):")
    names = list(runs[sizes[0]])
    exponents = {}
    for name in names:
        exponents[name] = growth(sizes, [runs[size][name][0] for size in sizes])
        base = growth(sizes, [runs[size][name][1] for size in sizes])
        print(f"  {name:14} calldesk {exponents[name]:5.2f}   baseline {base:5.2f}")
    largest = runs[sizes[-1]]
    for name in names:
        value, baseline = largest[name]
        goal = GOALS.get(name, "-")
        print(
            f"BENCH store_{name}_{sizes[-1]} value={value:.3f} baseline={baseline:.3f} "
            f"ratio={value / baseline:.2f} goal=<={goal} growth={exponents[name]:.2f}"
        )


if __name__ == "__main__":
    main()
