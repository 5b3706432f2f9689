"""Fixtures for the store tests: a real SQLite file in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calldesk.domain.model import WireFields
from calldesk.store.local import DB_FILENAME, LocalStore
from calldesk.store.records import CallRow


def row_of(fields: WireFields) -> CallRow:
    """A tiny stand-in for the schema's list_row: enough columns to sort and filter on."""
    when = fields.get("when")
    duration = fields.get("duration")
    return CallRow(
        when_ts=float(when) if isinstance(when, int | float) else None,
        who=str(fields.get("who", "")),
        phone=str(fields.get("phone", "")),
        direction=str(fields.get("direction", "")),
        duration_s=int(duration) if isinstance(duration, int) else None,
        outcome=str(fields.get("outcome", "")),
        note_preview=str(fields.get("note", ""))[:80],
    )


def text_of(fields: WireFields) -> str:
    return " ".join(str(fields.get(key, "")) for key in ("who", "phone", "note"))


def build(account: str, fields: WireFields) -> tuple[CallRow, str]:
    return row_of(fields), text_of(fields)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / DB_FILENAME


@pytest.fixture
def store(db_path: Path) -> Iterator[LocalStore]:
    local = LocalStore.open(db_path, build)
    yield local
    local.close()
