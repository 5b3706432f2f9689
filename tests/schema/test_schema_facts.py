"""Vendor facts the schemas must get right: limits, required fields, wire formats, rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calldesk.domain.model import FieldError, Vendor
from calldesk.schema import VendorSchema, load_schema


@pytest.fixture(scope="module")
def close() -> VendorSchema:
    return load_schema(Vendor.CLOSE)


@pytest.fixture(scope="module")
def pipedrive() -> VendorSchema:
    return load_schema(Vendor.PIPEDRIVE)


@pytest.fixture(scope="module")
def apollo() -> VendorSchema:
    return load_schema(Vendor.APOLLO)


@pytest.fixture(scope="module")
def buildr() -> VendorSchema:
    return load_schema(Vendor.BUILDR)


def messages(errors: list[FieldError]) -> list[str]:
    return [error.message for error in errors]


def test_close_duration_over_seven_days_is_refused(close: VendorSchema) -> None:
    values, errors = close.parse_inputs({"duration": "700000"})
    assert errors == []
    found = close.validate(values, op="create")
    assert found == [FieldError("duration", "Duration must be at most 7 days (604800 s)")]
    assert close.validate({"duration": 604800}, op="create") == []


def test_negative_duration_is_refused(close: VendorSchema) -> None:
    _, errors = close.parse_inputs({"duration": "-5"})
    assert [e.field for e in errors] == ["duration"]
    assert "negative" in errors[0].message
    assert messages(close.validate({"duration": -1}, op="create")) == ["Duration can't be negative"]


def test_pipedrive_deal_and_lead_together_are_refused(pipedrive: VendorSchema) -> None:
    values, errors = pipedrive.parse_inputs(
        {
            "to_phone_number": "+16505551234",
            "outcome": "connected",
            "start_time": "2026-11-21T10:00:00Z",
            "end_time": "2026-11-21T10:05:00Z",
            "deal_id": "12",
            "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec",
        }
    )
    assert errors == []
    found = pipedrive.validate(values, op="create")
    assert {e.field for e in found} == {"deal_id", "lead_id"}
    assert set(messages(found)) == {"Choose either Deal or Lead, not both"}
    assert pipedrive.field("deal_id").exclusive_group == "deal_or_lead"
    del values["lead_id"]
    assert pipedrive.validate(values, op="create") == []


def test_pipedrive_required_fields_on_create(pipedrive: VendorSchema) -> None:
    found = pipedrive.validate({"note": "hello"}, op="create")
    assert set(messages(found)) == {
        "To number is required",
        "Outcome is required",
        "Start time is required",
        "End time is required",
    }
    assert {e.field for e in found} == {"to_phone_number", "outcome", "start_time", "end_time"}


def test_pipedrive_cannot_update(pipedrive: VendorSchema) -> None:
    assert pipedrive.capabilities.update is None
    found = pipedrive.validate({"note": "x"}, op="update")
    assert found == [FieldError(None, "Pipedrive calls can't be changed after they are logged")]


def test_pipedrive_wire_times_are_utc_and_duration_a_string(pipedrive: VendorSchema) -> None:
    values, errors = pipedrive.parse_inputs(
        {
            "start_time": "2026-11-21T11:42:00+01:00",
            "end_time": "2026-11-21T11:44:30+01:00",
            "duration": "2m 30s",
            "person_id": "42",
            "outcome": "Left voicemail",
            "to_phone_number": "+44 20 7946 0958",
        }
    )
    assert errors == []
    assert pipedrive.validate(values, op="create") == []
    wire = pipedrive.to_wire(values)
    assert wire == {
        "start_time": "2026-11-21 10:42:00",
        "end_time": "2026-11-21 10:44:30",
        "duration": "150",
        "person_id": 42,
        "outcome": "left_voicemail",
        "to_phone_number": "+442079460958",
    }
    back = pipedrive.from_wire(
        {**wire, "start_time": "2026-11-21T10:42:00.000Z", "id": "CAd92b", "has_recording": False}
    )
    assert back["start_time"] == datetime(2026, 11, 21, 10, 42, tzinfo=UTC)
    assert back["duration"] == 150
    assert back["person_id"] == "42"
    assert back["has_recording"] is False


def test_pipedrive_end_before_start_is_refused(pipedrive: VendorSchema) -> None:
    values = {
        "start_time": datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        "end_time": datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
    }
    found = pipedrive.validate(values, op="create")
    assert FieldError("end_time", "End time can't be before Start time") in found


def test_pipedrive_upload_facts(pipedrive: VendorSchema) -> None:
    caps = pipedrive.capabilities
    assert caps.recording == "upload"
    assert caps.upload is not None
    assert caps.upload.multipart_field == "file"
    assert caps.upload.one_per_call is True


def test_apollo_times_are_utc_with_z(apollo: VendorSchema) -> None:
    values, errors = apollo.parse_inputs(
        {"start_time": "2026-11-21T05:42:00-05:00", "duration": "1:02:03", "user_id": "u1"}
    )
    assert errors == []
    wire = apollo.to_wire(values)
    assert wire == {"start_time": "2026-11-21T10:42:00Z", "duration": 3723, "user_id": "u1"}
    assert apollo.field("user_id").request_name == "user_id[]"
    assert apollo.request_params(wire)["user_id[]"] == "u1"
    assert apollo.from_wire({"user_id[]": ["u1"]}) == {"user_id": "u1"}


def test_apollo_capabilities(apollo: VendorSchema) -> None:
    caps = apollo.capabilities
    assert caps.delete is False
    assert caps.get is False
    assert caps.recording is None
    assert "faceting" in apollo.lookups["outcomes"].help


def test_close_note_html_wins_over_note(close: VendorSchema) -> None:
    values, errors = close.parse_inputs({"note": "plain", "note_html": "<p>rich <b>x</b></p>"})
    assert errors == []
    assert close.to_wire(values) == {"note_html": "<p>rich <b>x</b></p>"}
    notices = close.notices(values)
    assert [n.field for n in notices] == ["note"]
    assert "note_html" in notices[0].message
    assert close.to_wire({"note": "plain"}) == {"note": "plain"}
    assert "only this HTML note is sent" in close.field("note_html").help


def test_close_html_note_is_sanitised(close: VendorSchema) -> None:
    values, _ = close.parse_inputs({"note_html": '<p onclick="x()">hi<script>bad()</script></p>'})
    assert values["note_html"] == "<p>hi</p>"


def test_close_status_frozen_for_close_voip_calls(close: VendorSchema) -> None:
    current = {"id": "acti_1", "source": "Close.io", "status": "completed", "duration": 60}
    assert close.frozen_fields(current) == {
        "status": "Status can't be changed for calls made through Close's own phone system",
        "duration": "Duration can't be changed for calls made through Close's own phone system",
        "direction": "Direction can't be changed for calls made through Close's own phone system",
    }
    found = close.validate(
        {"status": "busy", "outcome_id": "outcome_1"}, op="update", current=current
    )
    assert found == [
        FieldError(
            "status", "Status can't be changed for calls made through Close's own phone system"
        )
    ]
    # Sending the unchanged value is fine; an external call is not frozen.
    assert close.validate({"status": "completed"}, op="update", current=current) == []
    external = {**current, "source": "External"}
    assert close.frozen_fields(external) == {}
    assert close.validate({"status": "busy"}, op="update", current=external) == []


def test_close_direction_is_create_only(close: VendorSchema) -> None:
    assert close.validate({"direction": "inbound"}, op="create") == []
    found = close.validate({"direction": "inbound"}, op="update")
    assert found == [FieldError("direction", "Direction can only be set when the call is logged")]


def test_read_only_fields_are_refused(close: VendorSchema, buildr: VendorSchema) -> None:
    found = close.validate({"id": "acti_1", "date_updated": None}, op="update")
    assert [e.field for e in found] == ["id", "date_updated"]
    assert all("can't be set" in e.message for e in found)
    assert buildr.validate({"updated_at": None}, op="create")[0].field == "updated_at"


def test_validate_reports_every_error_at_once(close: VendorSchema) -> None:
    values = {"duration": 700000, "phone": "12345", "status": "nope", "bogus": "x"}
    found = close.validate(values, op="create")
    assert {e.field for e in found} == {"duration", "phone", "status", "bogus"}


def test_parse_inputs_reports_unknown_fields_and_bad_text(close: VendorSchema) -> None:
    values, errors = close.parse_inputs(
        {"duraton": "5", "phone": "650 555", "activity_at": "2026-11-21 10:00", "note": ""}
    )
    assert values == {"note": None}
    by_field = {e.field: e.message for e in errors}
    assert set(by_field) == {"duraton", "phone", "activity_at"}
    assert "duration" in by_field["duraton"]  # names the known fields
    assert "Add the country code (e.g. +16505551234)" in by_field["phone"]
    assert "time zone" in by_field["activity_at"]


def test_phone_default_region(close: VendorSchema) -> None:
    values, errors = close.parse_inputs({"phone": "(650) 555-1234"}, region="US")
    assert errors == []
    assert values == {"phone": "+16505551234"}


ENUMS = [
    (
        Vendor.APOLLO,
        "status",
        ["queued", "ringing", "in-progress", "completed", "no_answer", "failed", "busy"],
    ),
    (
        Vendor.CLOSE,
        "status",
        ["created", "in-progress", "completed", "cancel", "no-answer", "busy", "failed", "timeout"],
    ),
    (Vendor.CLOSE, "direction", ["inbound", "outbound"]),
    (
        Vendor.PIPEDRIVE,
        "outcome",
        ["connected", "no_answer", "left_message", "left_voicemail", "wrong_number", "busy"],
    ),
]


@pytest.mark.parametrize(("vendor", "name", "expected"), ENUMS)
def test_enum_values_exactly_as_documented(vendor: Vendor, name: str, expected: list[str]) -> None:
    spec = load_schema(vendor).field(name)
    assert [item.value for item in spec.enum] == expected
    assert all(item.label for item in spec.enum)


def test_enum_parse_accepts_label_any_case(pipedrive: VendorSchema) -> None:
    values, errors = pipedrive.parse_inputs({"outcome": "no ANSWER"})
    assert errors == [] and values == {"outcome": "no_answer"}
    _, errors = pipedrive.parse_inputs({"outcome": "maybe"})
    assert errors[0].message.startswith("Outcome: Choose one of: Connected, No answer")


def test_apollo_reads_status_spelling_drift(apollo: VendorSchema) -> None:
    assert apollo.from_wire({"status": "no-answer"}) == {"status": "no_answer"}


def test_capabilities(close: VendorSchema, buildr: VendorSchema, apollo: VendorSchema) -> None:
    assert close.capabilities.update == "partial"
    assert close.capabilities.recording == "url"
    assert close.capabilities.recording_field == "recording_url"
    assert buildr.capabilities.max_concurrency == 1
    assert set(buildr.capabilities.inferred) >= {"list", "get", "create", "delete", "auth"}
    assert "lookup.outcomes" in buildr.capabilities.inferred
    assert buildr.capabilities.inferred_note
    assert all(2 <= s.capabilities.max_concurrency <= 4 for s in (close, apollo))


def test_identity_fields() -> None:
    assert load_schema(Vendor.CLOSE).identity_fields == (
        "activity_at",
        "phone",
        "duration",
        "user_id",
    )
    assert load_schema(Vendor.PIPEDRIVE).identity_fields == (
        "start_time",
        "to_phone_number",
        "duration",
    )
    assert load_schema(Vendor.APOLLO).identity_fields == ("start_time", "to_number", "duration")
    assert load_schema(Vendor.BUILDR).identity_fields == ("recorded_at", "contact_id", "notes")


def test_recording_url_must_be_https(close: VendorSchema) -> None:
    found = close.validate({"recording_url": "http://x/a.mp3"}, op="create")
    assert messages(found) == ["Recording URL must be an https:// link"]
    assert close.validate({"recording_url": "https://x/a.mp3"}, op="create") == []


def test_close_list_row(close: VendorSchema) -> None:
    fields = {
        "activity_at": "2026-11-21T10:42:00+00:00",
        "contact_id": "cont_1",
        "phone": "+16505551234",
        "direction": "outbound",
        "duration": 95,
        "outcome_id": "outcome_9",
        "note_html": "<p>Spoke to <b>Ann</b></p><p>Call back</p>",
        "note": "ignored",
    }
    labels = {("contacts", "cont_1"): "Ann Lee", ("outcomes", "outcome_9"): "Interested"}
    row = close.list_row(fields, labels)
    assert row.when == datetime(2026, 11, 21, 10, 42, tzinfo=UTC)
    assert row.who == "Ann Lee"
    assert row.phone == "+1 650-555-1234"
    assert row.direction == "Outbound"
    assert row.duration_s == 95
    assert row.outcome == "Interested"
    assert row.note_preview == "Spoke to Ann Call back"
    # without a label the id shows; an empty record gives an empty row
    assert close.list_row(fields, {}).outcome == "outcome_9"
    empty = close.list_row({}, {})
    assert (empty.when, empty.who, empty.duration_s, empty.note_preview) == (None, "", None, "")


def test_buildr_list_row_without_phone_duration_direction(buildr: VendorSchema) -> None:
    fields = {
        "recorded_at": "2023-07-28T12:00:00Z",
        "contact_id": "144",
        "contact.name": "Sam Brook",
        "call_outcome_id": "786",
        "call_outcome.name": "Connected",
        "notes": "Spoke to the decision maker",
    }
    row = buildr.list_row(fields, {})
    assert (row.who, row.outcome, row.phone, row.direction, row.duration_s) == (
        "Sam Brook",
        "Connected",
        "",
        "",
        None,
    )
    assert row.note_preview == "Spoke to the decision maker"


def test_apollo_list_row_direction_and_outcome_label(apollo: VendorSchema) -> None:
    fields = {"inbound": True, "phone_call_outcome_id": "abc", "contact_id": "c1"}
    row = apollo.list_row(fields, {("outcomes", "abc"): "Left Voicemail", ("contacts", "c1"): "Jo"})
    assert (row.direction, row.outcome, row.who) == ("Inbound", "Left Voicemail", "Jo")
    assert apollo.list_row({"inbound": False}, {}).direction == "Outbound"


def test_pipedrive_list_row_enum_outcome(pipedrive: VendorSchema) -> None:
    row = pipedrive.list_row({"outcome": "left_voicemail", "duration": "61"}, {})
    assert (row.outcome, row.duration_s) == ("Left voicemail", 61)


def test_long_note_preview_is_cut(buildr: VendorSchema) -> None:
    row = buildr.list_row({"notes": "word " * 100}, {})
    assert len(row.note_preview) <= 120
    assert row.note_preview.endswith("…")


def test_close_preview_falls_back_to_plain_note(close: VendorSchema) -> None:
    row = close.list_row({"note_html": "<p> </p>", "note": "a <b> literal"}, {})
    assert row.note_preview == "a <b> literal"
