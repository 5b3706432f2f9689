"""Locate the data files shipped in ``resources/`` (schemas, icons, sample data).

Installed from a wheel they live inside the package as ``calldesk/resources``; in a source checkout
they are the top-level ``resources/`` folder beside the package.
"""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    """Return the directory holding calldesk's shipped data files."""
    here = Path(__file__).resolve().parent
    packaged = here / "resources"
    if packaged.is_dir():
        return packaged
    source = here.parent / "resources"
    if source.is_dir():
        return source
    raise FileNotFoundError(f"calldesk resources not found in {packaged} or {source}")
