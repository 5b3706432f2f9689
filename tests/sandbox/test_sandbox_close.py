"""Close sandbox behaviour over a real socket: auth, paging, filters, validation, VoIP, delete."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from calldesk.domain.model import Vendor
from calldesk.sandbox import SandboxServer


@pytest.fixture
def close(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    base = sandbox_server.base_url(Vendor.CLOSE)
    with httpx.Client(base_url=base, auth=("sandbox-close-key", "")) as client:
        yield client


def test_auth_is_basic_with_key_as_username(sandbox_server: SandboxServer) -> None:
    base = sandbox_server.base_url(Vendor.CLOSE)
    with httpx.Client(base_url=base) as c:
        assert c.get("/api/v1/me/").status_code == 401
        assert c.get("/api/v1/me/", auth=("wrong", "")).status_code == 401
        assert c.get("/api/v1/me/", auth=("sandbox-close-key", "")).status_code == 200


def test_pages_through_all_calls_with_skip_and_limit(close: httpx.Client) -> None:
    seen: list[str] = []
    skip = 0
    while True:
        body = close.get("/api/v1/activity/call/", params={"_skip": skip, "_limit": 50}).json()
        seen += [c["id"] for c in body["data"]]
        skip += len(body["data"])
        if not body["has_more"]:
            break
    assert len(seen) == len(set(seen)) == 120
    assert close.get("/api/v1/activity/call/", params={"_limit": 101}).status_code == 400


def test_filters_by_lead_and_activity_at(close: httpx.Client) -> None:
    calls = close.get("/api/v1/activity/call/", params={"_limit": 100}).json()["data"]
    lead = calls[0]["lead_id"]
    by_lead = close.get("/api/v1/activity/call/", params={"lead_id": lead}).json()["data"]
    assert by_lead and all(c["lead_id"] == lead for c in by_lead)
    pivot = calls[10]["activity_at"]
    newer = close.get("/api/v1/activity/call/", params={"activity_at__gte": pivot}).json()["data"]
    assert len(newer) >= 11
    assert all(c["activity_at"] >= pivot for c in newer)


def test_create_get_update_delete(close: httpx.Client) -> None:
    lead = close.get("/api/v1/lead/").json()["data"][0]
    outcome = next(
        o for o in close.get("/api/v1/outcome/").json()["data"] if "calls" in o["applies_to"]
    )
    created = close.post(
        "/api/v1/activity/call/",
        json={
            "lead_id": lead["id"],
            "direction": "outbound",
            "duration": 90,
            "phone": "+16503334444",
            "note": "First line",
            "outcome_id": outcome["id"],
            "activity_at": "2024-05-01T10:00:00+00:00",
        },
    )
    assert created.status_code == 200
    call = created.json()
    assert call["source"] == "External"
    assert call["note_html"] == "<body><p>First line</p></body>"
    fetched = close.get(f"/api/v1/activity/call/{call['id']}/").json()
    assert fetched == call
    updated = close.put(
        f"/api/v1/activity/call/{call['id']}/", json={"note_html": "<p>Changed</p>"}
    ).json()
    assert updated["note"] == "Changed"
    assert updated["duration"] == 90  # partial update keeps the rest
    assert updated["date_updated"] > call["date_updated"]
    assert close.delete(f"/api/v1/activity/call/{call['id']}/").json() == {}
    assert close.get(f"/api/v1/activity/call/{call['id']}/").status_code == 404


def test_validation_errors_are_field_keyed(close: httpx.Client) -> None:
    r = close.post(
        "/api/v1/activity/call/",
        json={
            "duration": 604801,
            "phone": "650-333-4444",
            "recording_url": "http://example.com/a.mp3",
            "status": "done",
        },
    )
    assert r.status_code == 400
    body = r.json()
    assert body["errors"] == []
    assert set(body["field-errors"]) == {"duration", "phone", "recording_url", "status"}
    assert "604800" in body["field-errors"]["duration"]
    ok = close.post("/api/v1/activity/call/", json={"duration": 604800})
    assert ok.status_code == 200


def test_voip_calls_refuse_status_duration_changes(close: httpx.Client) -> None:
    calls = close.get("/api/v1/activity/call/", params={"_limit": 100}).json()["data"]
    voip = next(c for c in calls if c["source"] == "Close.io")
    r = close.put(f"/api/v1/activity/call/{voip['id']}/", json={"duration": voip["duration"] + 5})
    assert r.status_code == 400
    assert "duration" in r.json()["field-errors"]
    note = close.put(f"/api/v1/activity/call/{voip['id']}/", json={"note": "ok"})
    assert note.status_code == 200
    external = next(c for c in calls if c["source"] == "External")
    r = close.put(f"/api/v1/activity/call/{external['id']}/", json={"duration": 7})
    assert r.json()["duration"] == 7


def test_pickers(close: httpx.Client) -> None:
    outcomes = close.get("/api/v1/outcome/").json()["data"]
    assert any(o["applies_to"] == ["meetings"] for o in outcomes)
    assert any("calls" in o["applies_to"] for o in outcomes)
    me = close.get("/api/v1/me/").json()
    assert me["id"] in {u["id"] for u in close.get("/api/v1/user/").json()["data"]}
    lead = close.get("/api/v1/lead/").json()["data"][0]
    contacts = close.get("/api/v1/contact/", params={"lead_id": lead["id"]}).json()["data"]
    assert contacts and all(c["lead_id"] == lead["id"] for c in contacts)
    assert all(p["phone"].startswith("+") for c in contacts for p in c["phones"])
