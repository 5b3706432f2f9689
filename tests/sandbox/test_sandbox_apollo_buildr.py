"""Apollo and Buildr sandbox behaviour over real sockets: auth, query-param writes, tokens."""

from __future__ import annotations

import time

import httpx

from calldesk.domain.model import Vendor
from calldesk.sandbox import SandboxConfig, SandboxServer

MASTER = {"x-api-key": "sandbox-apollo-master"}
BUILDR_CREDS = {
    "grant_type": "client_credentials",
    "client_id": "sandbox-buildr-client",
    "client_secret": "sandbox-buildr-secret",
    "scope": "read write",
}


def test_apollo_auth(sandbox_server: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.APOLLO)) as c:
        r = c.get("/api/v1/phone_calls/search")
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("text/plain")
        assert r.text.startswith("Invalid API key.")
        plain = {"x-api-key": "sandbox-apollo-plain"}
        r = c.post("/api/v1/phone_calls", params={"note": "x"}, headers=plain)
        assert r.status_code == 403
        assert r.json()["error_code"] == "API_INACCESSIBLE"
        assert c.get("/api/v1/users/search", headers=plain).status_code == 200


def test_apollo_search_pages_and_facets(sandbox_server: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.APOLLO), headers=MASTER) as c:
        seen: list[str] = []
        page = 1
        while True:
            body = c.get("/api/v1/phone_calls/search", params={"page": page, "per_page": 50}).json()
            assert body["pagination"]["page"] == str(page)
            assert body["pagination"]["per_page"] == "50"
            seen += [call["id"] for call in body["phone_calls"]]
            if page >= body["pagination"]["total_pages"]:
                break
            page += 1
        assert len(seen) == len(set(seen)) == 120
        facets = body["faceting"]["phone_call_stats_facets"]
        assert {"Connected", "Left voicemail"} <= {f["display_name"] for f in facets}
        statuses = {call["status"] for call in body["phone_calls"]}
        assert "no_answer" not in statuses


def test_apollo_create_and_update_with_query_params(sandbox_server: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.APOLLO), headers=MASTER) as c:
        user = c.get("/api/v1/users/search").json()["users"][1]["id"]
        contact = c.post("/api/v1/contacts/search", json={"q_keywords": ""}).json()["contacts"][0]
        params = {
            "user_id[]": user,
            "contact_id": contact["id"],
            "to_number": "+15555550164",
            "status": "no_answer",
            "start_time": "2024-05-01T10:00:00Z",
            "duration": "42",
            "note": "Called & left a message?",
            "logged": "true",
        }
        r = c.post("/api/v1/phone_calls", params=params)
        assert r.status_code == 200
        call = r.json()["phone_call"]
        assert call["user_id"] == user
        assert call["duration"] == 42
        assert call["note"] == "Called & left a message?"
        assert call["start_time"] == "2024-05-01T10:00:00.000+00:00"
        assert c.post("/api/v1/phone_calls", params={"status": "done"}).status_code == 422
        updated = c.put(f"/api/v1/phone_calls/{call['id']}", params={"note": "new"}).json()
        assert updated["phone_call"]["note"] == "new"
        assert updated["phone_call"]["duration"] == 42
        found = c.get(
            "/api/v1/phone_calls/search",
            params={"date_range[min]": "2024-05-01", "date_range[max]": "2024-05-01"},
        ).json()["phone_calls"]
        assert [f["id"] for f in found] == [call["id"]]
        assert found[0]["status"] == "no-answer"
        assert c.get(f"/api/v1/phone_calls/{call['id']}").status_code in (404, 405)


def _token(c: httpx.Client) -> str:
    r = c.post("/oauth/token", json=BUILDR_CREDS)
    assert r.status_code == 200
    assert r.json()["token_type"] == "Bearer"
    return str(r.json()["access_token"])


def test_buildr_token_and_crud(sandbox_server: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.BUILDR)) as c:
        bad = c.post("/oauth/token", json={**BUILDR_CREDS, "client_secret": "x"})
        assert bad.status_code == 401
        assert c.get("/api/2023-01/calls").status_code == 401
        c.headers["Authorization"] = f"Bearer {_token(c)}"
        outcome = c.get("/api/2023-01/call_outcomes").json()["call_outcomes"][0]
        contact = c.get("/api/2023-01/contacts").json()["contacts"][0]
        created = c.post(
            "/api/2023-01/calls",
            json={"call": {"notes": "Hi", "call_outcome_id": outcome["id"],
                           "contact_id": contact["id"], "recorded_at": "2024-05-01T10:00:00Z"}},
        )  # fmt: skip
        assert created.status_code == 201
        call = created.json()["call"]
        assert isinstance(call["id"], str)
        assert call["call_outcome"]["name"] == outcome["name"]
        assert call["contact"]["id"] == contact["id"]
        assert call["project"] is None
        assert set(call["created_by"]) >= {"id", "name", "email"}
        patched = c.patch(f"/api/2023-01/calls/{call['id']}", json={"call": {"notes": "Bye"}})
        assert patched.json()["call"]["notes"] == "Bye"
        assert patched.json()["call"]["contact"]["id"] == contact["id"]
        bad_link = c.patch(f"/api/2023-01/calls/{call['id']}", json={"call": {"contact_id": "1"}})
        assert bad_link.status_code == 422
        assert c.patch(f"/api/2023-01/calls/{call['id']}", json={"notes": "x"}).status_code == 400
        assert c.delete(f"/api/2023-01/calls/{call['id']}").status_code == 204
        assert c.get(f"/api/2023-01/calls/{call['id']}").status_code == 404


def test_buildr_link_header_paging(sandbox_server: SandboxServer) -> None:
    with httpx.Client(base_url=sandbox_server.base_url(Vendor.BUILDR)) as c:
        c.headers["Authorization"] = f"Bearer {_token(c)}"
        seen: list[str] = []
        url: str | None = "/api/2023-01/calls?per_page=50"
        while url:
            r = c.get(url)
            seen += [call["id"] for call in r.json()["calls"]]
            url = r.links.get("next", {}).get("url")
            assert "page=3" in r.links["last"]["url"]
        assert len(seen) == len(set(seen)) == 120


def test_buildr_token_expiry_and_revocation() -> None:
    config = SandboxConfig(calls_per_vendor=5, buildr_token_ttl=0.3)
    with (
        SandboxServer(config) as server,
        httpx.Client(base_url=server.base_url(Vendor.BUILDR)) as c,
    ):
        token = _token(c)
        auth = {"Authorization": f"Bearer {token}"}
        assert c.get("/api/2023-01/calls", headers=auth).status_code == 200
        deadline = time.monotonic() + 5
        status = 200
        while status == 200 and time.monotonic() < deadline:
            status = c.get("/api/2023-01/calls", headers=auth).status_code
        assert status == 401
        assert "expired" in c.get("/api/2023-01/calls", headers=auth).json()["error_description"]
    config = SandboxConfig(calls_per_vendor=5)
    with (
        SandboxServer(config) as server,
        httpx.Client(base_url=server.base_url(Vendor.BUILDR)) as c,
    ):
        auth = {"Authorization": f"Bearer {_token(c)}"}
        assert c.get("/api/2023-01/calls", headers=auth).status_code == 200
        assert httpx.post(f"{server.url}/_sandbox/revoke_tokens").status_code == 200
        assert c.get("/api/2023-01/calls", headers=auth).status_code == 401
