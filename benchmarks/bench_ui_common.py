"""Shared set-up for the ui benchmarks: a populated calldesk home and child-process timing.

``populate_home(home, n)`` fills a ``CALLDESK_HOME`` with one Pipedrive account (an env-var key,
a base URL on a closed local port: never contacted successfully) and ``n`` cached calls, inserted
in bulk through ``CallStore.upsert_remote_many`` with list rows and search text computed by the
real ``RowBuilder`` from Pipedrive wire fields. ``run_child(code, env)`` runs a Python snippet in a
fresh interpreter (passing the spawn time in ``BENCH_T0``) and returns the JSON it prints last.
``bulk_home(home, n)`` builds the same kind of home with ``n`` calls (10k to 1,000,000) by bulk SQL:
4,096 distinct calls made by the real ``RowBuilder`` are the templates, and ``INSERT ... SELECT``
spreads them over ``n`` rows with their own ids, CRM ids and times; the store then indexes them in
one pass, as it does after a big refresh. ``growth(sizes, values)`` is the exponent of a cost's
growth (the slope of log value over log size).
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calldesk.domain import Account, KeySource, LookupItem, RemoteCall, Vendor
from calldesk.sandbox.sampledata import (
    COMPANY_KINDS,
    COMPANY_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    NOTES,
)
from calldesk.schema import load_all_schemas
from calldesk.store.accounts import AccountsConfig
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.paths import Paths
from calldesk.store.records import CallRow, index_text
from calldesk.sync.services import LabelCache, RowBuilder

ACCOUNT = "work"
KEY_ENV = "CALLDESK_BENCH_KEY"
PERSONS = 2000
OUTCOMES = ("connected", "no_answer", "left_message", "left_voicemail", "wrong_number", "busy")
EXTRA_WORDS = (
    "renewal", "invoice", "onboarding", "warehouse", "forklift", "shipment", "contract",
    "discount", "trial", "migration", "security", "review", "procurement", "signature",
)  # fmt: skip


def closed_port() -> int:
    """A local port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def person_name(number: int) -> str:
    rng = random.Random(number)
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def wire_calls(n: int, seed: int = 7) -> Iterator[tuple[str, dict[str, Any]]]:
    """``n`` Pipedrive call logs in wire form, spread over the last year, with varied notes."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(n):
        start = now - timedelta(seconds=rng.randrange(365 * 86400))
        duration = rng.randrange(5, 1800)
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
        words = " ".join(rng.sample(EXTRA_WORDS, 2))
        note = f"<p>{rng.choice(NOTES)} Spoke about {words} at {company}.</p>"
        fields: dict[str, Any] = {
            "id": i + 1,
            "outcome": rng.choice(OUTCOMES),
            "to_phone_number": f"+1 650 555 {rng.randrange(10000):04d}",
            "from_phone_number": "+1 415 555 0100",
            "start_time": start.strftime("%Y-%m-%d %H:%M:%S"),
            "end_time": (start + timedelta(seconds=duration)).strftime("%Y-%m-%d %H:%M:%S"),
            "duration": str(duration),
            "subject": f"Call with {company}",
            "note": note,
            "user_id": 1,
            "person_id": rng.randrange(1, PERSONS + 1),
        }
        yield str(i + 1), fields


def populate_home(home: Path, n: int, port: int | None = None) -> Paths:
    """Fill ``home`` with the account and ``n`` cached calls (see the module docstring)."""
    paths = Paths.under(home).ensure()
    account = Account(
        ACCOUNT,
        Vendor.PIPEDRIVE,
        f"http://127.0.0.1:{port or closed_port()}/pipedrive",
        KeySource("env", KEY_ENV),
    )
    AccountsConfig.for_paths(paths).save([account])
    labels = LabelCache()
    labels.replace(
        ACCOUNT,
        "persons",
        [LookupItem("persons", str(p), person_name(p)) for p in range(1, PERSONS + 1)],
    )
    builder = RowBuilder(load_all_schemas(), lambda _a: Vendor.PIPEDRIVE, labels)
    store = LocalStore.open(paths.data_dir / DB_FILENAME)
    try:
        batch: list[tuple[RemoteCall, CallRow, str]] = []
        for remote_id, fields in wire_calls(n):
            row, text = builder(ACCOUNT, fields)
            batch.append((RemoteCall(remote_id, fields, None), row, text))
            if len(batch) >= 5000:
                store.calls.upsert_remote_many(ACCOUNT, batch)
                batch = []
        if batch:
            store.calls.upsert_remote_many(ACCOUNT, batch)
        store.lookups.replace(
            ACCOUNT,
            "persons",
            [LookupItem("persons", str(p), person_name(p)) for p in range(1, PERSONS + 1)],
        )
    finally:
        store.close()
    return paths


TEMPLATES = 4096
#: ``n`` distinct seconds over the last year for call ``i``: a multiplicative walk, so neighbours
#: in rid order are far apart in time (like calls fetched account by account).
_SPREAD = 365 * 86400


def bulk_home(home: Path, n: int, port: int | None = None) -> Paths:
    """A home like :func:`populate_home`'s with ``n`` calls written by bulk SQL (module docstring).

    Each call is template ``i % 4096`` with its own ``id`` (``i``), CRM id, start/end time,
    ``when_ts`` and phone number (``+1 650 xxx xxxx`` with ``i`` in its last seven digits, so
    :func:`rare_phone` finds one call at every size). 1,000,000 calls take a few minutes here,
    most of it the search index.
    """
    paths = populate_home(home, 0, port)
    templates = list(wire_calls(TEMPLATES, seed=11))
    labels = LabelCache()
    labels.replace(
        ACCOUNT,
        "persons",
        [LookupItem("persons", str(p), person_name(p)) for p in range(1, PERSONS + 1)],
    )
    builder = RowBuilder(load_all_schemas(), lambda _a: Vendor.PIPEDRIVE, labels)
    store = LocalStore.open(paths.data_dir / DB_FILENAME)
    now = int(datetime.now(UTC).timestamp())
    try:
        conn = store.db.connection
        conn.execute(
            """CREATE TEMP TABLE bulk_templates (k INTEGER PRIMARY KEY, fields TEXT,
               duration INTEGER, who TEXT, phone TEXT, direction TEXT, duration_s INTEGER,
               outcome TEXT, note_preview TEXT, search_text TEXT, digits TEXT)"""
        )
        rows = []
        for k, (_remote_id, fields) in enumerate(templates):
            row, text = builder(ACCOUNT, fields)
            rows.append(
                (k, json.dumps(fields), int(fields["duration"]), row.who, row.phone,
                 row.direction, row.duration_s, row.outcome, row.note_preview,
                 index_text(text, row), "".join(filter(str.isdigit, row.phone))[4:])
            )  # fmt: skip
        conn.executemany("INSERT INTO bulk_templates VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        with store.db.transaction(durable=False) as tx:
            tx.execute(
                f"""INSERT INTO calls (local_id, account, remote_id, fields, remote_fields,
                       fetched_at, state, when_ts, who, phone, direction, duration_s, outcome,
                       note_preview, search_text)
                    SELECT printf('loc_bulk%010d', i), ?, CAST(i AS TEXT), f, f,
                           '2026-01-01T00:00:00+00:00', 'synced', ts, who,
                           '+1 650-' || substr(p7, 1, 3) || '-' || substr(p7, 4), direction,
                           duration_s, outcome, note_preview,
                           replace(replace(search_text, phone,
                                           '+1 650-' || substr(p7, 1, 3) || '-' || substr(p7, 4)),
                                   digits, p7)
                    FROM (
                        SELECT s.i, s.ts, s.p7, t.*, json_set(t.fields, '$.id', s.i,
                            '$.start_time', strftime('%Y-%m-%d %H:%M:%S', s.ts, 'unixepoch'),
                            '$.end_time',
                            strftime('%Y-%m-%d %H:%M:%S', s.ts + t.duration, 'unixepoch'),
                            '$.to_phone_number',
                            '+1 650 ' || substr(s.p7, 1, 3) || ' ' || substr(s.p7, 4)) AS f
                        FROM (
                            WITH RECURSIVE seq(i) AS (
                                SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
                            SELECT i, ? - ((i * 2654435761) % {_SPREAD}) AS ts,
                                   printf('%07d', i % 10000000) AS p7 FROM seq
                        ) s JOIN bulk_templates t ON t.k = s.i % {TEMPLATES}
                    )""",
                (ACCOUNT, n, now),
            )
    finally:
        store.close()  # indexes every noted call (list lines and search) in one pass
    return paths


def rare_phone(i: int = 7) -> str:
    """The digits of bulk call ``i``'s phone number as a rep would type them (one call has it)."""
    return f"650{i % 10_000_000:07d}"


def growth(sizes: list[int], values: list[float]) -> float:
    """The exponent ``k`` of ``value ~ size**k`` (least squares over log-log points)."""
    xs = [math.log(size) for size in sizes]
    ys = [math.log(max(value, 1e-12)) for value in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def compile_calldesk() -> None:
    """Byte-compile the calldesk package, as ``pip install`` does and as the bundle ships it.

    A source checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (this machine's default) would
    otherwise compile every calldesk module on every start, which no installed copy does.
    """
    import compileall

    import calldesk

    compileall.compile_dir(Path(calldesk.__file__).parent, quiet=1)


def child_env(home: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    from calldesk.resources import resources_dir
    from calldesk.ui.icons import FONT_FILE

    env["BENCH_ICON_FONT"] = str(resources_dir() / "icons" / FONT_FILE)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env[KEY_ENV] = "bench-key-never-sent"
    if home is not None:
        env["CALLDESK_HOME"] = str(home)
    return env


def run_child(code: str, env: Mapping[str, str], timeout: float = 120.0) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; ``BENCH_T0`` holds the wall time just before spawn."""
    env = {**env, "BENCH_T0": repr(__import__("time").time())}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench_line(name: str, value: float, baseline: float, goal: float, unit_fmt: str = ".3f") -> str:
    ratio = value / baseline if baseline else float("inf")
    return (
        f"BENCH {name} value={value:{unit_fmt}} baseline={baseline:{unit_fmt}} "
        f"ratio={ratio:.2f} goal={goal}"
    )


#: What every child shares: the spawn time, the peak RSS, and ``define_paint_watch()``, the
#: reporter of the first frame showing rows (a QObject class, so defined once PySide6 is loaded).
_TIMING = """
import json, os, resource, sys, time
T0 = float(os.environ["BENCH_T0"])


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def define_paint_watch():
    from PySide6.QtCore import QEvent, QObject, QTimer

    class PaintWatch(QObject):
        # Installed on the window. "first": its first paint event. "rows": the first paint
        # event of a frame in which the call table holds rows (a window's first paint repaints
        # all of its children in that one pass). "drawn": when that pass has finished (the
        # reporter runs when the event loop next turns). If the first pass had no rows, the
        # table's viewport is watched from then on ("viewport").

        def __init__(self, has_rows, viewport=None):
            super().__init__()
            self.has_rows = has_rows
            self.viewport = viewport
            self.first = None
            self.rows = None

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and self.rows is None:
                now = time.time() - T0
                if self.first is None:
                    self.first = now
                    if not self.has_rows() and self.viewport is not None:
                        self.viewport().installEventFilter(self)
                        return False
                if self.has_rows():
                    self.rows = now
                    QTimer.singleShot(0, self.report)
            return False

        def report(self):
            drawn = time.time() - T0
            print(json.dumps({"first": self.first, "rows": self.rows, "drawn": drawn,
                              "rss": peak_rss_mib()}), flush=True)
            os._exit(0)

    return PaintWatch
"""

#: The baselines' prelude: PySide6 first, as a plain PySide6 script starts.
_PRELUDE = (
    _TIMING
    + """
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
PaintWatch = define_paint_watch()
"""
)

#: calldesk's prelude: nothing is imported before calldesk's own launcher runs, as when the rep
#: starts ``calldesk`` (its console script calls ``calldesk.__main__.main()``). ``after_import(
#: name, then)`` calls ``then(module)`` once ``name`` has been imported (a one-shot finder on
#: ``sys.meta_path``), which is how the window class gets wrapped without importing it first.
_LAUNCH = (
    _TIMING
    + """


class _AfterImport:
    def __init__(self, name, then):
        self.name = name
        self.then = then

    def find_spec(self, name, path, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        run, then = spec.loader.exec_module, self.then

        def exec_module(module):
            run(module)
            then(module)

        spec.loader.exec_module = exec_module
        return spec


def after_import(name, then):
    sys.meta_path.insert(0, _AfterImport(name, then))
"""
)

#: The real app, started the way its console script starts it (``calldesk.__main__.main()``: no
#: command, so the window over the populated ``CALLDESK_HOME``); the window class is wrapped only
#: to install the paint watch on it and on its table's viewport.
CALLDESK_CHILD = (
    _LAUNCH
    + """


def watch(qtapp):
    PaintWatch = define_paint_watch()

    class Watched(qtapp.MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.watch = PaintWatch(lambda: self.table.model().rowCount() > 0,
                                    self.table.viewport)
            self.installEventFilter(self.watch)

    qtapp.MainWindow = Watched


after_import("calldesk.ui.qtapp", watch)
from calldesk.__main__ import main
main()
"""
)

#: The real app again, started the same way, reporting once it has settled: attached to the real
#: engine (not the starting stand-in), its list reloaded from the store and the panels built ahead
#: of use (``MainWindow.prepare_panels``). Reports the time and the peak RSS then.
CALLDESK_SETTLED_CHILD = (
    _LAUNCH
    + """


def watch(qtapp):
    from PySide6.QtCore import QTimer

    class Settled(qtapp.MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.reloads = 0
            self.poll = QTimer(self)
            self.poll.timeout.connect(self.check)
            self.poll.start(5)

        def check(self):
            if not self.attached or self.backend.starting:
                return
            if self.reloads == 0:
                self.reloads = 1
                self.model.loaded.connect(self.count)
            elif self.reloads > 1 and self._queue_panel is not None:
                print(json.dumps({"settled": time.time() - T0, "rss": peak_rss_mib()}),
                      flush=True)
                os._exit(0)

        def count(self):
            self.reloads += 1

    qtapp.MainWindow = Settled


after_import("calldesk.ui.qtapp", watch)
from calldesk.__main__ import main
main()
"""
)

#: For context, not a goal: the same first frame written directly in PySide6 (sqlite3 read of the
#: newest 60 list lines, a bare model, a header-only model, the subset font's icons tinted the way
#: calldesk tints them, toolbar, sidebar, status button, history toggle, the layout file), with no
#: calldesk module imported. What calldesk adds over it is calldesk's own overhead.
EQUIVALENT_WINDOW_CHILD = (
    _PRELUDE
    + """
app = QApplication(sys.argv)
import sqlite3
from datetime import datetime
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRect, QSettings
from PySide6.QtGui import (QAction, QColor, QFont, QFontDatabase, QIcon, QIconEngine, QPainter,
                           QPixmap, QStandardItemModel)
from PySide6.QtWidgets import (QLabel, QLineEdit, QMainWindow, QPushButton, QSplitter,
                               QStackedWidget, QTableView, QToolBar, QToolButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

home = os.environ["CALLDESK_HOME"]
con = sqlite3.connect(f"file:{home}/data/calldesk.sqlite3?mode=rw", uri=True)
rows = con.execute(
    "SELECT state, when_ts, who, phone, duration_s, outcome, note_preview, account FROM call_rows"
    " WHERE deleted = 0 ORDER BY when_ts DESC, rid DESC LIMIT 60").fetchall()
con.close()
family = QFontDatabase.applicationFontFamilies(
    QFontDatabase.addApplicationFont(os.environ["BENCH_ICON_FONT"]))[0]


class Glyph(QIconEngine):
    def __init__(self, char, colour):
        super().__init__()
        self.char, self.colour, self.cache = char, QColor(colour), {}

    def paint(self, painter, rect, mode, state):
        key = (rect.width(), rect.height())
        image = self.cache.get(key)
        if image is None:
            image = QPixmap(*key)
            image.fill(QColor(0, 0, 0, 0))
            tint = QPixmap(*key)
            tint.fill(self.colour)
            p = QPainter(image)
            font = QFont(family)
            font.setPixelSize(max(1, round(0.875 * key[1])))
            p.setFont(font)
            p.drawText(QRect(0, 0, *key), 0x84, self.char)
            p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
            p.drawPixmap(0, 0, tint)
            p.end()
            self.cache[key] = image
        painter.drawPixmap(rect, image)

    def clone(self):
        return Glyph(self.char, self.colour)


def icon(code, colour="#222222"):
    return QIcon(Glyph(chr(code), colour))


def when(ts):
    moment = datetime.fromtimestamp(ts)
    days = (datetime.now().date() - moment.date()).days
    return moment.strftime("%H:%M") if days == 0 else moment.strftime("%d %b %H:%M")


class Model(QAbstractTableModel):
    def __init__(self):
        super().__init__()
        self.mark = icon(0xF851, "#1b7f3b")

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(rows)

    def columnCount(self, parent=QModelIndex()):
        return 8

    def data(self, index, role=0):
        row, column = rows[index.row()], index.column()
        if column == 0:
            return self.mark if role == 1 else None
        if role != 0:
            return None
        if column == 1:
            return when(row[1])
        if column == 2:
            return f"{row[2]}  {row[3]}"
        if column == 4:
            return f"{(row[4] or 0) // 60}:{(row[4] or 0) % 60:02d}"
        return "" if column == 3 else row[column]


window = QMainWindow()
window.setWindowTitle("calldesk")
bar = QToolBar("Main", window)
bar.setMovable(False)
bar.setProperty("toolButtonStyle", 2)
window.addToolBar(bar)
title = QLabel("calldesk", window)
font = title.font()
font.setBold(True)
title.setFont(font)
bar.addWidget(title)
bar.addAction(QAction(icon(0xF280), "New call log", window))
search = QLineEdit(window)
search.setPlaceholderText("Search calls…  (Ctrl+F)")
search.setMinimumWidth(320)
bar.addWidget(search)
bar.addAction(QAction(icon(0xF045), "Sync now", window))
bar.addAction(QAction(icon(0xF354), "Accounts", window))
splitter = QSplitter()
side = QTreeWidget(window)
side.setHeaderHidden(True)
side.setRootIsDecorated(False)
accounts = QTreeWidgetItem(side, ["ACCOUNTS"])
QTreeWidgetItem(accounts, ["All calls"])
filters = QTreeWidgetItem(side, ["FILTERS"])
for text in ("Not synced", "Failed", "This week"):
    QTreeWidgetItem(filters, [text])
side.expandAll()
splitter.addWidget(side)
middle = QWidget(window)
column = QVBoxLayout(middle)
column.setContentsMargins(0, 0, 0, 0)
table = QTableView(middle)
table.setAlternatingRowColors(True)
table.setShowGrid(False)
table.verticalHeader().hide()
table.setModel(Model())
header = QStandardItemModel(0, 8, window)
header.setHorizontalHeaderLabels(
    ["", "When ▼", "Contact / phone", "Direction", "Duration", "Outcome", "Note", "Account"])
table.horizontalHeader().setModel(header)
table.hideColumn(3)
column.addWidget(table)
splitter.addWidget(middle)
right = QStackedWidget(window)
right.addWidget(QWidget(right))
splitter.addWidget(right)
splitter.setSizes([150, 800, 490])
window.setCentralWidget(splitter)
status = QPushButton(icon(0xF045), "Starting…  ·  0 pending   —  open queue", window)
status.setFlat(True)
status.setStyleSheet("QPushButton { text-align: left; padding: 2px 8px; }")
window.statusBar().addPermanentWidget(status, 1)
history = QToolButton(right)
history.setText("History")
history.setProperty("arrowType", 4)
QSettings(f"{home}/config/reference.ini", QSettings.Format.IniFormat).value("window/geometry")
window.resize(1440, 860)
watch = PaintWatch(lambda: True)
window.installEventFilter(watch)
window.show()
app.exec()
"""
)

#: A bare QMainWindow of the same size, shown until its first paint.
BARE_WINDOW_CHILD = (
    _PRELUDE
    + """
from PySide6.QtWidgets import QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
watch = PaintWatch(lambda: True)
window.installEventFilter(watch)
window.resize(1440, 860)
window.show()
app.exec()
"""
)

#: A QTableView over a bare QAbstractTableModel of N x 8 tuples (``BENCH_ROWS``).
BARE_TABLE_CHILD = (
    _PRELUDE
    + """
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QMainWindow, QTableView
app = QApplication(sys.argv)
n = int(os.environ["BENCH_ROWS"])
rows = [
    (str(i), f"2026-11-{i % 28 + 1:02d} 10:{i % 60:02d}", f"Person {i} +1 650 555 {i % 10000:04d}",
     "Outbound", f"{i % 60}:{i % 59:02d}", "Connected", f"Discussed pricing for plan {i}", "work")
    for i in range(n)
]


class Model(QAbstractTableModel):
    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else 8

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return rows[index.row()][index.column()]
        return None


window = QMainWindow()
table = QTableView(window)
model = Model(table)
table.setModel(model)
window.setCentralWidget(table)
watch = PaintWatch(lambda: model.rowCount() > 0)
window.installEventFilter(watch)
window.resize(1440, 860)
window.show()
app.exec()
"""
)


def measure(code: str, env: Mapping[str, str], runs: int) -> list[dict[str, Any]]:
    return [run_child(code, env) for _ in range(runs)]
