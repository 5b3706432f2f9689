"""The account's country on the command line: ``accounts add --country``, national numbers in
``calls log``, unknown ranges accepted with a warning on stderr, impossible numbers refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calldesk.cli import run
from calldesk.store.accounts import system_country

APOLLO_KEY = "apollo_SECRET_key_123456"


def _add(name: str, vendor: str, *extra: str) -> int:
    return run(["accounts", "add", name, "--vendor", vendor, "--api-key-env", "K", *extra])


def test_the_country_is_kept_with_the_account(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add("de", "close", "--country", "de") == 0
    assert run(["accounts", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert listed[0]["country"] == "DE"
    assert 'country = "DE"' in (calldesk_home / "config" / "accounts.toml").read_text()


def test_an_unknown_country_is_refused_with_the_form_to_use(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add("x", "close", "--country", "XX") == 2
    assert "'XX' is not a country code phone numbers know" in capsys.readouterr().err
    assert not (calldesk_home / "config" / "accounts.toml").exists()


def test_apollos_documented_number_is_logged_with_a_warning(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("K", APOLLO_KEY)
    assert _add("ap", "apollo", "--country", "US") == 0
    capsys.readouterr()
    assert run(["calls", "log", "--account", "ap", "to_number=5551234567", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["fields"]["to_number"] == "+15551234567"  # sent as E.164
    assert err.splitlines() == [
        "calldesk: warning: To number: +1 555-123-4567 is not in a number range calldesk knows; "
        "check it before saving"
    ]


def test_letters_are_rewritten_and_impossible_numbers_refused(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("K", APOLLO_KEY)
    assert _add("ap", "apollo", "--country", "US") == 0
    capsys.readouterr()
    assert run(["calls", "log", "--account", "ap", "to_number=1-800-FLOWERS", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["fields"]["to_number"] == "+18003569377"
    assert "Letters read as digits: +1 800-356-9377" in err
    assert run(["calls", "log", "--account", "ap", "to_number=650 555"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "to_number: To number: That is too short to be a phone number in that country"
    ]


def test_the_computers_country_comes_from_its_locale() -> None:
    assert system_country({"LANG": "en_GB.UTF-8"}) == "GB"
    assert system_country({"LC_ALL": "de_DE@euro", "LANG": "en_US.UTF-8"}) == "DE"
    assert system_country({"LANG": "C.UTF-8"}) is None
    assert system_country({"LANG": "xx_ZZ.UTF-8"}) is None
