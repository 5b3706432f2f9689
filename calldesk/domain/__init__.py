"""Plain data shared by every layer: accounts, call records, outbox operations, lookups.

No I/O, no Qt, no HTTP: only frozen dataclasses, enums and small pure helpers.
"""

from calldesk.domain.model import (
    Account,
    AuditEntry,
    CallRecord,
    Changes,
    FieldError,
    JSONValue,
    KeySource,
    LookupItem,
    Operation,
    OpKind,
    OpState,
    PhoneMatch,
    RemoteCall,
    SyncState,
    Vendor,
    WireFields,
    new_local_id,
    new_op_id,
    utcnow,
)

__all__ = [
    "Account",
    "AuditEntry",
    "CallRecord",
    "Changes",
    "FieldError",
    "JSONValue",
    "KeySource",
    "LookupItem",
    "OpKind",
    "OpState",
    "Operation",
    "PhoneMatch",
    "RemoteCall",
    "SyncState",
    "Vendor",
    "WireFields",
    "new_local_id",
    "new_op_id",
    "utcnow",
]
