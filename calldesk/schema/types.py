"""Field types: how a field's value is typed, checked, sent to the CRM, read back and shown.

Each type is a small class behind the :class:`FieldType` protocol, chosen by name from
:data:`TYPE_TABLE` (the ``type`` key in a schema file). Python values per type: text/html/enum/
lookup/id/phone -> ``str``, integer/duration -> ``int``, datetime -> aware UTC ``datetime``,
boolean -> ``bool``. ``parse`` raises :class:`FieldValueError`; ``validate`` returns messages;
``from_wire`` never raises (it is fed CRM data) and returns ``None`` for values it cannot read.
"""

from __future__ import annotations

import html as html_lib
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Protocol

from calldesk.domain.model import JSONValue
from calldesk.schema.errors import FieldValueError
from calldesk.schema.phones import PHONE_EXAMPLE, pretty_phone, read_phone, try_read_phone
from calldesk.schema.sanity import moment_errors, strip_controls
from calldesk.schema.spec import FieldSpec

ALLOWED_HTML_TAGS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a", "blockquote", "code"}
)
ALLOWED_HTML_ATTRIBUTES: Mapping[str, set[str]] = MappingProxyType({"a": {"href", "title"}})


class FieldType(Protocol):
    """The behaviour of one kind of field value (see the module docstring)."""

    @property
    def name(self) -> str: ...

    @property
    def wire_formats(self) -> tuple[str, ...]:
        """Allowed ``wire_format`` values; the first is the default."""
        ...

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        """Turn what a person typed into a value, or raise :class:`FieldValueError`."""
        ...

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        """Return every reason ``value`` is unacceptable for ``spec`` (empty when fine)."""
        ...

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        """Return the JSON value the CRM takes for a valid ``value``."""
        ...

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        """Read a CRM value; ``None`` when missing or unreadable. Never raises."""
        ...

    def display(self, value: object, spec: FieldSpec) -> str:
        """Return text a person reads (and that ``parse`` reads back where meaningful)."""
        ...


def _wire_format(spec: FieldSpec, formats: tuple[str, ...]) -> str:
    return spec.wire_format or formats[0]


def _scalar_text(data: JSONValue) -> str | None:
    """Return a JSON scalar as text (not bools), or None for null, lists and objects."""
    if isinstance(data, str):
        return data
    if isinstance(data, bool) or data is None or isinstance(data, list | dict):
        return None
    if isinstance(data, float):
        if not math.isfinite(data):
            return None
        return str(int(data)) if data.is_integer() else str(data)
    return str(data)


def _whole_number(data: JSONValue) -> int | None:
    """Read an int, an integral float or a string of digits; None otherwise."""
    if isinstance(data, bool):
        return None
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        return int(data) if math.isfinite(data) and data.is_integer() else None
    if isinstance(data, str) and re.fullmatch(r"\s*-?\d{1,30}\s*", data):
        return int(data)
    return None


def _length_errors(value: str, spec: FieldSpec) -> list[str]:
    if spec.max_length is not None and len(value) > spec.max_length:
        return [f"{spec.label} must be at most {spec.max_length} characters"]
    return []


class TextType:
    """Plain text, sent as is."""

    name = "text"
    wire_formats = ("string",)

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        return strip_controls(text)

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if not isinstance(value, str):
            return [f"{spec.label} must be text"]
        errors = _length_errors(value, spec)
        if spec.pattern is not None and re.search(spec.pattern, value) is None:
            errors.append(spec.pattern_message or f"{spec.label} is not in the expected form")
        return errors

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        return strip_controls(str(value))

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        return _scalar_text(data)

    def display(self, value: object, spec: FieldSpec) -> str:
        return str(value)


