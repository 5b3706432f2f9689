"""``VendorSchema``: one vendor's fields plus parsing, validation and wire conversion of a call.

Nothing here raises for bad input: parsing and validation return :class:`FieldError` lists, and
reading CRM data (``from_wire``, ``list_row``) skips what it cannot understand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from calldesk.domain.model import FieldError, JSONValue, Vendor, WireFields
from calldesk.schema.errors import FieldValueError
from calldesk.schema.phones import try_read_phone
from calldesk.schema.spec import (
    SPAN_SLACK_S,
    CallerIdSpec,
    Capabilities,
    ExclusiveGroup,
    FieldSpec,
    ListRow,
    ListView,
    LookupSpec,
    Precedence,
)
from calldesk.schema.types import html_to_text

NOTE_PREVIEW_CHARS = 120


@dataclass(frozen=True, slots=True)
class VendorSchema:
    """Everything calldesk knows about a vendor's call record, loaded from its schema file."""

    vendor: Vendor
    label: str
    fields: tuple[FieldSpec, ...]
    capabilities: Capabilities
    lookups: Mapping[str, LookupSpec]
    list_view: ListView
    identity_fields: tuple[str, ...]
    exclusive_groups: tuple[ExclusiveGroup, ...] = ()
    precedence: tuple[Precedence, ...] = ()
    source: str = ""
    record_id_field: str | None = None
    """The read-only field that shows the CRM's own id of the record (its ``remote_id``)."""
    caller_id: CallerIdSpec | None = None
    """How a typed number finds and links the CRM's record (``None``: no caller ID)."""

    def field(self, name: str) -> FieldSpec:
        """Return the field called ``name`` (its API name); ``KeyError`` if there is none."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        """Tell whether the vendor's call record has a field called ``name``."""
        return any(spec.name == name for spec in self.fields)

    @property
    def editable_fields(self) -> tuple[FieldSpec, ...]:
        """Fields a person may fill in (not read-only), in file order."""
        return tuple(spec for spec in self.fields if not spec.read_only)

    def parse_inputs(
        self, raw: Mapping[str, str], *, region: str | None = None
    ) -> tuple[dict[str, object], list[FieldError]]:
        """Parse typed text per field; blank text means "no value" (``None``).

        Unknown field names and unreadable text come back as errors; ``region`` is the default
        country (e.g. ``"US"``) for phone numbers typed without ``+``.
        """
        values: dict[str, object] = {}
        errors: list[FieldError] = []
        known = {spec.name: spec for spec in self.fields}
        for name, text in raw.items():
            spec = known.get(name)
            if spec is None:
                names = ", ".join(s.name for s in self.editable_fields)
                errors.append(
                    FieldError(name, f"{self.label} calls have no field '{name}'. Known: {names}")
                )
                continue
            if not text.strip():
                values[name] = None
                continue
            try:
                values[name] = spec.type.parse(text, spec, region=region)
            except FieldValueError as exc:
                errors.append(FieldError(name, f"{spec.label}: {exc.message}"))
        return values, errors

    def validate(
        self,
        values: Mapping[str, object],
        *,
        op: Literal["create", "update"],
        current: WireFields | None = None,
    ) -> list[FieldError]:
        """Return every reason these values can't be saved (empty when they can)."""
        errors: list[FieldError] = []
        if op == "update" and self.capabilities.update is None:
            errors.append(
                FieldError(None, f"{self.label} calls can't be changed after they are logged")
            )
        if op == "create" and not self.capabilities.create:
            errors.append(FieldError(None, f"{self.label} calls can't be logged from calldesk"))
        frozen = self.frozen_fields(current) if op == "update" and current is not None else {}
        for name, value in values.items():
            if not self.has_field(name):
                errors.append(FieldError(name, f"{self.label} calls have no field '{name}'"))
                continue
            errors.extend(self._field_errors(self.field(name), value, op, frozen, current))
        if op == "create":
            for spec in self.fields:
                if spec.required_on_create and values.get(spec.name) is None:
                    errors.append(FieldError(spec.name, f"{spec.label} is required"))
        errors.extend(self._group_errors(values))
        errors.extend(self._order_errors(values))
        errors.extend(self._span_errors(values, current))
        return errors

    def _field_errors(
        self,
        spec: FieldSpec,
        value: object,
        op: str,
        frozen: Mapping[str, str],
        current: WireFields | None,
    ) -> list[FieldError]:
        name = spec.name
        if spec.read_only:
            reason = f" ({spec.read_only_reason})" if spec.read_only_reason else ""
            return [FieldError(name, f"{spec.label} can't be set{reason}")]
        if op == "update" and spec.create_only:
            return [FieldError(name, f"{spec.label} can only be set when the call is logged")]
        if value is None:
            return []
        try:
            messages = spec.type.validate(value, spec)
        except Exception as exc:  # a type must not crash validation; report instead
            messages = [f"{spec.label} has an unusable value ({type(exc).__name__})"]
        errors = [FieldError(name, message) for message in messages]
        if name in frozen and not errors and not self._unchanged(spec, value, current):
            errors.append(FieldError(name, frozen[name]))
        return errors

    @staticmethod
    def _unchanged(spec: FieldSpec, value: object, current: WireFields | None) -> bool:
        if current is None or spec.name not in current:
            return False
        return spec.type.from_wire(current[spec.name], spec) == value

    def _group_errors(self, values: Mapping[str, object]) -> list[FieldError]:
        errors: list[FieldError] = []
        for group in self.exclusive_groups:
            chosen = [name for name in group.fields if values.get(name) is not None]
            if len(chosen) > 1:
                errors.extend(FieldError(name, group.message) for name in chosen)
        return errors

    def _order_errors(self, values: Mapping[str, object]) -> list[FieldError]:
        errors: list[FieldError] = []
        for spec in self.fields:
            if spec.not_before is None:
                continue
            later, earlier = values.get(spec.name), values.get(spec.not_before)
            if (
                isinstance(later, datetime)
                and isinstance(earlier, datetime)
                and later.tzinfo is not None
                and earlier.tzinfo is not None
                and later < earlier
            ):
                other = self.field(spec.not_before).label
                errors.append(FieldError(spec.name, f"{spec.label} can't be before {other}"))
        return errors

    def _span_errors(
        self, values: Mapping[str, object], current: WireFields | None
    ) -> list[FieldError]:
        """A duration longer than its start-to-end span (Pipedrive takes 9 days in 1 minute)."""
        stored = self.from_wire(current) if current is not None else {}
        errors: list[FieldError] = []
        for spec in self.fields:
            if not spec.within or not any(n in values for n in (spec.name, *spec.within)):
                continue  # only what this save touches: an old record's oddity blocks no edit
            duration = values.get(spec.name, stored.get(spec.name))
            start, end = (values.get(name, stored.get(name)) for name in spec.within)
            if not (
                isinstance(duration, int)
                and isinstance(start, datetime)
                and isinstance(end, datetime)
                and start.tzinfo is not None
                and end.tzinfo is not None
                and end >= start
            ):
                continue
            span = int((end - start).total_seconds())
            if duration > span + SPAN_SLACK_S:
                first, last = (self.field(name).label for name in spec.within)
                errors.append(
                    FieldError(
                        spec.name,
                        f"{spec.label} {_length(duration)} is longer than the call: "
                        f"{first} to {last} is {_length(span)}",
                    )
                )
        return errors

    def phone_notices(
        self, raw: Mapping[str, str], *, region: str | None = None
    ) -> list[FieldError]:
        """What to tell the rep about typed phone numbers that are accepted: letters read as
        digits, a number in a range the phone metadata does not know."""
        notes: list[FieldError] = []
        for name, text in raw.items():
            if not self.has_field(name) or self.field(name).type.name != "phone":
                continue
            reading = try_read_phone(text, region) if text.strip() else None
            if reading is not None:
                label = self.field(name).label
                notes.extend(FieldError(name, f"{label}: {note}") for note in reading.notes())
        return notes

    def notices(self, values: Mapping[str, object]) -> list[FieldError]:
        """Say what will happen that the rep might not expect (e.g. a note left out)."""
        return [
            FieldError(rule.drop, rule.reason)
            for rule in self.precedence
            if values.get(rule.keep) is not None and values.get(rule.drop) is not None
        ]

    def to_wire(self, values: Mapping[str, object]) -> dict[str, JSONValue]:
        """Convert valid values to wire form keyed by API name; ``None`` becomes JSON null.

        Precedence rules apply: when both fields of a rule are set, the losing one is left out.
        Keys stay the field's API name; an adapter renames to ``FieldSpec.request_name`` (see
        :meth:`request_params`).
        """
        dropped = self.precedence_drops(values)
        wire: dict[str, JSONValue] = {}
        for name, value in values.items():
            if name in dropped:
                continue
            spec = self.field(name)
            wire[name] = None if value is None else spec.type.to_wire(value, spec)
        return wire

    def precedence_drops(self, values: Mapping[str, object]) -> set[str]:
        """The fields a precedence rule leaves out of ``values`` (both of the rule's are set)."""
        return {
            rule.drop
            for rule in self.precedence
            if values.get(rule.keep) is not None and values.get(rule.drop) is not None
        }

    def request_params(self, fields: WireFields) -> dict[str, JSONValue]:
        """Rename wire fields to the names the vendor's API takes them under (``user_id[]``)."""
        renamed: dict[str, JSONValue] = {}
        for name, value in fields.items():
            key = self.field(name).request_name if self.has_field(name) else name
            renamed[key] = value
        return renamed

    def from_wire(self, fields: WireFields) -> dict[str, object]:
        """Read CRM wire fields into values, leaving out unknown, null and unreadable ones."""
        values: dict[str, object] = {}
        for spec in self.fields:
            value = self._read(spec, fields)
            if value is not None:
                values[spec.name] = value
        return values

    @staticmethod
    def _read(spec: FieldSpec, fields: WireFields) -> object:
        data = fields.get(spec.name)
        if data is None and spec.wire_name:
            data = fields.get(spec.wire_name)
        if isinstance(data, list) and spec.wire_name.endswith("[]") and len(data) == 1:
            data = data[0]
        if data is None:
            return None
        try:
            return spec.type.from_wire(data, spec)
        except Exception:  # CRM data must never break reading; treat as unreadable
            return None

    def frozen_fields(self, current: WireFields) -> dict[str, str]:
        """Fields that can't change on this stored record, with the reason to show."""
        return {
            spec.name: spec.frozen_when.reason
            for spec in self.fields
            if spec.frozen_when is not None and spec.frozen_when.applies(current)
        }

    def display(self, name: str, fields: WireFields) -> str:
        """Return the display text of one wire field ("" when absent or unreadable)."""
        if not self.has_field(name):
            return ""
        spec = self.field(name)
        value = self._read(spec, fields)
        if value is None:
            return ""
        try:
            return spec.type.display(value, spec)
        except Exception:
            return ""

    def list_row(self, fields: WireFields, labels: Mapping[tuple[str, str], str]) -> ListRow:
        """Build the call-list line for a record; ``labels`` maps (lookup, id) to a name."""
        view = self.list_view
        when = self._first(view.when, fields)
        duration = self._first(view.duration, fields)
        return ListRow(
            when=when if isinstance(when, datetime) else None,
            who=self._text(view.who, fields, labels),
            phone=self._text(view.phone, fields, labels),
            direction=self._direction(fields, labels),
            duration_s=duration if isinstance(duration, int) else None,
            outcome=self._text(view.outcome, fields, labels),
            note_preview=self._preview(fields, labels),
        )

    def _first(self, names: tuple[str, ...], fields: WireFields) -> object:
        for name in names:
            value = self._read(self.field(name), fields)
            if value is not None and value != "":
                return value
        return None

    def _text(
        self,
        names: tuple[str, ...],
        fields: WireFields,
        labels: Mapping[tuple[str, str], str],
    ) -> str:
        for name in names:
            spec = self.field(name)
            value = self._read(spec, fields)
            if value is None or value == "":
                continue
            if spec.lookup is not None:
                return labels.get((spec.lookup, str(value)), str(value))
            try:
                return spec.type.display(value, spec)
            except Exception:
                continue
        return ""

    def _direction(self, fields: WireFields, labels: Mapping[tuple[str, str], str]) -> str:
        mapping = self.list_view.direction_labels
        if mapping is None:
            return self._text(self.list_view.direction, fields, labels)
        for name in self.list_view.direction:
            data = fields.get(name)
            key = str(data).lower() if isinstance(data, bool) else str(data)
            if data is not None and key in mapping:
                return mapping[key]
        return ""

    def note_text(
        self, fields: WireFields, labels: Mapping[tuple[str, str], str] | None = None
    ) -> str:
        """The call's note as plain text, whitespace folded: the first non-empty note field of
        the list view (HTML converted). Used for the list preview and the search index."""
        for name in self.list_view.note:
            text = self._text((name,), fields, labels or {})
            if self.field(name).type.name == "html":
                text = html_to_text(text)
            text = " ".join(text.split())
            if text:
                return text
        return ""

    def _preview(self, fields: WireFields, labels: Mapping[tuple[str, str], str]) -> str:
        text = self.note_text(fields, labels)
        if len(text) > NOTE_PREVIEW_CHARS:
            return text[: NOTE_PREVIEW_CHARS - 1].rstrip() + "…"
        return text


def _length(seconds: int) -> str:
    """A duration in words a rep reads at a glance (``9 days``, ``1 min``, ``45 s``)."""
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
    return f"{seconds} s"
