"""Start-up order: the window paints its cached calls before httpx, phonenumbers or keyring load.

Its first frame (the glance's rows) comes before the store proper, the domain model, asyncio
and PySide6's ``Qt`` namespace; then the window attaches to the starting backend.

A fresh interpreter runs the real ``calldesk.app.run_window`` (and, separately, the real
``python -m calldesk`` launcher through ``calldesk.cli``) over a ``CALLDESK_HOME`` with one
account and three cached calls; at the moment the table has painted its rows (the point where
``calldesk.ui.qtapp`` starts opening the engine) it records which modules are loaded and how many
rows the table shows, then waits for the engine and records what the window shows after it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from calldesk.domain import Account, KeySource, RemoteCall, Vendor
from calldesk.domain.model import JSONValue
from calldesk.schema import load_all_schemas
from calldesk.store.accounts import AccountsConfig
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.paths import Paths
from calldesk.store.records import CallRow
from calldesk.sync.services import LabelCache, RowBuilder

#: The window's own panels the first paint does not show (imported when first needed).
LATER_PANELS = (
    "calldesk.ui.form",
    "calldesk.ui.accounts",
    "calldesk.ui.conflict_view",
    "calldesk.ui.recording",
    "calldesk.ui.queue_panel",
    "calldesk.schema",
)
DEFERRED = ("httpx", "httpcore", "phonenumbers", "nh3", "keyring", "qtawesome", "mutagen")
KEY_ENV = "CALLDESK_STARTUP_TEST_KEY"

# Installed in the child before the window starts: reports at the first paint with rows.
HOOK = """
import json, os, sys
import calldesk.ui.qtapp as qtapp

painted = qtapp.wait_for_rows_painted
report = {}


async def watched(window, loaded):
    import asyncio

    await painted(window, loaded)
    report["modules"] = sorted(m for m in sys.modules if "." not in m)
    report["calldesk"] = sorted(m for m in sys.modules if m.startswith("calldesk."))
    report["rows_at_paint"] = window.model.rowCount()
    report["starting"] = window.backend.starting

    async def after_engine():
        while window.backend.starting:
            await asyncio.sleep(0.02)
        report["accounts_after"] = window.sidebar_accounts()
        loop_time = asyncio.get_running_loop().time
        deadline = loop_time() + 20
        while window.model.rowCount() < 3 and loop_time() < deadline:
            await asyncio.sleep(0.02)  # the list reloads from the real service
        report["rows_after"] = window.model.rowCount()
        while "calldesk.ui.queue_panel" not in sys.modules and loop_time() < deadline:
            await asyncio.sleep(0.02)  # the panels are built just after the switch
        report["calldesk_after"] = sorted(m for m in sys.modules if m.startswith("calldesk."))
        print(json.dumps(report), flush=True)
        window.close()

    asyncio.get_running_loop().create_task(after_engine())


qtapp.wait_for_rows_painted = watched
first_paint = qtapp.wait_for_first_paint


def watched_first_paint(widget):
    first_paint(widget)  # the window's first frame
    import PySide6.QtCore

    report["before_loop"] = sorted(m for m in sys.modules if "." not in m)
    report["calldesk_before_loop"] = sorted(m for m in sys.modules if m.startswith("calldesk."))
    report["rows_before_loop"] = widget.table.model().rowCount()
    report["attached_at_first_frame"] = widget.attached
    report["qt_namespace_at_first_frame"] = "Qt" in PySide6.QtCore.__dict__


