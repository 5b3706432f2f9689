"""Two calldesk processes on one data folder (two ``calldesk sync``; a sync killed with -9):
nothing is sent twice, nothing another live process holds is reset, and what a dead one left
shows as "interrupted, will be checked" (real subprocesses, a sandbox on 127.0.0.1, one SQLite
file)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from calldesk.domain import OpState, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.outbox import INTERRUPTED
from calldesk.store.paths import Paths
from tests.sync.sync_support import close_calls_with_phone

ROOT = Path(__file__).resolve().parents[2]
CALLS = 8


def _environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CALLDESK_HOME": str(home),
        "CLOSE_KEY": SANDBOX_KEYS[Vendor.CLOSE],
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def _calldesk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args],
        capture_output=True,
        text=True,
        env=_environment(home),
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def _start_sync(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "calldesk", "sync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(home),
        cwd=ROOT,
    )


def _queue_calls(home: Path, server: SandboxServer, count: int) -> None:
    added = _calldesk(
        home,
        "accounts",
        "add",
        "c",
        "--vendor",
        "close",
        "--base-url",
        server.base_url(Vendor.CLOSE),
        "--api-key-env",
        "CLOSE_KEY",
    )
    assert added.returncode == 0, added.stderr
    lines = "".join(
        json.dumps(
            {
                "phone": f"+1650555{7000 + i}",
                "duration": 60 + i,
                "activity_at": f"2031-03-04T09:{i:02d}:00+00:00",
                "note_html": f"<p>call {i}</p>",
            }
        )
        + "\n"
        for i in range(count)
    )
    jsonl = home / "calls.jsonl"
    jsonl.write_text(lines)
    logged = _calldesk(home, "calls", "log", "--account", "c", "--from-jsonl", str(jsonl))
    assert logged.returncode == 0, logged.stderr


def _queue_json(home: Path) -> list[dict[str, object]]:
    result = _calldesk(home, "queue", "--json")
    assert result.returncode == 0, result.stderr
    listed: list[dict[str, object]] = json.loads(result.stdout)
    return listed


def test_two_syncs_at_once_send_every_call_exactly_once_and_both_succeed(
    sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    # Slow answers keep both processes sending at the same time; the second starts while the
    # first has calls in flight (it used to reset them as if their sender had died, and send
    # them again).
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, latency=1.5)
    _queue_calls(calldesk_home, sandbox_server, CALLS)
    first = _start_sync(calldesk_home, "--timeout", "90")
    _wait_for_in_flight(calldesk_home, 60)
    second = _start_sync(calldesk_home, "--timeout", "90")
    outs = [p.communicate(timeout=120) for p in (first, second)]
    for process, (out, err) in zip((first, second), outs, strict=True):
        assert process.returncode == 0, (out, err)
        assert out == "everything is synced\n"
        assert "no outbox operation" not in err
    for i in range(CALLS):
        assert len(close_calls_with_phone(sandbox_server, f"+1650555{7000 + i}")) == 1, i
    assert _queue_json(calldesk_home) == []


def _wait_for_in_flight(home: Path, deadline_s: float) -> str:
    """The op id a running sync has in flight (read from the database, not through a store,
    whose opening must not be what is tested here)."""
    import sqlite3

    path = Paths.under(home).data_dir / DB_FILENAME
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if path.exists():
            with sqlite3.connect(path) as conn:
                row = conn.execute(
                    "SELECT op_id FROM outbox WHERE state = ?", (OpState.IN_FLIGHT.value,)
                ).fetchone()
            if row is not None:
                return str(row[0])
        time.sleep(0.05)
    raise AssertionError(f"no operation went in flight within {deadline_s}s")


def test_a_sync_killed_mid_send_shows_interrupted_and_the_next_sync_sends_once(
    sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    _queue_calls(calldesk_home, sandbox_server, 1)
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, latency=30.0)  # holds the request
    sync = _start_sync(calldesk_home, "--timeout", "90")
    try:
        op_id = _wait_for_in_flight(calldesk_home, 60)
        # While that process lives, another opening the store leaves its op alone.
        with_live = _queue_json(calldesk_home)
        assert [(op["op_id"], op["state"]) for op in with_live] == [(op_id, "in-flight")]
    finally:
        sync.send_signal(signal.SIGKILL)
        sync.communicate(timeout=30)
    (left,) = _queue_json(calldesk_home)
    assert (left["op_id"], left["state"], left["last_error"]) == (op_id, "pending", INTERRUPTED)
    listed = _calldesk(calldesk_home, "queue")
    assert INTERRUPTED in listed.stdout
    # The held request may or may not have reached the CRM: the next sync checks, then sends
    # only if it did not.
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, latency=0.0)
    synced = _calldesk(calldesk_home, "sync", "--timeout", "60")
    assert synced.returncode == 0, synced.stderr
    assert len(close_calls_with_phone(sandbox_server, "+16505557000")) == 1
    assert _queue_json(calldesk_home) == []


def test_a_store_reopened_after_the_holder_died_recovers_only_that_holder(
    tmp_path: Path,
) -> None:
    """A holder killed with -9 (a child process) frees its lease; a live one (this process)
    keeps its op in flight."""
    from tests.store.conftest import build, row_of

    db = tmp_path / "calldesk.sqlite3"
    mine = LocalStore.open(db, build)
    try:
        held = mine.outbox.save_new("acc", {"who": "A"}, row_of({"who": "A"}), "A")
        mine.outbox.mark_in_flight(held.op_id)
        child_code = (
            "import sys, time\n"
            "from calldesk.store.local import LocalStore\n"
            "from tests.store.conftest import build, row_of\n"
            f"s = LocalStore.open(__import__('pathlib').Path({str(db)!r}), build)\n"
            "op = s.outbox.save_new('acc', {'who': 'B'}, row_of({'who': 'B'}), 'B')\n"
            "s.outbox.mark_in_flight(op.op_id)\n"
            "print(op.op_id, flush=True)\n"
            "time.sleep(120)\n"
        )
        child = subprocess.Popen(
            [sys.executable, "-c", child_code], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert child.stdout is not None
        child_op = child.stdout.readline().strip()
        assert child_op.startswith("op_")
        assert mine.outbox.recover_interrupted() == 0  # both holders alive
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        assert mine.outbox.recover_interrupted() == 1
        states = {op.op_id: (op.state, op.last_error) for op in mine.outbox.list_ops()}
        assert states[child_op] == (OpState.PENDING, INTERRUPTED)
        assert states[held.op_id] == (OpState.IN_FLIGHT, None)
    finally:
        mine.close()
