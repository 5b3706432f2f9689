"""``CALLDESK_SMOKE_TEST``: the demo window checks itself offscreen and exits 0, or 1 on a fault."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from calldesk.ui.smoke import DEFAULT_TIMEOUT, SmokeTest
from tests.packaging.packaging_support import assert_window_grab

ROOT = Path(__file__).resolve().parents[2]


def run_demo(env_extra: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    """``python -m calldesk --demo`` offscreen, with the given environment additions."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALLDESK_HOME": str(home), **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "calldesk", "--demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_smoke_test_of_the_demo_exits_0_and_saves_the_grab(tmp_path: Path) -> None:
    shot = tmp_path / "smoke.png"
    result = run_demo({"CALLDESK_SMOKE_TEST": str(shot)}, tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("calldesk smoke test ok: window painted, "), result.stdout
    calls = int(result.stdout.split("painted, ")[1].split(" calls")[0])
    assert calls > 0
    assert_window_grab(shot)


def test_smoke_test_fails_when_the_grab_cannot_be_saved(tmp_path: Path) -> None:
    result = run_demo({"CALLDESK_SMOKE_TEST": str(tmp_path / "missing" / "x.png")}, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "smoke test FAILED: could not save" in result.stderr
    assert "smoke test ok" not in result.stdout


def test_smoke_test_fails_when_the_window_misses_its_deadline(tmp_path: Path) -> None:
    result = run_demo({"CALLDESK_SMOKE_TEST": "1", "CALLDESK_SMOKE_TIMEOUT": "0.001"}, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "smoke test FAILED" in result.stderr


def test_smoke_settings_from_the_environment() -> None:
    assert SmokeTest.from_env({}) is None
    assert SmokeTest.from_env({"CALLDESK_SMOKE_TEST": "0"}) is None
    plain = SmokeTest.from_env({"CALLDESK_SMOKE_TEST": "1"})
    assert plain is not None and plain.shot is None and plain.timeout == DEFAULT_TIMEOUT
    shot = SmokeTest.from_env({"CALLDESK_SMOKE_TEST": "/x/y.png", "CALLDESK_SMOKE_TIMEOUT": "5"})
    assert shot is not None and shot.shot == Path("/x/y.png") and shot.timeout == 5.0


def test_exit_code_is_a_failure_until_the_check_has_run() -> None:
    smoke = SmokeTest()
    assert smoke.exit_code(0) == 1  # the window closed before the smoke test answered
    smoke.result.code = 0
    assert smoke.exit_code(0) == 0
    assert smoke.exit_code(2) == 2  # the window's own failure wins
