"""``calldesk match``: caller ID on the command line, against the sandbox CRMs over real
sockets, offline from the cache, and with the exit codes scripts rely on."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from calldesk.cli import run
from calldesk.domain import Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer


def _add(name: str, vendor: Vendor, base_url: str, *extra: str) -> None:
    argv = ["accounts", "add", name, "--vendor", vendor.value, "--base-url", base_url]
    assert run([*argv, "--api-key-env", "K", *extra]) == 0


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def close_account(
    sandbox_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> dict[str, str]:
    monkeypatch.setenv("K", SANDBOX_KEYS[Vendor.CLOSE])
    _add("c", Vendor.CLOSE, sandbox_server.base_url(Vendor.CLOSE), "--country", "US")
    capsys.readouterr()
    contact = sandbox_server.sandbox.apis[Vendor.CLOSE].contacts[0]
    return {"id": contact["id"], "name": contact["name"], "phone": contact["phones"][0]["phone"]}


def test_one_match_prints_kind_id_name_and_number(
    close_account: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    national = close_account["phone"].removeprefix("+1")  # read with the account's country
    assert run(["match", "--account", "c", national]) == 0
    line = capsys.readouterr().out.strip()
    kind, ident, name, number, *_ = line.split("\t")
    assert (kind, ident, name) == ("contact", close_account["id"], close_account["name"])
    assert number.replace(" ", "").replace("-", "") == close_account["phone"]
    assert run(["match", "--account", "c", close_account["phone"], "--json"]) == 0
    [found] = json.loads(capsys.readouterr().out)
    assert found["kind"] == "contact" and found["id"] == close_account["id"]
    assert found["number"] == close_account["phone"]
    assert [r["kind"] for r in found["related"]] == ["lead"]


def test_nobody_has_it_exits_3_and_an_impossible_number_2(
    close_account: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["match", "--account", "c", "+1 650 555 0000", "--json"]) == 3
    out, err = capsys.readouterr()
    assert json.loads(out) == []
    assert "nobody in c has +1 650-555-0000" in err
    assert run(["match", "--account", "c", "650 555"]) == 2
    assert "too short" in capsys.readouterr().err


def test_an_unknown_range_is_searched_with_a_warning(
    close_account: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["match", "--account", "c", "5551234567"]) == 3
    err = capsys.readouterr().err
    assert "warning: +1 555-123-4567 is not in a number range calldesk knows" in err


def test_offline_answers_from_the_cache_and_says_so(
    close_account: dict[str, str],
    calldesk_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["match", "--account", "c", close_account["phone"]]) == 0
    capsys.readouterr()
    accounts = calldesk_home / "config" / "accounts.toml"
    text = accounts.read_text()
    start = text.index("http://127.0.0.1:")
    end = text.index('"', start)
    accounts.write_text(text[:start] + f"http://127.0.0.1:{_closed_port()}/close" + text[end:])
    assert run(["match", "--account", "c", close_account["phone"], "--refresh"]) == 0
    out, err = capsys.readouterr()
    assert close_account["id"] in out
    assert "this is its answer of" in err
    assert run(["match", "--account", "c", "+16505550000"]) == 1
    assert "no earlier answer for +1 650-555-0000 is cached" in capsys.readouterr().err


def test_buildr_says_it_has_no_caller_id(
    sandbox_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("K", SANDBOX_KEYS[Vendor.BUILDR])
    _add("b", Vendor.BUILDR, sandbox_server.base_url(Vendor.BUILDR), "--country", "US")
    capsys.readouterr()
    assert run(["match", "--account", "b", "+14155550152"]) == 1
    assert "Buildr has no documented way to find a contact by phone" in capsys.readouterr().err
