"""A long call list, driven by keys: End jumps to the oldest call without reading the pages
between, Home comes back, and paging down through every call holds only a window of rows.

The real window over the real engine and the Close sandbox CRM on a real socket, with 650 calls
(the window reads pages of 100 and holds at most five).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from calldesk.domain import Vendor
from calldesk.sandbox import SandboxConfig, SandboxServer
from calldesk.store.calls import CallQuery
from calldesk.ui.call_model import KEEP_PAGES, PAGE_SIZE
from calldesk.ui.columns import cell_text
from calldesk.ui.window import MainWindow
from tests.ui.test_ui_window_step4 import _accounts, running_window, until

CALLS = 650


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:
    return SandboxConfig(seed=3, calls_per_vendor=CALLS, recordings_dir=tmp_path / "recordings")


@pytest.fixture
def sandbox_server(sandbox_config: SandboxConfig) -> Iterator[SandboxServer]:
    with SandboxServer(sandbox_config) as server:
        yield server


def _bottom_row(window: MainWindow) -> int:
    """The list position drawn at the bottom of the table's viewport."""
    viewport = window.table.viewport()
    return window.table.rowAt(viewport.height() - 2)


def _editing(window: MainWindow) -> str | None:
    return None if window.editing is None else window.editing[1]


@pytest.mark.asyncio
async def test_end_jumps_to_the_oldest_call_and_scrolling_holds_a_window(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        w.resize(1024, 700)
        await w.refresh_all()
        await until(lambda: w.model.total() == CALLS)
        newest = (await w.service.list_calls(CallQuery(limit=1)))[0]
        oldest = (await w.service.list_calls(CallQuery(limit=1, from_end=True)))[0]
        model = w.model
        assert model.held() == range(PAGE_SIZE)  # the first page only

        w.table.setFocus()
        QTest.keyClick(w.table, Qt.Key.Key_Down)  # the first row becomes current
        await until(lambda: _editing(w) is not None)

        QTest.keyClick(w.table, Qt.Key.Key_End)
        await until(lambda: _editing(w) == oldest.local_id)
        # one page read, the last: none of the pages between
        assert model.held() == range(CALLS - PAGE_SIZE, CALLS)
        assert w.table.currentIndex().row() == CALLS - 1
        assert w.table.horizontalScrollBar().value() == 0  # the call's time stays in sight
        await until(lambda: _bottom_row(w) == CALLS - 1)  # the rep sees the oldest call last
        shown = model.data(model.index(CALLS - 1, 2))
        assert shown == cell_text(oldest, 2) and shown
        form = w.editor.form_for("close")
        assert w.editor_stack.currentWidget() is form
        note = form.raw_texts(all_fields=True).get("note", "")
        assert oldest.note_preview.split()[0] in note

        # a sync or save re-reads the rows held in place: the view stays at the end
        await model.reload(keep=True)
        assert model.held() == range(CALLS - PAGE_SIZE, CALLS)
        assert model.row_at(CALLS - 1) == oldest
        assert w.table.currentIndex().row() == CALLS - 1

        QTest.keyClick(w.table, Qt.Key.Key_Home)
        await until(lambda: _editing(w) == newest.local_id)
        assert w.table.currentIndex().row() == 0
        assert model.data(model.index(0, 2)) == cell_text(newest, 2)

        # page down through every call: the rows held never exceed the window
        most = 0
        while w.table.currentIndex().row() < CALLS - 1:
            before = w.table.currentIndex().row()
            QTest.keyClick(w.table, Qt.Key.Key_PageDown)
            await until(lambda: model.row_at(w.table.currentIndex().row()) is not None)
            await until(lambda: not model.loading)
            assert w.table.currentIndex().row() > before
            most = max(most, len(model.rows()))
            assert len(model.rows()) <= KEEP_PAGES * PAGE_SIZE
        await until(lambda: _editing(w) == oldest.local_id)
        assert most == KEEP_PAGES * PAGE_SIZE  # it filled the window, then dropped rows
        assert 0 not in model.held()  # the newest rows were dropped on the way down
        ids = [row.local_id for row in model.rows()]
        assert len(set(ids)) == len(ids) and ids[-1] == oldest.local_id
