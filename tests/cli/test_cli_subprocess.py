"""The command line as a real process: ``python -m calldesk ...``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

KEY = "api_SUBPROCESS_secret_778899"
ROOT = Path(__file__).resolve().parents[2]


def _calldesk(
    home: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "CALLDESK_HOME": str(home),
        # Never touch a real keyring from tests: the headless default, made explicit.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_version_and_help(calldesk_home: Path) -> None:
    result = _calldesk(calldesk_home, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("calldesk 0.")
    assert "\nQt 6." in result.stdout
    assert "\nPySide6 6." in result.stdout
    result = _calldesk(calldesk_home, "--help")
    assert result.returncode == 0
    assert "accounts" in result.stdout and "sandbox" in result.stdout


def test_accounts_round_trip_with_an_env_key(calldesk_home: Path) -> None:
    env = {"CLOSE_KEY": KEY}
    added = _calldesk(
        calldesk_home,
        "accounts",
        "add",
        "w",
        "--vendor",
        "close",
        "--api-key-env",
        "CLOSE_KEY",
        env=env,
    )
    assert added.returncode == 0, added.stderr
    listed = _calldesk(calldesk_home, "accounts", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [row["name"] for row in json.loads(listed.stdout)] == ["w"]
    assert KEY not in listed.stdout + listed.stderr
    assert KEY not in (calldesk_home / "config" / "accounts.toml").read_text()
    removed = _calldesk(calldesk_home, "accounts", "remove", "w")
    assert removed.returncode == 0, removed.stderr
    listed = _calldesk(calldesk_home, "accounts", "list", "--json")
    assert json.loads(listed.stdout) == []


def test_headless_keyring_is_explained_and_nothing_is_saved(calldesk_home: Path) -> None:
    result = _calldesk(calldesk_home, "accounts", "add", "r", "--vendor", "close", stdin=KEY)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "no system keyring is available" in result.stderr
    assert "--api-key-env VAR" in result.stderr
    assert KEY not in result.stdout + result.stderr
    assert not (calldesk_home / "config" / "accounts.toml").exists()


def test_invalid_field_exits_2_without_a_traceback(calldesk_home: Path) -> None:
    add = _calldesk(
        calldesk_home, "accounts", "add", "A", "--vendor", "close", "--api-key-env", "CLOSE_KEY"
    )
    assert add.returncode == 0, add.stderr
    result = _calldesk(calldesk_home, "calls", "log", "--account", "A", "duration=700000")
    assert result.returncode == 2
    assert result.stderr == "duration: Duration must be at most 7 days (604800 s)\n"
    assert list((calldesk_home / "data").iterdir()) == []


def test_cli_commands_do_not_load_qt(calldesk_home: Path) -> None:
    code = (
        "import sys; from calldesk.cli import run; "
        "rc = run(['accounts', 'list', '--json']); "
        "print('QT', any(m.startswith('PySide6') for m in sys.modules)); sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={**os.environ, "CALLDESK_HOME": str(calldesk_home)},
    )
    assert result.returncode == 0, result.stderr
    assert "QT False" in result.stdout


def test_invalid_utf8_in_a_value_exits_2_with_one_clear_line(calldesk_home: Path) -> None:
    add = _calldesk(
        calldesk_home, "accounts", "add", "A", "--vendor", "close", "--api-key-env", "CLOSE_KEY"
    )
    assert add.returncode == 0, add.stderr
    bad = b"note_html=<p>bad \xff</p>"
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "calls", "log", "--account", "A", bad],
        capture_output=True,
        env={**os.environ, "CALLDESK_HOME": str(calldesk_home)},
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "note_html: is not valid UTF-8 text (byte 0xff at character 18)\n"
    )
