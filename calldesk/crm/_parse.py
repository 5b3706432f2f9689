"""Guarded readers for CRM response bodies: every shape check raises ``MalformedResponse``.

Adapters never index into a body directly; they go through these helpers so that no answer,
however odd, can crash them with a ``KeyError``/``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from calldesk.crm.errors import MalformedResponse
from calldesk.domain import JSONValue

JSONObject = dict[str, JSONValue]


def expect_object(value: JSONValue | object, what: str) -> JSONObject:
    """Return ``value`` as a JSON object or raise ``MalformedResponse`` naming ``what``."""
    if isinstance(value, dict):
        return value
    raise MalformedResponse(f"expected an object for {what}, got {_kind(value)}")


def expect_list(value: JSONValue | object, what: str) -> list[JSONValue]:
    """Return ``value`` as a JSON array or raise ``MalformedResponse``."""
    if isinstance(value, list):
        return value
    raise MalformedResponse(f"expected a list for {what}, got {_kind(value)}")


def expect_objects(value: JSONValue | object, what: str) -> list[JSONObject]:
    """Return ``value`` as a list of JSON objects."""
    return [expect_object(item, what) for item in expect_list(value, what)]


def field(obj: Mapping[str, JSONValue], key: str, what: str) -> JSONValue:
    """Return ``obj[key]`` or raise ``MalformedResponse`` if it is missing."""
    if key not in obj:
        raise MalformedResponse(f"{what} has no {key!r}")
    return obj[key]


def expect_id(value: JSONValue, what: str) -> str:
    """Return a record id (string or integer in the body) as a non-empty string."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedResponse(f"expected an id for {what}, got {_kind(value)}")
    text = str(value)
    if not text:
        raise MalformedResponse(f"empty id for {what}")
    return text


def opt_str(value: JSONValue) -> str | None:
    """Return a string or number as text; anything else as None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def opt_int(value: JSONValue) -> int | None:
    """Return an integer given as a number or a numeric string; otherwise None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def opt_bool(value: JSONValue) -> bool | None:
    """Return a JSON boolean (or ``"true"``/``"false"``) as a bool; otherwise None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def parse_time(value: JSONValue) -> datetime | None:
    """Parse the CRMs' time forms into an aware UTC datetime; None if absent or unreadable.

    Accepts ISO 8601 with ``Z`` or an offset (with or without fractions) and Pipedrive's naive
    ``YYYY-MM-DD HH:MM:SS`` (which is UTC by its documentation).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def same_second(a: JSONValue, b: JSONValue) -> bool:
    """True when two time values denote the same UTC second."""
    ta, tb = parse_time(a), parse_time(b)
    if ta is None or tb is None:
        return False
    return ta.replace(microsecond=0) == tb.replace(microsecond=0)


def same_number(a: JSONValue, b: JSONValue) -> bool:
    """True when two values are the same integer (``"90"`` equals ``90``)."""
    ia, ib = opt_int(a), opt_int(b)
    return ia is not None and ia == ib


def same_text(a: JSONValue, b: JSONValue) -> bool:
    """True when two values are the same text after trimming (None equals empty)."""
    return (opt_str(a) or "").strip() == (opt_str(b) or "").strip()


def same_phone(a: JSONValue, b: JSONValue) -> bool:
    """True when two phone numbers have the same digits (formatting ignored)."""
    da = "".join(ch for ch in (opt_str(a) or "") if ch.isdigit())
    db = "".join(ch for ch in (opt_str(b) or "") if ch.isdigit())
    return da == db


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return type(value).__name__
