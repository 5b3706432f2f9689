"""The form's schema rules: locked records, precedence pairs, the CRM id, new-call noise."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from calldesk.domain.model import Vendor
from calldesk.schema import load_schema
from calldesk.ui.form import EditorForm

BERLIN = ZoneInfo("Europe/Berlin")
LOCK = "Pipedrive doesn't allow changes to a logged call"


def make_form(qtbot: QtBot, vendor: Vendor) -> EditorForm:
    form = EditorForm(load_schema(vendor), account_name="work", zone=BERLIN)
    qtbot.addWidget(form)
    form.resize(640, 1000)
    form.show()
    qtbot.waitExposed(form)
    return form


PIPEDRIVE_CALL = {
    "outcome": "connected",
    "to_phone_number": "+13125550196",
    "start_time": "2026-11-21 04:35:00",
    "end_time": "2026-11-21 04:37:00",
    "duration": "120",
    "subject": "Call with Chloe",
}


def test_a_locked_record_is_read_only_everywhere_with_the_reason(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.PIPEDRIVE)
    form.load_record(PIPEDRIVE_CALL, existing=True, remote_id="4711")
    form.set_locked(LOCK)

    assert form.locked_reason() == LOCK
    for name, widget in form.fields.items():
        assert not widget.is_editable(), name
        reason = widget.read_only_reason()
        assert reason, name
        assert widget.focus_widget().toolTip() == reason
    assert form.fields["subject"].read_only_reason() == LOCK
    assert form.fields["subject"].focus_widget().toolTip() == LOCK
    subject = form.fields["subject"].focus_widget()
    assert isinstance(subject, QLineEdit) and subject.isReadOnly()
    assert not form.save_button.isEnabled() and not form.save_new_button.isEnabled()
    assert form.save_button.toolTip() == LOCK
    assert form.message.isHidden()  # no red repeat of the lock; the window's notice says it
    assert form.raw_texts() == {}
    with qtbot.assertNotEmitted(form.save_requested):
        assert form.request_save(and_new=False) is False
    assert form.set_field_text("duration", "2:14") is False

    # Loading another record unlocks.
    form.load_record(PIPEDRIVE_CALL, existing=False)
    assert form.locked_reason() is None
    assert form.fields["subject"].is_editable()


def test_set_field_text_is_typing_it(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    with qtbot.waitSignal(form.draft_changed) as drafted:
        assert form.set_field_text("duration", "2:14") is True
    assert drafted.args is not None and drafted.args[0]["duration"] == "2:14"
    assert form.is_dirty()
    assert form.values()["duration"] == 134
    assert form.set_field_text("id", "acti_1") is False  # read-only
    assert form.set_field_text("nope", "x") is False


def test_close_shows_only_the_winning_note_and_carries_a_plain_only_note(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    assert form.is_shown("note_html") and not form.is_shown("note")
    assert not form.fields["note"].isVisibleTo(form)
    assert not form.labels["note"].isVisibleTo(form)

    # A record with only the plain note shows it (escaped, as HTML) in the rich-text editor.
    form.load_record({"note": "Budget < 5k\nCall back Friday"}, existing=True, remote_id="acti_1")
    assert not form.is_shown("note")
    assert form.fields["note_html"].text() == "<p>Budget &lt; 5k</p><p>Call back Friday</p>"
    assert not form.is_dirty()
    values = form.values()
    assert "note" not in values
    assert values["note_html"] == "<p>Budget &lt; 5k</p><p>Call back Friday</p>"

    # With both set, the winner shows its own value; the loser is never sent from the form.
    form.load_record({"note_html": "<p><b>Rich</b></p>", "note": "plain"}, existing=True)
    assert form.fields["note_html"].text() == "<p><b>Rich</b></p>"
    assert "note" not in form.values()

    # A draft typed into the plain note (an older layout) lands in the rich-text note.
    form.new_record({})
    form.load_draft({"note": "typed earlier"})
    assert form.fields["note_html"].text() == "<p>typed earlier</p>"
    assert form.values()["note_html"] == "<p>typed earlier</p>"


def test_the_crm_id_shows_read_only_and_selectable(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.PIPEDRIVE)
    form.load_record(PIPEDRIVE_CALL, existing=True, remote_id="4711")
    widget = form.fields["id"]
    control = widget.focus_widget()
    assert isinstance(control, QLineEdit)
    assert form.is_shown("id") and widget.isVisibleTo(form)
    assert control.text() == "4711" and control.isReadOnly()
    control.selectAll()
    assert control.selectedText() == "4711"  # copyable
    assert "id" not in form.values()


def test_new_calls_hide_read_only_fields_until_the_record_exists(qtbot: QtBot) -> None:
    schema = load_schema(Vendor.CLOSE)
    form = make_form(qtbot, Vendor.CLOSE)
    read_only = [spec.name for spec in schema.fields if spec.read_only]
    assert {"id", "call_method", "disposition", "date_updated"} <= set(read_only)
    for name in read_only:
        assert not form.is_shown(name) and not form.fields[name].isVisibleTo(form), name
    # Close's own creation stamp: declared hide_in_editor (a rep never sets it; the CLI can)
    assert schema.field("date_created").hide_in_editor
    assert not form.is_shown("date_created") and "date_created" not in form.values()
    assert form.is_shown("activity_at")  # the call's own time

    form.load_record({"call_method": "regular", "disposition": "answered"}, existing=True)
    for name in read_only:
        assert form.is_shown(name) and form.fields[name].isVisibleTo(form), name
    assert not form.is_shown("date_created")
    assert form.fields["disposition"].text() == "answered"


def test_a_long_crm_id_reads_from_its_start(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE)
    long_id = "acti_" + "x" * 80
    form.load_record({}, existing=True, remote_id=long_id)
    control = form.fields["id"].focus_widget()
    assert isinstance(control, QLineEdit)
    assert control.text() == long_id and control.cursorPosition() == 0
