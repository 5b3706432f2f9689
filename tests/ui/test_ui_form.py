"""The schema-driven editor form, built from the real vendor schemas (pytest-qt, offscreen)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from calldesk.domain.model import Vendor
from calldesk.schema import FieldSpec, load_schema
from calldesk.ui.form import WIDGET_TABLE, EditorForm, WidgetContext, register_widget
from calldesk.ui.form.choice_widgets import EnumWidget, SearchLookupWidget
from calldesk.ui.form.datetime_widget import DateTimeWidget
from calldesk.ui.form.text_widgets import DurationWidget, LineWidget
from tests.helpers.shots import shots_dir

BERLIN = ZoneInfo("Europe/Berlin")


def make_form(qtbot: QtBot, vendor: Vendor, **kwargs: object) -> EditorForm:
    form = EditorForm(load_schema(vendor), account_name="work", zone=BERLIN, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(form)
    form.resize(640, 1000)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow, timeout=2000)
    return form


def line(form: EditorForm, name: str) -> QLineEdit:
    control = form.fields[name].focus_widget()
    assert isinstance(control, QLineEdit)
    return control


def type_into(qtbot: QtBot, control: QWidget, text: str) -> None:
    control.setFocus()
    if isinstance(control, QLineEdit):
        control.selectAll()
        qtbot.keyClick(control, Qt.Key.Key_Backspace)
    qtbot.keyClicks(control, text)


@pytest.mark.parametrize("vendor", list(Vendor))
def test_form_shows_exactly_the_schema_fields_in_order(qtbot: QtBot, vendor: Vendor) -> None:
    schema = load_schema(vendor)
    form = make_form(qtbot, vendor)

    assert form.field_names() == [spec.name for spec in schema.fields]
    assert form.header.text() == f"{schema.label} · work"
    for spec in schema.fields:
        label = form.labels[spec.name].text()
        assert label.startswith(spec.label)
        assert label.endswith("*") == spec.required_on_create
        control = form.fields[spec.name].focus_widget()
        assert control.accessibleName().startswith(spec.label)
        losers = {rule.drop for rule in schema.precedence}
        # A new call hides what the CRM fills in, the losing side of a precedence rule, and
        # what the schema keeps out of the editor.
        shown = not spec.read_only and spec.name not in losers and not spec.hide_in_editor
        assert form.fields[spec.name].isVisibleTo(form) == shown == form.is_shown(spec.name)
        if spec.read_only:
            assert form.fields[spec.name].read_only_reason()


def test_invalid_duration_shows_the_limit_and_blocks_save(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    assert form.save_button.isEnabled()
    duration = line(form, "duration")

    type_into(qtbot, duration, "700000")
    qtbot.waitUntil(lambda: not form.save_button.isEnabled(), timeout=2000)
    assert form.fields["duration"].error() == "Duration must be at most 7 days (604800 s)"
    assert form.fields["duration"].error_label.isVisible()
    assert not form.save_new_button.isEnabled()

    type_into(qtbot, duration, "1h 5m")
    qtbot.waitUntil(form.save_button.isEnabled, timeout=2000)
    assert form.fields["duration"].error() is None
    assert form.values()["duration"] == 3900
    widget = form.fields["duration"]
    assert isinstance(widget, DurationWidget)
    assert widget.aside.text() == "= 1:05:00  ·  3900 s  ·  max 7 days"


def test_keys_one_to_nine_pick_the_nth_outcome(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.PIPEDRIVE)
    outcome = form.fields["outcome"]
    assert isinstance(outcome, EnumWidget)
    combo = outcome.focus_widget()
    combo.setFocus()

    qtbot.keyClick(combo, Qt.Key.Key_3)
    assert outcome.text() == "left_message"
    assert outcome.current_label() == "Left message"
    qtbot.keyClick(combo, Qt.Key.Key_1)
    assert outcome.text() == "connected"
    qtbot.keyClick(combo, Qt.Key.Key_9)  # only six outcomes: nothing changes
    assert outcome.text() == "connected"


def test_filling_deal_disables_lead_with_a_reason(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.PIPEDRIVE)
    lead = form.fields["lead_id"]
    assert lead.focus_widget().isEnabled()

    type_into(qtbot, line(form, "deal_id"), "42")
    assert not lead.focus_widget().isEnabled()
    assert "Choose either Deal or Lead" in lead.focus_widget().toolTip()
    assert "Clear Deal" in lead.focus_widget().toolTip()
    assert form.fields["deal_id"].focus_widget().isEnabled()

    type_into(qtbot, line(form, "deal_id"), "")
    assert lead.focus_widget().isEnabled()
    assert lead.blocked_reason() is None


def test_voip_call_freezes_status_and_duration_with_the_reason(qtbot: QtBot) -> None:
    schema = load_schema(Vendor.CLOSE)
    form = make_form(qtbot, Vendor.CLOSE)
    current = {
        "id": "acti_1",
        "source": "Close.io",
        "status": "completed",
        "duration": 252,
        "activity_at": "2026-11-21T09:42:00+00:00",
        "note": "hello",
    }
    form.load_record(current, existing=True)

    for name in ("status", "duration"):
        reason = schema.field(name).frozen_when
        assert reason is not None
        widget = form.fields[name]
        assert widget.read_only_reason() == reason.reason
        assert widget.focus_widget().toolTip() == reason.reason
    status = form.fields["status"].focus_widget()
    assert isinstance(status, QComboBox)
    assert not status.isEnabled()
    assert status.currentText() == "Completed"
    assert line(form, "duration").isReadOnly()
    assert line(form, "duration").text() == "4:12"
    # create-only fields are read-only on a logged call; the note stays editable
    assert form.fields["source"].read_only_reason() == "Can only be set when the call is logged"
    assert form.fields["note_html"].read_only_reason() is None
    assert "status" not in form.raw_texts() and "duration" not in form.raw_texts()
    assert form.is_valid()
    assert "duration" not in form.values()


def test_datetime_preview_shows_the_vendor_wire_format(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.PIPEDRIVE)
    form.new_record({"start_time": "2026-11-21 09:42:00"})
    start = form.fields["start_time"]
    assert isinstance(start, DateTimeWidget)

    assert start.edit.dateTime().time().hour() == 10  # shown in Berlin time
    assert start.preview() == "→ sent as 2026-11-21 09:42:00 (UTC)"
    assert start.note.isVisible()
    assert start.text() == "2026-11-21T10:42:00+01:00"
    assert form.values()["start_time"] == "2026-11-21 09:42:00"


def test_new_record_prefills_the_call_time_with_now(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    form.new_record({"note": "default note"})
    assert form.call_time_fields() == ["activity_at"]
    assert form.fields["activity_at"].text()
    assert form.fields["date_created"].text() == ""
    assert form.fields["note"].text() == "default note"
    assert not form.is_dirty()


def test_every_edit_emits_a_draft_and_a_draft_restores_exactly(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.PIPEDRIVE)
    drafts: list[dict[str, str]] = []
    dirty: list[bool] = []
    form.draft_changed.connect(drafts.append)
    form.dirty_changed.connect(dirty.append)

    type_into(qtbot, line(form, "subject"), "abc")
    assert [d["subject"] for d in drafts[-3:]] == ["a", "ab", "abc"]
    type_into(qtbot, line(form, "duration"), "12 parsecs")
    assert drafts[-1]["duration"] == "12 parsecs"
    assert dirty == [True]

    other = make_form(qtbot, Vendor.PIPEDRIVE)
    other.load_draft(drafts[-1])
    assert other.raw_texts() == drafts[-1]
    assert line(other, "duration").text() == "12 parsecs"
    assert other.fields["duration"].error() is not None
    assert not other.save_button.isEnabled()
    assert other.is_dirty()


def test_ctrl_s_emits_the_values_only_when_valid(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.PIPEDRIVE)
    subject = line(form, "subject")
    subject.setFocus()
    with qtbot.assertNotEmitted(form.save_requested):
        qtbot.keyClick(subject, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert form.fields["outcome"].error() == "Outcome is required"  # revealed by the attempt

    form.load_draft(
        {
            "outcome": "connected",
            "to_phone_number": "+1 650 555 1234",
            "start_time": "2026-11-21T10:42:00+01:00",
            "end_time": "2026-11-21T10:46:12+01:00",
            "duration": "4:12",
            "subject": "Intro call",
        }
    )
    assert form.is_valid(), form.errors()
    with qtbot.waitSignal(form.save_requested, timeout=2000) as blocker:
        qtbot.keyClick(subject, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    values, and_new = blocker.args
    assert and_new is False
    # the schema's values, handed over once (the service turns them into wire form)
    assert values["duration"] == 252  # seconds as a number; "252" on the wire
    assert form.schema.to_wire(values) == {
        "outcome": "connected",
        "to_phone_number": "+16505551234",
        "start_time": "2026-11-21 09:42:00",
        "end_time": "2026-11-21 09:46:00",
        "duration": "252",
        "subject": "Intro call",
    }
    with qtbot.waitSignal(form.save_requested, timeout=2000) as blocker:
        qtbot.keyClick(subject, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[1] is True


def test_phone_is_tidied_when_focus_leaves(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    phone = line(form, "phone")
    type_into(qtbot, phone, "+16505551234")
    line(form, "recording_url").setFocus()
    qtbot.waitUntil(lambda: phone.text() == "+1 650-555-1234", timeout=2000)
    assert form.values()["phone"] == "+16505551234"
    type_into(qtbot, phone, "12")
    qtbot.waitUntil(lambda: form.fields["phone"].error() is not None, timeout=2000)
    assert "country code" in (form.fields["phone"].error() or "")


def test_note_formatting_is_kept_as_sanitised_html(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    note = form.fields["note_html"].focus_widget()
    note.setFocus()
    qtbot.keyClicks(note, "Spoke ")
    qtbot.keyClick(note, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(note, "Dana")
    assert form.fields["note_html"].text() == "<p>Spoke <b>Dana</b></p>"
    form.load_draft({"note_html": '<p onclick="x()">Hi<script>alert(1)</script></p>'})
    assert form.values()["note_html"] == "<p>Hi</p>"


def test_remote_errors_appear_beside_fields_and_at_the_top(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    form.show_remote_errors("Close refused the call", {"phone": "Invalid phone number"})
    assert form.message.isVisible()
    assert form.message.text() == "Close refused the call"
    assert form.fields["phone"].error() == "Invalid phone number"
    type_into(qtbot, line(form, "phone"), "+16505551234")
    assert form.fields["phone"].error() is None  # cleared once the rep edits it


def test_register_widget_returns_a_new_table_the_form_uses(qtbot: QtBot) -> None:
    built: list[str] = []

    def factory(spec: FieldSpec, context: WidgetContext) -> LineWidget:
        built.append(spec.name)
        return LineWidget(spec, context)

    table = register_widget("duration", factory)
    assert WIDGET_TABLE["duration"] is not factory
    assert table["duration"] is factory
    form = make_form(qtbot, Vendor.CLOSE, widgets=table)
    assert built == ["duration"]
    assert type(form.fields["duration"]) is LineWidget


def test_search_lookup_without_a_pick_is_an_error(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    contact = form.fields["contact_id"]
    assert isinstance(contact, SearchLookupWidget)
    type_into(qtbot, line(form, "contact_id"), "dana")
    qtbot.waitUntil(lambda: contact.error() is not None, timeout=2000)
    assert contact.error() == "Pick a contact from the list (type to search)"
    assert not form.save_button.isEnabled()


@pytest.mark.parametrize("vendor", list(Vendor))
def test_screenshot_per_vendor(qtbot: QtBot, vendor: Vendor) -> None:
    form = make_form(qtbot, vendor)
    schema = load_schema(vendor)
    samples = {"duration": "4:12", "note": "Spoke with Dana about the renewal"}
    draft = {name: text for name, text in samples.items() if schema.has_field(name)}
    if vendor is Vendor.CLOSE:
        draft["duration"] = "700000"
    form.load_draft(draft)
    path = shots_dir() / f"form-{vendor}.png"
    assert form.grab().save(str(path))
    assert path.stat().st_size > 10_000
