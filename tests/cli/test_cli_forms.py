"""Every command form the README's command-line summary shows, run as written: once with only
its required arguments and once with every option it lists (against the sandbox CRMs on
127.0.0.1, real files, a temporary ``CALLDESK_HOME``). A README form without both runs fails the
first test."""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from calldesk.cli import Streams, run
from calldesk.domain import Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


#: Commands whose forms run in their own test module (slow engines, their own fixtures): the
#: module must run the command and name every option the README lists for it.
DELEGATED = {"transcribe": ROOT / "tests" / "transcribe" / "test_cli_transcribe.py"}


def readme_forms() -> list[str]:
    """The command forms of the README's ``## The command line`` block (descriptions and
    description-only continuation lines dropped)."""
    text = README.read_text()
    block = re.search(r"## The command line\n.*?```\n(.*?)```", text, re.S)
    assert block is not None
    return [
        re.split(r"\s{2,}", line.strip())[0]
        for line in block.group(1).splitlines()
        if line.startswith("calldesk")
    ]


def words_and_options(form: str) -> tuple[list[str], set[str]]:
    """``calldesk sync [--account NAME]`` → (["sync"], {"--account"}): the command words and
    the optional flags."""
    tokens = form.split()[1:]
    words = []
    for token in tokens:
        if token.startswith(("-", "[")) or not token.islower() or "=" in token:
            break
        words.append(token)
    optional = set(re.findall(r"\[(--[a-z-]+)", form))
    return words, optional


class Runner:
    """Runs ``calldesk`` argv lists in-process, recording what ran and what it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.ran: list[list[str]] = []

    def __call__(self, *argv: str, stdin: str = "", code: int = 0) -> str:
        self.capsys.readouterr()
        streams = Streams(stdin=io.StringIO(stdin), stdout=sys.stdout, stderr=sys.stderr)
        got = run(list(argv), streams=streams)
        out, err = self.capsys.readouterr()
        assert got == code, f"calldesk {' '.join(argv)} exited {got}: {err}"
        self.ran.append(list(argv))
        return out


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"".join(struct.pack("<h", (i * 37) % 2000 - 1000) for i in range(8000)))
    return path


#: The ``sandbox`` and window forms run in their own tests (each in its own process).
SANDBOX_FORMS = [[], ["--host", "127.0.0.1", "--port", "0"]]
WINDOW_FORMS = [[], ["--demo"]]


def test_every_form_with_required_and_with_all_arguments(
    sandbox_server: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    cd = Runner(capsys)
    close_url = sandbox_server.base_url(Vendor.CLOSE)
    monkeypatch.setenv("CLOSE_KEY", SANDBOX_KEYS[Vendor.CLOSE])
    monkeypatch.setenv("PD_KEY", SANDBOX_KEYS[Vendor.PIPEDRIVE])

    assert cd("--version").startswith("calldesk ")
    assert "usage summary:" in cd("--help")

    # accounts: the key from the keyring (required arguments only), or from the environment.
    assert cd("accounts", "add", "k", "--vendor", "close", stdin="api_key_123456").startswith(
        "added k (Close, https://api.close.com)"
    )
    assert cd(
        "accounts", "add", "work", "--vendor", "close",
        "--base-url", close_url, "--api-key-env", "CLOSE_KEY", "--country", "US",
    ).startswith(f"added work (Close, {close_url})")  # fmt: skip
    cd(
        "accounts", "add", "pd", "--vendor", "pipedrive",
        "--base-url", sandbox_server.base_url(Vendor.PIPEDRIVE), "--api-key-env", "PD_KEY",
    )  # fmt: skip
    assert "env:CLOSE_KEY" in cd("accounts", "list")
    assert {a["name"] for a in json.loads(cd("accounts", "list", "--json"))} == {"k", "work", "pd"}
    assert cd("accounts", "remove", "k") == "removed k\n"

    # calls: read, queue, change, delete, attach.
    assert cd("calls", "list", "--account", "work") == ""  # nothing cached before a refresh
    listed = json.loads(cd("calls", "list", "--account", "work", "--refresh", "--json"))
    remote = listed[0]["remote_id"]
    assert remote.startswith("acti_")
    assert cd("calls", "show", "--account", "work", remote).startswith(f"{remote} (synced)")
    assert json.loads(cd("calls", "show", "--account", "work", remote, "--json"))["remote_id"] == (
        remote
    )
    local = cd("calls", "log", "--account", "work", "duration=61").strip()
    assert local.startswith("loc_")
    logged = json.loads(cd("calls", "log", "--account", "work", "duration=62", "--json"))
    assert logged["fields"]["duration"] == 62
    assert cd("calls", "update", "--account", "work", remote, "note_html=<p>ok</p>").startswith(
        "loc_"
    )
    updated = json.loads(
        cd("calls", "update", "--account", "work", local, "note_html=<p>hi</p>", "--json")
    )
    assert updated["local_id"] == local
    assert cd("calls", "delete", "--account", "work", logged["local_id"]).startswith(
        "deleted locally"
    )
    pd_remote = json.loads(cd("calls", "list", "--account", "pd", "--refresh", "--json"))[0][
        "remote_id"
    ]
    wav = _wav(tmp_path / "call.wav")
    assert cd("calls", "attach", "--account", "pd", pd_remote, str(wav)).startswith("queued op_")

    # sync and queue: with nothing but the defaults, then with every option.
    assert cd("queue").startswith("pending ")
    assert len(json.loads(cd("queue", "--json"))) >= 3
    assert cd("sync") == "everything is synced\n"
    assert cd("sync", "--account", "work", "--timeout", "30") == "everything is synced\n"
    assert cd("queue") == "nothing queued\n"

    # match: nobody has this number (exit 3), from the cache or the CRM, then with every option.
    nobody = "+16505550999"
    cd("match", "--account", "work", nobody, code=3)
    assert json.loads(cd("match", "--account", "work", nobody, "--json", "--refresh", code=3)) == []

    ran = cd.ran + [["sandbox", *argv] for argv in SANDBOX_FORMS] + WINDOW_FORMS
    for form in readme_forms():
        words, optional = words_and_options(form)
        if words and words[0] in DELEGATED:
            module = DELEGATED[words[0]].read_text()
            assert f'"{words[0]}"' in module, f"{form!r} never ran"
            assert all(f'"{option}"' in module for option in optional), form
            continue
        runs = [a for a in ran if a[: len(words)] == words and (words or not _has_command(a))]
        assert runs, f"{form!r} never ran"
        assert any(not optional & set(a) for a in runs), f"{form!r} never ran with defaults"
        assert any(optional <= set(a) for a in runs), f"{form!r} never ran with {optional}"


def _has_command(argv: list[str]) -> bool:
    return any(not token.startswith("-") for token in argv)


@pytest.mark.parametrize("argv", SANDBOX_FORMS)
def test_sandbox_serves_with_defaults_and_with_every_option(argv: list[str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldesk", "sandbox", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("calldesk sandbox CRMs at http://127.0.0.1:")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("argv", WINDOW_FORMS)
def test_the_window_forms_open_and_pass_the_smoke_test(argv: list[str], tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CALLDESK_HOME": str(tmp_path / "home"),
        "CALLDESK_SMOKE_TEST": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("calldesk smoke test ok"), result.stdout
