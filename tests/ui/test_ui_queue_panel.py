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


@pytest.mark.asyncio
async def test_a_refused_call_is_edited_from_the_queue_and_sent_again(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        schema = w.service.schema_for("close")
        values, errors = schema.parse_inputs(
            {
                "activity_at": "2026-11-21T10:42:00+00:00",
                "phone": "+16505550177",
                "lead_id": "lead_thisLeadWasMergedAway00000000000000000",
            }
        )
        assert not errors
        record = await w.service.log_call("close", values)
        w.sync_now()
        w.open_queue()  # the panel follows the outbox from now on
        panel = w.queue_panel
        await until(lambda: any(op.state.value == "failed" for op in panel._ops))
        panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
        assert panel.edit_button.isEnabled()
        panel.edit_button.click()
        await until(lambda: w.editing == ("close", record.local_id))
        await w.settle()
        form = w.form
        assert form is not None
        assert "Object does not exist" in form.message.text()  # what Close said, in the editor
        assert form.mode_label.text() == "Saved here, not in the CRM yet"
        assert not form.defaults_button.isVisible()
        assert form.set_field_text("lead_id", "")  # the fix
        assert form.request_save(and_new=False)
        await until(lambda: any(c.get("phone") == "+16505550177" for c in api.calls.values()))
        await until(lambda: not panel._ops or panel.tree.topLevelItemCount() == 0, timeout=10)


@pytest.mark.asyncio
async def test_clearing_a_field_of_a_logged_call_clears_it_in_the_crm(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await w.refresh_all()
        await until(lambda: bool(w.model.rows()))
        summary = next(
            r
            for r in w.model.rows()
            if r.remote_id
            and api.calls[r.remote_id].get("outcome_id")
            and api.calls[r.remote_id].get("source") == "External"
        )
        await w.open_record("close", summary.local_id)
        form = w.form
        assert form is not None and form.fields["outcome_id"].text()
        assert form.set_field_text("outcome_id", "")
        assert form.request_save(and_new=False)
        await until(lambda: api.calls[summary.remote_id or ""].get("outcome_id") is None)
