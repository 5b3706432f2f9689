"""The adapters against a hostile server on 127.0.0.1 (real sockets): endless or huge bodies, a
drip, endless paging, garbage rate-limit headers, a self-signed certificate, echoed keys and an
over-long Apollo address. Each test failed (or hung) before the bounds it checks existed."""

from __future__ import annotations

import base64
import email.utils
import ssl
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from calldesk.crm import (
    CallAdapter,
    HttpLimits,
    MalformedResponse,
    RateInfo,
    RateLimited,
    Rejected,
    ServerError,
    TransportError,
    make_adapter,
)
from calldesk.domain import Account, KeySource, Vendor
from tests.helpers.hostile import Conn, HostileServer, Request, hostile, http_answer

KEY = "ck_live_9f8e7d6c5b4a39281706"


@asynccontextmanager
async def adapter_for(
    server: HostileServer,
    vendor: Vendor = Vendor.CLOSE,
    *,
    limits: HttpLimits | None = None,
    secret: str = KEY,
    rates: list[RateInfo] | None = None,
    verify: bool | ssl.SSLContext = True,
) -> AsyncIterator[CallAdapter]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0), verify=verify) as client:
        yield make_adapter(
            Account("acct", vendor, server.base_url, KeySource("env", "K")),
            secret,
            client,
            limits=limits,
            rate_observer=None if rates is None else rates.append,
        )


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Callable[..., None]:
    def respond(request: Request, conn: Conn) -> None:
        conn.send(http_answer(status, body, headers))

    return respond


def endless_chunks(status: int) -> Callable[[Request, Conn], None]:
    """A chunked answer that never ends (until the client goes away)."""

    def respond(request: Request, conn: Conn) -> None:
        head = (
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        piece = b'{"id": "acti_1", "note": "' + b"x" * 65000 + b'"},'
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        if conn.send(head.encode() + b'5\r\n{"da:\r\n'):
            while conn.send(chunk):
                pass

    return respond


# -- bodies --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_endless_chunked_answer_fails_clearly_and_memory_stays_bounded() -> None:
    with hostile(endless_chunks(200)) as server:
        async with adapter_for(server) as adapter:
            tracemalloc.start()
            try:
                with pytest.raises(MalformedResponse) as caught:
                    await adapter.get_call("acti_1")
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    assert "larger than 2 MB" in str(caught.value)
    assert caught.value.status == 200
    assert peak < 16 * 1024 * 1024  # a 2 MB cap, not the stream: it grew ~150 MB/s before


@pytest.mark.asyncio
async def test_a_listing_page_has_its_own_larger_cap() -> None:
    limits = HttpLimits(record_body=1024, page_body=4096)
    page = {"data": [{"id": "acti_1", "note": "y" * 2000}], "has_more": False}
    with hostile(answer(200, page)) as server:
        async with adapter_for(server, limits=limits) as adapter:
            calls = [call async for call in adapter.list_calls()]  # 2 KB page: under 4 KB
            with pytest.raises(MalformedResponse, match="larger than 1 KB"):
                await adapter.get_call("acti_1")  # the same 2 KB as one record: over 1 KB
    assert [c.remote_id for c in calls] == ["acti_1"]


@pytest.mark.asyncio
async def test_a_huge_declared_body_is_refused_without_reading_it() -> None:
    def respond(request: Request, conn: Conn) -> None:
        conn.send(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 524288000\r\n\r\n{"
        )
        while conn.send(b" " * 65536):
            pass

    with hostile(respond) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(MalformedResponse) as caught:
                await adapter.create_call({"note": "hi", "duration": 5})
        sent = server.bytes_sent
    assert "may have taken effect" in str(caught.value)  # the engine recovers a create
    assert sent < 64 * 1024 * 1024  # the 500 MB body was never read


@pytest.mark.asyncio
async def test_an_endless_error_body_still_gives_the_error() -> None:
    with hostile(endless_chunks(503)) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(ServerError) as caught:
                await adapter.get_call("acti_1")
    assert caught.value.status == 503


# -- the total deadline --------------------------------------------------------------------


def drip(head: bytes, every: float) -> Callable[[Request, Conn], None]:
    """Send ``head`` at once, then one byte every ``every`` seconds, for ever."""

    def respond(request: Request, conn: Conn) -> None:
        if conn.send(head):
            while conn.wait(every) and conn.send(b" "):
                pass

    return respond


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        b"HTTP/1.1 2",
    ],
    ids=["dripping-body", "dripping-head"],
)
async def test_a_dripping_server_meets_the_total_deadline(head: bytes) -> None:
    # Each byte arrives well within the 60 s read timeout; only a total deadline ends it.
    with hostile(drip(head, 0.2)) as server:
        async with adapter_for(server, limits=HttpLimits(deadline=1.0)) as adapter:
            with pytest.raises(TransportError) as caught:
                await adapter.create_call({"note": "hi", "duration": 5})
    assert caught.value.maybe_delivered is True
    assert "did not answer completely within 1 s" in str(caught.value)


