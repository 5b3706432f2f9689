"""Caller ID: who has the number the rep typed, from the CRM's documented search, kept in the
store so it answers offline, and in memory so a recent number answers at once.

``CallerId.match(account, text)`` reads the text as a phone number with the account's country,
answers from memory or the store when the answer is fresh, and otherwise asks the CRM (bounded
by ``timeout``); when the CRM can't be asked or fails, the last stored answer is given with the
reason, or none with the reason. ``cached`` answers from memory or the store only (the editor
shows that while the CRM is asked). A match fills the call fields the vendor schema names
(``[caller_id] links``); nothing is linked by a guess: adapters keep only records whose own
number is the one asked for.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from calldesk.crm import CallAdapter, CrmError, Unsupported
from calldesk.domain import Account, PhoneMatch, Vendor, utcnow
from calldesk.schema import VendorSchema
from calldesk.schema.phones import PhoneReading, read_phone
from calldesk.store.accounts import phone_region
from calldesk.store.local import LocalStore
from calldesk.store.matches import CachedMatches, MatchReader
from calldesk.store.worker import DbWorker
from calldesk.sync.connectivity import Connectivity

log = logging.getLogger("calldesk.sync")

Source = Literal["recent", "cache", "crm", "none"]
LabelOf = Callable[[str, str, str], str | None]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer for one number. ``answered``: someone (the CRM now or earlier) said who has
    it; ``problem`` says why the CRM was not asked or failed (then the answer is the stored one,
    or none)."""

    account: str
    reading: PhoneReading
    matches: tuple[PhoneMatch, ...]
    source: Source
    searched_at: datetime | None
    problem: str = ""

    @property
    def number(self) -> str:
        return self.reading.e164

    @property
    def answered(self) -> bool:
        return self.source != "none"


class CallerIdError(Exception):
    """The account has no caller ID (its vendor documents no search); the message says so."""


