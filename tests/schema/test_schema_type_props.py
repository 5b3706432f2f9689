"""Property tests for every field type and for VendorSchema's handling of arbitrary input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calldesk.domain.model import JSONValue, Vendor
from calldesk.schema import (
    TYPE_TABLE,
    EnumValue,
    FieldSpec,
    FieldValueError,
    load_schema,
    sanitize_html,
)
from calldesk.schema.sanity import strip_controls

ENUM = (EnumValue("no_answer", "No answer", ("no-answer",)), EnumValue("busy", "Busy"))


def spec_for(type_name: str, **extra: Any) -> FieldSpec:
    return FieldSpec(name="f", label="Field", help="", type=TYPE_TABLE[type_name], **extra)


SPECS: dict[str, FieldSpec] = {
    "text": spec_for("text"),
    "html": spec_for("html"),
    "enum": spec_for("enum", enum=ENUM),
    "lookup": spec_for("lookup", lookup="users"),
    "lookup_int": spec_for("lookup", lookup="users", wire_format="integer"),
    "id": spec_for("id"),
    "integer": spec_for("integer"),
    "integer_str": spec_for("integer", wire_format="string"),
    "duration": spec_for("duration", minimum=0),
    "duration_str": spec_for("duration", minimum=0, wire_format="string"),
    "datetime": spec_for("datetime", wire_format="iso8601"),
    "datetime_z": spec_for("datetime", wire_format="iso8601_utc_z"),
    "datetime_pd": spec_for("datetime", wire_format="pipedrive_utc"),
    "phone": spec_for("phone"),
    "boolean": spec_for("boolean"),
}

PHONES = sorted(
    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    for region in ("US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "ZA", "CH")
    if (number := phonenumbers.example_number(region)) is not None
)

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
utc_seconds = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
id_text = st.text(
    alphabet=st.characters(blacklist_categories=("Z", "Cc", "Cs")), min_size=1, max_size=30
).filter(lambda s: not any(ch.isspace() for ch in s))

HTML_BITS = ["<p>", "</p>", "<b>", "</b>", "<a href='https://x.test/?a=1&b=2'>", "</a>", "<br>"]
HTML_BITS += ["<script>", "</script>", "<img src=x onerror=y>", "&amp;", "&lt;", "<", ">", "&"]
HTML_BITS += ["x", " ", '"', "'", "<!--", "-->", "<ul><li>", "é", "<a href='javascript:x'>"]
html_ish = st.text() | st.lists(st.sampled_from(HTML_BITS), max_size=12).map("".join)

VALID: dict[str, st.SearchStrategy[object]] = {
    "text": st.text().map(strip_controls),
    "html": html_ish.map(strip_controls).map(sanitize_html),
    "enum": st.sampled_from([item.value for item in ENUM]),
    "lookup": id_text,
    "lookup_int": st.integers(0, 10**17).map(str),
    "id": id_text,
    "integer": st.integers(-(10**20), 10**20),
    "integer_str": st.integers(-(10**20), 10**20),
    "duration": st.integers(0, 10**11),
    "duration_str": st.integers(0, 10**11),
    "datetime": st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
    ),
    "datetime_z": utc_seconds,
    "datetime_pd": utc_seconds,
    "phone": st.sampled_from(PHONES),
    "boolean": st.booleans(),
}

# display -> parse gives the value back for these (text and html display is the value itself).
DISPLAY_ROUND_TRIP = set(SPECS) - {"datetime"}

json_values: st.SearchStrategy[JSONValue] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
anything = (
    json_values
    | st.datetimes()
    | st.datetimes(timezones=offsets)
    | st.just(object())
    | st.sets(st.integers(), max_size=2)
)

PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "text": str,
    "html": str,
    "enum": str,
    "lookup": str,
    "id": str,
    "integer": int,
    "duration": int,
    "datetime": datetime,
    "phone": str,
    "boolean": bool,
}

ALL = sorted(SPECS)


@pytest.mark.parametrize("key", ALL)
def test_every_type_in_the_table_is_covered(key: str) -> None:
    assert SPECS[key].type.name in TYPE_TABLE
    assert {spec.type.name for spec in SPECS.values()} == set(TYPE_TABLE)


@pytest.mark.parametrize("key", ALL)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_valid_values_round_trip(key: str, data: st.DataObject) -> None:
    spec = SPECS[key]
    value = data.draw(VALID[key])
    kind = spec.type
    assert kind.validate(value, spec) == []
    wire = kind.to_wire(value, spec)
    assert kind.from_wire(wire, spec) == value
    if key in DISPLAY_ROUND_TRIP:
        assert kind.parse(kind.display(value, spec), spec) == value


@pytest.mark.parametrize("key", ALL)
@settings(max_examples=150, deadline=None)
@given(text=html_ish)
def test_parse_gives_a_valid_value_or_a_field_value_error(key: str, text: str) -> None:
    spec = SPECS[key]
    try:
        value = spec.type.parse(text, spec)
    except FieldValueError as exc:
        assert exc.message.strip()
        return
    assert spec.type.validate(value, spec) == []


@pytest.mark.parametrize("key", ALL)
@settings(max_examples=150, deadline=None)
@given(data=anything)
def test_validate_never_raises(key: str, data: Any) -> None:
    spec = SPECS[key]
    messages = spec.type.validate(data, spec)
    assert all(isinstance(m, str) and m for m in messages)


@pytest.mark.parametrize("key", ALL)
@settings(max_examples=100, deadline=None)
@given(data=json_values)
def test_from_wire_on_arbitrary_json(key: str, data: JSONValue) -> None:
    spec = SPECS[key]
    read = spec.type.from_wire(data, spec)
    assert read is None or isinstance(read, PY_TYPES[spec.type.name])
    if read is not None and spec.type.name != "boolean":
        assert not isinstance(read, bool)


WRONG_TYPE: dict[str, list[object]] = {
    "text": [5, None, ["x"]],
    "html": [5, b"x"],
    "enum": ["maybe", 1, "No answer"],
    "lookup": ["", "a b", 7],
    "lookup_int": ["abc", "007", "-1"],
    "id": ["", " ", None],
    "integer": ["5", 5.0, True],
    "integer_str": ["5", None],
    "duration": [-1, "90", 1.5, False],
    "duration_str": [-10, "90"],
    "datetime": [datetime(2026, 1, 1), "2026-01-01T00:00:00Z", 0],
    "datetime_z": [datetime(2026, 1, 1)],
    "datetime_pd": [datetime(2026, 1, 1)],
    "phone": ["6505551234", "+1 650-555-1234", "+1555", 16505551234],
    "boolean": ["yes", 1, None],
}

BAD_TEXT: dict[str, list[str]] = {
    "text": [],
    "html": [],
    "enum": ["maybe", "", "no answer please"],
    "lookup": ["", "a b"],
    "lookup_int": ["x1", "1.5", "-3"],
    "id": ["   "],
    "integer": ["1.5", "ten", "", "1e3"],
    "integer_str": ["--1"],
    "duration": ["-5", "abc", "1:60", "1:2:3:4", "5 parsecs", "1h 1h", "", ":30", "1.5"],
    "duration_str": ["-1:00"],
    "datetime": ["2026-11-21", "2026-11-21T10:42:00", "yesterday", "", "0001-01-01T00:00+01:00"],
    "datetime_z": ["2026-13-01T00:00:00Z"],
    "datetime_pd": ["21/11/2026 10:42"],
    "phone": ["6505551234", "+1 555", "call me", "", "+99 123"],
    "boolean": ["maybe", "2", ""],
}


@pytest.mark.parametrize("key", ALL)
def test_invalid_values_are_refused_with_a_message(key: str) -> None:
    spec = SPECS[key]
    for value in WRONG_TYPE[key]:
        found = spec.type.validate(value, spec)
        assert found and all(m.strip() for m in found), (key, value)
    for text in BAD_TEXT[key]:
        with pytest.raises(FieldValueError) as info:
            spec.type.parse(text, spec)
        assert info.value.message.strip(), (key, text)


DURATIONS = {
    "90": 90,
    "1:30": 90,
    "1:02:03": 3723,
    "1h 5m": 3900,
    "2m": 120,
    "45s": 45,
    "1h5m30s": 3930,
    " 2 min 5 sec ": 125,
    "0": 0,
}


@pytest.mark.parametrize(("text", "seconds"), DURATIONS.items())
def test_duration_parse_forms(text: str, seconds: int) -> None:
    assert TYPE_TABLE["duration"].parse(text, SPECS["duration"]) == seconds


def test_duration_limit_message_reads_like_a_rep() -> None:
    spec = spec_for("duration", minimum=0, maximum=3600)
    assert spec.type.validate(3601, spec) == ["Field must be at most 1 hour (3600 s)"]
    assert spec.type.validate(-1, spec) == ["Field can't be negative"]


def test_datetime_parse_converts_offsets_to_utc() -> None:
    spec = SPECS["datetime_pd"]
    value = spec.type.parse("2026-11-21T10:42:00+01:00", spec)
    assert value == datetime(2026, 11, 21, 9, 42, tzinfo=UTC)
    assert spec.type.to_wire(value, spec) == "2026-11-21 09:42:00"
    with pytest.raises(FieldValueError, match="time zone"):
        spec.type.parse("2026-11-21T10:42:00", spec)


@settings(max_examples=100, deadline=None)
@given(moment=st.datetimes(min_value=datetime(1900, 1, 2), timezones=offsets))
def test_datetime_any_offset_parses_to_the_same_instant(moment: datetime) -> None:
    spec = SPECS["datetime_z"]
    value = spec.type.parse(moment.isoformat(), spec)
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(0)
    assert value == moment.replace(microsecond=0)


def test_boolean_words() -> None:
    kind, spec = TYPE_TABLE["boolean"], SPECS["boolean"]
    assert [kind.parse(w, spec) for w in ("true", "Yes", "1", "no", "FALSE", "0")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]


SCHEMAS = [load_schema(vendor) for vendor in Vendor]
field_names = st.sampled_from(sorted({f.name for s in SCHEMAS for f in s.fields})) | st.text(
    max_size=8
)


@pytest.mark.parametrize("schema", SCHEMAS, ids=[s.vendor.value for s in SCHEMAS])
@settings(max_examples=100, deadline=None)
@given(
    fields=st.dictionaries(field_names, json_values, max_size=8),
    raw=st.dictionaries(field_names, st.text(max_size=20), max_size=6),
    values=st.dictionaries(field_names, anything, max_size=6),
)
def test_vendor_schema_never_raises_on_arbitrary_input(
    schema: Any, fields: dict[str, JSONValue], raw: dict[str, str], values: dict[str, Any]
) -> None:
    read = schema.from_wire(fields)
    assert set(read) <= {f.name for f in schema.fields}
    row = schema.list_row(fields, {})
    assert isinstance(row.who, str) and isinstance(row.note_preview, str)
    schema.frozen_fields(fields)
    parsed, errors = schema.parse_inputs(raw)
    assert set(parsed) | {e.field for e in errors} == set(raw)
    for op in ("create", "update"):
        assert all(e.message for e in schema.validate(values, op=op, current=fields))
        assert all(e.message for e in schema.validate(parsed, op=op))


@pytest.mark.parametrize("schema", SCHEMAS, ids=[s.vendor.value for s in SCHEMAS])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_vendor_valid_values_round_trip_through_wire(schema: Any, data: st.DataObject) -> None:
    values: dict[str, object] = {}
    for spec in schema.editable_fields:
        if spec.type.name == "enum":
            values[spec.name] = data.draw(st.sampled_from([e.value for e in spec.enum]))
        elif spec.type.name == "phone":
            values[spec.name] = data.draw(st.sampled_from(PHONES))
        elif spec.type.name == "datetime":
            values[spec.name] = data.draw(utc_seconds)
        elif spec.type.name == "duration":
            values[spec.name] = data.draw(st.integers(0, spec.maximum or 10**6))
        elif spec.type.name in ("lookup", "id"):
            strategy = st.integers(1, 10**9).map(str) if spec.wire_format == "integer" else id_text
            values[spec.name] = data.draw(strategy)
        elif spec.type.name == "boolean":
            values[spec.name] = data.draw(st.booleans())
        elif spec.pattern is None:
            values[spec.name] = data.draw(VALID[spec.type.name])
    for group in schema.exclusive_groups:
        for name in group.fields[1:]:
            values.pop(name, None)
    for spec in schema.fields:  # keep end times after start times
        if spec.not_before and spec.name in values and spec.not_before in values:
            values[spec.name] = values[spec.not_before]
    for spec in schema.fields:  # and durations within their start-to-end span
        if spec.within and all(name in values for name in (spec.name, *spec.within)):
            start, end = spec.within
            values[end] = values[start] + timedelta(seconds=values[spec.name])
    dropped = {rule.drop for rule in schema.precedence}
    values = {k: v for k, v in values.items() if k not in dropped}
    assert schema.validate(values, op="create") == []
    assert schema.from_wire(schema.to_wire(values)) == values
