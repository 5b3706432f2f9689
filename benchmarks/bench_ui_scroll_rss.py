"""Memory while scrolling the whole call list: RSS after scrolling to the end vs after start.

The real window (``MainWindow`` over ``open_runtime`` + ``backend_of``, offscreen, qasync) opens
on a store of N cached calls (``bench_ui_common.bulk_home``, default 100,000; not timed). Once it
has settled (first page shown), the resident set size is read (``/proc/self/statm``); then the
table's scrollbar is moved down one page of rows at a time, waiting each time until the rows on
screen are read, to the end of the list; the RSS is read again. With more than ``--max-steps``
pages, the steps are spread evenly over the list (each a jump). The goal: ≤ 1.2× (rows outside
the view are dropped, not kept). The time per step is printed too.

Run on demand: ``python benchmarks/bench_ui_scroll_rss.py [N] [--max-steps 2000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from bench_ui_common import bulk_home, closed_port
from PySide6.QtWidgets import QApplication

from calldesk.app import backend_of
from calldesk.runtime import open_runtime
from calldesk.store.accounts import AccountsConfig
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow

GOAL = 1.2


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def until(condition: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError("condition not met in time")
        await asyncio.sleep(0.001)


async def scenario(paths: Paths, calls: int, max_steps: int) -> tuple[float, float, str]:
    accounts = AccountsConfig.for_paths(paths).load()
    async with open_runtime(paths, accounts, lambda _a: "never-sent", start_engine=False) as rt:
        window = MainWindow(backend_of(rt), settings_path=paths.config_dir / "window.ini")
        window.resize(1280, 800)
        window.show()
        window.start()
        model = window.model
        await until(lambda: model.total() == calls)
        await window.settle()
        gc.collect()
        start = rss_mib()
        bar = window.table.verticalScrollBar()
        rows_per_page = max(1, bar.pageStep())
        pages = (bar.maximum() + rows_per_page - 1) // rows_per_page + 1
        steps = min(pages, max_steps)
        most = 0
        started = time.perf_counter()
        for step in range(1, steps + 1):
            bar.setValue(round(bar.maximum() * step / steps))
            top = window.table.rowAt(0)
            bottom = window.table.rowAt(window.table.viewport().height() - 2)
            await until(
                lambda top=top, bottom=bottom: (
                    model.row_at(top) is not None
                    and model.row_at(bottom if bottom >= 0 else calls - 1) is not None
                )
            )
            most = max(most, len(model.rows()))
        per_step = (time.perf_counter() - started) / steps * 1000
        gc.collect()
        end = rss_mib()
        window.close()
        await window.settle()
        detail = (
            f"{steps} steps of {'one page' if steps == pages else 'a jump'} "
            f"({per_step:.1f} ms each), at most {most} rows held"
        )
        return start, end, detail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calls", nargs="?", type=int, default=100_000)
    parser.add_argument("--max-steps", type=int, default=2000)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        paths = bulk_home(Path(tmp) / "home", args.calls, port=closed_port())
        start, end, detail = qasync.run(scenario(paths, args.calls, args.max_steps))
    print(f"{args.calls:,} calls: RSS {start:.1f} MiB after start, {end:.1f} MiB after scrolling")
    print(f"  {detail}")
    print(
        f"BENCH ui_scroll_rss_{args.calls} value={end:.1f} baseline={start:.1f} "
        f"ratio={end / start:.2f} goal=<={GOAL}"
    )


if __name__ == "__main__":
    main()
