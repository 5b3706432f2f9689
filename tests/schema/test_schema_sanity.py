"""Control characters never reach a CRM; a call's time must be plausible (no year 0001)."""

from __future__ import annotations

from datetime import UTC, datetime

from calldesk.domain import Vendor
from calldesk.schema import load_schema


def test_text_and_notes_lose_control_characters_but_keep_line_breaks() -> None:
    schema = load_schema(Vendor.CLOSE)
    values, errors = schema.parse_inputs(
        {"note": "ring\x01ing\x1b[31m red\x7f\r\nnext\tline", "note_html": "<p>a\x01b\x9bc</p>"}
    )
    assert errors == []
    assert values["note"] == "ringing[31m red\r\nnext\tline"
    assert values["note_html"] == "<p>abc</p>"
    wire = schema.to_wire({"note": "typed \x02in the form"})
    assert wire["note"] == "typed in the form"


def test_a_call_time_outside_1970_2099_is_refused_beside_the_field() -> None:
    schema = load_schema(Vendor.CLOSE)
    for text in ("0001-01-01T00:00:00Z", "2100-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):
        values, errors = schema.parse_inputs({"activity_at": text})
        errors = errors or schema.validate(values, op="create")
        assert [(e.field, e.message) for e in errors] == [
            ("activity_at", "Call time must be between 1970 and 2099")
        ], text
    values, errors = schema.parse_inputs({"activity_at": "2031-03-04T09:00:00Z"})
    assert errors == [] and schema.validate(values, op="create") == []
    assert values["activity_at"] == datetime(2031, 3, 4, 9, tzinfo=UTC)
