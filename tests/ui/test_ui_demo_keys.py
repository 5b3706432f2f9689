"""In ``--demo`` the accounts dialog keeps keys in memory (nothing reaches the OS keyring) and
lists the demo's own sandbox accounts, read-only, with their names kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import calldesk.app
import calldesk.ui.qtapp
from calldesk.domain.model import Account, KeySource, Vendor
from calldesk.store.accounts import AccountsConfig
from calldesk.store.secrets import MemorySecrets, SecretNotFoundError, Secrets
from calldesk.ui.accounts import AccountsDialog
from calldesk.ui.ports import AccountTools
from tests.conftest import MemoryKeyring
from tests.ui.test_ui_accounts import written


async def _who(account: Account, key: str) -> str:
    return "Dana"


def test_the_demo_window_gets_an_in_memory_key_store(monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[Secrets] = []
    builtin: list[tuple[Account, ...]] = []
    real = calldesk.app.account_tools

    def spy(config: AccountsConfig, secrets: Secrets, **kwargs: object) -> AccountTools:
        tools = real(config, secrets, **kwargs)  # type: ignore[arg-type]
        given.append(secrets)
        builtin.append(tools.builtin)
        return tools

    def no_window(*_args: object, **_kwargs: object) -> int:
        return 0

    monkeypatch.setattr(calldesk.app, "account_tools", spy)
    monkeypatch.setattr(calldesk.ui.qtapp, "run", no_window)

    assert calldesk.app.run_window(demo=True) == 0
    assert len(given) == 1 and isinstance(given[0], MemorySecrets)
    assert [a.vendor for a in builtin[0]] == list(Vendor)  # one sandbox account per CRM


def test_the_demo_dialog_lists_its_sandbox_accounts_read_only(
    qtbot: QtBot, calldesk_home: Path
) -> None:
    config = AccountsConfig(calldesk_home / "config" / "accounts.toml")
    dialog = AccountsDialog(config, MemorySecrets(), _who, builtin=calldesk.app.demo_accounts())
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.account_names() == [v.value for v in Vendor]
    dialog.select_account("close")
    assert dialog.name_edit.text() == "close" and dialog.name_edit.isReadOnly()
    assert not dialog.save_button.isEnabled() and not dialog.remove_button.isEnabled()
    assert not dialog.test_button.isEnabled()
    assert "built into the demo" in dialog.status()
    assert not written(qtbot, dialog)  # even if asked, a demo account does not change
    assert "can't be changed" in (dialog.error() or "")
    # a new account can't take a demo account's name, and one of its own is listed after them
    dialog.new_account()
    assert dialog.save_button.isEnabled() and dialog.test_button.isEnabled()
    dialog.vendor_combo.setCurrentIndex(dialog.vendor_combo.findData(Vendor.CLOSE.value))
    dialog.name_edit.setText("Close")
    dialog.key_edit.setText("api_demo_key_123")
    assert not written(qtbot, dialog)
    assert "already exists" in (dialog.error() or "")
    dialog.name_edit.setText("trial")
    assert written(qtbot, dialog), dialog.error()
    assert dialog.account_names() == [*(v.value for v in Vendor), "trial"]
    assert [a.name for a in config.load()] == ["trial"]  # the file holds only the rep's own


def test_a_key_added_in_the_demo_stays_out_of_the_keyring(
    qtbot: QtBot, calldesk_home: Path, memory_keyring: MemoryKeyring
) -> None:
    secrets = MemorySecrets()
    config = AccountsConfig(calldesk_home / "config" / "accounts.toml")
    dialog = AccountsDialog(config, secrets, _who)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.new_account()
    dialog.vendor_combo.setCurrentIndex(dialog.vendor_combo.findData(Vendor.CLOSE.value))
    dialog.name_edit.setText("trial")
    dialog.keyring_radio.setChecked(True)
    dialog.key_edit.setText("api_demo_key_123")
    assert written(qtbot, dialog), dialog.error()

    account = Account("trial", Vendor.CLOSE, "https://api.close.com", KeySource("keyring", "trial"))
    assert secrets.for_account(account) == "api_demo_key_123"
    assert memory_keyring.get_password("calldesk", "trial") is None
    assert Secrets().delete("trial") is False  # the real keyring never saw it
    assert secrets.delete("trial") is True
    with pytest.raises(SecretNotFoundError):
        secrets.get("trial")


def test_memory_secrets_hand_out_keys_to_the_redactor() -> None:
    seen: list[str] = []
    register: Callable[[str], None] = seen.append
    secrets = MemorySecrets(on_secret=register, environ={"K": "from-env"})
    secrets.check_available()
    secrets.set("a", "k-1")
    assert secrets.get("a") == "k-1"
    assert secrets.from_env("K") == "from-env"
    assert seen == ["k-1", "k-1", "from-env"]
