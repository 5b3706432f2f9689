"""The command line's dispatch: every registered command configures, and only the module of the
command being run is imported (``--help`` imports none of them)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calldesk.cli.main import COMMANDS, build_parser, command_name, usage_summary

ROOT = Path(__file__).resolve().parents[2]
COMMAND_MODULES = sorted({c.configure.partition(":")[0] for c in COMMANDS})


def _loaded_after(calldesk_home: Path, argv: list[str]) -> tuple[int, set[str]]:
    code = (
        "import json, sys; from calldesk.cli import run; rc = run(json.loads(sys.argv[1])); "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('calldesk.cli.'))), "
        "file=sys.stderr); sys.exit(rc)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(argv)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={**os.environ, "CALLDESK_HOME": str(calldesk_home)},
    )
    return result.returncode, set(json.loads(result.stderr.splitlines()[-1]))


def test_every_registered_command_configures_and_has_a_handler() -> None:
    parser = build_parser()
    for command in COMMANDS:
        assert command.usage, command.name
        for usage in command.usage:
            assert usage.startswith(command.name), usage
            assert f"calldesk {usage}" in usage_summary()
    args = parser.parse_args(["sync"])
    assert callable(args.handler)
    assert len({c.name for c in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ""),
        (["--version"], ""),
        (["--help"], ""),
        (["sync", "--timeout", "5"], "sync"),
        (["--demo", "calls", "list"], "calls"),
    ],
)
def test_command_name_is_the_first_word(argv: list[str], expected: str) -> None:
    assert command_name(argv) == expected


def test_help_imports_no_command_module(calldesk_home: Path) -> None:
    code, loaded = _loaded_after(calldesk_home, ["--help"])
    assert code == 0
    assert loaded.isdisjoint(COMMAND_MODULES), loaded


def test_a_command_imports_only_its_own_module(calldesk_home: Path) -> None:
    code, loaded = _loaded_after(calldesk_home, ["accounts", "list"])
    assert code == 0
    assert "calldesk.cli.accounts" in loaded
    assert loaded.isdisjoint(set(COMMAND_MODULES) - {"calldesk.cli.accounts"}), loaded


def test_an_unknown_command_is_refused_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from calldesk.cli import run

    assert run(["nonsense"]) == 2
    assert "invalid choice: 'nonsense'" in capsys.readouterr().err
