"""The data a vendor schema file declares, as frozen dataclasses (no behaviour beyond lookups)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from calldesk.domain.model import JSONValue, PhoneMatch, WireFields

if TYPE_CHECKING:
    from calldesk.schema.types import FieldType

#: How much longer than its start-to-end span a duration may be (clocks and rounding differ).
SPAN_SLACK_S = 60

UpdateMode = Literal["partial", "whole"]
RecordingMode = Literal["upload", "url"]


@dataclass(frozen=True, slots=True)
class EnumValue:
    """One allowed value of an enum field: the wire value, its label, and spellings also read."""

    value: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FrozenWhen:
    """A field cannot change once the stored record's ``field`` holds one of ``values``."""

    field: str
    values: tuple[str, ...]
    reason: str

    def applies(self, current: WireFields) -> bool:
        """Tell whether the condition holds for the CRM's current wire fields."""
        value: JSONValue = current.get(self.field)
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            return False
        return str(value) in self.values


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """Everything calldesk knows about one field of a vendor's call record."""

    name: str
    label: str
    help: str
    type: FieldType
    required_on_create: bool = False
    read_only: bool = False
    read_only_reason: str = ""
    create_only: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    pattern_message: str = ""
    enum: tuple[EnumValue, ...] = ()
    lookup: str | None = None
    exclusive_group: str | None = None
    frozen_when: FrozenWhen | None = None
    wire_format: str | None = None
    wire_name: str = ""
    not_before: str | None = None
    #: A duration that must fit between two time fields (``[start, end]``): where a vendor keeps
    #: both, a duration longer than end - start (beyond :data:`SPAN_SLACK_S`) is refused.
    within: tuple[str, ...] = ()
    #: Not shown in the editor (a rep never needs it); still accepted from the command line.
    hide_in_editor: bool = False
    #: The rep may make this field's value a default of the account's new call logs (their own
    #: user, line, direction, usual outcome: what stays the same from call to call).
    account_default: bool = False

    @property
    def request_name(self) -> str:
        """The parameter name an adapter sends this field under (e.g. Apollo ``user_id[]``)."""
        return self.wire_name or self.name

    def enum_label(self, value: str) -> str:
        """Return the label of an enum value, or the value itself when it is not declared."""
        for item in self.enum:
            if item.value == value:
                return item.label
        return value


@dataclass(frozen=True, slots=True)
class LookupSpec:
    """A source of choices for lookup fields; the CRM adapter implements it under ``name``."""

    name: str
    label: str
    help: str = ""


@dataclass(frozen=True, slots=True)
class CallerIdSpec:
    """How caller ID fits a vendor's call: the phone field a typed number is matched from, and
    the call field each kind of matched record links (``contact -> contact_id``)."""

    phone: str | None
    links: Mapping[str, str]

    def link_fields(self, match: PhoneMatch) -> dict[str, str]:
        """The call fields a match (and the records it belongs to) fills, with their ids."""
        pairs = ((match.kind, match.id), *match.related)
        return {self.links[kind]: item_id for kind, item_id in pairs if kind in self.links}


@dataclass(frozen=True, slots=True)
class ExclusiveGroup:
    """Fields of which at most one may be set on a record."""

    name: str
    fields: tuple[str, ...]
    message: str


@dataclass(frozen=True, slots=True)
class Precedence:
    """When both fields are set only ``keep`` is sent, ``drop`` is left out; ``reason`` says so."""

    keep: str
    drop: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecordingUpload:
    """How a recording file is uploaded: the multipart field name, and whether one is the limit."""

    multipart_field: str
    one_per_call: bool


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a vendor's call API can do, and which of those facts are only inferred."""

    list: bool
    get: bool
    create: bool
    update: UpdateMode | None
    delete: bool
    recording: RecordingMode | None
    recording_field: str | None
    upload: RecordingUpload | None
    max_concurrency: int
    inferred: tuple[str, ...] = ()
    inferred_note: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ListView:
    """Which fields fill each column of the call list; each column tries its fields in order."""

    when: tuple[str, ...] = ()
    who: tuple[str, ...] = ()
    phone: tuple[str, ...] = ()
    direction: tuple[str, ...] = ()
    duration: tuple[str, ...] = ()
    outcome: tuple[str, ...] = ()
    note: tuple[str, ...] = ()
    direction_labels: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ListRow:
    """One line of the call list, ready to show."""

    when: datetime | None
    who: str
    phone: str
    direction: str
    duration_s: int | None
    outcome: str
    note_preview: str
