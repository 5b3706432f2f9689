"""``calldesk sandbox --port 0`` serves on a free port and says which one."""

from __future__ import annotations

import subprocess
import sys

import httpx

from calldesk.domain import Vendor
from calldesk.sandbox import SANDBOX_KEYS


def test_sandbox_on_port_0_prints_the_port_it_got() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldesk", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        origin = first.rsplit(" ", 1)[-1]
        assert origin.startswith("http://127.0.0.1:") and not origin.endswith(":0")
        reply = httpx.get(f"{origin}/close/api/v1/me/", auth=(SANDBOX_KEYS[Vendor.CLOSE], ""))
        assert reply.status_code == 200
        assert reply.json()["id"].startswith("user_")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
