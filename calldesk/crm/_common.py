"""Small pieces the vendor adapters share: streamed multipart bodies, matching, lookup filters,
and the guard that stops a page loop a server never lets end."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from calldesk.crm._parse import (
    JSONObject,
    parse_time,
    same_number,
    same_phone,
    same_second,
    same_text,
)
from calldesk.crm.errors import MalformedResponse
from calldesk.domain import JSONValue, RemoteCall, WireFields

Comparator = Callable[[JSONValue, JSONValue], bool]

#: Comparators for identifying fields, by the kind of value they hold.
SAME_TIME: Comparator = same_second
SAME_NUMBER: Comparator = same_number
SAME_PHONE: Comparator = same_phone
SAME_TEXT: Comparator = same_text

#: Bytes read from disk per step of a streamed upload (one worker-thread hop each).
CHUNK_SIZE = 1024 * 1024
#: The most pages any listing reads (100,000 calls at 100 a page); more means a server that
#: never says "no more".
MAX_PAGES = 1000
#: The most calls ``take_calls`` looks at in one listing.
MAX_SCANNED = 200_000


class PageGuard:
    """Ends a page loop that would not end on its own, and says so.

    ``more()`` is False once ``limit`` pages were read (a deliberately bounded window, e.g. a
    lookup) and raises ``MalformedResponse`` at ``MAX_PAGES`` (a listing meant to be whole).
    ``seen_page(items)`` raises when a non-empty page repeats one already read (a server that
    ignores the offset), ``seen_cursor(cursor)`` when a cursor or next link comes back.
    """

    def __init__(self, label: str, path: str, limit: int | None = None) -> None:
        self.label = label
        self.path = path
        self.limit = limit
        self.pages = 0
        self._pages_seen: set[tuple[str, ...]] = set()
        self._cursors_seen: set[str] = set()

    def more(self) -> bool:
        """True when one more page may be read."""
        if self.limit is not None and self.pages >= self.limit:
            return False
        if self.pages >= MAX_PAGES:
            self._stop(f"it still had more after {self.pages} pages")
        return True

    def seen_page(self, items: Iterable[JSONObject]) -> None:
        """Count a page read; raise if the same records came back as an earlier page."""
        self.pages += 1
        key = tuple(str(item.get("id")) for item in items)
        if key and key in self._pages_seen:
            self._stop("it sent the same page again")
        self._pages_seen.add(key)

    def seen_cursor(self, cursor: str | None) -> None:
        """Raise if ``cursor`` (a next cursor, offset or link) was already followed."""
        if cursor is None:
            return
        if cursor in self._cursors_seen:
            self._stop("it sent the same next-page cursor again")
        self._cursors_seen.add(cursor)

    def _stop(self, why: str) -> None:
        raise MalformedResponse(
            f"{self.label} kept offering more of {self.path}, but {why}; calldesk stopped "
            f"reading after {self.pages} pages",
            method="GET",
            path=self.path,
        )


#: At most this many records answer one caller-ID search (a number shared by more is a
#: switchboard: the rep picks from the first ones).
MATCH_LIMIT = 25


def matching_number(numbers: Iterable[str | None], wanted: str, region: str | None) -> str | None:
    """The first of ``numbers`` (as a CRM holds them) that is ``wanted`` (E.164), read with the
    account's ``region``; ``None`` when none is. A search hit is only a match once this agrees:
    a vendor's fuzzy search never links a record by a guess."""
    from calldesk.schema.phones import try_read_phone

    for text in numbers:
        if not text or len(text) > 64:
            continue
        reading = try_read_phone(text, region)
        if reading is not None and reading.e164 == wanted:
            return wanted
    return None


@dataclass(frozen=True, slots=True)
class MultipartFile:
    """A ``multipart/form-data`` body with one file part, streamed from disk in chunks.

    Memory stays bounded by ``CHUNK_SIZE`` whatever the file size; ``content_length`` is known
    up front so the request is not chunk-encoded.
    """

    path: Path
    field_name: str
    content_type: str
    boundary: str
    progress: Callable[[int, int], None] | None = None

    @classmethod
    def for_file(
        cls,
        path: Path,
        field_name: str,
        content_type: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> MultipartFile:
        return cls(path, field_name, content_type, "calldesk-" + secrets.token_hex(16), progress)

    @property
    def file_size(self) -> int:
        return self.path.stat().st_size

    def _head(self) -> bytes:
        name = self.path.name.replace('"', "%22").replace("\r", " ").replace("\n", " ")
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{self.field_name}"; filename="{name}"\r\n'
            f"Content-Type: {self.content_type}\r\n\r\n"
        ).encode()

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    def headers(self) -> dict[str, str]:
        length = len(self._head()) + self.file_size + len(self._tail())
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(length),
        }

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body; file reads run in a worker thread so the loop stays responsive."""
        total = self.file_size
        sent = 0
        yield self._head()
        with self.path.open("rb") as handle:
            while True:
                chunk = await asyncio.to_thread(handle.read, CHUNK_SIZE)
                if not chunk:
                    break
                sent += len(chunk)
                yield chunk
                if self.progress is not None:
                    self.progress(sent, total)
        yield self._tail()


def identity_matches(
    candidate: WireFields, wanted: WireFields, comparators: Mapping[str, Comparator]
) -> bool:
    """True when every identifying field present in ``wanted`` equals the candidate's value
    (vacuously true when ``wanted`` has none: the caller narrows by other means)."""
    keys = [key for key in comparators if wanted.get(key) not in (None, "")]
    return all(comparators[key](candidate.get(key), wanted[key]) for key in keys)


def select_matches(
    calls: Iterable[RemoteCall], wanted: WireFields, comparators: Mapping[str, Comparator]
) -> list[RemoteCall]:
    """The calls whose identifying fields match ``wanted``."""
    return [call for call in calls if identity_matches(call.fields, wanted, comparators)]


def query_matches(query: str, *texts: str | None) -> bool:
    """Case-insensitive substring test of a picker query against some display texts."""
    needle = query.strip().casefold()
    if not needle:
        return True
    return any(needle in (text or "").casefold() for text in texts)


def at_or_after(value: JSONValue, since: datetime | None) -> bool:
    """True when ``since`` is None or the time ``value`` is at or after it (unknown times pass)."""
    if since is None:
        return True
    when = parse_time(value)
    return when is None or when >= since.astimezone(UTC)


async def take_calls(
    calls: AsyncIterable[RemoteCall],
    *,
    limit: int | None,
    since: datetime | None = None,
    time_field: str = "",
) -> AsyncIterator[RemoteCall]:
    """At most ``limit`` of ``calls``; with ``time_field``, only those at or after ``since``
    (the filter a vendor's API does not apply itself). A call that comes again (same id) is
    skipped; past ``MAX_SCANNED`` calls the listing fails with ``MalformedResponse``."""
    count = 0
    scanned = 0
    seen: set[str] = set()
    async for call in calls:
        scanned += 1
        if scanned > MAX_SCANNED:
            raise MalformedResponse(
                f"the CRM listed more than {MAX_SCANNED:,} calls; calldesk stopped reading"
            )
        if call.remote_id in seen:
            continue
        seen.add(call.remote_id)
        if time_field and not at_or_after(call.fields.get(time_field), since):
            continue
        if limit is not None and count >= limit:
            return
        count += 1
        yield call


def utc_iso(moment: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SS+00:00`` (to the second, UTC)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def utc_z(moment: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def path_segment(remote_id: str) -> str:
    """A record id escaped for use as one URL path segment."""
    return quote(remote_id, safe="")
