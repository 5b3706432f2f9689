"""The account's defaults for new calls: the rep makes the new call's user, direction, status or
outcome (the schema's ``account_default`` fields) the account's defaults; Ctrl+N then starts
with them, after a restart too; an existing call never offers it; clearing them works."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from calldesk.domain import Vendor
from calldesk.sandbox import SandboxServer
from calldesk.schema import load_schema
from tests.ui.test_ui_window_step4 import _accounts, _first_row, running_window, until


def test_the_schemas_offer_only_fields_a_rep_sets_as_defaults() -> None:
    close = load_schema(Vendor.CLOSE)
    chosen = [spec.name for spec in close.fields if spec.account_default]
    assert chosen == ["user_id", "direction", "status", "outcome_id", "source"]
    for spec in close.fields:
        if spec.account_default:
            assert not spec.read_only and not spec.hide_in_editor
            assert spec.type.name in ("enum", "lookup", "phone")
    pipedrive = load_schema(Vendor.PIPEDRIVE)
    assert "from_phone_number" in [s.name for s in pipedrive.fields if s.account_default]
    assert "to_phone_number" not in [s.name for s in pipedrive.fields if s.account_default]


@pytest.mark.asyncio
async def test_new_calls_start_with_the_defaults_the_rep_set(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    accounts = _accounts(sandbox_server, Vendor.CLOSE)
    async with running_window(qtbot, calldesk_home, accounts) as window:
        form = window.form
        assert form is not None and window.editing == ("close", None)
        assert form.defaults_button.isVisible()
        assert form.fields["direction"].text() == ""  # nothing set yet
        assert form.set_field_text("direction", "inbound")
        assert form.set_field_text("status", "no-answer")
        assert form.set_field_text("phone", "+1 650 555 0142")  # per call: never a default
        qtbot.mouseClick(form.defaults_button, Qt.MouseButton.LeftButton)
        assert "direction, status" in window.statusBar().currentMessage()
        window.new_call("close")
        assert form.fields["direction"].text() == "inbound"
        assert form.fields["status"].text() == "no-answer"
        assert form.fields["phone"].text() == ""
        assert form.fields["activity_at"].text()  # the call time is still "now"
        assert not form.is_dirty()  # defaults alone are not an unsaved draft
        # a logged call does not offer it
        row = await _first_row(window, "close")
        window.table.selectRow(row)
        await until(lambda: window.editing is not None and window.editing[1] is not None)
        await window.settle()
        assert not form.defaults_button.isVisible()

    async with running_window(qtbot, calldesk_home, accounts) as again:
        form = again.form
        assert form is not None
        assert form.fields["direction"].text() == "inbound"  # kept across a restart
        assert form.set_field_text("direction", "")
        assert form.set_field_text("status", "")
        qtbot.mouseClick(form.defaults_button, Qt.MouseButton.LeftButton)
        assert "start empty again" in again.statusBar().currentMessage()
        again.new_call("close")
        assert form.fields["direction"].text() == "" and form.fields["status"].text() == ""
