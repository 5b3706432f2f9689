"""The Qt loop's longest stall while 1,000 operations drain and a 200 MB recording uploads.

The real window (``MainWindow`` over ``open_runtime`` + ``backend_of``) is open on a qasync loop
with one Pipedrive account pointing at the sandbox CRMs served by a separate process on
127.0.0.1 (a remote CRM does not share our interpreter's GIL). A 5 ms ``QTimer`` records the gaps
between its ticks. Set-up (not measured): 1,000 calls are logged while the engine is stopped and
a 200 MiB WAV (header + zeros) is generated. Measured: attaching the recording to a call (the
window's "drop a file" path: ``CallService.attach_recording``), then starting the engine and
waiting until the queue is empty. The baseline is the longest gap of the same timer over the same
open window with nothing running, for 3 s, in the same run.

The store holds 100,000 cached calls first (``bulk_home``; ``python
benchmarks/bench_ui_loop_stall.py N`` for another size), so every save's index update and the
window's list reloads work over a full store.

Run on demand: ``python benchmarks/bench_ui_loop_stall.py [N]``; the last line is the result.
"""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from bench_ui_common import ACCOUNT, bench_line, bulk_home, closed_port
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from calldesk.app import backend_of
from calldesk.runtime import open_runtime
from calldesk.sandbox import SANDBOX_KEYS
from calldesk.store.accounts import AccountsConfig
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow

OPERATIONS = 1000
#: Calls already cached in the store (the window and every index update work over them).
CACHED_CALLS = 100_000
RECORDING_BYTES = 200 * 1024 * 1024
GOAL_MS = 50.0
IDLE_SECONDS = 3.0


class GapMeter:
    """A 5 ms timer that remembers the longest gap between its ticks since ``reset``."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0

    def start(self) -> None:
        self.reset()
        self.timer.start()


def write_wav(path: Path, size: int) -> None:
    """A valid 16-bit mono 8 kHz WAV header followed by silence, ``size`` bytes in all."""
    data = size - 44
    header = b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    header += b"data" + struct.pack("<I", data)
    chunk = bytes(1024 * 1024)
    with path.open("wb") as out:
        out.write(header)
        left = data
        while left > 0:
            out.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)


def start_sandbox(port: int) -> subprocess.Popen[bytes]:
    code = f"from calldesk.sandbox.server import serve; serve(port={port})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    import socket

    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the sandbox did not start")


async def until_drained(window: MainWindow, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = await window.service.counts()
        if counts.pending + counts.in_flight == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"queue not drained: {counts}")
        await asyncio.sleep(0.1)


async def scenario(paths: Paths, recording: Path) -> tuple[float, float, float, str]:
    """Longest gaps (ms): while draining, idle, during the attach call; and a summary."""
    accounts = AccountsConfig.for_paths(paths).load()
    async with open_runtime(
        paths, accounts, lambda a: SANDBOX_KEYS[a.vendor], start_engine=False
    ) as runtime:
        window = MainWindow(backend_of(runtime), settings_path=paths.config_dir / "window.ini")
        window.show()
        window.start()
        schema = window.service.schema_for(ACCOUNT)
        first = None
        for i in range(OPERATIONS):
            values, errors = schema.parse_inputs(
                {
                    "outcome": "connected",
                    "to_phone_number": f"+1 650 555 {i % 10000:04d}",
                    "start_time": "2026-11-20T10:42:00+01:00",
                    "end_time": "2026-11-20T10:46:12+01:00",
                    "duration": "4:12",
                    "note": f"Bench call {i}",
                }
            )
            assert not errors, errors
            record = await window.service.log_call(ACCOUNT, values)
            first = first or record.local_id
        assert first is not None
        await window.settle()
        print(f"set-up: {OPERATIONS} calls logged", flush=True)
        meter = GapMeter()
        meter.start()
        await asyncio.sleep(IDLE_SECONDS)
        idle = meter.longest * 1000

        meter.reset()
        started = time.perf_counter()
        await window.service.attach_recording(ACCOUNT, first, recording)
        attach_stall = meter.longest * 1000
        meter.reset()
        runtime.engine.start()
        await until_drained(window)
        elapsed = time.perf_counter() - started
        drain_stall = meter.longest * 1000
        counts = await window.service.counts()
        meter.timer.stop()
        window.close()
        await window.settle()
        return drain_stall, idle, attach_stall, f"{elapsed:.1f} s, end state {counts}"


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else CACHED_CALLS
    print(f"store: {calls:,} cached calls (bulk_home)", flush=True)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)  # as calldesk.ui.qtapp does
    port = closed_port()
    sandbox = start_sandbox(port)
    try:
        with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
            paths = bulk_home(Path(tmp) / "home", calls, port=port)
            recording = Path(tmp) / "call.wav"
            write_wav(recording, RECORDING_BYTES)
            drain, idle, attach, detail = qasync.run(scenario(paths, recording))
    finally:
        sandbox.terminate()
        sandbox.wait(10)
    print(f"drain of {OPERATIONS} creates + {RECORDING_BYTES >> 20} MiB upload: {detail}")
    busy = max(drain, attach)
    print(
        f"longest loop gap: {attach:.1f} ms in the attach call, {drain:.1f} ms while the queue "
        f"drained and the recording uploaded, {idle:.1f} ms idle"
    )
    print(bench_line("ui_loop_stall_ms", busy, idle, GOAL_MS, ".1f"))  # goal: absolute ms


if __name__ == "__main__":
    main()