qtapp.wait_for_first_paint = watched_first_paint
"""
# The composition root's window function, called directly.
CHILD = HOOK + "from calldesk.app import run_window\nsys.exit(run_window(demo=False))\n"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def populate_home(home: Path) -> None:
    """One Pipedrive account (key in ``KEY_ENV``; a closed port) and three cached calls."""
    paths = Paths.under(home).ensure()
    account = Account(
        "work",
        Vendor.PIPEDRIVE,
        f"http://127.0.0.1:{_closed_port()}/pipedrive",
        KeySource("env", KEY_ENV),
    )
    AccountsConfig.for_paths(paths).save([account])
    builder = RowBuilder(load_all_schemas(), lambda _a: Vendor.PIPEDRIVE, LabelCache())
    batch: list[tuple[RemoteCall, CallRow, str]] = []
    for number in range(1, 4):
        fields: dict[str, JSONValue] = {
            "id": number,
            "outcome": "connected",
            "to_phone_number": f"+1 650 555 010{number}",
            "start_time": f"2026-01-0{number} 10:00:00",
            "duration": "60",
            "subject": f"Call {number}",
            "note": "<p>Spoke about the renewal.</p>",
            "user_id": 1,
        }
        row, text = builder("work", fields)
        batch.append((RemoteCall(str(number), fields, None), row, text))
    store = LocalStore.open(paths.data_dir / DB_FILENAME)
    try:
        store.calls.upsert_remote_many("work", batch)
    finally:
        store.close()


@pytest.mark.parametrize("launcher", ["run_window", "python -m calldesk"])
def test_window_paints_cached_rows_before_loading_http_schemas_and_keyring(
    tmp_path: Path, launcher: str
) -> None:
    home = tmp_path / "home"
    populate_home(home)
    env = {
        **os.environ,
        "CALLDESK_HOME": str(home),
        "QT_QPA_PLATFORM": "offscreen",
        KEY_ENV: "startup-test-key",
    }
    env.pop("CALLDESK_SMOKE_TEST", None)
    if launcher == "run_window":
        command = [sys.executable, "-c", CHILD]
    else:
        # The real launcher (calldesk/__main__.py -> calldesk.cli.run -> the window); the hook
        # comes in as a sitecustomize module, before __main__ runs.
        hook_dir = tmp_path / "hook"
        hook_dir.mkdir()
        (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(hook_dir), env.get("PYTHONPATH", "")) if p
        )
        command = [sys.executable, "-m", "calldesk"]
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stderr
    report = json.loads(lines[-1])
    # the window painted its rows before qasync, asyncio or the store's DB worker were loaded
    # (the launcher opens the window without the command line's parser and handlers)
    assert report["rows_before_loop"] == 3
    assert "qasync" not in report["before_loop"]
    assert "asyncio" not in report["before_loop"]
    assert "calldesk.store.worker" not in report["calldesk_before_loop"]
    # the first frame: the glance's rows, painted before the domain model, the store proper or
    # PySide6's Qt namespace (~15 ms to build) were loaded; the window attaches right after
    assert report["attached_at_first_frame"] is False
    assert report["qt_namespace_at_first_frame"] is False
    assert "calldesk.store.glance" in report["calldesk_before_loop"]
    for heavy in ("calldesk.domain.model", "calldesk.store.db", "calldesk.store.calls"):
        assert heavy not in report["calldesk_before_loop"], heavy
    assert "dataclasses" not in report["before_loop"]
    assert report["rows_at_paint"] == 3
    assert report["starting"] is True
    assert [m for m in DEFERRED if m in report["modules"]] == []
    assert "calldesk.runtime" not in report["calldesk"]
    assert "calldesk.cli" not in report["calldesk"]
    assert "calldesk.crm" not in report["calldesk"]
    assert "calldesk.sync.services" not in report["calldesk"]
    assert [m for m in LATER_PANELS if m in report["calldesk"]] == []
    # then the engine arrives: the account is listed and the rows are still there
    assert report["accounts_after"] == ["work"]
    assert report["rows_after"] == 3
    # and the panels are built right after the switch, ahead of their first use (the accounts
    # dialog waits until it is opened)
    built = [m for m in LATER_PANELS if m in report["calldesk_after"]]
    assert built == [m for m in LATER_PANELS if m != "calldesk.ui.accounts"]
