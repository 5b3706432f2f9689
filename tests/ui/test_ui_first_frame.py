"""The window's first frame: built without a backend on the glance's rows, then attached.

The frame must look exactly like the attached window (the list's model is swapped underneath it),
say honestly that calldesk is starting (with the outbox counts it read), hide the demo's controls
outside the demo, survive being closed before it is attached, and use Qt's own enum values where
it writes them as ints (so it never builds PySide6's ``Qt`` namespace; see the startup test).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractItemView, QApplication
from pytestqt.qtbot import QtBot

from calldesk.app import first_page, glance
from calldesk.store.paths import Paths
from calldesk.ui import call_table, columns, first_frame, icons, window
from calldesk.ui.window import MainWindow
from tests.ui.test_ui_startup_order import populate_home


def _frame(home: Path) -> MainWindow:
    paths = Paths.under(home)
    return MainWindow(None, settings_path=paths.config_dir / "window.ini", glance=glance(paths))


def _grab(win: MainWindow) -> QImage:
    QApplication.processEvents()
    return win.grab().toImage()


def test_the_ints_the_frame_writes_are_qts_own_values() -> None:
    assert Qt.ItemDataRole.UserRole.value == window.ROLE_FILTER
    assert Qt.ToolButtonStyle.ToolButtonTextBesideIcon.value == window.TEXT_BESIDE_ICON
    assert Qt.ArrowType.RightArrow.value == window.RIGHT_ARROW
    assert Qt.ItemDataRole.DisplayRole.value == first_frame.DISPLAY_ROLE
    assert Qt.ItemDataRole.DecorationRole.value == first_frame.DECORATION_ROLE
    assert Qt.AlignmentFlag.AlignCenter.value == icons._ALIGN_CENTER
    assert QAbstractItemView.SelectionBehavior.SelectRows.value == window.SELECT_ROWS
    assert QAbstractItemView.SelectionMode.SingleSelection.value == window.SINGLE_SELECTION
    assert QAbstractItemView.DragDropMode.DropOnly.value == call_table.DROP_ONLY


def test_attaching_swaps_the_list_model_without_a_visible_change(
    qtbot: QtBot, calldesk_home: Path
) -> None:
    populate_home(calldesk_home)
    win = _frame(calldesk_home)
    qtbot.addWidget(win)
    win.resize(1200, 700)
    win.show()
    qtbot.waitExposed(win)
    assert not win.attached
    assert win.table.model().rowCount() == 3
    before = _grab(win)
    header = win.table.horizontalHeader()
    widths = [header.sectionSize(n) for n in range(8)]
    backend, rows = first_page(Paths.under(calldesk_home))
    win.attach(backend, rows)
    assert win.attached and win.table.model() is win.model
    after = _grab(win)
    assert before.size() == after.size()
    assert before == after  # the whole window, pixel for pixel: the swap cannot be seen
    header = win.table.horizontalHeader()
    assert [header.sectionSize(n) for n in range(8)] == widths
    assert win.table.isColumnHidden(3)
    assert header.model() is win.model  # the frame's header-only model went with it
    assert win.table.selectionBehavior() == QAbstractItemView.SelectionBehavior.SelectRows
    assert win.table.selectionMode() == QAbstractItemView.SelectionMode.SingleSelection
    assert win.table.dragDropMode() == QAbstractItemView.DragDropMode.DropOnly
    assert win.history_toggle.arrowType() == Qt.ArrowType.RightArrow


def test_the_frame_says_it_is_starting_with_the_outbox_counts_it_read(
    qtbot: QtBot, calldesk_home: Path
) -> None:
    populate_home(calldesk_home)
    paths = Paths.under(calldesk_home)
    seen = glance(paths)
    assert seen is not None
    counted = seen._replace(pending=4, failed=2)
    win = MainWindow(None, settings_path=paths.config_dir / "window.ini", glance=counted)
    qtbot.addWidget(win)
    text = win.status_button.text()
    assert "Starting…" in text and "4 pending" in text and "2 need attention" in text
    assert win.filter_items["failed"].text(0) == "Failed (2)"
    backend, rows = first_page(paths)
    win.attach(backend, rows)  # still the starting backend: still "Starting…", same counts
    assert "Starting…" in win.status_button.text()
    assert "4 pending" in win.status_button.text()


def test_the_demo_controls_show_only_in_the_demo(qtbot: QtBot, calldesk_home: Path) -> None:
    populate_home(calldesk_home)
    paths = Paths.under(calldesk_home)
    backend, _rows = first_page(paths)
    plain = MainWindow(backend, settings_path=paths.config_dir / "a.ini")
    demo = MainWindow(
        dataclasses.replace(backend, demo=True), settings_path=paths.config_dir / "b.ini"
    )
    for win in (plain, demo):
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
    assert not plain.demo_mark.isVisible() and not plain.offline_switch.isVisible()
    assert demo.demo_mark.isVisible() and demo.offline_switch.isVisible()
    assert demo.windowTitle().endswith("Demo") and not plain.windowTitle().endswith("Demo")
    # The demo's spacer (built on attach, shown only in the demo) puts its mark at the far right;
    # elsewhere the search box takes the free space, within its bounds.
    mark_right = demo.demo_mark.mapTo(demo, demo.demo_mark.rect().topRight()).x()
    assert mark_right > demo.width() - 40
    low, high = window.SEARCH_WIDTHS
    assert low <= plain.search.width() <= high
    assert low <= demo.search.width() <= high


def test_a_frame_closed_before_it_is_attached_closes_cleanly(
    qtbot: QtBot, calldesk_home: Path
) -> None:
    win = _frame(calldesk_home)  # no database yet: no glance, an empty frame
    qtbot.addWidget(win)
    assert win.table.model().rowCount() == 0
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.closing, timeout=2000):
        win.close()
    assert (Paths.under(calldesk_home).config_dir / "window.ini").exists()  # layout kept


def test_list_times_read_as_a_rep_expects() -> None:
    now = time.mktime((2026, 11, 21, 15, 30, 0, 0, 0, -1))
    today = time.mktime((2026, 11, 21, 9, 5, 0, 0, 0, -1))
    yesterday = time.mktime((2026, 11, 20, 23, 54, 0, 0, 0, -1))
    this_year = time.mktime((2026, 3, 2, 8, 0, 0, 0, 0, -1))
    last_year = time.mktime((2025, 12, 31, 8, 0, 0, 0, 0, -1))
    new_year = time.mktime((2027, 1, 1, 10, 0, 0, 0, 0, -1))
    new_years_eve = time.mktime((2026, 12, 31, 22, 15, 0, 0, 0, -1))
    assert columns.format_when(today, now) == "09:05"
    assert columns.format_when(yesterday, now) == "Yesterday 23:54"
    assert columns.format_when(this_year, now) == "02 Mar 08:00"
    assert columns.format_when(last_year, now) == "31 Dec 2025"
    assert columns.format_when(new_years_eve, new_year) == "Yesterday 22:15"  # across the year
    assert columns.format_when(None, now) == "—"
    assert columns.format_when(1e300, now) == "—"
    assert columns.format_duration(None) == "—"
    assert columns.format_duration(252) == "4:12"
    assert columns.format_duration(3723) == "1:02:03"


def test_the_status_line_follows_a_switch_to_a_dark_scheme(
    qtbot: QtBot, calldesk_home: Path
) -> None:
    from PySide6.QtGui import QColor, QPalette

    populate_home(calldesk_home)
    paths = Paths.under(calldesk_home)
    backend, _rows = first_page(paths)
    win = MainWindow(backend, settings_path=paths.config_dir / "window.ini")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    light = app.palette()
    dark = QPalette(light)
    for role, colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#333333"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
    ):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    try:
        QApplication.processEvents()
        image = win.status_button.grab().toImage()
        shades = sorted(
            image.pixelColor(x, y).lightness()
            for x in range(image.width())
            for y in range(image.height())
        )
        assert shades[len(shades) // 2] < 100  # a dark background …
        assert shades[-1] > 180  # … with light text on it
        glyph = win.filter_button.icon().pixmap(16, 16).toImage()
        inked = [
            glyph.pixelColor(x, y).lightness()
            for x in range(glyph.width())
            for y in range(glyph.height())
            if glyph.pixelColor(x, y).alpha() > 200
        ]
        assert inked and min(inked) > 180  # toolbar icons follow the new text colour
    finally:
        app.setPalette(light)
