"""The window's first page: read off the GUI thread before the event loop, seeded, then replaced.

``calldesk.app.first_page`` reads the newest cached calls from a real SQLite file;
``calldesk.ui.qtapp.call_off_gui_thread`` runs it on a plain thread while Qt waits; the window is
built on the starting backend with its model seeded, and switching to the real engine
(``open_backend`` + ``rebind``, as ``calldesk.ui.qtapp`` does) never empties the list.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from calldesk.app import first_page, open_backend
from calldesk.store.accounts import AccountsConfig
from calldesk.store.calls import CallQuery
from calldesk.store.paths import Paths
from calldesk.sync.starting import FirstPage, StillStarting
from calldesk.ui.ports import Backend, Summary
from calldesk.ui.qtapp import call_off_gui_thread
from calldesk.ui.window import MainWindow
from tests.helpers.waiting import until as _until
from tests.ui.test_ui_startup_order import KEY_ENV, populate_home


def test_blocking_work_runs_on_another_thread_and_its_errors_reach_the_caller(
    qapp: QApplication,
) -> None:
    assert call_off_gui_thread(threading.get_ident) != threading.get_ident()

    def broken() -> int:
        raise ValueError("disk on fire")

    with pytest.raises(ValueError, match="disk on fire"):
        call_off_gui_thread(broken)


@pytest.mark.asyncio
async def test_first_page_answers_its_own_query_and_refuses_others(calldesk_home: Path) -> None:
    populate_home(calldesk_home)
    backend, rows = first_page(Paths.under(calldesk_home), rows=2)
    assert backend.starting is True
    assert [r.remote_id for r in rows] == ["3", "2"]  # newest first, two of three
    service = backend.service
    assert isinstance(service, FirstPage)
    query = CallQuery(limit=200)
    assert [r.local_id for r in await service.list_calls(query)] == [r.local_id for r in rows]
    assert await service.count_calls(query) == 2
    assert service.accounts() == {}
    with pytest.raises(StillStarting):
        await service.list_calls(CallQuery(text="renewal"))
    with pytest.raises(StillStarting):
        await service.list_calls(CallQuery(offset=2))
    with pytest.raises(StillStarting):
        await service.log_call("work", {})


@pytest.mark.asyncio
async def test_seeded_window_keeps_its_rows_through_the_switch_to_the_engine(
    qtbot: QtBot, calldesk_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "first-page-key")
    populate_home(calldesk_home)
    paths = Paths.under(calldesk_home)
    accounts = AccountsConfig.for_paths(paths).load()

    def read() -> tuple[Backend, Sequence[Summary]]:
        return first_page(paths)

    starting, rows = call_off_gui_thread(read)
    window = MainWindow(starting, settings_path=paths.config_dir / "window.ini")
    qtbot.addWidget(window)
    model = window.model
    model.seed(rows)
    assert model.rowCount() == 3 and not model.canFetchMore(model.index(-1, -1))
    # a reload before the engine arrives (the list's own query) is answered from the page
    assert len(await starting.service.list_calls(model.query)) == 3
    window.show()
    seen: list[int] = []
    loads: list[int] = []

    def watch(*_args: object) -> None:
        seen.append(model.rowCount())

    for signal in (model.modelReset, model.rowsRemoved, model.rowsInserted):
        signal.connect(watch)
    model.loaded.connect(lambda: loads.append(model.rowCount()))
    async with open_backend(paths, accounts, lambda _a: "first-page-key") as full:
        window.bridge.close()
        window.rebind(full)
        seen.append(model.rowCount())  # straight after the switch, before any reload
        await _until(lambda: bool(loads))  # the real service's first page replaced the rows
        await window.settle()
        window.close()
        await window.settle()
    assert seen and 0 not in seen, seen
    assert loads and 0 not in loads, loads
    assert window.sidebar_accounts() == ["work"]
    assert [model.row_at(n).local_id for n in range(3)] == [r.local_id for r in rows]
