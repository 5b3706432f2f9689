"""The window's longest event-loop stall while a 60 s recording is transcribed.

The real window (``MainWindow`` over ``open_runtime`` + ``backend_of``, one Pipedrive account on
a closed local port, 50 cached calls) is open on a qasync loop with a call opened; a 5 ms
``QTimer`` records the gaps between its ticks. Measured: the transcript panel's own path
(``TranscriptCoordinator.start``: the built-in engine in its worker process, progress and
segments shown as they come, the transcript stored with the call) until the panel shows the
transcript. The baseline is the longest gap of the same timer over the same open window with
nothing running, for 3 s, in the same run.

Run: ``python benchmarks/bench_transcribe_stall.py``; the last line: ms, goal ≤ 50 (absolute).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from bench_transcribe_common import bench_line, speech_wav
from bench_ui_common import ACCOUNT, closed_port, populate_home
from bench_ui_loop_stall import GapMeter
from PySide6.QtWidgets import QApplication

from calldesk.app import backend_of
from calldesk.runtime import open_runtime
from calldesk.sandbox import SANDBOX_KEYS
from calldesk.store.accounts import AccountsConfig
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow

GOAL_MS = 50.0
IDLE_SECONDS = 3.0


async def scenario(paths: Paths, recording: Path) -> tuple[float, float, str]:
    accounts = AccountsConfig.for_paths(paths).load()
    async with open_runtime(
        paths, accounts, lambda a: SANDBOX_KEYS[a.vendor], start_engine=False
    ) as runtime:
        window = MainWindow(backend_of(runtime), settings_path=paths.config_dir / "window.ini")
        window.show()
        window.start()
        await window.settle()
        first = window.model.row_at(0)
        await window.open_record(ACCOUNT, first.local_id)
        await window.settle()
        coordinator = window.editor.recordings.transcripts
        panel = coordinator.panel
        meter = GapMeter()
        meter.start()
        await asyncio.sleep(IDLE_SECONDS)
        idle = meter.longest * 1000

        meter.reset()
        started = time.perf_counter()
        assert coordinator.start(recording), panel.status.text()
        while panel.running:
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        busy = meter.longest * 1000
        meter.timer.stop()
        detail = f"{elapsed:.1f} s, {len(panel.all_text().split())} words: {panel.status.text()}"
        window.close()
        await window.settle()
        return busy, idle, detail


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        paths = populate_home(Path(tmp) / "home", 50, port=closed_port())
        recording = speech_wav(Path(tmp) / "call-60s.wav", 60)
        busy, idle, detail = qasync.run(scenario(paths, recording))
    print(f"transcribing 60 s in the window: {detail}")
    print(f"longest loop gap: {busy:.1f} ms while transcribing, {idle:.1f} ms idle")
    print(bench_line("transcribe_loop_stall_ms", busy, idle, GOAL_MS, ".1f"))


if __name__ == "__main__":
    main()
