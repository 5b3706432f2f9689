"""Calls logged in the CRM itself reach the list: on F5, on the window's schedule, and when a
CRM that could not be reached answers again (until then a calm line says so)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from calldesk.domain import Vendor
from calldesk.sandbox import SandboxServer
from calldesk.sandbox.base import iso_offset
from calldesk.sandbox.close import CloseApi
from calldesk.ui.window import MainWindow
from tests.ui.test_ui_window_step4 import _accounts, _first_row, running_window, until


def _log_in_the_crm(api: CloseApi, call_id: str, phone: str) -> None:
    """A call logged in Close itself (its web app or dialer), just now."""
    call = copy.deepcopy(next(iter(api.calls.values())))
    now = iso_offset(datetime.now(UTC))
    call.update(id=call_id, activity_at=now, date_created=now, date_updated=now, phone=phone)
    api.calls[call_id] = call


def _listed(window: MainWindow, remote_id: str) -> bool:
    return any(row.remote_id == remote_id for row in window.model.rows())


@pytest.mark.asyncio
async def test_f5_fetches_calls_logged_in_the_crm(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    assert isinstance(api, CloseApi)
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _first_row(w, "close")  # the first full fetch
        _log_in_the_crm(api, "acti_logged_elsewhere_1", "+16505550111")
        assert not _listed(w, "acti_logged_elsewhere_1")
        w.sync_now()
        await until(lambda: _listed(w, "acti_logged_elsewhere_1"))
        assert w.refresh_timer.isActive()  # and the schedule runs on the real engine


@pytest.mark.asyncio
async def test_the_schedule_fetches_without_being_asked(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    assert isinstance(api, CloseApi)
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _first_row(w, "close")
        _log_in_the_crm(api, "acti_logged_elsewhere_2", "+16505550112")
        w.refresh_timer.setInterval(50)  # the schedule, sped up
        await until(lambda: _listed(w, "acti_logged_elsewhere_2"))


@pytest.mark.asyncio
async def test_a_crm_that_cannot_be_reached_is_said_until_it_answers(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _first_row(w, "close")
        sandbox_server.sandbox.faults.set(Vendor.CLOSE, down=True)
        try:
            await w.refresh_all(recent=True)
            assert w.banner.isVisible()
            assert "close: calls could not be fetched" in w.banner.text()
        finally:
            sandbox_server.sandbox.faults.set(Vendor.CLOSE, down=False)
        await w.refresh_all(recent=True)
        assert "could not be fetched" not in w.banner.text()


@pytest.mark.asyncio
async def test_offline_fetches_nothing_and_coming_back_fetches_what_was_missed(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    assert isinstance(api, CloseApi)
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _first_row(w, "close")
        await w.settle()
        w.set_offline(True)
        await w.settle()
        _log_in_the_crm(api, "acti_logged_while_offline", "+16505550113")
        w.sync_now()  # F5 while offline: nothing goes out, nothing is fetched
        await w.settle()
        assert not _listed(w, "acti_logged_while_offline")
        assert "could not be fetched" not in w.banner.text()
        w.set_offline(False)
        await until(lambda: _listed(w, "acti_logged_while_offline"))
