"""Start-up: process start → first paint of the real window over 10,000 cached calls.

Against a bare PySide6 ``QMainWindow`` of the same size shown until its first paint, in the same
run. Each case runs in a fresh interpreter (``QT_QPA_PLATFORM=offscreen``); the clock starts just
before the child is spawned, so interpreter start-up and imports count. The calldesk child starts
calldesk as its console script does (``calldesk.__main__.main()``, nothing imported before it)
over a ``CALLDESK_HOME`` populated beforehand (not timed); the baselines are plain PySide6
scripts.
"Value" is the window's first paint event of a frame in which the call table *holds rows* (the
bare window: its first paint event); the window's first paint of anything, and the moment that
frame is fully drawn (the end of the paint pass, for both windows), are printed too. The calldesk
package is byte-compiled first, as an installed copy is. Cases alternate; medians of ``runs``
(default 15: a few disturbed runs in a row should not move the median).

Run on demand: ``python benchmarks/bench_ui_first_paint.py [runs]``; the last line is the result.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench_ui_common import (
    BARE_WINDOW_CHILD,
    CALLDESK_CHILD,
    EQUIVALENT_WINDOW_CHILD,
    bench_line,
    child_env,
    compile_calldesk,
    median,
    populate_home,
    run_child,
)

CALLS = 10_000
GOAL = 1.3


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        home = Path(tmp)
        populate_home(home, CALLS)
        compile_calldesk()
        calldesk_env = child_env(home)
        bare_env = child_env()
        run_child(CALLDESK_CHILD, calldesk_env)  # warm the OS file cache for both cases
        run_child(BARE_WINDOW_CHILD, bare_env)
        app_rows: list[float] = []
        app_first: list[float] = []
        app_drawn: list[float] = []
        bare: list[float] = []
        bare_drawn: list[float] = []
        same: list[float] = []
        same_drawn: list[float] = []
        run_child(EQUIVALENT_WINDOW_CHILD, calldesk_env)
        for _ in range(runs):
            result = run_child(CALLDESK_CHILD, calldesk_env)
            app_rows.append(result["rows"])
            app_first.append(result["first"])
            app_drawn.append(result["drawn"])
            result = run_child(BARE_WINDOW_CHILD, bare_env)
            bare.append(result["rows"])
            bare_drawn.append(result["drawn"])
            result = run_child(EQUIVALENT_WINDOW_CHILD, calldesk_env)
            same.append(result["rows"])
            same_drawn.append(result["drawn"])
    print(
        f"calldesk window, {CALLS} calls: first paint {median(app_first):.3f} s, "
        f"first paint with rows {median(app_rows):.3f} s (runs: "
        f"{', '.join(f'{v:.3f}' for v in app_rows)})"
    )
    print(
        f"bare QMainWindow first paint {median(bare):.3f} s "
        f"(runs: {', '.join(f'{v:.3f}' for v in bare)})"
    )
    print(
        f"that first frame fully drawn: calldesk {median(app_drawn):.3f} s, bare "
        f"{median(bare_drawn):.3f} s, ratio {median(app_drawn) / median(bare_drawn):.2f}"
    )
    print(
        f"for context, the same frame written directly in PySide6: {median(same):.3f} s "
        f"({median(same) / median(bare):.2f}x), drawn {median(same_drawn):.3f} s "
        f"({median(same_drawn) / median(bare_drawn):.2f}x)"
    )
    print(bench_line("ui_first_paint", median(app_rows), median(bare), GOAL))


if __name__ == "__main__":
    main()