def sanitize_html(text: str) -> str:
    """Return ``text`` with only basic formatting tags kept (scripts, styles, events removed)."""
    import nh3  # imported on first use: the window paints before any note is cleaned

    return nh3.clean(
        text,
        tags=set(ALLOWED_HTML_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_HTML_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto", "tel"},
    )


_BLOCK_BREAK = re.compile(r"<\s*(br|/p|/li|/blockquote)\b[^>]*>", re.IGNORECASE)


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML note, whitespace collapsed (for previews)."""
    import nh3

    spaced = _BLOCK_BREAK.sub(" ", markup)
    stripped = nh3.clean(spaced, tags=set(), attributes={})
    return " ".join(html_lib.unescape(stripped).split())


class HtmlType:
    """An HTML note, kept sanitised to an allow-list of basic formatting tags."""

    name = "html"
    wire_formats = ("string",)

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        return sanitize_html(strip_controls(text))

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if not isinstance(value, str):
            return [f"{spec.label} must be text"]
        return _length_errors(value, spec)

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        return sanitize_html(strip_controls(str(value)))

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        text = _scalar_text(data)
        return None if text is None else sanitize_html(text)

    def display(self, value: object, spec: FieldSpec) -> str:
        return str(value)


class EnumType:
    """One of a fixed list of values; typed as the value or its label, any case."""

    name = "enum"
    wire_formats = ("string",)

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        wanted = text.strip()
        if spec is None:
            if not wanted:
                raise FieldValueError("Choose a value")
            return wanted
        folded = wanted.casefold()
        for item in spec.enum:
            names = (item.value, item.label, *item.aliases)
            if any(folded == name.casefold() for name in names):
                return item.value
        raise FieldValueError(f"Choose one of: {_choices(spec)}")

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if not isinstance(value, str) or value not in {item.value for item in spec.enum}:
            return [f"{spec.label} must be one of: {_choices(spec)}"]
        return []

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        return str(value)

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        text = _scalar_text(data)
        if text is None:
            return None
        for item in spec.enum:
            if text in item.aliases:
                return item.value
        return text

    def display(self, value: object, spec: FieldSpec) -> str:
        return spec.enum_label(str(value))


def _choices(spec: FieldSpec) -> str:
    return ", ".join(item.label for item in spec.enum)


class IdType:
    """An id of another record (``lookup`` names where choices come from) or a read-only id."""

    wire_formats = ("string", "integer")

    def __init__(self, name: str) -> None:
        self.name = name

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        wanted = text.strip()
        if not wanted or any(ch.isspace() for ch in wanted):
            raise FieldValueError("Enter an id without spaces")
        if spec is not None and _wire_format(spec, self.wire_formats) == "integer":
            if not re.fullmatch(r"\d{1,18}", wanted):
                raise FieldValueError("Enter a numeric id, e.g. 42")
            return str(int(wanted))
        return wanted

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if not isinstance(value, str) or not value or any(ch.isspace() for ch in value):
            return [f"{spec.label} must be an id without spaces"]
        if _wire_format(spec, self.wire_formats) == "integer" and not re.fullmatch(
            r"[1-9]\d{0,17}|0", value
        ):
            return [f"{spec.label} must be a numeric id, e.g. 42"]
        return []

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        if _wire_format(spec, self.wire_formats) == "integer":
            return int(str(value))
        return str(value)

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        text = _scalar_text(data)
        return text if text else None

    def display(self, value: object, spec: FieldSpec) -> str:
        return str(value)


def _bound_errors(value: int, spec: FieldSpec, show: type[IntegerType | DurationType]) -> list[str]:
    if spec.minimum is not None and value < spec.minimum:
        if spec.minimum == 0:
            return [f"{spec.label} can't be negative"]
        return [f"{spec.label} must be at least {show.describe(spec.minimum)}"]
    if spec.maximum is not None and value > spec.maximum:
        return [f"{spec.label} must be at most {show.describe(spec.maximum)}"]
    return []


class IntegerType:
    """A whole number."""

    name = "integer"
    wire_formats = ("integer", "string")

    @staticmethod
    def describe(number: int) -> str:
        return str(number)

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        wanted = text.strip().replace("_", "")
        if not re.fullmatch(r"[+-]?\d{1,30}", wanted):
            raise FieldValueError("Enter a whole number, e.g. 12")
        return int(wanted)

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{spec.label} must be a whole number"]
        return _bound_errors(value, spec, IntegerType)

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        number = int(str(value))
        return str(number) if _wire_format(spec, self.wire_formats) == "string" else number

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        return _whole_number(data)

    def display(self, value: object, spec: FieldSpec) -> str:
        return str(value)


_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_WORDS = {
    "d": "d",
    "day": "d",
    "days": "d",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "m": "m",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
}
_UNIT_PART = re.compile(r"(\d{1,9})\s*([a-z]+)")
_DURATION_HINT = "Enter seconds (90), minutes:seconds (1:30), h:mm:ss (1:02:03) or units (1h 5m)"


class DurationType:
    """A length of time in whole seconds."""

    name = "duration"
    wire_formats = ("integer", "string")

    @staticmethod
    def describe(seconds: int) -> str:
        """Say a limit in words, e.g. ``7 days (604800 s)``."""
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size and seconds % size == 0:
                count = seconds // size
                return f"{count} {unit}{'s' if count != 1 else ''} ({seconds} s)"
        return f"{seconds} s"

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        wanted = text.strip().lower()
        if wanted.startswith("-"):
            raise FieldValueError("A duration can't be negative")
        if re.fullmatch(r"\d{1,12}", wanted):
            return int(wanted)
        if re.fullmatch(r"\d{1,9}(:\d{1,2}){1,2}", wanted):
            parts = [int(part) for part in wanted.split(":")]
            if any(part >= 60 for part in parts[1:]):
                raise FieldValueError("Minutes and seconds must be below 60, e.g. 1:30")
            total = 0
            for part in parts:
                total = total * 60 + part
            return total
        return self._parse_units(wanted)

    @staticmethod
    def _parse_units(wanted: str) -> int:
        matches = list(_UNIT_PART.finditer(wanted))
        rest = _UNIT_PART.sub("", wanted).replace(",", "")
        if not matches or rest.strip():
            raise FieldValueError(_DURATION_HINT)
        total = 0
        seen: set[str] = set()
        for match in matches:
            unit = _UNIT_WORDS.get(match.group(2))
            if unit is None or unit in seen:
                raise FieldValueError(_DURATION_HINT)
            seen.add(unit)
            total += int(match.group(1)) * _UNIT_SECONDS[unit]
        return total

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{spec.label} must be a whole number of seconds"]
        if value < 0 and spec.minimum is None:
            return [f"{spec.label} can't be negative"]
        return _bound_errors(value, spec, DurationType)

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        seconds = int(str(value))
        return str(seconds) if _wire_format(spec, self.wire_formats) == "string" else seconds

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        return _whole_number(data)

    def display(self, value: object, spec: FieldSpec) -> str:
        seconds = int(str(value))
        if seconds < 0:
            return str(seconds)
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        if hours:
            return f"{hours}:{minutes:02d}:{secs:02d}"
        return f"{minutes}:{secs:02d}"


_DATETIME_EXAMPLE = "2026-11-21T10:42:00Z"


class DateTimeType:
    """A moment in time, held as an aware UTC datetime; sent per the field's wire format."""

    name = "datetime"
    wire_formats = ("iso8601", "iso8601_utc_z", "pipedrive_utc")

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        wanted = text.strip()
        if wanted.endswith(("z", "Z")):
            wanted = wanted[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(wanted)
        except ValueError:
            raise FieldValueError(
                f"Enter a date and time with a time zone, e.g. {_DATETIME_EXAMPLE}"
            ) from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise FieldValueError(
                "Add a time zone to the time, e.g. 2026-11-21T10:42:00+01:00 or "
                f"{_DATETIME_EXAMPLE} for UTC"
            )
        try:
            return moment.astimezone(UTC).replace(microsecond=0)
        except (OverflowError, ValueError):
            raise FieldValueError("That date is out of range") from None

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if not isinstance(value, datetime):
            return [f"{spec.label} must be a date and time"]
        if value.tzinfo is None or value.utcoffset() is None:
            return [f"{spec.label} needs a time zone"]
        return moment_errors(value, spec.label)

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        if not isinstance(value, datetime):
            raise TypeError(f"{spec.name}: expected a datetime")
        moment = value.astimezone(UTC)
        form = _wire_format(spec, self.wire_formats)
        if form == "pipedrive_utc":
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        if form == "iso8601_utc_z":
            return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return moment.isoformat()

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        if not isinstance(data, str):
            return None
        text = data.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None or moment.utcoffset() is None:
                return moment.replace(tzinfo=UTC)  # CRMs that send naive times mean UTC
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            return None

    def display(self, value: object, spec: FieldSpec) -> str:
        if not isinstance(value, datetime):
            return str(value)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class PhoneType:
    """A phone number, held in E.164 form (``+16505551234``); the rules are in ``phones.py``."""

    name = "phone"
    wire_formats = ("e164",)

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        return read_phone(text, region).e164

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        if not isinstance(value, str):
            return [f"{spec.label} must be a phone number"]
        reading = try_read_phone(value) if value.startswith("+") else None
        if reading is None or reading.e164 != value:
            return [f"{spec.label}: use the international format, e.g. {PHONE_EXAMPLE}"]
        return []

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        return str(value)

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        text = _scalar_text(data)
        if not text or len(text) > 250:
            return None
        reading = try_read_phone(text) if text.lstrip().startswith(("+", "00")) else None
        return text if reading is None else reading.e164  # keep what the CRM holds otherwise

    def display(self, value: object, spec: FieldSpec) -> str:
        return pretty_phone(str(value))


_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
_FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})


