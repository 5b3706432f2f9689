"""Caller ID from the local cache: the keystroke that completes a number until its match is shown.

calldesk: a real ``EditorForm`` (Close) with its ``CallerIdAssist`` over a real ``CallerId`` and a
store holding 50,000 kept answers; the phone box holds all but the last digit; the timed span is
``QTest.keyClick`` of that digit until the line under the box names the contact (the number is
read with the account's country, looked up in memory or with one indexed read of the store, shown,
and the contact linked — all before the key event returns). Each number is met for the first time
(no answer in memory): the cache path, not the recent one. The CRM is never asked (no adapter).

Baseline, same run, same numbers, same file: a bare ``QLineEdit`` whose ``textChanged`` does a
primary-key ``SELECT`` of the number in the same table, decodes the JSON and sets a ``QLabel``.

Run on demand: ``python benchmarks/bench_callerid_match.py [numbers]``; the last line is the result
(p95 of each, milliseconds).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_ui_common import bench_line
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from calldesk.domain import Account, KeySource, PhoneMatch, Vendor
from calldesk.schema import load_all_schemas
from calldesk.store.db import encode_time
from calldesk.store.local import LocalStore
from calldesk.store.matches import MatchReader, encode_matches
from calldesk.store.worker import DbWorker
from calldesk.sync.callerid import CallerId
from calldesk.ui.callerid_assist import CallerIdAssist
from calldesk.ui.form import EditorForm

KEPT = 50_000
GOAL = 2.0


def number(i: int) -> str:
    return f"+1415{2000000 + i:07d}"  # 415-200-0000 onwards: valid US numbers


def fill(path: Path) -> None:
    """50,000 kept answers for account ``close`` (not timed)."""
    LocalStore.open(path).close()  # creates and migrates the file
    stamp = encode_time(datetime.now(UTC))
    rows = [
        (
            "close",
            number(i),
            encode_matches(
                [PhoneMatch("contact", f"cont_{i}", f"Person {i}", number(i), "Acme", ())]
            ),
            stamp,
        )
        for i in range(KEPT)
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO phone_matches VALUES (?, ?, ?, ?)", rows)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def measure(count: int) -> tuple[float, float, float, float]:
    app = QApplication.instance() or QApplication(sys.argv)
    home = Path(tempfile.mkdtemp(prefix="bench-callerid-"))
    path = home / "calldesk.sqlite3"
    fill(path)
    worker = asyncio.run(DbWorker.open(path))
    schemas = load_all_schemas()
    account = Account("close", Vendor.CLOSE, "https://api.close.com", KeySource("env", "K"), "US")
    callerid = CallerId(
        worker=worker,
        schemas=schemas,
        accounts=lambda: {"close": account},
        adapters={},
        reader=MatchReader(path),
    )
    form = EditorForm(schemas[Vendor.CLOSE], account_name="close", region="US")

    def never(coro: object) -> None:
        getattr(coro, "close", lambda: None)()  # no CRM here: the timer's ask is dropped

    assist = CallerIdAssist(form, callerid, never)
    form.resize(700, 800)
    form.show()
    edit = form.fields["phone"].focus_widget()
    assert isinstance(edit, QLineEdit)

    bare = QLineEdit()
    shown = QLabel()
    conn = sqlite3.connect(path)

    def bare_lookup(text: str) -> None:
        if len(text) != 12:
            return
        row = conn.execute(
            "SELECT matches FROM phone_matches WHERE account = ? AND number = ?", ("close", text)
        ).fetchone()
        if row is not None:
            shown.setText(json.loads(row[0])[0]["name"])

    bare.textChanged.connect(bare_lookup)
    bare.show()

    ours: list[float] = []
    theirs: list[float] = []
    step = KEPT // (2 * count)
    for k in range(count):
        wanted = number(k * step + 1)
        for measure_ours in (k % 2 == 0, k % 2 != 0):  # alternate which goes first
            box = edit if measure_ours else bare
            box.setText(wanted[:-1])
            app.processEvents()
            started = time.perf_counter()
            QTest.keyClick(box, Qt.Key(ord(wanted[-1])))
            elapsed = time.perf_counter() - started
            if measure_ours:
                assert f"Person {k * step + 1}" in assist.status_text(), assist.status_text()
                ours.append(elapsed)
            else:
                assert shown.text() == f"Person {k * step + 1}"
                theirs.append(elapsed)
        form.new_record({})  # the next number starts from an empty call
    recent: list[float] = []
    for k in range(count // 4):  # the same numbers again: answered from memory
        wanted = number(k * step + 1)
        edit.setText(wanted[:-1])
        app.processEvents()
        started = time.perf_counter()
        QTest.keyClick(edit, Qt.Key(ord(wanted[-1])))
        recent.append(time.perf_counter() - started)
        form.new_record({})
    conn.close()
    worker.close()
    return p95(ours) * 1000, p95(theirs) * 1000, p95(recent) * 1000, statistics.median(ours) * 1000


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    ours, bare, recent, median = measure(count)
    print(f"calldesk keystroke->shown (cache) p95 {ours:.3f} ms, median {median:.3f} ms")
    print(f"calldesk keystroke->shown (recent, in memory) p95 {recent:.3f} ms")
    print(f"bare QLineEdit + indexed SQLite lookup p95 {bare:.3f} ms")
    print(bench_line("callerid_match_p95_ms", ours, bare, GOAL))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
