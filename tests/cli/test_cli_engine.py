"""The command line driving the real engine: against sandbox CRMs on a port, and offline."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from calldesk.cli import run
from calldesk.domain import Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer


def _add(name: str, vendor: Vendor, base_url: str, var: str) -> None:
    assert (
        run(
            [
                "accounts",
                "add",
                name,
                "--vendor",
                vendor.value,
                "--base-url",
                base_url,
                "--api-key-env",
                var,
            ]
        )
        == 0
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_close_account_lists_the_sandbox_calls(
    sandbox_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("K", SANDBOX_KEYS[Vendor.CLOSE])
    _add("c", Vendor.CLOSE, sandbox_server.base_url(Vendor.CLOSE), "K")
    capsys.readouterr()
    assert run(["calls", "list", "--account", "c", "--refresh", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    expected = sandbox_server.sandbox.apis[Vendor.CLOSE].call_count()
    assert expected > 0
    assert len(listed) == expected
    assert {row["state"] for row in listed} == {"synced"}
    assert all(row["remote_id"].startswith("acti_") for row in listed)
    # Outcome labels come from the refreshed lookups, not raw ids.
    assert any(row["outcome"] and not row["outcome"].startswith("outcome_") for row in listed)


def test_log_offline_then_sync_delivers_exactly_once(
    sandbox_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("K", SANDBOX_KEYS[Vendor.PIPEDRIVE])
    _add("p", Vendor.PIPEDRIVE, sandbox_server.base_url(Vendor.PIPEDRIVE), "K")
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    before = api.call_count()
    capsys.readouterr()
    code = run(
        [
            "calls",
            "log",
            "--account",
            "p",
            "to_phone_number=+16505551234",
            "outcome=connected",
            "start_time=2026-11-21T10:42:00+01:00",
            "end_time=2026-11-21T10:46:12+01:00",
            "duration=252",
            "note=<p>Spoke to <b>Dana</b></p>",
        ]
    )
    assert code == 0
    local_id = capsys.readouterr().out.strip()
    assert local_id.startswith("loc_")
    assert api.call_count() == before  # queued, not sent
    assert run(["queue", "--json"]) == 0
    queued = json.loads(capsys.readouterr().out)
    assert [(op["kind"], op["state"], op["local_id"]) for op in queued] == [
        ("create", "pending", local_id)
    ]
    assert run(["sync", "--account", "p", "--timeout", "30"]) == 0
    assert api.call_count() == before + 1
    assert run(["sync", "--account", "p", "--timeout", "5"]) == 0
    assert api.call_count() == before + 1  # nothing sent twice
    capsys.readouterr()
    assert run(["calls", "show", "--account", "p", local_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "synced"
    assert shown["fields"]["start_time"] == "2026-11-21 09:42:00"
    assert shown["fields"]["duration"] == "252"
    # Pipedrive call logs cannot be changed once logged: the CLI says so.
    assert run(["calls", "update", "--account", "p", local_id, "duration=30"]) == 1
    assert "does not allow changes" in capsys.readouterr().err


def test_unreachable_crm_keeps_the_save_and_sync_says_what_is_left(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("K", "some-key")
    _add("c", Vendor.CLOSE, f"http://127.0.0.1:{_closed_port()}/close", "K")
    capsys.readouterr()
    assert run(["calls", "log", "--account", "c", "duration=90", "note=hello"]) == 0
    local_id = capsys.readouterr().out.strip()
    assert run(["sync", "--account", "c", "--timeout", "2"]) == 1
    out, err = capsys.readouterr()
    assert "1 pending" in out
    assert local_id in err
    assert run(["queue", "--json"]) == 0
    queued = json.loads(capsys.readouterr().out)
    assert len(queued) == 1 and queued[0]["state"] == "pending"
    assert queued[0]["attempts"] >= 1 and queued[0]["last_error"]


def test_unknown_call_id_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("K", "some-key")
    _add("c", Vendor.CLOSE, "https://api.close.com", "K")
    capsys.readouterr()
    assert run(["calls", "show", "--account", "c", "acti_nope"]) == 1
    assert capsys.readouterr().err == "calldesk: no call 'acti_nope' in account 'c'\n"


def test_attach_refuses_non_audio_and_url_only_vendors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("K", "some-key")
    _add("c", Vendor.CLOSE, "https://api.close.com", "K")
    assert run(["calls", "log", "--account", "c", "duration=90"]) == 0
    local_id = capsys.readouterr().out.strip()
    fake = tmp_path / "call.mp3"
    fake.write_text("not really audio")
    assert run(["calls", "attach", "--account", "c", local_id, str(fake)]) == 1
    assert "takes a link to the recording" in capsys.readouterr().err


def test_fields_hidden_in_the_editor_are_still_accepted_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("K", "some-key")
    _add("c", Vendor.CLOSE, "https://api.close.com", "K")
    capsys.readouterr()
    stamp = "date_created=2026-11-21T10:00:00+00:00"
    assert run(["calls", "log", "--account", "c", "duration=90", stamp, "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["fields"]["date_created"] == "2026-11-21T10:00:00+00:00"
