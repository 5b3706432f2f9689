"""The window applies the schema's rules: locked calls, the CRM id, named conflict values, and an
upload that survives switching calls (real engine, sandbox CRMs on a real socket)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit, QRadioButton
from pytestqt.qtbot import QtBot

from calldesk.domain import SyncState, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.sandbox.base import iso_offset
from calldesk.sandbox.close import CloseApi
from tests.ui.test_ui_window_step4 import _accounts, _drop, _first_row, _wav, running_window, until


@pytest.mark.asyncio
async def test_a_logged_pipedrive_call_is_locked_and_shows_its_crm_id(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as window:
        summary = window.model.row_at(await _first_row(window, "pipedrive"))
        assert summary.remote_id is not None
        await window.open_record("pipedrive", summary.local_id)
        form = window.form
        assert form is not None
        reason = form.locked_reason()
        assert reason == "Pipedrive doesn't allow changes to a logged call."
        assert (window.notice_text_shown() or "").startswith(reason)
        assert all(not widget.is_editable() for widget in form.fields.values())
        assert form.fields["subject"].focus_widget().toolTip() == reason
        assert not form.save_button.isEnabled() and form.save_button.toolTip() == reason
        assert form.message.isHidden()
        call_id = form.fields["id"].focus_widget()
        assert isinstance(call_id, QLineEdit) and call_id.isVisibleTo(form)
        assert call_id.text() == summary.remote_id and call_id.isReadOnly()
        zone = window.drop_zone
        assert zone is not None and not zone.use_duration_button.isEnabled()

        # A new call for the same account is editable again, without CRM-only fields.
        window.new_call("pipedrive")
        assert form.locked_reason() is None and form.fields["subject"].is_editable()
        assert not form.is_shown("id") and not form.is_shown("company_id")


@pytest.mark.asyncio
async def test_conflict_values_name_lookup_ids(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    assert isinstance(api, CloseApi)
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)
    ) as window:
        summary = window.model.row_at(await _first_row(window, "close"))
        assert summary.remote_id is not None
        outcomes = await window.service.lookup("close", "outcomes")
        assert len(outcomes) >= 2
        mine, theirs = outcomes[0], outcomes[1]
        window.set_offline(True)
        await window.service.update_call("close", summary.local_id, {"outcome_id": mine.id})
        crm = api.calls[summary.remote_id]
        crm["outcome_id"] = theirs.id
        crm["date_updated"] = iso_offset(datetime.now(UTC) + timedelta(hours=1))
        await window.service.refresh("close")
        assert (await window.service.find("close", summary.local_id)).state == SyncState.CONFLICT

        await window.open_record("close", summary.local_id)
        view = window.conflict_view
        assert window.editor_stack.currentWidget() is view
        assert "outcome_id" in view.differing_fields()
        mine_button = view.findChild(QRadioButton, "conflict_mine_outcome_id")
        theirs_button = view.findChild(QRadioButton, "conflict_theirs_outcome_id")
        assert mine_button is not None and theirs_button is not None
        assert mine.label.startswith(mine_button.text().rstrip("…"))  # short, whole on hover
        assert mine_button.toolTip() == mine.label
        assert theirs_button.toolTip() == theirs.label
        assert mine.id not in mine_button.text()
        # What is applied stays wire form (the ids).
        assert view.chosen_fields()["outcome_id"] == mine.id


@pytest.mark.asyncio
async def test_an_upload_in_progress_is_shown_again_after_switching_calls(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, tmp_path: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as window:
        await _first_row(window, "pipedrive")
        rows = [r for r in window.model.rows() if r.account == "pipedrive"]
        first, second = rows[0], rows[1]
        window.set_offline(True)  # the upload stays queued
        await window.open_record("pipedrive", first.local_id)
        zone = window.drop_zone
        assert zone is not None
        assert _drop(zone, _wav(tmp_path / "call.wav")).isAccepted()
        await until(lambda: zone.op_id() is not None)
        op_id = zone.op_id()

        await window.open_record("pipedrive", second.local_id)
        assert zone.op_id() is None and not zone.attachment.isVisibleTo(zone)

        await window.open_record("pipedrive", first.local_id)
        assert zone.op_id() == op_id
        assert zone.name_label.text() == "call.wav"
        assert zone.upload.isVisibleTo(zone) and zone.cancel_button.isEnabled()
        assert zone.status_label.text() == "Waiting to upload"

        window.set_offline(False)
        window.sync_now()
        await until(lambda: zone.status_label.text() == "Uploaded", timeout=20)


@pytest.mark.asyncio
async def test_use_as_duration_fills_a_call_that_can_still_change(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, tmp_path: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as window:
        window.set_offline(True)  # saved here, not yet in Pipedrive: still editable
        window.new_call("pipedrive")
        form = window.form
        assert form is not None
        form.load_draft(
            {
                "outcome": "connected",
                "to_phone_number": "+1 650 555 1234",
                "start_time": "2026-11-21T10:42:00+01:00",
                "end_time": "2026-11-21T10:46:12+01:00",
            }
        )
        assert await window.save(form.save_values())
        assert form.locked_reason() is None
        zone = window.drop_zone
        assert zone is not None
        assert _drop(zone, _wav(tmp_path / "call.wav")).isAccepted()
        await until(lambda: zone.op_id() is not None)
        assert zone.use_duration_button.isEnabled()
        zone.use_duration_button.click()
        assert form.fields["duration"].text() == "0:02"
        assert form.is_dirty()
