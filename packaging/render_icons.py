"""Render calldesk's SVG icon to the PNG sizes desktops want, plus a Windows .ico and macOS .icns.

    QT_QPA_PLATFORM=offscreen python packaging/render_icons.py [ICONS_DIR]

Reads ``ICONS_DIR/hicolor/scalable/apps/io.github.calldesk.Calldesk.svg`` (default
``resources/icons``) and writes ``hicolor/<n>x<n>/apps/io.github.calldesk.Calldesk.png`` for each
size in ``SIZES``, ``calldesk.ico`` (16–256, PNG-compressed entries) and ``calldesk.icns``
(16–512). Uses Qt's SVG renderer (PySide6-Essentials ships QtSvg), so no other tool is needed.
Run it after editing the SVG and commit the results.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

APP_ID = "io.github.calldesk.Calldesk"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types that hold a PNG of the given edge length.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons"


def svg_path(icons_dir: Path) -> Path:
    """Where the source SVG lives under ``icons_dir``."""
    return icons_dir / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def png_path(icons_dir: Path, size: int) -> Path:
    """Where the PNG of edge ``size`` lives under ``icons_dir`` (the freedesktop layout)."""
    return icons_dir / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render_png(svg: Path, size: int) -> bytes:
    """Render ``svg`` to a ``size``×``size`` PNG with a transparent background."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub wants bytes; Qt wants str
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: Iterable[tuple[int, bytes]]) -> bytes:
    """A Windows .ico holding the given (size, PNG) images (Vista+ reads PNG entries)."""
    images = list(pngs)
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    for size, png in images:
        edge = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", edge, edge, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
    return header + entries + b"".join(png for _, png in images)


def icns_bytes(pngs: Iterable[tuple[int, bytes]]) -> bytes:
    """A macOS .icns holding the given (size, PNG) images."""
    body = b"".join(ICNS_TYPES[size] + struct.pack(">I", 8 + len(png)) + png for size, png in pngs)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def render_all(icons_dir: Path) -> list[Path]:
    """Write every PNG, the .ico and the .icns under ``icons_dir``; returns the files written."""
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["render_icons"])  # kept alive below
    svg = svg_path(icons_dir)
    pngs = {size: render_png(svg, size) for size in SIZES}
    written: list[Path] = []
    for size, png in pngs.items():
        target = png_path(icons_dir, size)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png)
        written.append(target)
    ico = icons_dir / "calldesk.ico"
    ico.write_bytes(ico_bytes((size, pngs[size]) for size in ICO_SIZES))
    icns = icons_dir / "calldesk.icns"
    icns.write_bytes(icns_bytes((size, pngs[size]) for size in ICNS_TYPES))
    del app
    return [*written, ico, icns]


def main(argv: list[str]) -> int:
    """Render into ``argv[0]`` (default: the checkout's ``resources/icons``)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    icons_dir = Path(argv[0]) if argv else DEFAULT_DIR
    for path in render_all(icons_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