# -- endless paging ------------------------------------------------------------------------


def counting(respond: Callable[[Request], Any]) -> Callable[[Request, Conn], None]:
    def serve(request: Request, conn: Conn) -> None:
        status, body, headers = respond(request)
        conn.send(http_answer(status, body, headers))

    return serve


def query(request: Request) -> dict[str, str]:
    return dict(httpx.URL(request.target).params)


@pytest.mark.asyncio
async def test_close_stops_when_has_more_never_ends_and_says_so() -> None:
    page = {"data": [{"id": "outcome_1", "name": "A", "applies_to": ["calls"]}], "has_more": True}
    with hostile(counting(lambda r: (200, page, None))) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(MalformedResponse, match="same page again"):
                await adapter.lookup("outcomes")
            with pytest.raises(MalformedResponse, match="same page again"):
                [c async for c in adapter.list_calls()]
        requests = len(server.requests)
    assert requests == 4  # two per listing, not 10,000


@pytest.mark.asyncio
async def test_a_listing_that_never_ends_stops_at_the_page_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("calldesk.crm._common.MAX_PAGES", 20)

    def respond(request: Request) -> tuple[int, Any, None]:
        skip = int(query(request).get("_skip", "0"))
        return 200, {"data": [{"id": f"acti_{skip}"}], "has_more": True}, None

    with hostile(counting(respond)) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(MalformedResponse, match="still had more after 20 pages"):
                [c async for c in adapter.list_calls()]
        assert len(server.requests) == 20


@pytest.mark.asyncio
async def test_pipedrive_stops_on_a_repeated_cursor() -> None:
    def respond(request: Request) -> tuple[int, Any, None]:
        n = len(server.requests)
        body = {
            "success": True,
            "data": [{"id": n, "name": f"P{n}"}],
            "additional_data": {"next_cursor": "same"},
        }
        return 200, body, None

    with hostile(counting(respond)) as server:
        async with adapter_for(server, Vendor.PIPEDRIVE) as adapter:
            with pytest.raises(MalformedResponse, match="same next-page cursor"):
                await adapter.lookup("persons", "")
        assert len(server.requests) == 2


@pytest.mark.asyncio
async def test_buildr_stops_on_a_next_link_to_the_same_page() -> None:
    def respond(request: Request) -> tuple[int, Any, dict[str, str] | None]:
        if request.target.startswith("/oauth/token"):
            return 200, {"access_token": "tok_0123456789abcdef", "expires_in": 3600}, None
        n = len(server.requests)
        link = f'<{server.base_url}/api/2023-01/calls?page=2>; rel="next"'
        return 200, {"calls": [{"id": f"c{n}"}]}, {"Link": link}

    with hostile(counting(respond)) as server:
        async with adapter_for(server, Vendor.BUILDR, secret="cid:csecret") as adapter:
            with pytest.raises(MalformedResponse, match="same next-page cursor"):
                [c async for c in adapter.list_calls()]
        assert len(server.requests) == 1 + 2  # the token, pages 1 and 2; not 2 again


