"""Narrow parser tests through httpx.MockTransport: odd bodies, rate headers, error mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from calldesk.crm import (
    AuthError,
    CallAdapter,
    MalformedResponse,
    NotFound,
    RateInfo,
    RateLimited,
    Rejected,
    ServerError,
    TransportError,
    Unsupported,
    make_adapter,
    validate_base_url,
)
from calldesk.crm.apollo import query_params
from calldesk.domain import Account, AuditEntry, KeySource, Vendor

Handler = Callable[[httpx.Request], httpx.Response]
NOW = datetime(2026, 11, 21, 22, 0, 0, tzinfo=UTC)
SECRET = "s3cret-key-value"


class Harness:
    """An adapter over a MockTransport, with its audit entries and rate infos."""

    def __init__(self, vendor: Vendor, handler: Handler, secret: str = SECRET) -> None:
        self.audit: list[AuditEntry] = []
        self.rates: list[RateInfo] = []
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        base = "https://acme.pipedrive.com" if vendor is Vendor.PIPEDRIVE else "https://api.x.com"
        self.adapter: CallAdapter = make_adapter(
            Account("acct", vendor, base, KeySource("env", "K")),
            secret,
            self.client,
            audit=self.audit.append,
            rate_observer=self.rates.append,
            clock=lambda: NOW,
        )

    async def __aenter__(self) -> Harness:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()


def reply(status: int, body: bytes | str = b"", **headers: str) -> Handler:
    content = body.encode() if isinstance(body, str) else body

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers)

    return handler


def json_reply(status: int, body: object, **headers: str) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return handler


HTML_403 = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    "<body><h1>Sorry, you have been blocked</h1></body></html>"
)


@pytest.mark.asyncio
async def test_pipedrive_html_403_page_is_an_auth_error_with_the_page_title() -> None:
    handler = reply(403, HTML_403, **{"content-type": "text/html; charset=UTF-8"})
    async with Harness(Vendor.PIPEDRIVE, handler) as h:
        with pytest.raises(AuthError) as caught:
            await h.adapter.get_call("CA1")
    assert "Attention Required" in caught.value.vendor_message
    assert caught.value.status == 403
    assert "web page" in str(caught.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [b'{"id": "acti_1", "note": "cut', b"OK", b"", b"<html><title>Maint</title></html>"],
    ids=["truncated", "plain-text", "empty", "html"],
)
async def test_unusable_200_body_is_malformed(body: bytes) -> None:
    async with Harness(Vendor.CLOSE, reply(200, body)) as h:
        with pytest.raises(MalformedResponse) as caught:
            await h.adapter.get_call("acti_1")
    assert caught.value.status == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("vendor", "body"),
    [
        (Vendor.CLOSE, {"data": {"not": "a list"}, "has_more": False}),
        (Vendor.CLOSE, [1, 2, 3]),
        (Vendor.CLOSE, {"data": [{"no_id": True}], "has_more": False}),
        (Vendor.PIPEDRIVE, {"success": True, "data": "nope"}),
        (Vendor.BUILDR, {"calls": [None]}),
        (Vendor.APOLLO, {"phone_calls": {"id": "x"}}),
    ],
)
async def test_wrong_shape_list_is_malformed(vendor: Vendor, body: object) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(200, json=body)

    async with Harness(vendor, handler, secret="id:secret") as h:
        with pytest.raises(MalformedResponse):
            _ = [call async for call in h.adapter.list_calls()]


@pytest.mark.asyncio
async def test_connection_lost_mid_body_is_a_maybe_delivered_transport_error() -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def]
            yield b'{"id": "acti_1"'
            raise httpx.RemoteProtocolError("peer closed connection")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Broken(), headers={"content-length": "500"})

    async with Harness(Vendor.CLOSE, handler) as h:
        with pytest.raises(TransportError) as caught:
            await h.adapter.create_call({"note": "x"})
    assert "cut off" in str(caught.value)
    assert caught.value.maybe_delivered is True
    assert caught.value.status == 200
    assert h.audit[-1].status == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("vendor", "status", "body", "headers", "wait"),
    [
        (Vendor.CLOSE, 429, {}, {"ratelimit": "limit=100, remaining=0, reset=7"}, 7.0),
        (Vendor.CLOSE, 429, {"error": {"rate_reset": 2.5, "message": "slow"}}, {}, 2.5),
        (Vendor.CLOSE, 429, "", {"retry-after": "4"}, 4.0),
        (Vendor.CLOSE, 429, "", {}, 1.0),
        (Vendor.PIPEDRIVE, 429, {"success": False}, {"x-ratelimit-reset": "2"}, 2.0),
        (Vendor.BUILDR, 429, {"error": "rate_limit_exceeded"}, {"x-rate-limited-for": "6"}, 6.0),
        (Vendor.BUILDR, 429, {"error": "rate_limit_exceeded"}, {}, 10.0),
        (Vendor.APOLLO, 429, {"message": "600 per hour"}, {"retry-after": "30"}, 30.0),
        (Vendor.APOLLO, 429, {"message": "600 per hour"}, {}, 60.0),
    ],
)
async def test_rate_limited_reads_each_vendors_wait(
    vendor: Vendor, status: int, body: object, headers: dict[str, str], wait: float
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        if isinstance(body, str):
            return httpx.Response(status, content=body.encode(), headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    async with Harness(vendor, handler, secret="id:secret") as h:
        with pytest.raises(RateLimited) as caught:
            await h.adapter.create_call({"note": "x"})
    assert caught.value.retry_after == pytest.approx(wait)
    assert caught.value.status == 429


@pytest.mark.asyncio
async def test_pipedrive_daily_budget_spent_waits_until_midnight() -> None:
    handler = json_reply(
        429,
        {"success": False, "error": "Request over limit"},
        **{"x-ratelimit-reset": "2", "x-daily-requests-left": "0"},
    )
    async with Harness(Vendor.PIPEDRIVE, handler) as h:
        with pytest.raises(RateLimited) as caught:
            await h.adapter.create_call({"note": "x"})
    assert caught.value.retry_after == pytest.approx(2 * 3600)  # NOW is 22:00 UTC


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("vendor", "headers", "expected"),
    [
        (Vendor.CLOSE, {"ratelimit": "limit=60, remaining=59, reset=1"}, RateInfo(60, 59, 1.0)),
        (
            Vendor.PIPEDRIVE,
            {"x-ratelimit-limit": "40", "x-ratelimit-remaining": "39", "x-ratelimit-reset": "2"},
            RateInfo(40, 39, 2.0),
        ),
        (
            Vendor.APOLLO,
            {"x-rate-limit-minute": "200", "x-minute-requests-left": "150"},
            RateInfo(200, 150, None),
        ),
    ],
)
async def test_rate_info_is_reported_on_success(
    vendor: Vendor, headers: dict[str, str], expected: RateInfo
) -> None:
    body = {"success": True, "data": {"id": "1"}, "id": "1", "phone_call": {"id": "1"}}
    async with Harness(vendor, json_reply(200, body, **headers)) as h:
        await h.adapter.create_call({"note": "x"})
    assert h.rates == [expected]


@pytest.mark.asyncio
async def test_apollo_403_on_call_endpoint_asks_for_a_master_key() -> None:
    body = {"error": "This API key is not authorized", "error_code": "API_INACCESSIBLE"}
    async with Harness(Vendor.APOLLO, json_reply(403, body)) as h:
        with pytest.raises(AuthError) as caught:
            await h.adapter.create_call({"note": "x"})
    assert str(caught.value) == "this needs an Apollo master API key"
    assert "not authorized" in caught.value.vendor_message


@pytest.mark.asyncio
async def test_apollo_401_plain_text_keeps_the_vendor_text() -> None:
    handler = reply(401, "Invalid API key. See docs.", **{"content-type": "text/plain"})
    async with Harness(Vendor.APOLLO, handler) as h:
        with pytest.raises(AuthError) as caught:
            await h.adapter.create_call({"note": "x"})
    assert caught.value.vendor_message == "Invalid API key. See docs."


@pytest.mark.asyncio
async def test_close_validation_errors_carry_field_errors() -> None:
    body = {"errors": ["Bad call"], "field-errors": {"duration": "Must be at most 604800."}}
    async with Harness(Vendor.CLOSE, json_reply(400, body)) as h:
        with pytest.raises(Rejected) as caught:
            await h.adapter.create_call({"duration": 999999})
    assert caught.value.field_errors == {"duration": "Must be at most 604800."}
    assert "Bad call" in str(caught.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "kind"),
    [(404, NotFound), (410, NotFound), (500, ServerError), (503, ServerError), (422, Rejected)],
)
async def test_status_mapping(status: int, kind: type[Exception]) -> None:
    body = {"success": False, "error": "The callLog is no longer available"}
    async with Harness(Vendor.PIPEDRIVE, json_reply(status, body)) as h:
        with pytest.raises(kind) as caught:
            await h.adapter.get_call("CA1")
    assert "no longer available" in str(caught.value)
    if isinstance(caught.value, NotFound):
        assert caught.value.gone is (status == 410)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("exc", "delivered"),
    [
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow"), False),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("closed"), True),
    ],
)
async def test_transport_errors_say_whether_the_request_may_have_arrived(
    exc: Exception, delivered: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async with Harness(Vendor.CLOSE, handler) as h:
        with pytest.raises(TransportError) as caught:
            await h.adapter.create_call({"note": "x"})
    assert caught.value.maybe_delivered is delivered
    assert h.audit[-1].status is None


@pytest.mark.asyncio
async def test_audit_entries_never_hold_secrets() -> None:
    async with Harness(Vendor.CLOSE, json_reply(400, {"errors": ["bad"]})) as h:
        with pytest.raises(Rejected):
            await h.adapter.create_call({"note": "x"})
        with pytest.raises(Rejected):
            await h.adapter.lookup("leads", "Acme")
    assert len(h.audit) == 2
    # What was typed (content) stays out of the audit; the paging parameters stay in.
    assert h.audit[1].path.startswith("/api/v1/lead/?query=…&_skip=0")
    first = h.audit[0]
    assert (first.method, first.path, first.status, first.message) == (
        "POST",
        "/api/v1/activity/call/",
        400,
        "bad",
    )
    assert first.elapsed_ms >= 0
    assert all(SECRET not in repr(entry) for entry in h.audit)


def test_redaction_of_secret_query_parameters() -> None:
    from calldesk.crm._http import redact_target

    out = redact_target("/api/v1/users", "api_token=abc&start=0")
    assert "abc" not in out
    assert "start=0" in out


def test_apollo_fields_become_query_parameters() -> None:
    params = query_params(
        {"user_id": "u1", "duration": 90, "logged": True, "note": "hi & bye", "contact_id": None}
    )
    assert params == [
        ("user_id[]", "u1"),
        ("duration", "90"),
        ("logged", "true"),
        ("note", "hi & bye"),
    ]


@pytest.mark.asyncio
async def test_unsupported_operations() -> None:
    async with Harness(Vendor.APOLLO, json_reply(200, {})) as h:
        with pytest.raises(Unsupported):
            await h.adapter.delete_call("x")
    async with Harness(Vendor.PIPEDRIVE, json_reply(200, {})) as h:
        with pytest.raises(Unsupported) as caught:
            await h.adapter.update_call("x", {"note": "y"})
    assert "delete it and log it again" in str(caught.value)


@pytest.mark.asyncio
async def test_response_normalisation_per_vendor() -> None:
    pipedrive = {
        "success": True,
        "data": {"id": "CA1", "start_time": "2026-11-21T10:42:00.000Z", "duration": 90},
    }
    async with Harness(Vendor.PIPEDRIVE, json_reply(200, pipedrive)) as h:
        call = await h.adapter.get_call("CA1")
    assert call.fields["start_time"] == "2026-11-21 10:42:00"
    assert call.fields["duration"] == "90"
    assert call.updated_at is None

    buildr = {
        "call": {
            "id": "110",
            "updated_at": "2026-11-21T10:00:00Z",
            "call_outcome": {"id": "786", "name": "Connected"},
            "contact": {"id": "144", "first_name": "Ann", "last_name": "Lee"},
            "project": None,
        }
    }

    def buildr_handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(200, json=buildr)

    async with Harness(Vendor.BUILDR, buildr_handler, secret="id:secret") as h:
        call = await h.adapter.get_call("110")
    assert call.fields["call_outcome_id"] == "786"
    assert call.fields["call_outcome.name"] == "Connected"
    assert call.fields["contact.name"] == "Ann Lee"
    assert call.fields["project_id"] is None
    assert call.updated_at == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert call.raw == buildr["call"]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.close.com/", True),
        ("https://acme.pipedrive.com", True),
        ("http://127.0.0.1:8123/close", True),
        ("http://localhost:9000", True),
        ("http://[::1]:9000", True),
        ("http://api.close.com", False),
        ("ftp://api.close.com", False),
        ("https://user:pw@api.close.com", False),
        ("https://api.close.com?x=1", False),
        ("not a url", False),
    ],
)
def test_validate_base_url(url: str, ok: bool) -> None:
    if ok:
        assert not validate_base_url(url).endswith("/")
    else:
        with pytest.raises(ValueError):
            validate_base_url(url)
