"""Build calldesk's one-folder PyInstaller bundle and smoke-test it (Linux, Windows, macOS).

    python packaging/build_bundle.py [--system-site-packages | --current-env] [--no-archive]
                                     [--no-smoke]

1. Makes a build environment ``build/bundle-venv`` and installs calldesk (from this checkout,
   not editable) and PyInstaller into it. ``--system-site-packages`` lets the environment reuse
   the PySide6 already installed for the interpreter running this script instead of downloading
   it again (dev machines); leave it off for a clean release build. ``--current-env`` skips the
   build environment and installs PyInstaller into the running interpreter's environment, which
   must already have calldesk installed (``.ci/run``: its throwaway venv; note that a venv made
   from inside a venv would not see that venv's packages, even with ``--system-site-packages``).
2. Runs ``pyinstaller packaging/calldesk.spec`` into ``dist/calldesk/`` (``dist/calldesk.app``
   as well on macOS) and archives it as ``dist/calldesk-<version>-<os>-<arch>.tar.gz`` (``.zip``
   on Windows).
3. Smoke-tests the bundle offscreen: ``calldesk-cli --version``, then the demo window with
   ``CALLDESK_SMOKE_TEST`` (first paint, demo calls loaded, grab saved to ``dist/smoke.png``).

Prints the build time, the bundle's size and the smoke output; exits non-zero if any step fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "calldesk.spec"
WINDOWS = sys.platform == "win32"


def venv_python(env_dir: Path) -> Path:
    """The interpreter inside a virtual environment, on any OS."""
    return env_dir / ("Scripts/python.exe" if WINDOWS else "bin/python")


def run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    """Run a command, echoing it; returns its stdout (raises on a non-zero exit)."""
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run(
        [str(a) for a in args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed ({result.returncode}): {args[0]}")
    return result.stdout


def folder_size(path: Path) -> int:
    """Total bytes of the files under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def build(build_dir: Path, dist_dir: Path, *, system_site: bool, current_env: bool) -> Path:
    """Install the build environment and run PyInstaller; returns the bundle folder."""
    if current_env:
        python = Path(sys.executable)
        run(python, "-m", "pip", "install", "-q", "pyinstaller>=6.10")
    else:
        env_dir = build_dir / "bundle-venv"
        if not venv_python(env_dir).exists():
            venv.EnvBuilder(with_pip=True, system_site_packages=system_site).create(env_dir)
        python = venv_python(env_dir)
        run(python, "-m", "pip", "install", "-q", "--upgrade", "pip")
        run(python, "-m", "pip", "install", "-q", "pyinstaller>=6.10", str(ROOT))
    run(
        python, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", dist_dir, "--workpath", build_dir / "pyinstaller", SPEC,
    )  # fmt: skip
    return dist_dir / "calldesk"


def archive(bundle: Path, dist_dir: Path) -> Path:
    """Pack the bundle folder as dist/calldesk-<version>-<os>-<arch>.tar.gz (.zip on Windows)."""
    version = _version()
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    base = dist_dir / f"calldesk-{version}-{system}-{platform.machine().lower()}"
    made = shutil.make_archive(
        str(base), "zip" if WINDOWS else "gztar", root_dir=dist_dir, base_dir=bundle.name
    )
    return Path(made)


def _version() -> str:
    namespace: dict[str, object] = {}
    exec((ROOT / "calldesk" / "__init__.py").read_text(encoding="utf-8"), namespace)
    return str(namespace["__version__"])


def smoke(bundle: Path, shot: Path) -> None:
    """Run the bundle's --version and its offscreen demo smoke test; print their output."""
    exe = ".exe" if WINDOWS else ""
    with tempfile.TemporaryDirectory(prefix="calldesk-smoke-") as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CALLDESK_HOME": home}
        print(run(bundle / f"calldesk-cli{exe}", "--version", env=env), end="")
        # The GUI executable has no console on Windows: smoke-test through the CLI one there.
        gui = bundle / (f"calldesk-cli{exe}" if WINDOWS else "calldesk")
        env["CALLDESK_SMOKE_TEST"] = str(shot)
        print(run(gui, "--demo", env=env), end="")


def main(argv: list[str]) -> int:
    """Build, archive and smoke-test the bundle; print time and size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--system-site-packages",
        action="store_true",
        help="let the build environment reuse this interpreter's packages (no PySide6 download)",
    )
    parser.add_argument(
        "--current-env",
        action="store_true",
        help="build with this interpreter's environment (calldesk already installed in it)",
    )
    parser.add_argument("--no-archive", action="store_true", help="skip the .tar.gz/.zip")
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke test")
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--dist-dir", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)

    started = time.monotonic()
    bundle = build(
        args.build_dir,
        args.dist_dir,
        system_site=args.system_site_packages,
        current_env=args.current_env,
    )
    print(f"build time: {time.monotonic() - started:.0f} s (environment + PyInstaller)")
    print(f"bundle: {bundle} ({folder_size(bundle) / 2**20:.0f} MiB)")
    if not args.no_archive:
        packed = archive(bundle, args.dist_dir)
        print(f"archive: {packed} ({packed.stat().st_size / 2**20:.0f} MiB)")
    if not args.no_smoke:
        smoke(bundle, args.dist_dir / "smoke.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
