"""The adoption rule: when a retried create may take a CRM record as its own.

A create whose earlier attempt may have reached the CRM is looked up (``find_created``) before
any resend. A found record is adopted only when it is certainly this call's:

* no other local call already holds it;
* the payload is *specific*: it carries the call's own time, or the adapter narrowed the lookup
  by the CRM's creation stamp and creator (records this user created after the first send);
* exactly one record remains once the payload's other stored fields (note, outcome, ...) are
  compared as well.

Several records that agree, or a thin payload the CRM cannot narrow, are *ambiguous*: the create
stops as a conflict the rep resolves. Nothing left means the create certainly did not arrive.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from calldesk.domain import JSONValue, RemoteCall, WireFields


class Adoption(enum.Enum):
    """What a retried create does with the records its lookup found."""

    ADOPT = "adopt"
    ABSENT = "absent"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class Choice:
    """The decision, the record to adopt (for ADOPT) and how many records could be the call."""

    kind: Adoption
    call: RemoteCall | None = None
    count: int = 0


def choose(
    payload: WireFields,
    found: Sequence[RemoteCall],
    *,
    held: Collection[str],
    time_field: str,
    stamped: bool,
    identity: Collection[str] = (),
) -> Choice:
    """Apply the adoption rule to the records ``find_created`` returned for ``payload``.

    ``held`` are remote ids other local calls hold; ``identity`` the fields the lookup already
    matched (compared by the adapter's own rules, so not again here).
    """
    candidates = [call for call in found if call.remote_id not in held]
    if not candidates:
        return Choice(Adoption.ABSENT)
    specific = stamped or payload.get(time_field) not in (None, "")
    agreeing = [c for c in candidates if _agrees(payload, c.fields, skip=identity)]
    if len(agreeing) == 1 and specific:
        return Choice(Adoption.ADOPT, agreeing[0], 1)
    if not agreeing:
        if not specific:
            # Identity matched but a stored field differs: another call, not this one.
            return Choice(Adoption.ABSENT)
        if len(candidates) == 1:
            # The call's own time (or this user's fresh record) matched; the CRM rewrote a value.
            return Choice(Adoption.ADOPT, candidates[0], 1)
    return Choice(Adoption.AMBIGUOUS, None, len(agreeing) or len(candidates))


def _agrees(payload: WireFields, stored: WireFields, *, skip: Collection[str]) -> bool:
    """True when every scalar payload field the record also stores has the same value."""
    for name, sent in payload.items():
        if name in skip or name not in stored:
            continue
        kept = stored[name]
        if not (_scalar(sent) and _scalar(kept)):
            continue
        if _text(sent) != _text(kept):
            return False
    return True


def _scalar(value: JSONValue) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _text(value: JSONValue) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
