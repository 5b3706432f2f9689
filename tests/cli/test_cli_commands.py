"""The command line run in-process through ``calldesk.cli.run``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from calldesk.cli import Streams, run
from calldesk.store.paths import Paths
from tests.conftest import MemoryKeyring

KEY = "api_SECRET_close_123456"


def _stdin(text: str) -> Streams:
    import sys

    return Streams(stdin=io.StringIO(text), stdout=sys.stdout, stderr=sys.stderr)


def _add_env_account(name: str, vendor: str, var: str, *extra: str) -> int:
    return run(["accounts", "add", name, "--vendor", vendor, "--api-key-env", var, *extra])


def _accounts_file(home: Path) -> Path:
    return home / "config" / "accounts.toml"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("accounts", "calls", "sync", "queue", "sandbox", "--demo", "--version"):
        assert command in out
    for line in ("calls log --account NAME FIELD=VALUE", "accounts remove NAME"):
        assert line in out


def test_version_prints_calldesk_qt_and_pyside(capsys: pytest.CaptureFixture[str]) -> None:
    import PySide6

    import calldesk

    assert run(["--version"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"calldesk {calldesk.__version__}"
    assert lines[1].startswith("Qt 6.")
    assert lines[2] == f"PySide6 {PySide6.__version__}"


class _WindowRoot:
    """A composition root whose window records how it was asked to open."""

    def __init__(self) -> None:
        self.opened: list[bool] = []

    def version_text(self) -> str:
        return "calldesk test"

    def run_window(self, *, demo: bool) -> int:
        self.opened.append(demo)
        return 0

    def cli_context(self, streams: object) -> object:
        raise AssertionError("the window commands need no command context")


def test_no_command_opens_the_window_and_demo_opens_it_on_the_sandbox() -> None:
    root = _WindowRoot()
    assert run([], root=root) == 0  # type: ignore[arg-type]
    assert run(["--demo"], root=root) == 0  # type: ignore[arg-type]
    assert root.opened == [False, True]


def test_demo_with_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--demo", "queue"]) == 2
    assert "--demo only applies to the window" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["accounts", "add", "x", "--vendor", "hubspot"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert run(["calls", "log", "duration=5"]) == 2
    assert "--account" in capsys.readouterr().err


def test_add_list_remove_with_an_env_key(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOSE_KEY", KEY)
    assert _add_env_account("work", "close", "CLOSE_KEY") == 0
    assert "added work (Close, https://api.close.com)" in capsys.readouterr().out

    assert run(["accounts", "list"]) == 0
    out = capsys.readouterr().out
    assert "work" in out and "https://api.close.com" in out and "env:CLOSE_KEY" in out
    assert KEY not in out

    assert run(["accounts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "name": "work",
            "vendor": "close",
            "base_url": "https://api.close.com",
            "key_source": "env",
            "key_env": "CLOSE_KEY",
            "country": None,
        }
    ]
    assert KEY not in _accounts_file(calldesk_home).read_text()

    assert run(["accounts", "remove", "work"]) == 0
    assert run(["accounts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("removed work\n")[-1]) == []


def test_env_key_that_is_unset_is_accepted_with_a_note(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _add_env_account("later", "apollo", "NOT_SET_YET_KEY") == 0
    assert "NOT_SET_YET_KEY is not set" in capsys.readouterr().err


def test_add_with_the_keyring_reads_the_key_from_stdin(
    calldesk_home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["accounts", "add", "ring", "--vendor", "close"], streams=_stdin(KEY + "\n"))
    assert code == 0
    assert memory_keyring.store == {("calldesk", "ring"): KEY}
    text = _accounts_file(calldesk_home).read_text()
    assert 'key_source = "keyring"' in text
    assert KEY not in text

    assert run(["accounts", "list"]) == 0
    out = capsys.readouterr().out
    assert "keyring" in out and KEY not in out

    assert run(["accounts", "remove", "ring"]) == 0
    assert memory_keyring.store == {}
    assert 'name = "ring"' not in _accounts_file(calldesk_home).read_text()


def test_add_with_the_keyring_uses_a_hidden_prompt_on_a_tty(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    def fake_getpass(prompt: str, stream: object = None) -> str:
        prompts.append(prompt)
        return "typed-key-4567"

    monkeypatch.setattr("calldesk.cli.accounts.getpass.getpass", fake_getpass)
    streams = Streams(stdin=Tty(), stdout=io.StringIO(), stderr=io.StringIO())
    assert run(["accounts", "add", "tty", "--vendor", "apollo"], streams=streams) == 0
    assert prompts == ["API key for tty: "]
    assert memory_keyring.store == {("calldesk", "tty"): "typed-key-4567"}


def test_no_keyring_says_so_and_saves_nothing(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    code = run(["accounts", "add", "ring", "--vendor", "close"], streams=_stdin(KEY))
    assert code == 1
    err = capsys.readouterr().err
    assert "no system keyring is available" in err
    assert "--api-key-env" in err
    assert KEY not in err
    assert not _accounts_file(calldesk_home).exists()


def test_plain_http_is_refused_for_other_hosts(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _add_env_account("x", "close", "K", "--base-url", "http://api.close.com")
    assert code == 2
    assert "plain http" in capsys.readouterr().err
    assert not _accounts_file(calldesk_home).exists()
    assert _add_env_account("local", "close", "K", "--base-url", "http://127.0.0.1:8123/close") == 0


def test_pipedrive_without_base_url_is_refused(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add_env_account("pd", "pipedrive", "PD_KEY") == 2
    assert (
        "calldesk: Pipedrive has no default base URL: pass --base-url https://COMPANY.pipedrive.com"
    ) in capsys.readouterr().err
    assert not _accounts_file(calldesk_home).exists()
    assert (
        _add_env_account("pd", "pipedrive", "PD_KEY", "--base-url", "https://acme.pipedrive.com")
        == 0
    )


def test_buildr_key_must_be_client_id_and_secret(
    calldesk_home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["accounts", "add", "b", "--vendor", "buildr"], streams=_stdin("nocolon-secret"))
    assert code == 1
    err = capsys.readouterr().err
    assert "CLIENT_ID:CLIENT_SECRET" in err
    assert "nocolon-secret" not in err
    assert memory_keyring.store == {}
    assert not _accounts_file(calldesk_home).exists()
    assert run(["accounts", "add", "b", "--vendor", "buildr"], streams=_stdin("cid:csecret")) == 0


def test_duplicate_names_are_refused_before_asking_for_a_key(
    memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add_env_account("dup", "close", "K") == 0
    code = run(["accounts", "add", "DUP", "--vendor", "close"], streams=_stdin("other-key"))
    assert code == 1
    assert "'DUP' already exists" in capsys.readouterr().err
    assert memory_keyring.store == {}


def test_removing_an_unknown_account_fails_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["accounts", "remove", "ghost"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("calldesk: no account named 'ghost'")
    assert "Traceback" not in err


def test_invalid_close_duration_exits_2_and_stores_nothing(
    calldesk_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add_env_account("A", "close", "CLOSE_KEY") == 0
    capsys.readouterr()
    assert run(["calls", "log", "--account", "A", "duration=700000"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["duration: Duration must be at most 7 days (604800 s)"]
    data_dir = Paths.from_env().data_dir
    assert list(data_dir.iterdir()) == []


def test_every_field_error_gets_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _add_env_account("A", "close", "CLOSE_KEY") == 0
    capsys.readouterr()
    code = run(["calls", "log", "--account", "A", "duration=700000", "nonsense=1", "oops"])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == ["'oops' is not FIELD=VALUE"]
    assert run(["calls", "log", "--account", "A", "duration=700000", "nonsense=1"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("nonsense: Close calls have no field 'nonsense'")
    assert lines[1] == "duration: Duration must be at most 7 days (604800 s)"


def test_calls_attach_checks_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _add_env_account("A", "close", "CLOSE_KEY") == 0
    capsys.readouterr()
    missing = tmp_path / "missing.mp3"
    code = run(["calls", "attach", "--account", "A", "acti_1", str(missing)])
    err = capsys.readouterr().err
    assert code != 0 and code != 3
    assert str(missing) in err


def test_unknown_account_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["calls", "log", "--account", "nobody", "duration=5"]) == 1
    err = capsys.readouterr().err
    assert err == "calldesk: no account named 'nobody' (accounts: none yet)\n"


def test_sync_rejects_a_bad_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["sync", "--timeout", "-1"]) == 2
    assert "more than 0 seconds" in capsys.readouterr().err


def test_commands_log_without_secrets(calldesk_home: Path, memory_keyring: MemoryKeyring) -> None:
    assert run(["accounts", "add", "ring", "--vendor", "close"], streams=_stdin(KEY)) == 0
    log = calldesk_home / "logs" / "calldesk.log"
    text = log.read_text()
    assert "added account 'ring'" in text
    assert KEY not in text