class CallerId:
    """Finds who has a number per account (see the module docstring)."""

    def __init__(
        self,
        *,
        worker: DbWorker,
        schemas: Mapping[Vendor, VendorSchema],
        accounts: Callable[[], Mapping[str, Account]],
        adapters: Mapping[str, CallAdapter],
        connectivity: Connectivity | None = None,
        label_of: LabelOf | None = None,
        clock: Callable[[], datetime] = utcnow,
        fresh: timedelta = timedelta(hours=12),
        none_fresh: timedelta = timedelta(minutes=10),
        timeout: float = 8.0,
        recent_size: int = 512,
        reader: MatchReader | None = None,
    ) -> None:
        self._worker = worker
        self._schemas = schemas
        self._accounts = accounts
        self._adapters = adapters
        self._connectivity = connectivity
        self._label_of = label_of
        self._clock = clock
        self._fresh = fresh
        self._none_fresh = none_fresh
        self._timeout = timeout
        self._recent: OrderedDict[tuple[str, str], CachedMatches] = OrderedDict()
        self._recent_size = recent_size
        self._reader = reader

    # -- reading numbers -----------------------------------------------------------------------

    def region_for(self, account: str) -> str | None:
        """The country the account's national numbers are read in."""
        found = self._accounts().get(account)
        return phone_region(found) if found is not None else None

    def read(self, account: str, text: str) -> PhoneReading:
        """``text`` as a number of ``account``; ``FieldValueError`` when it is impossible."""
        return read_phone(text, self.region_for(account))

    def supported(self, account: str) -> bool:
        """Whether the account's vendor schema declares caller ID."""
        found = self._accounts().get(account)
        return found is not None and self._schemas[found.vendor].caller_id is not None

    def link_fields(self, account: str, match: PhoneMatch) -> dict[str, str]:
        """The call fields (API names) a match fills, with the ids (the schema decides)."""
        found = self._accounts().get(account)
        spec = self._schemas[found.vendor].caller_id if found is not None else None
        return spec.link_fields(match) if spec is not None else {}

    # -- answering -----------------------------------------------------------------------------

    def recent(self, account: str, reading: PhoneReading) -> MatchResult | None:
        """The answer kept in memory for this number, any age (no I/O, no waiting)."""
        kept = self._recent.get((account, reading.e164))
        if kept is None:
            return None
        self._recent.move_to_end((account, reading.e164))
        return MatchResult(account, reading, kept.matches, "recent", kept.searched_at)

    def cached_now(self, account: str, reading: PhoneReading) -> MatchResult | None:
        """The kept answer, any age, read at once in the calling thread (memory, then one
        indexed read of the store); ``None`` when never asked (or no reader was given)."""
        found = self.recent(account, reading)
        if found is not None or self._reader is None:
            return found
        kept = self._reader.get(account, reading.e164)
        if kept is None:
            return None
        self._remember(account, reading.e164, kept)
        return MatchResult(account, reading, kept.matches, "cache", kept.searched_at)

    async def cached(self, account: str, reading: PhoneReading) -> MatchResult | None:
        """The answer kept in memory or in the store, any age; ``None`` if never asked."""
        found = self.recent(account, reading)
        if found is not None:
            return found
        kept = await self._worker.run(lambda s: s.matches.get(account, reading.e164))
        if kept is None:
            return None
        self._remember(account, reading.e164, kept)
        return MatchResult(account, reading, kept.matches, "cache", kept.searched_at)

    async def match(self, account: str, text: str, *, refresh: bool = False) -> MatchResult:
        """Who has the number ``text`` (read with the account's country; ``FieldValueError``
        when impossible). Fresh kept answers come without asking the CRM unless ``refresh``."""
        if not self.supported(account):
            label = self._schema(account).label if account in self._accounts() else account
            raise CallerIdError(f"{label} has no documented way to find a contact by phone number")
        reading = self.read(account, text)
        kept = await self.cached(account, reading)
        if kept is not None and not refresh and self._is_fresh(kept):
            return kept
        problem = self._why_not_ask(account)
        if not problem:
            try:
                adapter = self._adapters[account]
                found = await asyncio.wait_for(
                    adapter.find_by_phone(reading.e164, self.region_for(account)), self._timeout
                )
            except Unsupported as exc:
                raise CallerIdError(str(exc)) from None
            except TimeoutError:
                problem = f"{self._schema(account).label} did not answer in time"
            except CrmError as exc:
                problem = f"{self._schema(account).label}: {exc}"
            else:
                matches = tuple(self._with_detail(account, m) for m in found)
                at = self._clock()
                await self._worker.run(lambda s: _put(s, account, reading.e164, matches, at))
                self._remember(account, reading.e164, CachedMatches(matches, at))
                return MatchResult(account, reading, matches, "crm", at)
        log.info("caller ID for %s answered from the cache: %s", account, problem)
        if kept is not None:
            return replace(kept, problem=problem)
        return MatchResult(account, reading, (), "none", None, problem)

    # -- helpers -------------------------------------------------------------------------------

    def _schema(self, account: str) -> VendorSchema:
        return self._schemas[self._accounts()[account].vendor]

    def _why_not_ask(self, account: str) -> str:
        label = self._schema(account).label
        if self._connectivity is not None and not self._connectivity.online:
            return f"Offline: {label} can't be asked"
        if account not in self._adapters:
            return f"{label} is not connected"
        return ""

    def _is_fresh(self, result: MatchResult) -> bool:
        if result.searched_at is None:
            return False
        age = self._clock() - result.searched_at
        return age < (self._fresh if result.matches else self._none_fresh)

    def _remember(self, account: str, number: str, kept: CachedMatches) -> None:
        self._recent[(account, number)] = kept
        self._recent.move_to_end((account, number))
        while len(self._recent) > self._recent_size:
            self._recent.popitem(last=False)

    def _with_detail(self, account: str, match: PhoneMatch) -> PhoneMatch:
        """Name what the record belongs to (its lead, organization) from the cached lookups."""
        if match.detail or self._label_of is None:
            return match
        schema = self._schema(account)
        links = schema.caller_id.links if schema.caller_id is not None else {}
        for kind, item_id in match.related:
            target = links.get(kind)
            source = schema.field(target).lookup if target and schema.has_field(target) else None
            label = self._label_of(account, source, item_id) if source else None
            if label:
                return replace(match, detail=label)
        return match


def _put(
    store: LocalStore,
    account: str,
    number: str,
    matches: tuple[PhoneMatch, ...],
    at: datetime,
) -> None:
    store.matches.put(account, number, matches, at)
