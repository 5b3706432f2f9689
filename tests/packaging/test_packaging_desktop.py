"""The .desktop and AppStream files pass the freedesktop validators and agree with the icons."""

from __future__ import annotations

import configparser
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.calldesk.Calldesk"
DESKTOP = ROOT / "resources" / "desktop" / f"{APP_ID}.desktop"
METAINFO = ROOT / "resources" / "desktop" / f"{APP_ID}.metainfo.xml"


def _validate(*command: str) -> subprocess.CompletedProcess[str]:
    # The validators are Debian packages (desktop-file-utils, appstream) that .ci/run installs.
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_desktop_file_validates() -> None:
    result = _validate("desktop-file-validate", str(DESKTOP))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # no warnings or hints either


def test_metainfo_validates_offline() -> None:
    result = _validate("appstreamcli", "validate", "--no-net", str(METAINFO))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation was successful" in result.stdout
    assert "W: " not in result.stdout and "E: " not in result.stdout, result.stdout


def test_desktop_entry_launches_calldesk_with_the_shipped_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Exec"] == "calldesk"
    assert main["Icon"] == APP_ID
    assert (
        ROOT / "resources" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    ).is_file()
    assert entry["Desktop Action demo"]["Exec"] == "calldesk --demo"


def test_metainfo_names_the_desktop_file_and_the_current_version() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    namespace: dict[str, object] = {}
    exec((ROOT / "calldesk" / "__init__.py").read_text(encoding="utf-8"), namespace)
    releases = component.findall("releases/release")
    assert releases and releases[0].get("version") == namespace["__version__"]
