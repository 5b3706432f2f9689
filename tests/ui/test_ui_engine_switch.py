"""Switching from the start-up stand-in to the real engine keeps the call list on screen.

The window is built on ``calldesk.app.open_preview`` (store only) over a real SQLite file with
three cached calls, then ``rebind``s to ``open_backend`` exactly as ``calldesk.ui.qtapp`` does;
every change of the model's rows is watched: the list never shows zero rows on the way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from calldesk.app import open_backend, open_preview
from calldesk.store.accounts import AccountsConfig
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow
from tests.helpers.waiting import until as _until
from tests.ui.test_ui_startup_order import KEY_ENV, populate_home


@pytest.mark.asyncio
async def test_switching_to_the_engine_never_empties_the_call_list(
    qtbot: QtBot, calldesk_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "switch-test-key")
    populate_home(calldesk_home)
    paths = Paths.under(calldesk_home)
    accounts = AccountsConfig.for_paths(paths).load()
    async with open_preview(paths) as preview:
        window = MainWindow(preview, settings_path=paths.config_dir / "window.ini")
        qtbot.addWidget(window)
        window.show()
        window.start()
        await _until(lambda: window.model.rowCount() == 3)
        seen: list[int] = []
        loads: list[int] = []
        model = window.model

        def watch(*_args: object) -> None:
            seen.append(model.rowCount())

        for signal in (model.modelReset, model.rowsRemoved, model.rowsInserted):
            signal.connect(watch)
        model.loaded.connect(lambda: loads.append(model.rowCount()))
        async with open_backend(paths, accounts, lambda _a: "switch-test-key") as full:
            await window.settle()
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
    assert seen and 0 not in seen, seen
    assert model.rowCount() == 3
    assert [model.row_at(n).account for n in range(3)] == ["work"] * 3
