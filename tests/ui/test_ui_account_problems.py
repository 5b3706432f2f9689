"""An account that cannot sync says so calmly in the window's banner, with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from calldesk.domain import Account, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.store.secrets import SecretNotFoundError
from tests.ui.test_ui_window_step4 import _accounts, running_window, until


@pytest.mark.asyncio
async def test_missing_and_refused_keys_show_in_the_banner(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    def secret_for(account: Account) -> str:
        if account.vendor is Vendor.PIPEDRIVE:
            raise SecretNotFoundError("the environment variable K_PIPEDRIVE is not set")
        if account.vendor is Vendor.APOLLO:
            return "not-the-right-key"
        return SANDBOX_KEYS[account.vendor]

    accounts = _accounts(sandbox_server, Vendor.CLOSE, Vendor.PIPEDRIVE, Vendor.APOLLO)
    async with running_window(qtbot, calldesk_home, accounts, secret_for=secret_for) as window:
        await until(lambda: window.banner.isVisible())
        assert window.banner.text().startswith(
            "pipedrive can't sync: the environment variable K_PIPEDRIVE is not set."
        )
        assert "apollo" not in window.banner.text()
        # A save for the account whose key the CRM refuses: kept, and the banner says why.
        await window.service.log_call("apollo", {})
        window.sync_now()
        await until(lambda: "apollo refused its key" in window.banner.text())
        assert "fix the key in Accounts" in window.banner.text()
        counts = await window.service.counts("apollo")
        assert counts.needs_auth == 1  # nothing lost
