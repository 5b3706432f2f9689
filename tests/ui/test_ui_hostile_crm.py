"""What a rep sees when a CRM's address answers with a self-signed certificate: the banner names
the certificate problem (not "could not connect"), F5 tries again, and the rep's save is kept."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import pytest
import trustme
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from calldesk.domain import Account, KeySource, Vendor
from tests.helpers.hostile import Conn, Request, hostile, http_answer
from tests.ui.test_ui_window_step4 import running_window, until


def _answer(request: Request, conn: Conn) -> None:
    conn.send(http_answer(200, {"data": [], "has_more": False}))


@pytest.mark.asyncio
async def test_a_self_signed_certificate_is_named_in_the_banner(
    qtbot: QtBot, calldesk_home: Path
) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with hostile(_answer, tls=context) as server:
        account = Account("close", Vendor.CLOSE, server.base_url, KeySource("env", "K"))
        async with running_window(
            qtbot, calldesk_home, [account], secret_for=lambda _a: "ck_live_key_0123456789"
        ) as window:
            record = await window.service.log_call("close", {"duration": 5})
            window.activateWindow()
            window.table.setFocus()
            await until(window.table.hasFocus)
            QTest.keyClick(window.table, Qt.Key.Key_F5)  # the rep fetches (and sends) now
            await until(lambda: "certificate" in window.banner.text())
            banner = window.banner.text()
            assert "Offline" not in banner  # the network is up; the CRM's certificate is not
            assert banner.startswith("close: calls could not be fetched (Close: its certificate")
            assert "not valid" in banner and "could not connect" not in banner
            assert "certificate is not valid" in window.statusBar().currentMessage()
            counts = await window.service.counts("close")
            assert counts.total == 1  # the rep's save is kept, waiting
            assert (await window.service.find("close", record.local_id)).local_id
            if os.environ.get("CALLDESK_SCREENSHOTS"):
                window.grab().save(os.environ["CALLDESK_SCREENSHOTS"])


def _limiting(request: Request, conn: Conn) -> None:
    if request.method == "POST":  # the CRM limits us: wait 300 s
        conn.send(http_answer(429, {"error": "slow down"}, {"Retry-After": "300"}))
    else:
        conn.send(http_answer(200, {"data": [], "has_more": False}))


@pytest.mark.asyncio
async def test_f5_during_a_rate_limit_block_sends_nothing_and_says_so(
    qtbot: QtBot, calldesk_home: Path
) -> None:
    with hostile(_limiting) as server:
        account = Account("close", Vendor.CLOSE, server.base_url, KeySource("env", "K"))
        async with running_window(
            qtbot, calldesk_home, [account], secret_for=lambda _a: "ck_live_key_0123456789"
        ) as window:
            await window.service.log_call("close", {"duration": 5})
            window.activateWindow()
            window.table.setFocus()
            await until(window.table.hasFocus)
            QTest.keyClick(window.table, Qt.Key.Key_F5)  # sends the call: the CRM says 429
            syncer = window.backend.engine.syncers["close"]
            # A fetch that was already past the pacer when the 429 came may still be answered:
            # count once the block holds and no fetch is under way.
            await until(lambda: syncer.pacer.blocked_until > 0 and not window.refresher.running)
            sent = len(server.requests)
            QTest.keyClick(window.table, Qt.Key.Key_F5)  # the rep insists
            await until(lambda: "slow down" in window.banner.text())
            assert "not sent" in window.banner.text()
            assert "Offline" not in window.banner.text()
            assert len(server.requests) == sent  # the block holds the reads too
            counts = await window.service.counts("close")
            assert counts.pending == 1 and counts.failed == 0  # the call waits its turn
