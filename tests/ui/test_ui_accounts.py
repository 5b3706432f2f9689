"""The accounts dialog over a real accounts.toml and the test suite's in-memory keyring."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from calldesk.domain.model import Account, KeySource, Vendor
from calldesk.store.accounts import AccountsConfig
from calldesk.store.secrets import Secrets
from calldesk.ui.accounts import AccountsDialog
from tests.conftest import MemoryKeyring
from tests.helpers.shots import shots_dir
from tests.helpers.waiting import until as wait_until

SECRET = "sk-test-7f3a9c1e"


def written(qtbot: QtBot, dialog: AccountsDialog) -> bool:
    """Save the dialog's form as its button does; wait until the write (off the GUI thread)
    ended; whether it was written."""
    with qtbot.waitSignal(dialog.write_finished, timeout=5000) as blocker:
        dialog.save()
    return bool(blocker.args[0])


def shot(widget: QWidget, name: str) -> None:
    assert widget.grab().save(str(shots_dir() / f"accounts-{name}.png"))


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """``tests.helpers.waiting.until``, with this file's deadline."""
    await wait_until(condition, timeout)


class FakeTest:
    """Answers a connection test like an adapter's ``check_auth``, recording what it was given."""

    def __init__(self, answer: str = "Dana Ruiz <dana@example.com>", fail: bool = False) -> None:
        self.answer = answer
        self.fail = fail
        self.calls: list[tuple[Account, str]] = []

    async def __call__(self, account: Account, key: str) -> str:
        self.calls.append((account, key))
        await asyncio.sleep(0)
        if self.fail:
            raise PermissionError("the CRM refused the key (401)")
        return self.answer


@pytest.fixture
def config(calldesk_home: Path) -> AccountsConfig:
    return AccountsConfig(calldesk_home / "config" / "accounts.toml")


def make_dialog(
    qtbot: QtBot, config: AccountsConfig, test: FakeTest | None = None
) -> AccountsDialog:
    dialog = AccountsDialog(config, Secrets(), test or FakeTest())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill(
    dialog: AccountsDialog,
    vendor: Vendor,
    name: str,
    *,
    url: str | None = None,
    key: str | None = None,
    env: str | None = None,
) -> None:
    dialog.new_account()
    dialog.vendor_combo.setCurrentIndex(dialog.vendor_combo.findData(vendor.value))
    dialog.name_edit.setText(name)
    if url is not None:
        dialog.url_edit.setText(url)
    if env is not None:
        dialog.env_radio.setChecked(True)
        dialog.env_edit.setText(env)
    else:
        dialog.keyring_radio.setChecked(True)
        dialog.key_edit.setText(key or "")


def test_vendor_defaults_are_prefilled_and_pipedrive_asks_for_the_company_url(
    qtbot: QtBot, config: AccountsConfig
) -> None:
    dialog = make_dialog(qtbot, config)
    dialog.vendor_combo.setCurrentIndex(dialog.vendor_combo.findData("close"))
    assert dialog.url_edit.text() == "https://api.close.com"
    dialog.vendor_combo.setCurrentIndex(dialog.vendor_combo.findData("pipedrive"))
    assert dialog.url_edit.text() == ""
    assert dialog.url_edit.placeholderText() == "https://COMPANY.pipedrive.com"
    dialog.vendor_combo.setCurrentIndex(dialog.vendor_combo.findData("apollo"))
    assert dialog.url_edit.text() == "https://api.apollo.io"
    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password
    shot(dialog, "new")


