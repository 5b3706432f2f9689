"""A call's list line and search text, computed from its wire fields by its vendor's schema.

``RowBuilder`` is what the store calls whenever a record's local view changes (and what a save
uses); the labels of looked-up ids (a person's name for ``person_id``) come from a ``Labels``:
``LabelCache`` (filled from the stored lookups, as the engine runs) or ``StoreLabels`` (read from
the store on use, for a short-lived process such as ``calldesk calls log``). Light on purpose:
the schema and the store's row type only, no engine, no HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from calldesk.domain import LookupItem, Vendor, WireFields
from calldesk.schema import VendorSchema
from calldesk.store.lookups import LookupCache
from calldesk.store.records import CallRow


class Labels(Protocol):
    """``(source, id) -> label`` per account."""

    def for_account(self, account: str) -> Mapping[tuple[str, str], str]: ...


class LabelCache:
    """Lookup labels per account, ``(source, id) -> label``, for list rows (any thread reads)."""

    def __init__(self) -> None:
        self._labels: dict[str, dict[tuple[str, str], str]] = {}

    def for_account(self, account: str) -> Mapping[tuple[str, str], str]:
        return self._labels.get(account, {})

    def get(self, account: str, source: str, item_id: str) -> str | None:
        """The label of ``item_id`` in ``source``, or ``None`` when it is not cached."""
        return self._labels.get(account, {}).get((source, item_id))

    def replace(self, account: str, source: str, items: Sequence[LookupItem]) -> None:
        current = {k: v for k, v in self._labels.get(account, {}).items() if k[0] != source}
        current.update({(source, item.id): item.label for item in items})
        self._labels[account] = current  # swapped whole: safe to read from the DB thread


class _StoredLabels(Mapping[tuple[str, str], str]):
    """One account's labels, each read from the lookups table when asked for (never listed)."""

    def __init__(self, lookups: LookupCache, account: str) -> None:
        self._lookups = lookups
        self._account = account

    def __getitem__(self, key: tuple[str, str]) -> str:
        item = self._lookups.get(self._account, key[0], key[1])
        if item is None:
            raise KeyError(key)
        return item.label

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(())  # only looked up by key

    def __len__(self) -> int:
        return 0


class StoreLabels:
    """Labels read from the store's lookups on use (the store's thread only)."""

    def __init__(self, lookups: LookupCache) -> None:
        self._lookups = lookups

    def for_account(self, account: str) -> Mapping[tuple[str, str], str]:
        return _StoredLabels(self._lookups, account)


class RowBuilder:
    """Computes a record's list columns and search text from its wire fields via its schema."""

    def __init__(
        self,
        schemas: Mapping[Vendor, VendorSchema],
        vendor_of: Callable[[str], Vendor | None],
        labels: Labels,
    ) -> None:
        self._schemas = schemas
        self._vendor_of = vendor_of
        self._labels = labels

    def __call__(self, account: str, fields: WireFields) -> tuple[CallRow, str]:
        vendor = self._vendor_of(account)
        if vendor is None:
            return CallRow(), ""
        schema = self._schemas[vendor]
        row = schema.list_row(fields, self._labels.for_account(account))
        when = row.when.timestamp() if row.when is not None else None
        call_row = CallRow(
            when_ts=when,
            who=row.who,
            phone=row.phone,
            direction=row.direction,
            duration_s=row.duration_s,
            outcome=row.outcome,
            note_preview=row.note_preview,
        )
        search = " ".join(
            part
            for part in (row.who, row.phone, row.outcome, schema.note_text(fields), row.direction)
            if part
        )
        return call_row, search
