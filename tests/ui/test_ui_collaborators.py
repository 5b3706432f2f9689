"""The window's collaborators driven alone: the task runner keeps what is spawned before a loop
runs (and says so when it never runs), reports a failing task; the sidebar fills and reads back.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from PySide6.QtWidgets import QTreeWidget
from pytestqt.qtbot import QtBot

from calldesk.ui.sidebar import AccountEntry, SidebarController
from calldesk.ui.tasks import KEEP_LIMIT, TaskRunner


def test_a_coroutine_spawned_before_the_loop_runs_is_kept_then_closed_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran: list[str] = []

    async def work() -> None:
        ran.append("ran")

    runner = TaskRunner(lambda _text: None)
    assert runner.spawn(work()) is None  # no loop runs in this (synchronous) test
    assert runner.kept == 1
    with caplog.at_level(logging.WARNING, logger="calldesk.ui"):
        runner.close_kept()
    assert runner.kept == 0 and ran == []
    assert "window work not run" in caplog.text and "work" in caplog.text


def test_the_kept_coroutines_are_bounded(caplog: pytest.LogCaptureFixture) -> None:
    async def work() -> None:
        return None

    runner = TaskRunner(lambda _text: None)
    with caplog.at_level(logging.WARNING, logger="calldesk.ui"):
        for _ in range(KEEP_LIMIT + 3):
            runner.spawn(work())
        assert runner.kept == KEEP_LIMIT
        assert caplog.text.count("window work dropped") == 3
        runner.close_kept()


@pytest.mark.asyncio
async def test_kept_work_starts_once_the_loop_runs_and_failures_are_reported() -> None:
    ran: list[str] = []
    reported: list[str] = []

    async def work(name: str) -> None:
        ran.append(name)

    async def broken() -> None:
        raise ValueError("the CRM said no")

    runner = TaskRunner(reported.append)
    runner._keep(work("early"))  # as if spawned before the loop ran
    task = runner.spawn(work("later"))
    assert isinstance(task, asyncio.Task)
    runner.spawn(broken())
    await runner.settle()
    assert ran == ["early", "later"]  # the kept one first, in order
    assert reported == ["the CRM said no"]
    assert runner.running == 0


def test_the_sidebar_fills_and_reads_back_alone(qtbot: QtBot) -> None:
    tree = QTreeWidget()
    qtbot.addWidget(tree)
    side = SidebarController(tree, str)
    assert side.accounts() == [] and side.view() == ("all", "")
    chosen: list[tuple[str, str]] = []
    side.attach(chosen.append)
    side.fill(
        [
            AccountEntry("work · Close", "work", "close · http://x", False),
            AccountEntry("home · Pipedrive", "home", "no key", True),
        ]
    )
    assert side.accounts() == ["work", "home"]
    side.show_failed(2)
    assert side.filter_items["failed"].text(0) == "Failed (2)"
    section = tree.topLevelItem(0)
    assert section is not None
    work = section.child(1)
    assert work is not None
    tree.setCurrentItem(work)
    assert chosen == [("account", "work")] and side.chosen_account() == "work"
    side.choose_all()  # silently
    assert chosen == [("account", "work")] and side.view() == ("all", "")
