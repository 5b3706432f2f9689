"""The application icon exists at every standard size, in PNG, .ico and .icns, and is current."""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
APP_ID = "io.github.calldesk.Calldesk"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_icons", ROOT / "packaging" / "render_icons.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("render_icons", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("size", SIZES)
def test_png_at_each_size_has_that_size(size: int) -> None:
    png = ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    assert _png_size(png.read_bytes()) == (size, size)


def test_ico_holds_png_entries_from_16_to_256() -> None:
    data = (ICONS / "calldesk.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _, _, _, _, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        edge = width or 256
        assert (width, height) == (edge % 256, edge % 256)
        assert _png_size(data[offset : offset + length]) == (edge, edge)
        sizes.append(edge)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_pngs_from_16_to_512() -> None:
    data = (ICONS / "calldesk.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    position, edges = 8, []
    while position < len(data):
        length = struct.unpack(">I", data[position + 4 : position + 8])[0]
        edges.append(_png_size(data[position + 8 : position + length])[0])
        position += length
    assert edges == [16, 32, 64, 128, 256, 512]


def test_committed_pngs_match_the_svg(tmp_path: Path, qapp: object) -> None:
    """Re-rendering the SVG gives the committed icons (after an SVG edit, re-run the script).

    ``qapp`` makes sure the suite's one QApplication exists before the script asks for an app.
    """
    from PySide6.QtGui import QImage

    render = _renderer()
    svg_dir = tmp_path / "hicolor" / "scalable" / "apps"
    svg_dir.mkdir(parents=True)
    (svg_dir / f"{APP_ID}.svg").write_bytes(render.svg_path(ICONS).read_bytes())
    render.render_all(tmp_path)
    for size in (16, 48, 256):
        fresh = QImage(str(render.png_path(tmp_path, size)))
        committed = QImage(str(render.png_path(ICONS, size)))
        assert fresh.size() == committed.size()
        differing = sum(
            fresh.pixel(x, y) != committed.pixel(x, y) for x in range(size) for y in range(size)
        )
        assert differing <= size * size // 100, f"{size}px icon is stale: {differing} pixels differ"


def test_small_icon_is_not_blank() -> None:
    """At 16 px the tile and the white handset are both there (the icon reads at its smallest)."""
    from PySide6.QtGui import QColor, QImage

    image = QImage(str(ICONS / "hicolor" / "16x16" / "apps" / f"{APP_ID}.png"))
    colours = [QColor(image.pixel(x, y)) for x in range(16) for y in range(16)]
    white = sum(c.red() > 220 and c.green() > 220 and c.blue() > 220 for c in colours)
    blue = sum(c.blue() > 150 and c.red() < 80 for c in colours)
    assert white >= 20 and blue >= 80, (white, blue)
