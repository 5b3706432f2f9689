"""The main window over the real engine and a sandbox CRM on a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from calldesk.app import open_backend
from calldesk.domain import Account, KeySource, SyncState, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.paths import Paths
from calldesk.ui.call_model import CallListModel
from calldesk.ui.window import MainWindow
from tests.helpers.waiting import until


def _account(server: SandboxServer) -> Account:
    return Account(
        "work", Vendor.PIPEDRIVE, server.base_url(Vendor.PIPEDRIVE), KeySource("env", "K")
    )


async def _window(
    qtbot: QtBot, server: SandboxServer, home: Path, stack: list[MainWindow]
) -> AsyncIterator[MainWindow]:
    paths = Paths.under(home)
    async with open_backend(paths, [_account(server)], lambda a: SANDBOX_KEYS[a.vendor]) as backend:
        window = MainWindow(backend, settings_path=paths.config_dir / "window.ini")
        qtbot.addWidget(window)
        window.show()
        window.start()
        stack.append(window)
        try:
            yield window
        finally:
            window.close()
            await window.settle()


def _type(widget: QLineEdit, text: str) -> None:
    widget.setFocus()
    widget.selectAll()
    widget.insert(text)


@pytest.mark.asyncio
async def test_log_a_call_offline_then_see_it_sync(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    windows: list[MainWindow] = []
    gen = _window(qtbot, sandbox_server, calldesk_home, windows)
    window = await gen.__anext__()
    try:
        api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
        before = api.call_count()
        window.set_offline(True)
        await until(lambda: window.banner.isVisibleTo(window))
        form = window.form
        assert form is not None and form.account_name == "work"
        form.load_draft(
            {
                "outcome": "connected",
                "to_phone_number": "+1 650 555 1234",
                "start_time": "2026-11-21T10:42:00+01:00",
                "end_time": "2026-11-21T10:46:12+01:00",
                "duration": "-5",
                "subject": "Window test call",
            }
        )
        await until(lambda: not form.save_button.isEnabled())
        assert [e.field for e in form.errors()] == ["duration"]
        form.load_draft({"duration": "4:12"})
        await until(form.save_button.isEnabled)

        form.save_button.click()
        await until(lambda: window.editing is not None and window.editing[1] is not None)
        local_id = window.editing[1] if window.editing else None
        assert local_id is not None

        def state() -> SyncState | None:
            row = window.model.row_of(local_id)
            return window.model.row_at(row).state if row >= 0 else None

        await until(lambda: state() == SyncState.PENDING)
        assert "1 pending" in window.status_button.text()
        assert "Offline" in window.status_button.text()
        assert api.call_count() == before

        window.set_offline(False)
        window.sync_now()
        await until(lambda: state() == SyncState.SYNCED)
        assert api.call_count() == before + 1
        await until(lambda: "0 pending" in window.status_button.text())
        await until(lambda: not window.banner.isVisibleTo(window))
    finally:
        await gen.aclose()


@pytest.mark.asyncio
async def test_list_pages_lazily_and_search_filters(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    windows: list[MainWindow] = []
    gen = _window(qtbot, sandbox_server, calldesk_home, windows)
    window = await gen.__anext__()
    try:
        await window.refresh_all()
        model = CallListModel(window.service, window.backend.base_query, page_size=25)
        await model.reload()
        total = model.total()
        assert total == sandbox_server.sandbox.apis[Vendor.PIPEDRIVE].call_count() > 25
        assert model.rowCount() == total  # every call has a row; one page of them is read
        assert model.held() == range(25)
        assert model.data(model.index(30, 1)) is None  # not read yet: blank, and asked for
        await until(lambda: model.row_at(30) is not None)
        assert model.held() == range(50)
        ids = [r.local_id for r in model.rows()]
        assert len(set(ids)) == 50

        # The window's own list: search narrows it to matching calls.
        await until(lambda: window.model.total() == total)
        target = window.model.row_at(0)
        word = (target.who or target.phone).split()[0]
        window.search.setText(word)
        await until(lambda: 0 < window.model.total() < total)
        shown = window.model.rows()
        assert any(r.local_id == target.local_id for r in shown)
        window.search.clear()
        await until(lambda: window.model.total() == total)
    finally:
        await gen.aclose()


@pytest.mark.asyncio
async def test_layout_is_remembered_under_calldesk_home(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    windows: list[MainWindow] = []
    gen = _window(qtbot, sandbox_server, calldesk_home, windows)
    window = await gen.__anext__()
    window.splitter.setSizes([150, 600, 500])
    sizes = window.splitter.sizes()
    await gen.aclose()
    ini = calldesk_home / "config" / "window.ini"
    assert ini.is_file()
    gen = _window(qtbot, sandbox_server, calldesk_home, windows)
    again = await gen.__anext__()
    try:
        restored = again.splitter.sizes()
        # The side panes keep their widths; the list takes whatever the window has left.
        assert (restored[0], restored[2]) == (sizes[0], sizes[2])
    finally:
        await gen.aclose()
