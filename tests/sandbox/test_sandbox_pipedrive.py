"""Pipedrive sandbox behaviour over a real socket: envelope, paging, validation, recordings, 410."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from calldesk.domain.model import Vendor
from calldesk.sandbox import SandboxServer

VALID = {
    "to_phone_number": "+15555550100",
    "outcome": "connected",
    "start_time": "2024-05-01 10:00:00",
    "end_time": "2024-05-01 10:05:00",
    "duration": "300",
    "deal_id": 500,
    "note": "<p>Hello</p>",
}


@pytest.fixture
def pd(sandbox_server: SandboxServer) -> Iterator[httpx.Client]:
    base = sandbox_server.base_url(Vendor.PIPEDRIVE)
    with httpx.Client(base_url=base, headers={"x-api-token": "sandbox-pipedrive-token"}) as c:
        yield c


def test_bad_token_is_a_json_401_with_rate_headers(sandbox_server: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.PIPEDRIVE)) as c:
        r = c.get("/api/v1/callLogs", headers={"x-api-token": "nope"})
    assert r.status_code == 401
    assert r.json()["success"] is False
    assert "x-ratelimit-remaining" in r.headers


def test_pages_with_start_and_limit_capped_at_50(pd: httpx.Client) -> None:
    seen: list[str] = []
    start = 0
    while True:
        r = pd.get("/api/v1/callLogs", params={"start": start, "limit": 100})
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(r.headers)
        body = r.json()
        page = body["additional_data"]["pagination"]
        assert page["limit"] == 50
        seen += [log["id"] for log in body["data"]]
        if not page["more_items_in_collection"]:
            assert "next_start" not in page
            break
        start = page["next_start"]
    assert len(seen) == len(set(seen)) == 120


def test_create_returns_iso_times_and_string_duration(pd: httpx.Client) -> None:
    r = pd.post("/api/v1/callLogs", json=VALID)
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["start_time"] == "2024-05-01T10:00:00.000Z"
    assert data["duration"] == "300"
    assert data["has_recording"] is False
    assert pd.get(f"/api/v1/callLogs/{data['id']}").json()["data"] == data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outcome": None}, '"outcome" is required.'),
        ({"to_phone_number": None}, '"to_phone_number" is required.'),
        ({"outcome": "great"}, '"outcome" must be one of'),
        ({"start_time": "2024-05-01T10:00:00Z"}, '"start_time" must be in YYYY-MM-DD HH:MM:SS'),
        ({"lead_id": "9b2c0d3e-8a7f-4c1b-9e2d-1a2b3c4d5e6f"}, "exclusive peers [deal_id, lead_id]"),
        ({"duration": 300}, '"duration" must be a string'),
    ],
)
def test_validation_is_a_single_error_string(
    pd: httpx.Client, change: dict[str, object], message: str
) -> None:
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    r = pd.post("/api/v1/callLogs", json=body)
    assert r.status_code == 400
    assert r.json()["success"] is False
    assert message in r.json()["error"]


def test_no_update_endpoint(pd: httpx.Client) -> None:
    log_id = pd.get("/api/v1/callLogs").json()["data"][0]["id"]
    for method in ("PUT", "PATCH"):
        r = pd.request(method, f"/api/v1/callLogs/{log_id}", json={"note": "x"})
        assert r.status_code == 404
        assert r.json()["success"] is False


def test_delete_then_410(pd: httpx.Client) -> None:
    log_id = pd.post("/api/v1/callLogs", json=VALID).json()["data"]["id"]
    assert pd.delete(f"/api/v1/callLogs/{log_id}").json() == {"success": True}
    for r in (pd.get(f"/api/v1/callLogs/{log_id}"), pd.delete(f"/api/v1/callLogs/{log_id}")):
        assert r.status_code == 410
        assert "no longer available" in r.json()["error"]
    assert pd.get("/api/v1/callLogs/CAunknown").status_code == 404


def test_second_recording_is_409(pd: httpx.Client, sandbox_server: SandboxServer) -> None:
    log_id = pd.post("/api/v1/callLogs", json=VALID).json()["data"]["id"]
    files = {"file": ("call.mp3", b"ID3" + b"\x00" * 1000, "audio/mpeg")}
    assert pd.post(f"/api/v1/callLogs/{log_id}/recordings", files=files).json() == {"success": True}
    assert pd.get(f"/api/v1/callLogs/{log_id}").json()["data"]["has_recording"] is True
    again = pd.post(f"/api/v1/callLogs/{log_id}/recordings", files=files)
    assert again.status_code == 409
    assert again.json()["error"] == "A recording for this call already exists"
    missing = pd.post(f"/api/v1/callLogs/{log_id}/recordings", data={"other": "x"}, files={})
    assert missing.status_code in (400, 409)
    recordings = sandbox_server.sandbox.state()["vendors"]["pipedrive"]["recordings"]
    assert recordings == [
        {"call_id": log_id, "size": 1003, "path": recordings[0]["path"]},
    ]


def test_upload_without_file_part_is_400(pd: httpx.Client) -> None:
    log_id = pd.post("/api/v1/callLogs", json=VALID).json()["data"]["id"]
    r = pd.post(
        f"/api/v1/callLogs/{log_id}/recordings", files={"audio": ("a.mp3", b"x", "audio/mpeg")}
    )
    assert r.status_code == 400
    assert r.json()["error"] == '"file" is required.'


def test_50_mb_upload_is_streamed_to_disk(
    pd: httpx.Client, sandbox_server: SandboxServer, tmp_path: Path
) -> None:
    size = 50 * 1024 * 1024
    source = tmp_path / "big.wav"
    with source.open("wb") as out:
        block = bytes(range(256)) * 4096
        for _ in range(size // len(block)):
            out.write(block)
    log_id = pd.post("/api/v1/callLogs", json=VALID).json()["data"]["id"]
    tracemalloc.start()
    try:
        with source.open("rb") as handle:
            r = pd.post(
                f"/api/v1/callLogs/{log_id}/recordings",
                files={"file": ("big.wav", handle, "audio/wav")},
                timeout=120,
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.status_code == 200
    stored = Path(sandbox_server.sandbox.state()["vendors"]["pipedrive"]["recordings"][0]["path"])
    assert stored.stat().st_size == size
    assert stored.read_bytes()[:512] == block[:512]
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"


def test_pickers(pd: httpx.Client) -> None:
    me = pd.get("/api/v1/users/me").json()["data"]
    assert me["is_you"] is True
    assert any(u["id"] == me["id"] for u in pd.get("/api/v1/users").json()["data"])
    page1 = pd.get("/api/v2/persons/search", params={"term": "+1", "limit": 10}).json()
    assert len(page1["data"]["items"]) == 10
    cursor = page1["additional_data"]["next_cursor"]
    page2 = pd.get("/api/v2/persons/search", params={"term": "+1", "cursor": cursor}).json()
    first_ids = {i["item"]["id"] for i in page1["data"]["items"]}
    assert first_ids.isdisjoint(i["item"]["id"] for i in page2["data"]["items"])
    assert page2["additional_data"]["next_cursor"] is None
    assert pd.get("/api/v2/persons/search", params={"term": "a"}).status_code == 400
    for kind in ("deals", "leads", "organizations"):
        r = pd.get(
            f"/api/v2/{kind}/search", params={"term": "ex" if kind != "organizations" else "ac"}
        )
        assert r.status_code == 200
        assert r.json()["success"] is True
