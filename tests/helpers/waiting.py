"""Waiting on a condition in the asyncio tests of the window: poll it with a deadline, letting
asyncio and Qt run between tries (never a fixed sleep as synchronisation)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Return once ``condition()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
        QApplication.processEvents()
