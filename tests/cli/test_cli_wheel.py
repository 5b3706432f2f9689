"""The built wheel installs and runs on its own, outside the source checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_wheel_installs_and_finds_its_resources(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, cwd=ROOT)
    wheels = list(dist.glob("calldesk-*.whl"))
    assert len(wheels) == 1

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(
        python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--force-reinstall",
        wheels[0], cwd=tmp_path,
    )  # fmt: skip

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env["CALLDESK_HOME"] = str(tmp_path / "home")

    version = _run(venv / "bin" / "calldesk", "--version", cwd=elsewhere, env=env)
    assert version.startswith("calldesk 0.")
    assert "\nQt 6." in version

    probe = (
        "import calldesk, calldesk.resources as r; "
        "print(calldesk.__file__); print(r.resources_dir())"
    )
    package_file, resources = _run(python, "-c", probe, cwd=elsewhere, env=env).splitlines()
    venv_resolved = venv.resolve()
    assert Path(package_file).resolve().is_relative_to(venv_resolved), package_file
    assert not Path(package_file).resolve().is_relative_to(ROOT)
    resources_dir = Path(resources).resolve()
    assert resources_dir.is_relative_to(venv_resolved), resources
    assert (resources_dir / "schemas" / "close.toml").is_file()
