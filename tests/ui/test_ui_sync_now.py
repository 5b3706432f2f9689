"""F5 (Sync now) sends a change whose back-off still has minutes to run: the rep sees the status
bar and the queue panel go from one change waiting to none (a real window against the sandbox)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from calldesk.domain import Account, Vendor, utcnow
from calldesk.runtime import open_runtime
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.local import LocalStore
from calldesk.store.paths import Paths
from tests.helpers.waiting import until
from tests.sync.sync_support import close_calls_with_phone, close_values
from tests.ui.test_ui_window_step4 import _accounts, running_window


async def _queue_a_create_that_failed_eight_times(home: Path, account: Account) -> None:
    async with open_runtime(
        Paths.under(home), [account], lambda a: SANDBOX_KEYS[a.vendor], start_engine=False
    ) as rt:
        await rt.service.log_call(account.name, close_values(7))

        def fail_eight_times(store: LocalStore) -> None:
            (op,) = store.outbox.list_ops(account=account.name)
            for _ in range(8):
                store.outbox.mark_in_flight(op.op_id)
                store.outbox.reschedule(
                    op.op_id, utcnow() + timedelta(minutes=4), "Close is unavailable (503)"
                )

        await rt.worker.run(fail_eight_times)


@pytest.mark.asyncio
async def test_f5_sends_a_change_that_was_waiting_for_its_back_off(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    accounts = _accounts(sandbox_server, Vendor.CLOSE)
    await _queue_a_create_that_failed_eight_times(calldesk_home, accounts[0])
    async with running_window(qtbot, calldesk_home, accounts) as window:
        status = window.status_button
        await until(lambda: "1 pending" in status.text())
        QTest.mouseClick(status, Qt.MouseButton.LeftButton)  # "open queue"
        panel = window.queue_panel
        await until(lambda: panel.summary.text() == "1 change waiting to be sent")
        assert close_calls_with_phone(sandbox_server, "+16505550007") == []
        window.activateWindow()
        window.focus_list()
        await until(window.table.hasFocus)
        QTest.keyClick(window.table, Qt.Key.Key_F5)
        await until(
            lambda: panel.summary.text() == "Nothing waiting: every change reached its CRM."
        )
        await until(lambda: "0 pending" in status.text())
        assert panel.tree.topLevelItemCount() == 0
    assert len(close_calls_with_phone(sandbox_server, "+16505550007")) == 1
