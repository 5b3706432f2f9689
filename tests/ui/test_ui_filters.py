"""The list's filter menu over the real store and the Close sandbox: outcome, sync status and
date range narrow the list (and say so on the button); the sidebar's views and the menu replace
each other's status and date; "Clear filters" brings every call back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from calldesk.domain import SyncState, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.ui.filters import day_range
from calldesk.ui.window import MainWindow
from tests.ui.test_ui_window_step4 import _accounts, _first_row, running_window, until


async def _settled(window: MainWindow) -> None:
    await window.settle()
    await until(lambda: not window.model.loading)


def test_day_ranges_are_local_days() -> None:
    today = QDate(2026, 11, 21)
    midnight = time.mktime((2026, 11, 21, 0, 0, 0, 0, 0, -1))
    assert day_range("today", today) == (midnight, time.mktime((2026, 11, 22, 0, 0, 0, 0, 0, -1)))
    since, until_ = day_range("yesterday", today)
    assert until_ == midnight and since == time.mktime((2026, 11, 20, 0, 0, 0, 0, 0, -1))
    since, until_ = day_range("month", today)
    assert since == time.mktime((2026, 11, 1, 0, 0, 0, 0, 0, -1))
    assert until_ == time.mktime((2026, 12, 1, 0, 0, 0, 0, 0, -1))
    first, last = QDate(2026, 3, 9), QDate(2026, 3, 2)  # given the wrong way round
    since, until_ = day_range("custom", today, first, last)
    assert since == time.mktime((2026, 3, 2, 0, 0, 0, 0, 0, -1))
    assert until_ == time.mktime((2026, 3, 10, 0, 0, 0, 0, 0, -1))
    assert day_range("any", today) == (None, None)


@pytest.mark.asyncio
async def test_the_filter_menu_narrows_the_list_and_says_so(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _first_row(w, "close")
        await _settled(w)
        everything = w.model.total()
        await w.filters.load_outcomes()
        outcomes = w.filters._known_outcomes
        assert outcomes and outcomes == sorted(outcomes, key=str.casefold)
        picked = outcomes[0]

        w.filters.set_outcome(picked)
        await _settled(w)
        rows = w.model.rows()
        assert rows and all(r.outcome == picked for r in rows)
        assert 0 < w.model.total() < everything
        assert picked in w.filter_button.text()

        w.filters._status_actions["pending"].trigger()  # the menu's own action
        await _settled(w)
        assert w.model.total() == 0  # nothing of that outcome is waiting to be sent
        assert "Pending" in w.filter_button.text()

        w.filters.clear_action.trigger()
        await _settled(w)
        assert w.model.total() == everything
        assert w.filter_button.text() == "Filter"

        w.filters.set_range("today")
        await _settled(w)
        since, until_ = day_range("today", QDate.currentDate())
        assert since is not None and until_ is not None
        assert all(since <= (r.when_ts or 0) < until_ for r in w.model.rows())
        assert "Today" in w.filter_button.text()
        w.filters.set_range("custom", QDate(2001, 1, 1), QDate(2001, 1, 2))
        await _settled(w)
        assert w.model.total() == 0 and "01 Jan – 02 Jan" in w.filter_button.text()


@pytest.mark.asyncio
async def test_the_sidebar_views_and_the_menu_replace_each_other(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)) as w:
        await _first_row(w, "close")
        w.filters.set_status("synced")
        w.sidebar.setCurrentItem(w.filter_items["failed"])  # the view's status wins
        await _settled(w)
        assert w.filters.choice.status is None
        assert w.model.query.states == (SyncState.FAILED,)
        w.filters.set_status("synced")  # and the menu's wins back, leaving the view
        await _settled(w)
        assert w.sidebar.currentItem() is w.all_item
        assert w.model.query.states == (SyncState.SYNCED,)
        assert w.model.total() > 0
        w.sidebar.setCurrentItem(w.filter_items["week"])
        await _settled(w)
        assert w.filters.choice.status == "synced"  # a date view keeps the status
        w.filters.set_range("yesterday")
        await _settled(w)
        assert w.sidebar.currentItem() is w.all_item
        assert w.model.query.since == w.filters.choice.since
