"""Instant search over 100,000 cached calls: the store's FTS5 index vs a Python substring scan.

The value is what the window does per keystroke burst: ``CallStore.list_calls`` with
``CallQuery(text=...)`` (the first page of 100, newest first: the window's page) plus
``count_calls`` for the same query. The baseline is a case-insensitive substring scan over the same
100,000 search texts held in memory (already lower-cased, so the scan is only ``in``), returning
every match. Both are averaged over realistic queries: a name prefix, words in notes and phone
fragments. The store is populated in a temporary ``CALLDESK_HOME`` beforehand (not timed);
``CallStore.search`` (ranked, 50 results) is reported too.

Run on demand: ``python benchmarks/bench_ui_search.py [repeats]``; the last line is the result.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_ui_common import bench_line, populate_home

from calldesk.store.calls import CallQuery
from calldesk.store.local import DB_FILENAME, LocalStore

CALLS = 100_000
GOAL = 0.1
QUERIES = ("Kowal", "Priya Ng", "integration", "forklift", "quote for 25", "6505550", "555 01")


def timed(action: Callable[[], object], repeats: int) -> float:
    """Mean seconds per call of ``action`` (after one warm-up call)."""
    action()
    started = time.perf_counter()
    for _ in range(repeats):
        action()
    return (time.perf_counter() - started) / repeats


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        paths = populate_home(Path(tmp), CALLS)
        store = LocalStore.open(paths.data_dir / DB_FILENAME)
        try:
            texts = [
                str(row[0]).lower()
                for row in store.db.query("SELECT search_text FROM calls ORDER BY rid")
            ]
            fts: list[float] = []
            ranked: list[float] = []
            scan: list[float] = []
            for text in QUERIES:
                query = CallQuery(text=text)
                needle = text.lower()

                def ui_search(query: CallQuery = query) -> object:
                    return store.calls.list_calls(query), store.calls.count_calls(query)

                def substring_scan(needle: str = needle) -> object:
                    return [i for i, t in enumerate(texts) if needle in t]

                fts.append(timed(ui_search, repeats))
                ranked.append(timed(lambda text=text: store.calls.search(text), repeats))  # type: ignore[misc]
                scan.append(timed(substring_scan, repeats))
                hits = store.calls.count_calls(query)
                print(
                    f"{text!r:16} {hits:6} FTS hits, {len(substring_scan()):6} substring hits: "
                    f"list+count {fts[-1] * 1000:7.2f} ms, search() {ranked[-1] * 1000:6.2f} ms, "
                    f"scan {scan[-1] * 1000:6.2f} ms"
                )
        finally:
            store.close()
    value, baseline = statistics.mean(fts) * 1000, statistics.mean(scan) * 1000
    print(
        f"mean over {len(QUERIES)} queries: list+count {value:.2f} ms, "
        f"search() {statistics.mean(ranked) * 1000:.2f} ms, substring scan {baseline:.2f} ms"
    )
    print(bench_line("ui_search_ms", value, baseline, GOAL))


if __name__ == "__main__":
    main()