@pytest.mark.asyncio
async def test_apollo_stops_when_every_page_is_the_same() -> None:
    body = {
        "phone_calls": [{"id": "a" * 24, "start_time": "2031-01-01T00:00:00Z"}],
        "pagination": {"total_pages": 10**9},
    }
    with hostile(counting(lambda r: (200, body, None))) as server:
        async with adapter_for(server, Vendor.APOLLO) as adapter:
            with pytest.raises(MalformedResponse, match="same page again"):
                [c async for c in adapter.list_calls()]
        assert len(server.requests) == 2


# -- rate-limit headers --------------------------------------------------------------------


FAR = email.utils.format_datetime(datetime.now(UTC) + timedelta(days=20000), usegmt=True)
PAST = email.utils.format_datetime(datetime(2001, 1, 1, tzinfo=UTC), usegmt=True)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        ("inf", 3600, 3600),
        ("1e999", 3600, 3600),
        ("nan", 1, 1),  # unreadable: Close's default (1 s)
        ("-50", 1, 1),
        ("1000000000", 3600, 3600),
        (FAR, 3600, 3600),
        (PAST, 1, 1),
        ("soon, honestly", 1, 1),
        ("Fri, 99 Foo 99999 99:99:99 GMT", 1, 1),
        ("2.5", 2.5, 2.5),
    ],
    ids=[
        "inf",
        "1e999",
        "nan",
        "negative",
        "huge",
        "far-date",
        "past-date",
        "words",
        "bad-date",
        "ok",
    ],
)
async def test_retry_after_is_read_defensively(header: str, low: float, high: float) -> None:
    with hostile(answer(429, {"error": "slow down"}, {"Retry-After": header})) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(RateLimited) as caught:
                await adapter.create_call({"note": "hi", "duration": 5})
    assert low <= caught.value.retry_after <= high


GARBAGE_RATE = {
    "RateLimit": "limit=inf, remaining=nan, reset=1e999",
    "RateLimit-Limit": "1e999",
    "RateLimit-Remaining": "-inf",
    "RateLimit-Reset": "never",
    "Retry-After": "1e999",
}


@pytest.mark.asyncio
async def test_garbage_rate_headers_never_fail_a_call() -> None:
    created = {"id": "acti_9", "note": "hi", "duration": 5}
    rates: list[RateInfo] = []
    with hostile(answer(200, created, GARBAGE_RATE)) as server:
        async with adapter_for(server, rates=rates) as adapter:
            call = await adapter.create_call({"note": "hi", "duration": 5})
    assert call.remote_id == "acti_9"  # the CRM created it: the call is not lost to a header
    assert rates and all(r.reset_after is None or 0 <= r.reset_after <= 3600 for r in rates), rates


@pytest.mark.asyncio
async def test_garbage_rate_headers_on_a_500_leave_it_retryable() -> None:
    with hostile(answer(500, {"error": "oops"}, GARBAGE_RATE)) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(ServerError) as caught:
                await adapter.create_call({"note": "hi", "duration": 5})
    assert caught.value.retryable


@pytest.mark.asyncio
async def test_pipedrive_garbage_reset_headers_are_bounded() -> None:
    headers = {"x-ratelimit-reset": "1e999", "x-ratelimit-remaining": "nan"}
    rates: list[RateInfo] = []
    with hostile(answer(429, {"success": False, "error": "slow"}, headers)) as server:
        async with adapter_for(server, Vendor.PIPEDRIVE, rates=rates) as adapter:
            with pytest.raises(RateLimited) as caught:
                await adapter.get_call("1")
    assert caught.value.retry_after == 3600
    assert rates == [RateInfo(limit=None, remaining=None, reset_after=None)]


# -- certificates, secrets, long addresses ---------------------------------------------------


