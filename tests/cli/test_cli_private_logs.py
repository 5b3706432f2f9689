"""What the log file keeps of a sync: Apollo sends a call's fields in the query string, and
neither the note nor the phone number may reach ``calldesk.log`` (httpx logs each request line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calldesk.cli import run
from calldesk.domain import Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer


def test_apollo_notes_and_phones_stay_out_of_the_log(
    sandbox_server: SandboxServer, monkeypatch: pytest.MonkeyPatch, calldesk_home: Path
) -> None:
    monkeypatch.setenv("K", SANDBOX_KEYS[Vendor.APOLLO])
    base = sandbox_server.base_url(Vendor.APOLLO)
    assert (
        run(
            ["accounts", "add", "a", "--vendor", "apollo", "--base-url", base, "--api-key-env", "K"]
        )
        == 0
    )
    note, phone = "Private note about the divorce", "+16505550199"
    fields = [f"note={note}", f"to_number={phone}", "duration=30"]
    assert run(["calls", "log", "--account", "a", "start_time=2031-02-03T04:05:06Z", *fields]) == 0
    assert run(["sync", "--account", "a", "--timeout", "20"]) == 0
    (log,) = calldesk_home.rglob("calldesk.log")
    text = log.read_text()
    assert "HTTP Request: POST" in text  # the request line is logged ...
    for private in (note, note.replace(" ", "+"), phone, "6505550199"):
        assert private not in text  # ... without its query values
