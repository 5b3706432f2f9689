"""Fault injection over real sockets and in-process: drops, commit-then-drop, 5xx, 429, controls."""

from __future__ import annotations

import time

import httpx
import pytest

from calldesk.domain.model import Vendor
from calldesk.sandbox import SandboxConfig, SandboxServer, create_app

CLOSE_AUTH = ("sandbox-close-key", "")
PD = {"x-api-token": "sandbox-pipedrive-token"}
PD_CREATE = {
    "to_phone_number": "+15555550100",
    "outcome": "connected",
    "start_time": "2024-05-01 10:00:00",
    "end_time": "2024-05-01 10:05:00",
}


def test_down_drops_the_connection_without_a_response(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, down=True)
    before = sandbox_server.sandbox.apis[Vendor.CLOSE].call_count()
    base = sandbox_server.base_url(Vendor.CLOSE)
    with httpx.Client(base_url=base, auth=CLOSE_AUTH) as c, pytest.raises(httpx.TransportError):
        c.post("/api/v1/activity/call/", json={"note": "x"})
    assert sandbox_server.sandbox.apis[Vendor.CLOSE].call_count() == before
    # other vendors are unaffected
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.PIPEDRIVE), headers=PD) as c:
        assert c.get("/api/v1/callLogs").status_code == 200


def test_commit_then_drop_applies_the_write_but_breaks_the_response(
    sandbox_server: SandboxServer,
) -> None:
    sandbox_server.sandbox.faults.set(Vendor.PIPEDRIVE, commit_then_drop=1.0)
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    before = api.call_count()
    base = sandbox_server.base_url(Vendor.PIPEDRIVE)
    with httpx.Client(base_url=base, headers=PD) as c, pytest.raises(httpx.RemoteProtocolError):
        c.post("/api/v1/callLogs", json=PD_CREATE)
    assert api.call_count() == before + 1
    assert sandbox_server.sandbox.counters[Vendor.PIPEDRIVE].dropped == 1


@pytest.mark.asyncio
async def test_commit_then_drop_and_down_work_in_process() -> None:
    app = create_app(SandboxConfig(calls_per_vendor=10))
    sandbox = app.state.sandbox
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox/close") as c:
        sandbox.faults.set(Vendor.CLOSE, commit_then_drop=1.0)
        with pytest.raises(httpx.TransportError):
            await c.post("/api/v1/activity/call/", json={"note": "hi"}, auth=CLOSE_AUTH)
        assert sandbox.apis[Vendor.CLOSE].call_count() == 11
        sandbox.faults.set(Vendor.CLOSE, commit_then_drop=0.0, down=True)
        with pytest.raises(httpx.TransportError):
            await c.post("/api/v1/activity/call/", json={"note": "hi"}, auth=CLOSE_AUTH)
        assert sandbox.apis[Vendor.CLOSE].call_count() == 11


def test_truncated_body_is_partial_json(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.faults.set(truncated_body=1.0)
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.CLOSE), auth=CLOSE_AUTH) as c:
        response = c.get("/api/v1/outcome/")
    assert response.status_code == 200
    assert response.text.startswith('{"data":[')
    with pytest.raises(ValueError):
        response.json()


def test_error_rate_gives_vendor_5xx_bodies(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.faults.set(error_rate=1.0)
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.PIPEDRIVE), headers=PD) as c:
        r = c.get("/api/v1/callLogs")
    assert r.status_code == 500
    assert r.json()["success"] is False
    assert r.json()["error"] == "An internal server error occurred"
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.CLOSE), auth=CLOSE_AUTH) as c:
        r = c.get("/api/v1/activity/call/")
    assert r.status_code == 503
    assert "error" in r.json()


def test_error_rate_is_seeded_and_replayable(sandbox_server: SandboxServer) -> None:
    def run() -> list[int]:
        sandbox_server.sandbox.reset()
        sandbox_server.sandbox.faults.set(Vendor.CLOSE, error_rate=0.5)
        with httpx.Client(base_url=sandbox_server.base_url(Vendor.CLOSE), auth=CLOSE_AUTH) as c:
            return [c.get("/api/v1/me/").status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert {200, 503} == set(first)


def test_html_403_page_for_pipedrive_only(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.faults.set(html_403=1.0)
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.PIPEDRIVE), headers=PD) as c:
        r = c.get("/api/v1/callLogs")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "Cloudflare" in r.text
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.CLOSE), auth=CLOSE_AUTH) as c:
        assert c.get("/api/v1/me/").status_code == 200