def test_adding_an_env_account_and_a_keyring_account_keeps_keys_out_of_the_file(
    qtbot: QtBot, config: AccountsConfig, memory_keyring: MemoryKeyring
) -> None:
    dialog = make_dialog(qtbot, config)
    changes: list[None] = []
    dialog.accounts_changed.connect(lambda: changes.append(None))

    fill(dialog, Vendor.CLOSE, "close-main", env="CLOSE_API_KEY")
    assert written(qtbot, dialog), dialog.error()
    fill(dialog, Vendor.PIPEDRIVE, "pd", url="https://acme.pipedrive.com", key=SECRET)
    assert written(qtbot, dialog), dialog.error()

    assert len(changes) == 2
    assert config.load() == [
        Account(
            "close-main", Vendor.CLOSE, "https://api.close.com", KeySource("env", "CLOSE_API_KEY")
        ),
        Account("pd", Vendor.PIPEDRIVE, "https://acme.pipedrive.com", KeySource("keyring", "pd")),
    ]
    assert memory_keyring.store == {("calldesk", "pd"): SECRET}
    assert SECRET not in config.path.read_text(encoding="utf-8")
    assert dialog.account_names() == ["close-main", "pd"]
    assert dialog.key_edit.text() == ""  # never shown back
    assert dialog.status() == "Saved pd."
    assert dialog.key_edit.placeholderText() == "Leave empty to keep the stored key"
    shot(dialog, "saved")

    # Editing without typing a key keeps the stored one; switching to env forgets it.
    dialog.select_account("pd")
    dialog.env_radio.setChecked(True)
    dialog.env_edit.setText("PD_KEY")
    assert written(qtbot, dialog), dialog.error()
    assert config.get("pd").key == KeySource("env", "PD_KEY")
    assert memory_keyring.store == {}


def test_no_keyring_shows_the_message_and_saves_nothing(
    qtbot: QtBot, config: AccountsConfig
) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the conftest fixture restores it
    dialog = make_dialog(qtbot, config)
    changes: list[None] = []
    dialog.accounts_changed.connect(lambda: changes.append(None))
    fill(dialog, Vendor.CLOSE, "close-main", key=SECRET)

    assert not written(qtbot, dialog)

    error = dialog.error()
    assert error is not None
    assert "no system keyring" in error
    assert "Read from environment variable" in error
    assert SECRET not in error
    assert not config.path.exists()
    assert changes == []
    shot(dialog, "no-keyring")


def test_plain_http_to_a_remote_host_is_refused_inline(
    qtbot: QtBot, config: AccountsConfig
) -> None:
    dialog = make_dialog(qtbot, config)
    fill(dialog, Vendor.CLOSE, "close-main", url="http://api.close.com", key=SECRET)

    assert not written(qtbot, dialog)

    error = dialog.error()
    assert error is not None
    assert "plain http" in error
    assert dialog.error_label.isVisible()
    assert not config.path.exists()
    shot(dialog, "bad-url")

    fill(dialog, Vendor.PIPEDRIVE, "pd", url="https://example.com", key=SECRET)
    assert not written(qtbot, dialog)
    assert "https://COMPANY.pipedrive.com" in (dialog.error() or "")


def test_a_bad_key_or_duplicate_name_is_refused(
    qtbot: QtBot, config: AccountsConfig, memory_keyring: MemoryKeyring
) -> None:
    dialog = make_dialog(qtbot, config)
    fill(dialog, Vendor.BUILDR, "b", key="no-colon-here")
    assert not written(qtbot, dialog)
    assert "CLIENT_ID:CLIENT_SECRET" in (dialog.error() or "")
    assert memory_keyring.store == {}

    fill(dialog, Vendor.CLOSE, "work", env="K1")
    assert written(qtbot, dialog)
    fill(dialog, Vendor.CLOSE, "Work", env="K2")
    assert not written(qtbot, dialog)
    assert "already exists" in (dialog.error() or "")
    assert [a.name for a in config.load()] == ["work"]


