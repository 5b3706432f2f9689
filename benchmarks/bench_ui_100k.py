"""Opening the real window over 100,000 cached calls: time to first rows painted, and peak RSS.

Against a ``QTableView`` over a bare ``QAbstractTableModel`` of 100,000 × 8 string tuples built
in the child (the set-up notes' baseline case), in the same run. Each case runs in a fresh
interpreter (``QT_QPA_PLATFORM=offscreen``); time counts from just before the spawn, to the
first paint of a frame whose table holds rows; peak RSS is the child's ``ru_maxrss`` once the
window has settled on the real engine (list reloaded from the store, panels built), measured in
a separate run of the same child (the RSS at the first paint is printed too). The calldesk
child starts calldesk as its console script does (``calldesk.__main__.main()``) over a
``CALLDESK_HOME`` populated beforehand (not timed).
Cases alternate; medians of ``runs`` (default 5).

Run on demand: ``python benchmarks/bench_ui_100k.py [runs]``. Prints ``ui_100k_first_paint``,
``ui_100k_rss`` and, last, ``ui_100k`` whose value is the worse of the two ratios.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench_ui_common import (
    BARE_TABLE_CHILD,
    CALLDESK_CHILD,
    CALLDESK_SETTLED_CHILD,
    bench_line,
    child_env,
    compile_calldesk,
    median,
    populate_home,
    run_child,
)

CALLS = 100_000
GOAL = 1.5


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        home = Path(tmp)
        populate_home(home, CALLS)
        compile_calldesk()
        calldesk_env = child_env(home)
        bare_env = {**child_env(), "BENCH_ROWS": str(CALLS)}
        run_child(CALLDESK_CHILD, calldesk_env)  # warm the OS file cache for both cases
        run_child(BARE_TABLE_CHILD, bare_env)
        app: list[dict[str, float]] = []
        settled: list[dict[str, float]] = []
        bare: list[dict[str, float]] = []
        for _ in range(runs):
            app.append(run_child(CALLDESK_CHILD, calldesk_env))
            settled.append(run_child(CALLDESK_SETTLED_CHILD, calldesk_env))
            bare.append(run_child(BARE_TABLE_CHILD, bare_env))
    app_time, bare_time = median([r["rows"] for r in app]), median([r["rows"] for r in bare])
    first_rss = median([r["rss"] for r in app])
    app_rss, bare_rss = median([r["rss"] for r in settled]), median([r["rss"] for r in bare])
    print(
        f"calldesk window, {CALLS} calls: rows painted {app_time:.3f} s (peak RSS then "
        f"{first_rss:.1f} MiB); settled on the engine {median([r['settled'] for r in settled]):.3f}"
        f" s, peak RSS {app_rss:.1f} MiB; bare table model: {bare_time:.3f} s, {bare_rss:.1f} MiB"
    )
    print(bench_line("ui_100k_first_paint", app_time, bare_time, GOAL))
    print(bench_line("ui_100k_rss", app_rss, bare_rss, GOAL, ".1f"))
    worst = max(app_time / bare_time, app_rss / bare_rss)
    print(f"BENCH ui_100k value={worst:.2f} baseline=1.00 ratio={worst:.2f} goal={GOAL}")


if __name__ == "__main__":
    main()
