"""``calldesk calls log``: one call or a JSON Lines file of them, straight into the store.

Each line is validated and reported on its own; valid lines are logged one transaction per
batch; the exit code is 0, or 2 when any line was refused; a log opens no engine, HTTP or
keyring (checked in a fresh interpreter).
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from calldesk.cli import Streams, run
from calldesk.domain import Account, KeySource, Vendor
from calldesk.schema import load_schema
from calldesk.store.calls import CallQuery
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.paths import Paths
from calldesk.sync.logbook import MAX_LINE_BYTES, open_logbook


def _add_close(home: Path) -> None:
    assert run(["accounts", "add", "A", "--vendor", "close", "--api-key-env", "CLOSE_KEY"]) == 0


def _store(home: Path) -> LocalStore:
    return LocalStore.open(Paths.from_env().data_dir / DB_FILENAME)


LINES = [
    json.dumps({"duration": 60, "note": "Renewal call with Quarry Foods"}),
    json.dumps({"duration": 9_999_999, "nonsense": "x"}),  # two errors on one line
    "not json",
    "",
    "[1, 2]",
    json.dumps({"duration": "1:30", "note": True}),
    json.dumps({"duration": "1:30", "note": "Second call"}),
    "x" * (MAX_LINE_BYTES + 10),
    json.dumps({"duration": 5}),
]


def test_a_file_logs_every_valid_line_and_reports_the_others(
    calldesk_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_close(calldesk_home)
    capsys.readouterr()
    source = tmp_path / "calls.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert run(["calls", "log", "--account", "A", "--from-jsonl", str(source)]) == 2
    captured = capsys.readouterr()
    ids = captured.out.split()
    assert len(ids) == 3 and all(i.startswith("loc_") for i in ids)
    err = captured.err.splitlines()
    assert err[0].startswith("line 2: nonsense: Close calls have no field 'nonsense'")
    assert err[1:] == [
        "line 2: duration: Duration must be at most 7 days (604800 s)",
        "line 3: not JSON: Expecting value (column 1)",
        'line 5: not a JSON object: write one call per line, as {"field": "value", ...}',
        "line 6: note: give the value as text or a number, as you would type it",
        f"line 8: longer than {MAX_LINE_BYTES} bytes",
        "calldesk: logged 3 calls; 5 lines refused",
    ]
    store = _store(calldesk_home)
    try:
        listed = store.calls.list_calls(CallQuery(accounts=("A",)))
        assert sorted(c.local_id for c in listed) == sorted(ids)
        assert store.outbox.counts().pending == 3  # queued for calldesk sync, in line order
        notes = [store.calls.get(i).fields.get("note") for i in ids]  # type: ignore[union-attr]
        assert notes[0] == "Renewal call with Quarry Foods" and notes[1] == "Second call"
        assert store.calls.list_calls(CallQuery(text="quarry"))[0].local_id == ids[0]
    finally:
        store.close()


def test_json_output_names_each_line_and_stdin_works(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_close(calldesk_home)
    capsys.readouterr()
    text = "\n".join([LINES[0], LINES[2], LINES[8]]) + "\n"
    streams = Streams(stdin=io.StringIO(text), stdout=sys.stdout, stderr=sys.stderr)
    code = run(["calls", "log", "--account", "A", "--from-jsonl", "-", "--json"], streams=streams)
    assert code == 2
    results = json.loads(capsys.readouterr().out)
    assert [r["line"] for r in results] == [1, 2, 3]
    assert results[0]["local_id"].startswith("loc_") and results[2]["local_id"].startswith("loc_")
    assert results[1]["errors"] == ["not JSON: Expecting value (column 1)"]


def test_a_clean_file_exits_0_and_bad_usage_exits_2(
    calldesk_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_close(calldesk_home)
    source = tmp_path / "ok.jsonl"
    source.write_text(LINES[0] + "\n" + LINES[8] + "\n", encoding="utf-8")
    capsys.readouterr()
    assert run(["calls", "log", "--account", "A", "--from-jsonl", str(source)]) == 0
    assert capsys.readouterr().err == "calldesk: logged 2 calls\n"
    assert run(["calls", "log", "--account", "A", "--from-jsonl", str(tmp_path / "no")]) == 2
    assert "no" in capsys.readouterr().err
    assert run(["calls", "log", "--account", "A", "duration=5", "--from-jsonl", str(source)]) == 2
    assert "not both" in capsys.readouterr().err
    assert run(["calls", "log", "--account", "A"]) == 2
    assert "FIELD=VALUE" in capsys.readouterr().err


def test_one_transaction_per_batch(tmp_path: Path) -> None:
    paths = Paths.under(tmp_path / "home")
    account = Account("A", Vendor.CLOSE, "http://127.0.0.1:9/close", KeySource("env", "K"))
    source = io.StringIO("".join(json.dumps({"duration": 10 + i}) + "\n" for i in range(5)))
    commits: list[str] = []
    with open_logbook(paths, account, load_schema(Vendor.CLOSE)) as book:
        book.store.db.connection.set_trace_callback(
            lambda sql: commits.append(sql) if sql == "COMMIT" else None
        )
        results = list(book.log_lines(source, batch=2))
        book.store.db.connection.set_trace_callback(None)
    assert [r.line for r in results] == [1, 2, 3, 4, 5]
    assert all(r.local_id for r in results)
    assert len(commits) == 3  # batches of 2, 2 and 1
    conn = sqlite3.connect(paths.data_dir / DB_FILENAME)
    try:
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 5
    finally:
        conn.close()


def test_logging_a_call_loads_no_engine_http_or_keyring(calldesk_home: Path) -> None:
    _add_close(calldesk_home)
    code = (
        "import sys; from calldesk.cli import run; "
        "rc = run(['calls', 'log', '--account', 'A', 'duration=42']); "
        "heavy = ('httpx', 'asyncio', 'keyring', 'calldesk.crm', 'calldesk.runtime', 'PySide6'); "
        "print('LOADED', sorted({m.split('.')[0] if not m.startswith('calldesk') else m "
        "for m in sys.modules if m.startswith(heavy)})); sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "CALLDESK_HOME": str(calldesk_home)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout
    assert result.stdout.startswith("loc_")
