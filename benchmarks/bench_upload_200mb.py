"""Benchmark: a 200 MB recording uploaded to the Pipedrive sandbox, calldesk against ``curl -F``.

The sandbox runs in its own process (``calldesk sandbox``), so the server's cost is the same for
both clients and does not share calldesk's interpreter. Each run, alternating:

* **calldesk** — the rep's whole path in a running calldesk (the window or ``calldesk sync``):
  ``CallService.attach_recording`` (sniff the file, keep calldesk's own copy, queue the upload)
  until the engine has uploaded it (streamed multipart, ``MultipartFile``) and the outbox is
  empty. Memory: the growth of calldesk's peak RSS (``VmHWM``, reset before the run) over its
  RSS before the run.
* **curl** — ``curl -sS -f -F file=@… -H "x-api-token: …"`` to the same endpoint (process
  start-up included, as a rep running it would have).

A fresh call log is created before each upload (outside the timed region; one recording per call).

    python benchmarks/bench_upload_200mb.py [--mb 200] [--runs 5]

The last lines are ``BENCH upload_200mb_rss value=<MB> … goal=<=32`` and
``BENCH upload_200mb value=<s> baseline=<curl s> ratio=<r> goal=<=1.15`` (medians).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from calldesk.domain import Account, KeySource, Vendor
from calldesk.runtime import Runtime, open_runtime
from calldesk.sandbox import SANDBOX_KEYS
from calldesk.store.paths import Paths

KEY = SANDBOX_KEYS[Vendor.PIPEDRIVE]
MIB = 1024 * 1024


def make_recording(path: Path, size: int) -> None:
    """An MP3-looking file (ID3 header, then incompressible bytes) of ``size`` bytes."""
    header = b"ID3\x03\x00\x00\x00\x00\x00\x00"
    with path.open("wb") as handle:
        handle.write(header)
        left = size - len(header)
        block = os.urandom(4 * MIB)
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def values(i: int) -> dict[str, object]:
    start = datetime(2031, 5, 6, 9, 0, tzinfo=UTC) + timedelta(minutes=i)
    return {
        "outcome": "connected",
        "to_phone_number": f"+1650555{i:04d}",
        "start_time": start,
        "end_time": start + timedelta(seconds=120),
        "duration": 120,
        "note": f"bench {i}",
    }


async def outbox_empty(rt: Runtime) -> bool:
    return (await rt.service.counts("p")).total == 0


async def synced_call(rt: Runtime, i: int) -> str:
    record = await rt.service.log_call("p", values(i))
    assert await rt.engine.drain("p", timeout=30, settle=lambda: outbox_empty(rt))
    return record.local_id


async def calldesk_upload(rt: Runtime, local_id: str, recording: Path) -> tuple[float, int]:
    reset_peak_rss()
    before = status_kib("VmRSS")
    started = time.perf_counter()
    await rt.service.attach_recording("p", local_id, recording)
    queued = time.perf_counter() - started
    done = await rt.engine.drain("p", timeout=300, settle=lambda: outbox_empty(rt))
    elapsed = time.perf_counter() - started
    assert done, "the upload did not finish"
    print(f"  attach (sniff, own copy, queue) {queued:.3f} s, upload {elapsed - queued:.3f} s")
    return elapsed, status_kib("VmHWM") - before


async def curl_upload(client: httpx.AsyncClient, base: str, i: int, recording: Path) -> float:
    created = await client.post(
        f"{base}/api/v1/callLogs",
        headers={"x-api-token": KEY},
        json={
            "outcome": "connected",
            "to_phone_number": f"+1650556{i:04d}",
            "start_time": "2031-05-06 10:00:00",
            "end_time": "2031-05-06 10:02:00",
        },
    )
    created.raise_for_status()
    url = f"{base}/api/v1/callLogs/{created.json()['data']['id']}/recordings"
    args = ["curl", "-sS", "-f", "-o", "/dev/null", "-H", f"x-api-token: {KEY}"]
    started = time.perf_counter()
    subprocess.run([*args, "-F", f"file=@{recording};type=audio/mpeg", url], check=True)
    return time.perf_counter() - started


async def bench(home: Path, base: str, recording: Path, runs: int) -> None:
    account = Account("p", Vendor.PIPEDRIVE, base, KeySource("env", "K"))
    ours: list[float] = []
    theirs: list[float] = []
    growth: list[int] = []
    async with (
        open_runtime(Paths.under(home), [account], lambda _a: KEY) as rt,
        httpx.AsyncClient(timeout=60) as client,
    ):
        for n in range(runs):
            local_id = await synced_call(rt, n)
            for name in ("calldesk", "curl") if n % 2 == 0 else ("curl", "calldesk"):
                if name == "calldesk":
                    seconds, grown = await calldesk_upload(rt, local_id, recording)
                    ours.append(seconds)
                    growth.append(grown)
                    print(f"run {n}: calldesk {seconds:.3f} s, RSS +{grown / 1024:.1f} MB")
                else:
                    seconds = await curl_upload(client, base, n, recording)
                    theirs.append(seconds)
                    print(f"run {n}: curl     {seconds:.3f} s")
    value, baseline = statistics.median(ours), statistics.median(theirs)
    rss = statistics.median(growth) / 1024
    print(
        f"BENCH upload_200mb_rss value={rss:.1f} baseline=0 ratio=n/a goal=<=32 (MB of RSS growth)"
    )
    print(
        f"BENCH upload_200mb value={value:.3f} baseline={baseline:.3f} "
        f"ratio={value / baseline:.2f} goal=<=1.15"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-upload-") as tmp:
        root = Path(tmp)
        recording = root / "call.mp3"
        make_recording(recording, args.mb * MIB)
        port = free_port()
        env = {**os.environ, "CALLDESK_HOME": str(root / "sandbox-home")}
        server = subprocess.Popen(
            [sys.executable, "-m", "calldesk", "sandbox", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            server.stdout.readline()  # the sandbox says where it listens once it is bound
            base = f"http://127.0.0.1:{port}/pipedrive"
            asyncio.run(bench(root / "home", base, recording, args.runs))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