@pytest.mark.asyncio
async def test_a_self_signed_certificate_is_named_as_a_certificate_problem() -> None:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    with hostile(answer(200, {"id": "acti_1"}), tls=context) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(TransportError) as caught:
                await adapter.get_call("acti_1")
    message = str(caught.value)
    assert "certificate" in message and "could not connect" not in message
    assert caught.value.maybe_delivered is False


@pytest.mark.asyncio
async def test_an_echoed_key_is_redacted_in_every_form() -> None:
    basic = base64.b64encode(f"{KEY}:".encode()).decode()
    echo = {"error": f"bad key {KEY}; you sent Basic {basic} (raw {basic})"}
    with hostile(answer(400, echo)) as server:
        async with adapter_for(server) as adapter:
            with pytest.raises(Rejected) as caught:
                await adapter.create_call({"note": "hi"})
    said = f"{caught.value} | {caught.value.vendor_message} | {caught.value!r}"
    assert KEY not in said and basic not in said and basic.rstrip("=") not in said
    assert "[REDACTED]" in said


@pytest.mark.asyncio
async def test_an_echoed_bearer_token_and_client_secret_are_redacted() -> None:
    token = "tok_5e5e5e5e5e5e5e5e5e"

    def respond(request: Request) -> tuple[int, Any, None]:
        if request.target.startswith("/oauth/token"):
            return 200, {"access_token": token, "expires_in": 3600}, None
        return 422, {"error": f"{request.headers['authorization']} / csecret_77777777"}, None

    with hostile(counting(respond)) as server:
        async with adapter_for(server, Vendor.BUILDR, secret="cid:csecret_77777777") as adapter:
            with pytest.raises(Rejected) as caught:
                await adapter.create_call({"notes": "hi"})
    said = f"{caught.value} | {caught.value.vendor_message}"
    assert token not in said and "csecret_77777777" not in said
    assert "[REDACTED]" in said


@pytest.mark.asyncio
async def test_an_over_long_apollo_address_is_refused_before_sending() -> None:
    with hostile(answer(200, {"phone_call": {"id": "a" * 24}})) as server:
        async with adapter_for(server, Vendor.APOLLO) as adapter:
            with pytest.raises(Rejected) as caught:
                await adapter.create_call({"note": "<p>" + "n" * 100_000 + "</p>"})
        assert server.requests == []
    assert "too long" in str(caught.value)
    assert caught.value.field_errors.get("note")


@pytest.mark.asyncio
async def test_an_uploads_deadline_grows_with_its_file(tmp_path: Path) -> None:
    recording = tmp_path / "call.mp3"
    recording.write_bytes(b"ID3" + b"\x00" * (2 * 1024 * 1024))

    def respond(request: Request, conn: Conn) -> None:
        conn.wait(1.0)  # slower than the bare deadline, well within the file's allowance
        conn.send(http_answer(200, {"success": True}))

    limits = HttpLimits(deadline=0.5, upload_rate=1024 * 1024)  # 0.5 s + 2 s for 2 MB
    with hostile(respond) as server:
        async with adapter_for(server, Vendor.PIPEDRIVE, limits=limits) as adapter:
            await adapter.upload_recording("7", recording)
            with pytest.raises(TransportError, match=r"within 0\.5 s"):
                await adapter.get_call("7")  # no file: the bare deadline
    assert server.requests[0].target == "/api/v1/callLogs/7/recordings"
    assert len(server.requests[0].body) > 2 * 1024 * 1024


@pytest.mark.asyncio
async def test_a_call_listed_again_on_the_next_page_is_taken_once() -> None:
    # A call logged meanwhile shifts Close's offset paging: the last call of page 1 comes again.
    pages = {
        "0": {"data": [{"id": "acti_a"}, {"id": "acti_b"}], "has_more": True},
        "2": {"data": [{"id": "acti_b"}, {"id": "acti_c"}], "has_more": False},
    }
    with hostile(counting(lambda r: (200, pages[query(r)["_skip"]], None))) as server:
        async with adapter_for(server) as adapter:
            ids = [call.remote_id async for call in adapter.list_calls()]
    assert ids == ["acti_a", "acti_b", "acti_c"]
