"""Lookup pickers of the editor form, fed by a tiny async fake provider (not a CRM)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from calldesk.domain.model import LookupItem, Vendor
from calldesk.schema import load_schema
from calldesk.ui.form import EditorForm
from calldesk.ui.form.choice_widgets import OutcomeLookupWidget, SearchLookupWidget

CHOICES = {
    "contacts": [
        LookupItem("contacts", "cont_1", "Dana Ruiz", "dana@example.com"),
        LookupItem("contacts", "cont_2", "Dan Brown"),
        LookupItem("contacts", "cont_3", "Lee Chen"),
    ],
    "outcomes": [
        LookupItem("outcomes", "out_a", "Interested"),
        LookupItem("outcomes", "out_b", "Not interested"),
        LookupItem("outcomes", "out_c", "Call back"),
    ],
}


class FakeLookups:
    """Answers (source, query) from a dict after yielding to the loop, and records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, source: str, query: str) -> list[LookupItem]:
        self.calls.append((source, query))
        await asyncio.sleep(0)
        wanted = query.casefold()
        return [
            item
            for item in CHOICES.get(source, [])
            if wanted in item.label.casefold() or wanted == item.id
        ]


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Poll ``condition`` with a deadline, letting asyncio and (when not qasync) Qt run."""
    deadline = time.monotonic() + timeout
    pumps_qt = "qasync" not in type(asyncio.get_running_loop()).__module__
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
        if pumps_qt:
            QApplication.processEvents()


def make_form(qtbot: QtBot, vendor: Vendor, lookups: FakeLookups) -> EditorForm:
    form = EditorForm(load_schema(vendor), account_name="work", lookups=lookups, search_delay_ms=0)
    qtbot.addWidget(form)
    form.show()
    return form


@pytest.mark.asyncio
async def test_lookup_search_fills_from_the_provider_and_stores_the_id(qtbot: QtBot) -> None:
    lookups = FakeLookups()
    form = make_form(qtbot, Vendor.CLOSE, lookups)
    contact = form.fields["contact_id"]
    assert isinstance(contact, SearchLookupWidget)
    contact.edit.setFocus()

    qtbot.keyClicks(contact.edit, "dan")
    await until(lambda: contact.choice_labels() == ["Dana Ruiz", "Dan Brown"])
    assert ("contacts", "dan") in lookups.calls
    assert contact.local_error() is not None  # typed, nothing picked yet

    contact.choose(0)
    assert contact.edit.text() == "Dana Ruiz"
    assert contact.text() == "cont_1"
    assert form.is_valid(), form.errors()
    assert form.values()["contact_id"] == "cont_1"


@pytest.mark.asyncio
async def test_lookup_shows_the_label_for_a_stored_id(qtbot: QtBot) -> None:
    form = make_form(qtbot, Vendor.CLOSE, FakeLookups())
    form.load_record({"id": "acti_1", "contact_id": "cont_3"}, existing=True)
    contact = form.fields["contact_id"]
    assert isinstance(contact, SearchLookupWidget)
    await until(lambda: contact.edit.text() == "Lee Chen")
    assert contact.text() == "cont_3"
    assert not form.is_dirty()


@pytest.mark.asyncio
async def test_outcome_lookup_lists_every_choice_and_keys_pick(qtbot: QtBot) -> None:
    lookups = FakeLookups()
    form = make_form(qtbot, Vendor.BUILDR, lookups)
    outcome = form.fields["call_outcome_id"]
    assert isinstance(outcome, OutcomeLookupWidget)
    await until(lambda: outcome.choice_labels() == ["Interested", "Not interested", "Call back"])
    assert lookups.calls == [("outcomes", "")]

    drafts: list[dict[str, str]] = []
    form.draft_changed.connect(drafts.append)
    outcome.combo.setFocus()
    qtbot.keyClick(outcome.combo, Qt.Key.Key_2)
    assert outcome.text() == "out_b"
    assert drafts[-1]["call_outcome_id"] == "out_b"
    assert form.values()["call_outcome_id"] == "out_b"
