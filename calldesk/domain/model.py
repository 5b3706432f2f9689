"""The domain model: what a call record, an account and an outbox operation are.

Field values are kept in *wire form*: keyed by the vendor's own API name and holding the JSON
value the CRM sends or receives (a Pipedrive duration is the string ``"90"``, a Close duration the
integer ``90``). The vendor schema (``calldesk.schema``) converts between wire form, what a person
types, and what is displayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, TypeAlias

JSONValue: TypeAlias = bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"] | None
WireFields: TypeAlias = Mapping[str, JSONValue]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def new_local_id() -> str:
    """Return a fresh local record id (a record calldesk knows before the CRM does)."""
    import uuid  # on first use: ``uuid`` imports ``platform`` (the window's start-up path)

    return "loc_" + uuid.uuid4().hex


def new_op_id() -> str:
    """Return a fresh, stable outbox operation id."""
    import uuid

    return "op_" + uuid.uuid4().hex


class Vendor(StrEnum):
    """The CRMs calldesk logs calls into."""

    APOLLO = "apollo"
    CLOSE = "close"
    PIPEDRIVE = "pipedrive"
    BUILDR = "buildr"


@dataclass(frozen=True, slots=True)
class KeySource:
    """Where an account's secret comes from; never the secret itself.

    ``kind="keyring"``: the OS keyring, service ``calldesk``, user ``name``.
    ``kind="env"``: the environment variable ``name``.
    """

    kind: Literal["keyring", "env"]
    name: str


@dataclass(frozen=True, slots=True)
class Account:
    """One CRM login: a vendor, the user's name for it, the API origin and where its key lives.

    ``country`` (ISO 3166 alpha-2, ``"US"``) reads national phone numbers typed for the account;
    ``None`` means the computer's own country (from its locale).
    """

    name: str
    vendor: Vendor
    base_url: str
    key: KeySource
    country: str | None = None


class SyncState(StrEnum):
    """How a call record stands against its CRM, as the call list shows it."""

    SYNCED = "synced"
    PENDING = "pending"
    IN_FLIGHT = "in-flight"
    FAILED = "failed"
    CONFLICT = "conflict"
    NEEDS_AUTH = "needs-auth"


class OpKind(StrEnum):
    """What an outbox operation does to its record."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UPLOAD = "upload"


class OpState(StrEnum):
    """Where an outbox operation is in its life."""

    PENDING = "pending"
    IN_FLIGHT = "in-flight"
    SENT = "sent"
    FAILED = "failed"
    CONFLICT = "conflict"
    NEEDS_AUTH = "needs-auth"


@dataclass(frozen=True, slots=True)
class RemoteCall:
    """A call as a CRM returned it.

    ``fields`` is flattened wire form (embedded objects such as Buildr's ``contact`` become
    ``contact_id`` plus display names like ``contact.name``); ``raw`` is the vendor's body as is.
    """

    remote_id: str
    fields: WireFields
    updated_at: datetime | None
    raw: Mapping[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call as calldesk holds it locally: the CRM's version merged with the rep's edits."""

    local_id: str
    account: str
    remote_id: str | None
    fields: WireFields
    state: SyncState
    remote_updated_at: datetime | None = None
    fetched_at: datetime | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    """One durable outbox entry: a save that must reach the CRM exactly once.

    ``base_updated_at`` is the CRM's updated time of the version the edit started from (used to
    detect conflicts). ``file_path`` is calldesk's own copy of a recording for uploads.
    ``first_sent_at`` is when the first attempt went out (a retried create adopts only CRM records
    created after it).
    """

    op_id: str
    account: str
    local_id: str
    remote_id: str | None
    kind: OpKind
    payload: WireFields
    state: OpState
    created_at: datetime
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    base_updated_at: datetime | None = None
    file_path: str | None = None
    first_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LookupItem:
    """One choice for a lookup picker (an outcome, a user, a contact, a deal)."""

    source: str
    id: str
    label: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PhoneMatch:
    """A CRM record with the number the rep typed (caller ID): a contact, person or lead.

    ``kind`` is the CRM's own word (``contact``, ``person``); ``number`` the matched number in
    E.164; ``detail`` what tells two namesakes apart (company, lead); ``related`` the records it
    belongs to as ``(kind, id)`` pairs (a Close contact's lead, a Pipedrive person's organization).
    """

    kind: str
    id: str
    name: str
    number: str
    detail: str = ""
    related: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FieldError:
    """A reason a value is refused, in words a rep understands; ``field`` None means the form."""

    field: str | None
    message: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One request calldesk made for a record: what was sent and what the CRM answered."""

    at: datetime
    account: str
    method: str
    path: str
    status: int | None
    elapsed_ms: float
    message: str = ""
    local_id: str | None = None
    op_id: str | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    """Coarse change flags a service reports so each view refreshes only what it owns."""

    calls: bool = False
    outbox: bool = False
    lookups: bool = False
    accounts: bool = False
    connectivity: bool = False
    local_ids: frozenset[str] = frozenset()

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            calls=self.calls or other.calls,
            outbox=self.outbox or other.outbox,
            lookups=self.lookups or other.lookups,
            accounts=self.accounts or other.accounts,
            connectivity=self.connectivity or other.connectivity,
            local_ids=self.local_ids | other.local_ids,
        )
