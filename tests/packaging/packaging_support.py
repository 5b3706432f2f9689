"""Helpers shared by the packaging tests."""

from __future__ import annotations

from pathlib import Path


def assert_window_grab(path: Path) -> None:
    """``path`` is a PNG of a real window: big, and not one flat colour."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), path
    assert image.width() >= 640 and image.height() >= 400, image.size()
    samples = {
        image.pixel(x, y)
        for x in range(0, image.width(), image.width() // 40)
        for y in range(0, image.height(), image.height() // 40)
    }
    assert len(samples) >= 5, f"the grab looks blank ({len(samples)} colours)"