@pytest.mark.asyncio
async def test_test_connection_shows_the_answer_without_blocking(
    qtbot: QtBot, config: AccountsConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    test = FakeTest()
    dialog = make_dialog(qtbot, config, test)
    monkeypatch.setenv("CLOSE_API_KEY", SECRET)
    fill(dialog, Vendor.CLOSE, "close-main", env="CLOSE_API_KEY")

    dialog.test_button.click()
    assert not dialog.test_button.isEnabled()  # the test runs as a task; the GUI goes on
    await until(lambda: dialog.test_button.isEnabled())

    assert dialog.status() == "Connected: Dana Ruiz <dana@example.com>"
    assert test.calls == [
        (
            Account(
                "close-main",
                Vendor.CLOSE,
                "https://api.close.com",
                KeySource("env", "CLOSE_API_KEY"),
            ),
            SECRET,
        )
    ]
    assert not config.path.exists()  # testing saves nothing
    shot(dialog, "connected")


@pytest.mark.asyncio
async def test_a_failed_connection_test_shows_the_reason(
    qtbot: QtBot, config: AccountsConfig
) -> None:
    dialog = make_dialog(qtbot, config, FakeTest(fail=True))
    fill(dialog, Vendor.CLOSE, "close-main", key=SECRET)

    dialog.test_button.click()
    await until(lambda: dialog.test_button.isEnabled())

    assert dialog.error() == "The connection test failed: the CRM refused the key (401)"
    assert dialog.status() == ""
    shot(dialog, "test-failed")


@pytest.mark.asyncio
async def test_testing_a_saved_keyring_account_uses_the_stored_key(
    qtbot: QtBot, config: AccountsConfig
) -> None:
    test = FakeTest()
    dialog = make_dialog(qtbot, config, test)
    fill(dialog, Vendor.CLOSE, "close-main", key=SECRET)
    assert written(qtbot, dialog)
    dialog.select_account("close-main")

    dialog.test_button.click()
    await until(lambda: len(test.calls) == 1 and dialog.test_button.isEnabled())
    assert test.calls[0][1] == SECRET
    assert SECRET not in dialog.status()


def test_removing_an_account_asks_then_deletes_its_key(
    qtbot: QtBot, config: AccountsConfig, memory_keyring: MemoryKeyring
) -> None:
    dialog = make_dialog(qtbot, config)
    fill(dialog, Vendor.CLOSE, "close-main", key=SECRET)
    assert written(qtbot, dialog)
    changes: list[None] = []
    dialog.accounts_changed.connect(lambda: changes.append(None))
    dialog.select_account("close-main")

    dialog.remove_button.click()
    box = dialog.confirmation()
    assert box is not None
    assert box.isVisible()  # opened with open(), not exec()
    shot(box, "confirm-remove")
    yes = box.button(QMessageBox.StandardButton.Yes)
    yes.click()

    qtbot.waitUntil(lambda: changes == [None])  # written off the GUI thread, then shown
    assert config.load() == []
    assert memory_keyring.store == {}
    assert dialog.account_names() == []
    assert changes == [None]


def test_the_key_and_the_file_are_written_off_the_gui_thread(
    qtbot: QtBot, config: AccountsConfig, memory_keyring: MemoryKeyring
) -> None:
    gui = threading.current_thread()
    release = threading.Event()
    writers: list[threading.Thread] = []
    real_set = memory_keyring.set_password

    def slow_set(service: str, username: str, password: str) -> None:
        writers.append(threading.current_thread())
        assert release.wait(5)  # a keyring that takes its time (an unlock prompt, a slow D-Bus)
        real_set(service, username, password)

    memory_keyring.set_password = slow_set  # type: ignore[method-assign]
    dialog = make_dialog(qtbot, config)
    fill(dialog, Vendor.PIPEDRIVE, "pd", url="https://acme.pipedrive.com", key=SECRET)
    with qtbot.waitSignal(dialog.write_finished, timeout=5000) as blocker:
        assert dialog.save()  # returns at once: the keyring is still "thinking"
        assert dialog.status() == "Saving…"
        assert not dialog.save_button.isEnabled()
        assert not dialog.save()  # a second click while writing does nothing
        qtbot.waitUntil(lambda: bool(writers))
        release.set()
    assert blocker.args == [True]
    assert writers and writers[0] is not gui
    assert memory_keyring.store == {("calldesk", "pd"): SECRET}
    assert dialog.status() == "Saved pd." and dialog.save_button.isEnabled()