class BooleanType:
    """Yes or no."""

    name = "boolean"
    wire_formats = ("boolean",)

    def parse(
        self, text: str, spec: FieldSpec | None = None, *, region: str | None = None
    ) -> object:
        word = text.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise FieldValueError("Answer yes or no")

    def validate(self, value: object, spec: FieldSpec) -> list[str]:
        return [] if isinstance(value, bool) else [f"{spec.label} must be yes or no"]

    def to_wire(self, value: object, spec: FieldSpec) -> JSONValue:
        return bool(value)

    def from_wire(self, data: JSONValue, spec: FieldSpec) -> object:
        if isinstance(data, bool):
            return data
        if isinstance(data, int) and data in (0, 1):
            return bool(data)
        if isinstance(data, str):
            word = data.strip().lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
        return None

    def display(self, value: object, spec: FieldSpec) -> str:
        return "yes" if value else "no"


TYPE_TABLE: Mapping[str, FieldType] = MappingProxyType(
    {
        "text": TextType(),
        "html": HtmlType(),
        "enum": EnumType(),
        "lookup": IdType("lookup"),
        "id": IdType("id"),
        "integer": IntegerType(),
        "duration": DurationType(),
        "datetime": DateTimeType(),
        "phone": PhoneType(),
        "boolean": BooleanType(),
    }
)
