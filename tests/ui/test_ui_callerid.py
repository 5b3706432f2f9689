"""Journeys: caller ID and national numbers in the real window, typed with the keyboard against
the Close sandbox over a real socket; the assertions are what the rep sees under the phone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from calldesk.app import open_backend
from calldesk.domain import Account, KeySource, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.paths import Paths
from calldesk.ui.window import MainWindow
from tests.helpers.waiting import until


@pytest_asyncio.fixture
async def window(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> AsyncIterator[MainWindow]:
    paths = Paths.under(calldesk_home)
    account = Account(
        "close", Vendor.CLOSE, sandbox_server.base_url(Vendor.CLOSE), KeySource("env", "K"), "US"
    )
    async with open_backend(paths, [account], lambda a: SANDBOX_KEYS[a.vendor]) as backend:
        win = MainWindow(backend, settings_path=paths.config_dir / "window.ini")
        qtbot.addWidget(win)
        win.show()
        win.start()
        try:
            await until(lambda: win.form is not None)
            yield win
        finally:
            win.close()
            await win.shutdown()  # keeps the typed draft and stops its timer


def _contacts(server: SandboxServer) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = server.sandbox.apis[Vendor.CLOSE].contacts
    return contacts


def _type_phone(qtbot: QtBot, window: MainWindow, text: str) -> Any:
    form = window.form
    assert form is not None
    edit = form.fields["phone"].focus_widget()
    edit.setFocus()
    edit.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)
    return form


def _assist(window: MainWindow) -> Any:
    return window.editor.assists["close"]


@pytest.mark.asyncio
async def test_one_match_links_the_contact_and_its_lead(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    ada = _contacts(sandbox_server)[0]
    national = ada["phones"][0]["phone"].removeprefix("+1")  # typed as the rep says it
    form = _type_phone(qtbot, window, f"({national[:3]}) {national[3:6]}-{national[6:]}")
    assist = _assist(window)
    await until(lambda: "linked" in assist.status_text())
    assert assist.status_text().startswith(f"{ada['name']}")
    assert assist.choice_texts() == []
    await until(lambda: form.fields["contact_id"].focus_widget().text() == ada["name"])
    assert form.fields["contact_id"].text() == ada["id"]
    assert form.fields["lead_id"].text() == ada["lead_id"]
    assert form.values()["phone"] == ada["phones"][0]["phone"]  # sent as E.164


@pytest.mark.asyncio
async def test_several_matches_offer_a_picker_and_enter_links_the_chosen(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    contacts = _contacts(sandbox_server)
    shared = contacts[0]["phones"][0]["phone"]
    contacts[1]["phones"].append({"phone": shared, "type": "office"})
    form = _type_phone(qtbot, window, shared)
    assist = _assist(window)
    await until(lambda: "2 records have" in assist.status_text())
    assert [row.split(" · ")[0].split(" (")[0] for row in assist.choice_texts()] == [
        contacts[0]["name"],
        contacts[1]["name"],
    ]
    assert form.fields["contact_id"].text() == ""  # nothing linked by a guess
    assist.choices.setFocus()
    qtbot.keyClick(assist.choices, Qt.Key.Key_Down)
    qtbot.keyClick(assist.choices, Qt.Key.Key_Return)
    await until(lambda: form.fields["contact_id"].text() == contacts[1]["id"])
    assert assist.status_text().startswith(contacts[1]["name"])
    assert assist.status_text().endswith("linked.")
    assert assist.choice_texts() == []


@pytest.mark.asyncio
async def test_nobody_has_it_is_said_plainly(qtbot: QtBot, window: MainWindow) -> None:
    form = _type_phone(qtbot, window, "+1 650 555 0000")
    assist = _assist(window)
    await until(lambda: assist.status_text() == "Nobody in Close has +1 650-555-0000.")
    assert form.fields["contact_id"].text() == ""


@pytest.mark.asyncio
async def test_offline_answers_from_the_cache_and_says_when_it_cannot(
    qtbot: QtBot, window: MainWindow, sandbox_server: SandboxServer
) -> None:
    ada = _contacts(sandbox_server)[0]
    form = _type_phone(qtbot, window, ada["phones"][0]["phone"])
    assist = _assist(window)
    await until(lambda: form.fields["contact_id"].text() == ada["id"])
    assert assist.status_text().endswith("linked.")
    window.set_offline(True)
    await until(lambda: window.banner.isVisibleTo(window))
    form = _type_phone(qtbot, window, "")
    assert form.fields["contact_id"].text() == ada["id"]
    form.set_field_text("contact_id", "")
    form = _type_phone(qtbot, window, ada["phones"][0]["phone"])  # known: answered offline
    await until(lambda: form.fields["contact_id"].text() == ada["id"])
    assert assist.status_text().endswith("linked.")
    _type_phone(qtbot, window, "+1 650 555 0001")  # never asked: nothing to answer with
    await until(lambda: assist.status_text().startswith("Offline: Close can't be asked."))
    assert "No earlier answer for +1 650-555-0001 is kept here." in assist.status_text()


@pytest.mark.asyncio
async def test_national_and_unknown_numbers_are_read_with_the_accounts_country(
    qtbot: QtBot, window: MainWindow
) -> None:
    form = _type_phone(qtbot, window, "6505551234")
    phone = form.fields["phone"]
    await until(lambda: form.values().get("phone") == "+16505551234")
    assert phone.error() is None
    form = _type_phone(qtbot, window, "5551234567")  # Apollo's documented example
    await until(lambda: form.values().get("phone") == "+15551234567")
    assert phone.error() is None
    assert "not in a number range calldesk knows" in phone.notes()
    form = _type_phone(qtbot, window, "1-800-FLOWERS")
    await until(lambda: form.values().get("phone") == "+18003569377")
    assert phone.notes() == "Letters read as digits: +1 800-356-9377"
    form = _type_phone(qtbot, window, "650 555")
    await until(lambda: phone.error() is not None)
    assert "too short" in (phone.error() or "")
