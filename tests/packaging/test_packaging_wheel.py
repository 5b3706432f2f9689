"""The release artefacts: sdist and wheel carry the resources; the wheel runs from a fresh venv.

The wheel goes into a new virtual environment with ``--no-index --no-deps``; its dependencies
(PySide6 alone is ~85 MB) come from the environment running the tests, never from the base
interpreter or the network: a ``.pth`` file puts the running environment's site-packages
directories on the new venv's path (after its own, and without their ``.pth`` files, so the
checkout's editable install stays out), and ``pip check`` proves they satisfy what the wheel
declares. calldesk itself is imported from the venv, away from the source checkout.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.packaging.packaging_support import assert_window_grab

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.calldesk.Calldesk"
SHIPPED = (
    "schemas/apollo.toml",
    "schemas/close.toml",
    "schemas/pipedrive.toml",
    "schemas/buildr.toml",
    f"icons/hicolor/scalable/apps/{APP_ID}.svg",
    *(f"icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in (16, 24, 32, 48, 64, 128, 256, 512)),
    "icons/calldesk.ico",
    "icons/calldesk.icns",
    f"desktop/{APP_ID}.desktop",
    f"desktop/{APP_ID}.metainfo.xml",
)


def _run(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
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
    return result


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``python -m build``: the sdist, then the wheel built from that sdist."""
    dist = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, cwd=ROOT)
    (sdist,) = dist.glob("calldesk-*.tar.gz")
    (wheel,) = dist.glob("calldesk-*.whl")
    return sdist, wheel


@pytest.mark.slow
def test_wheel_carries_schemas_icons_and_desktop_files(artefacts: tuple[Path, Path]) -> None:
    _, wheel = artefacts
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for shipped in SHIPPED:
            assert f"calldesk/resources/{shipped}" in names, shipped
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "calldesk = calldesk.__main__:main" in archive.read(entry_points).decode()
    assert not any(name.startswith(("tests/", "packaging/")) for name in names)


@pytest.mark.slow
def test_sdist_carries_resources_and_the_packaging_recipe(artefacts: tuple[Path, Path]) -> None:
    sdist, _ = artefacts
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for shipped in SHIPPED:
        assert f"resources/{shipped}" in names, shipped
    for recipe in ("packaging/calldesk.spec", "packaging/build_bundle.py", "pyproject.toml"):
        assert recipe in names, recipe


def venv_on_running_environment(venv: Path) -> Path:
    """A new venv whose dependencies come from the environment running the tests; its python."""
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=venv.parent)
    python = venv / "bin" / "python"
    own = _run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=venv)
    running = [path for path in site.getsitepackages() if Path(path).is_dir()]
    Path(own.stdout.strip(), "_running_environment.pth").write_text("\n".join(running) + "\n")
    return python


@pytest.mark.slow
def test_installed_wheel_finds_its_resources_prints_versions_and_passes_the_smoke_test(
    artefacts: tuple[Path, Path], tmp_path: Path
) -> None:
    _, wheel = artefacts
    venv = tmp_path / "venv"
    python = venv_on_running_environment(venv)
    _run(
        python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--force-reinstall",
        "--no-cache-dir", wheel, cwd=tmp_path,
    )  # fmt: skip
    check = _run(python, "-m", "pip", "check", cwd=tmp_path)
    assert "No broken requirements found" in check.stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    }
    env.update(QT_QPA_PLATFORM="offscreen", CALLDESK_HOME=str(tmp_path / "home"))
    calldesk = venv / "bin" / "calldesk"

    version = _run(calldesk, "--version", cwd=elsewhere, env=env).stdout.splitlines()
    assert version[0].startswith("calldesk 0.")
    assert version[1].startswith("Qt 6."), version
    assert version[2].startswith("PySide6 6."), version

    probe = (
        "import calldesk, calldesk.resources as r, PySide6; "
        "print(calldesk.__file__); print(r.resources_dir()); print(PySide6.__file__)"
    )
    package_file, resources, pyside = _run(
        python, "-c", probe, cwd=elsewhere, env=env
    ).stdout.split()
    # PySide6 is the running environment's, whatever the base interpreter has.
    assert any(Path(pyside).is_relative_to(p) for p in site.getsitepackages()), pyside
    venv_resolved = venv.resolve()
    assert Path(package_file).resolve().is_relative_to(venv_resolved), package_file
    assert not Path(package_file).resolve().is_relative_to(ROOT)
    resources_dir = Path(resources).resolve()
    assert resources_dir.is_relative_to(venv_resolved), resources
    assert (resources_dir / "schemas" / "close.toml").is_file()

    shot = tmp_path / "smoke.png"
    smoke = _run(calldesk, "--demo", cwd=elsewhere, env={**env, "CALLDESK_SMOKE_TEST": str(shot)})
    assert smoke.stdout.startswith("calldesk smoke test ok: window painted"), smoke.stdout
    assert_window_grab(shot)
