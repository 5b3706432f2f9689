"""Phone rules (issue 13): national numbers by the account's country, only impossible numbers
refused, unknown ranges accepted with a warning, letters rewritten; durations within their span."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calldesk.domain import Vendor
from calldesk.schema import FieldValueError, load_schema
from calldesk.schema.phones import pretty_phone, read_phone, try_read_phone


def test_national_numbers_are_read_with_the_accounts_country() -> None:
    assert read_phone("(650) 555-1234", "US").e164 == "+16505551234"
    assert read_phone("030 1234567", "de").e164 == "+49301234567"
    assert read_phone("+44 20 7946 0018", "US").e164 == "+442079460018"  # + wins over country


def test_apollos_documented_example_is_accepted_with_a_warning() -> None:
    reading = read_phone("5551234567", "US")
    assert reading.e164 == "+15551234567"
    assert not reading.known
    assert reading.notes() == [
        "+1 555-123-4567 is not in a number range calldesk knows; check it before saving"
    ]
    assert read_phone("6505551234", "US").notes() == []


def test_letters_are_read_as_keypad_digits_and_said_so() -> None:
    reading = read_phone("+1-800-FLOWERS")
    assert reading.e164 == "+18003569377"
    assert reading.notes() == ["Letters read as digits: +1 800-356-9377"]


@pytest.mark.parametrize(
    ("text", "region", "words"),
    [
        ("650 555", "US", "too short"),
        ("+1 650 555 1234 5678 9", None, "too long"),
        ("+999 1234567", None, "country code"),
        ("hello", "US", "isn't a phone number"),
        ("", "US", "Type a phone number"),
        ("6505551234", None, "country code"),
        ("555 1234", "US", "add the area code"),
    ],
)
def test_only_impossible_numbers_are_refused(text: str, region: str | None, words: str) -> None:
    with pytest.raises(FieldValueError) as caught:
        read_phone(text, region)
    assert words in caught.value.message
    assert try_read_phone(text, region) is None


def test_pretty_phone_formats_e164_and_leaves_anything_else() -> None:
    assert pretty_phone("+16505551234") == "+1 650-555-1234"
    assert pretty_phone("+15551234567") == "+1 555-123-4567"
    assert pretty_phone("ext. 12") == "ext. 12"


def test_phone_fields_accept_possible_numbers_and_say_what_to_check() -> None:
    apollo = load_schema(Vendor.APOLLO)
    values, errors = apollo.parse_inputs({"to_number": "5551234567"}, region="US")
    assert errors == [] and values == {"to_number": "+15551234567"}
    assert apollo.validate(values, op="create") == []
    notes = apollo.phone_notices({"to_number": "5551234567", "note": "x"}, region="US")
    assert [(n.field, n.message) for n in notes] == [
        (
            "to_number",
            "To number: +1 555-123-4567 is not in a number range calldesk knows; "
            "check it before saving",
        )
    ]


def test_a_duration_longer_than_start_to_end_is_refused_where_the_vendor_has_both() -> None:
    pipedrive = load_schema(Vendor.PIPEDRIVE)
    start = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    one_minute = {"start_time": start, "end_time": start.replace(minute=1)}
    found = pipedrive.validate({**one_minute, "duration": 9 * 86400}, op="update")
    assert [(e.field, e.message) for e in found if e.field == "duration"] == [
        ("duration", "Duration 9 days is longer than the call: Start time to End time is 1 min")
    ]
    fine = pipedrive.validate({**one_minute, "duration": 90}, op="create")
    assert all(e.field != "duration" for e in fine)  # within the minute's slack
    shorter = pipedrive.validate({**one_minute, "duration": 20}, op="create")
    assert all(e.field != "duration" for e in shorter)  # ringing time is not talk time
    close = load_schema(Vendor.CLOSE)  # one time field only: nothing to check against
    assert close.validate({"duration": 9 * 86400 // 2}, op="update") == []