def test_latency_is_added(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.faults.set(Vendor.CLOSE, latency=0.3)
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.CLOSE), auth=CLOSE_AUTH) as c:
        started = time.monotonic()
        assert c.get("/api/v1/me/").status_code == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("vendor", "headers", "path", "check"),
    [
        (Vendor.CLOSE, {}, "/api/v1/me/", "close"),
        (Vendor.PIPEDRIVE, PD, "/api/v1/users/me", "pipedrive"),
        (Vendor.APOLLO, {"x-api-key": "sandbox-apollo-master"}, "/api/v1/users/search", "apollo"),
    ],
)
def test_rate_limit_uses_vendor_headers_and_bodies(
    sandbox_server: SandboxServer, vendor: Vendor, headers: dict[str, str], path: str, check: str
) -> None:
    sandbox_server.sandbox.faults.set(vendor, rate_limit=3, rate_window=30)
    auth = CLOSE_AUTH if vendor is Vendor.CLOSE else None
    with httpx.Client(base_url=sandbox_server.base_url(vendor), headers=headers, auth=auth) as c:
        responses = [c.get(path) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    ok, limited = responses[0], responses[3]
    if check == "close":
        assert ok.headers["RateLimit"] == "limit=3, remaining=2, reset=10"
        assert limited.json()["error"]["rate_reset"] >= 1
        assert limited.headers["RateLimit"].startswith("limit=3, remaining=0, reset=")
    elif check == "pipedrive":
        assert ok.headers["x-ratelimit-limit"] == "3"
        assert ok.headers["x-ratelimit-remaining"] == "2"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert int(limited.headers["x-ratelimit-reset"]) >= 1
        assert limited.json()["success"] is False
    else:
        assert ok.headers["x-minute-requests-left"] == "2"
        assert int(limited.headers["retry-after"]) >= 1
        assert "maximum number of api calls" in limited.json()["message"]
    assert sandbox_server.sandbox.counters[vendor].rate_limited == 1


def test_buildr_bucket_429_with_rate_limited_for(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.faults.set(Vendor.BUILDR, rate_limit=10, rate_window=10)
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.BUILDR)) as c:
        codes = [c.post("/oauth/token", json={"grant_type": "x"}).status_code for _ in range(11)]
        last = c.post("/oauth/token", json={"grant_type": "x"})
    assert codes[:10] == [400] * 10
    assert codes[10] == 429
    assert last.json() == {"error": "rate_limit_exceeded"}
    assert int(last.headers["X-Rate-Limited-For"]) >= 1


def test_pipedrive_daily_budget(sandbox_server: SandboxServer) -> None:
    sandbox_server.sandbox.faults.set(Vendor.PIPEDRIVE, daily_budget=2)
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.PIPEDRIVE), headers=PD) as c:
        first = c.get("/api/v1/users/me")
        c.get("/api/v1/users/me")
        third = c.get("/api/v1/users/me")
    assert first.headers["x-daily-requests-left"] == "1"
    assert third.status_code == 429
    assert third.headers["x-daily-requests-left"] == "0"


def test_control_endpoints_over_http(sandbox_server: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox_server.url) as c:
        r = c.post("/_sandbox/faults", json={"global": {"latency": 0.01}, "close": {"down": True}})
        assert r.status_code == 200
        assert r.json()["effective"]["close"]["down"] is True
        assert r.json()["effective"]["apollo"]["latency"] == 0.01
        assert c.post("/_sandbox/faults", json={"close": {"nope": 1}}).status_code == 400
        with pytest.raises(httpx.TransportError):
            c.get("/close/api/v1/me/", auth=CLOSE_AUTH)
        c.get("/pipedrive/api/v1/callLogs", headers=PD)
        state = c.get("/_sandbox/state").json()["vendors"]
        assert state["close"]["requests"]["dropped"] == 1
        assert state["pipedrive"]["requests"]["by_route"] == {"GET /api/v1/callLogs": 1}
        assert state["pipedrive"]["calls"] == 120
        reset = c.post("/_sandbox/reset").json()["vendors"]
        assert reset["close"]["requests"]["total"] == 0
        assert c.get("/_sandbox/faults").json()["global"] == {}
        assert c.get("/close/api/v1/me/", auth=CLOSE_AUTH).status_code == 200


def test_hostile_answers_thin_garbage_429_huge_and_drip(sandbox_server: SandboxServer) -> None:
    faults = sandbox_server.sandbox.faults
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.PIPEDRIVE), headers=PD) as c:
        faults.set(Vendor.PIPEDRIVE, thin_answer=1.0)
        before = api.call_count()
        thin = c.post("/api/v1/callLogs", json=PD_CREATE)
        assert thin.status_code == 200 and api.call_count() == before + 1
        assert set(thin.json()["data"]) == {"id"}
        faults.clear()
        faults.set(Vendor.PIPEDRIVE, garbage_429=1.0)
        limited = c.post("/api/v1/callLogs", json=PD_CREATE)
        assert limited.status_code == 429 and api.call_count() == before + 1
        assert limited.headers["retry-after"] in (
            "nan",
            "inf",
            "1e999",
            "-50",
            "1000000000",
            "soon",
            "",
        )
        faults.clear()
        faults.set(Vendor.PIPEDRIVE, huge_body=1.0, huge_body_bytes=3_000_000)
        huge = c.get("/api/v1/callLogs")
        assert len(huge.content) > 3_000_000 and huge.json()["success"] is True
        faults.clear()
        faults.set(Vendor.PIPEDRIVE, slow_drip=1.0, drip_delay=0.02)
        started = time.monotonic()
        dripped = c.get("/api/v1/callLogs")
        assert dripped.json()["success"] is True
        assert time.monotonic() - started >= 0.1  # eight pieces, 20 ms apart
