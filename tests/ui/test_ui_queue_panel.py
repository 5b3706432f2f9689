"""The queue panel names each waiting change's call, in a rep's words (real engine and store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from calldesk.domain import Vendor
from calldesk.sandbox import SandboxServer
from tests.ui.test_ui_window_step4 import _accounts, running_window, until


@pytest.mark.asyncio
async def test_queue_panel_names_the_call_and_says_what_waits(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as window:
        window.set_offline(True)
        await window.service.log_call(
            "pipedrive",
            window.service.schema_for("pipedrive").parse_inputs(
                {
                    "outcome": "connected",
                    "to_phone_number": "+16505551234",
                    "start_time": "2026-11-21T10:42:00+00:00",
                    "end_time": "2026-11-21T10:46:12+00:00",
                }
            )[0],
        )
        panel = window.queue_panel
        await panel.refresh()
        await until(lambda: panel.tree.topLevelItemCount() == 1)
        item = panel.tree.topLevelItem(0)
        assert item is not None
        call, account, change, state = (item.text(c) for c in range(4))
        # the call's phone and its time in the rep's zone (UTC in the tests)
        assert call == "+1 650-555-1234 · 21 Nov 10:42"
        assert account == "pipedrive"
        assert (change, state) == ("New call", "Waiting")
        assert panel.summary.text() == "1 change waiting to be sent"
