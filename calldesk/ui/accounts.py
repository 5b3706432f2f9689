"""The accounts dialog: add, edit and remove CRM logins, store their keys, test a connection.

Accounts live in ``accounts.toml`` (:class:`calldesk.store.accounts.AccountsConfig`), which never
holds a key. A key is either stored in the system keyring (:class:`calldesk.store.secrets.Secrets`)
or read from an environment variable the rep names. When no keyring is available the dialog says
so, suggests the environment variable and saves nothing. The key typed into the dialog is never
shown back, logged or written to the config file.

"Test connection" calls an injected ``test(account, key) -> Awaitable[str]`` (the window builds an
adapter and asks the CRM who the key belongs to) as a task of the running asyncio loop, so the GUI
never blocks; the answer or the error is shown in the dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain.model import Account, Vendor
from calldesk.store.accounts import (
    VENDOR_URL_RULES,
    AccountError,
    AccountsConfig,
    DuplicateAccountError,
    make_account,
    vendor_label,
)
from calldesk.store.secrets import KEY_SHAPES, NoKeyringError, SecretError, Secrets, check_key_shape
from calldesk.ui.form.base import Spawner, show_error, spawn_on_running_loop
from calldesk.ui.offthread import OffThread

LOG = logging.getLogger(__name__)

TestConnection = Callable[[Account, str], Awaitable[str]]
"""``(account, key) -> who``: asks the CRM who the key belongs to; raises with the reason."""

NAME_ROLE = Qt.ItemDataRole.UserRole + 1


class AccountsDialog(QDialog):
    """Lists the accounts and edits one at a time (see the module docstring)."""

    accounts_changed = Signal()
    """An account was saved or removed (the window reloads its accounts)."""
    write_finished = Signal(bool)
    """A save or removal ended: True when it was written (either way the outcome shows)."""

    def __init__(
        self,
        config: AccountsConfig,
        secrets: Secrets,
        test: TestConnection,
        *,
        builtin: Sequence[Account] = (),
        spawn: Spawner = spawn_on_running_loop,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._builtin = {account.name: account for account in builtin}
        self._config = config
        self._secrets = secrets
        self._test = test
        self._spawn = spawn
        self._editing: Account | None = None
        self._confirm: QMessageBox | None = None
        self._testing = False
        self._io = OffThread(self)  # the keyring and accounts.toml are written off the GUI thread
        self._writing = False
        self.setWindowTitle(self.tr("Accounts"))
        self.setObjectName("accounts_dialog")
        self._build()
        self.reload()
        self.new_account()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        body = QHBoxLayout()
        outer.addLayout(body, 1)

        side = QVBoxLayout()
        self.account_list = QListWidget(self)
        self.account_list.setObjectName("accounts_list")
        self.account_list.setAccessibleName(self.tr("Accounts"))
        self.account_list.setMinimumWidth(200)
        self.account_list.currentItemChanged.connect(self._on_current_changed)
        side.addWidget(self.account_list, 1)
        side_buttons = QHBoxLayout()
        self.new_button = QPushButton(self.tr("New account"), self)
        self.new_button.clicked.connect(self.new_account)
        self.remove_button = QPushButton(self.tr("Remove…"), self)
        self.remove_button.setAccessibleName(self.tr("Remove the selected account"))
        self.remove_button.clicked.connect(self.confirm_remove)
        side_buttons.addWidget(self.new_button)
        side_buttons.addWidget(self.remove_button)
        side.addLayout(side_buttons)
        body.addLayout(side)

        editor = QVBoxLayout()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.vendor_combo = QComboBox(self)
        self.vendor_combo.setObjectName("account_vendor")
        for vendor in Vendor:
            self.vendor_combo.addItem(vendor_label(vendor), vendor.value)
        self.vendor_combo.currentIndexChanged.connect(self._on_vendor_changed)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("account_name")
        self.name_edit.setPlaceholderText(self.tr("e.g. work"))
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("account_base_url")
        self.keyring_radio = QRadioButton(self.tr("Store in the system keyring"), self)
        self.keyring_radio.setObjectName("account_key_keyring")
        self.key_edit = QLineEdit(self)
        self.key_edit.setObjectName("account_key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setAccessibleName(self.tr("API key"))
        self.env_radio = QRadioButton(self.tr("Read from environment variable"), self)
        self.env_radio.setObjectName("account_key_env")
        self.env_edit = QLineEdit(self)
        self.env_edit.setObjectName("account_key_env_name")
        self.env_edit.setPlaceholderText(self.tr("e.g. CLOSE_API_KEY"))
        self.env_edit.setAccessibleName(self.tr("Environment variable name"))
        group = QButtonGroup(self)
        group.addButton(self.keyring_radio)
        group.addButton(self.env_radio)
        self.keyring_radio.toggled.connect(self._sync_key_inputs)
        self.keyring_radio.setChecked(True)

        form.addRow(self._buddy(self.tr("&CRM"), self.vendor_combo), self.vendor_combo)
        form.addRow(self._buddy(self.tr("&Name"), self.name_edit), self.name_edit)
        form.addRow(self._buddy(self.tr("&Base URL"), self.url_edit), self.url_edit)
        form.addRow(self.tr("API key"), self.keyring_radio)
        form.addRow("", self.key_edit)
        form.addRow("", self.env_radio)
        form.addRow("", self.env_edit)
        editor.addLayout(form)

        self.key_note = QLabel(self)
        self.key_note.setObjectName("account_key_note")
        self.key_note.setWordWrap(True)
        self.key_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.key_note.setText(
            self.tr("The key is never shown again and never written to the accounts file.")
        )
        editor.addWidget(self.key_note)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("accounts_error")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Problem"))
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        editor.addWidget(self.error_label)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("accounts_status")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName(self.tr("Status"))
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        editor.addWidget(self.status_label)

        actions = QHBoxLayout()
        actions.addStretch(1)
        self.test_button = QPushButton(self.tr("Test connection"), self)
        self.test_button.setObjectName("account_test")
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton(self.tr("Save account"), self)
        self.save_button.setObjectName("account_save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        actions.addWidget(self.test_button)
        actions.addWidget(self.save_button)
        editor.addLayout(actions)
        editor.addStretch(1)
        body.addLayout(editor, 2)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        outer.addWidget(close)
        self.resize(760, 420)

    def _buddy(self, text: str, control: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(control)
        control.setAccessibleName(text.replace("&", ""))
        return label

    # -- the list -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the accounts file again and list its accounts."""
        self.account_list.blockSignals(True)
        self.account_list.clear()
        try:
            accounts = self._config.load()
        except AccountError as exc:
            accounts = []
            self._set_error(str(exc))
        for account in self._builtin.values():
            item = QListWidgetItem(
                self.tr("{name} — {crm} (demo)").format(
                    name=account.name, crm=vendor_label(account.vendor)
                ),
                self.account_list,
            )
            item.setData(NAME_ROLE, account.name)
            item.setToolTip(self.tr("Built into the demo: a sandbox CRM inside calldesk"))
        for account in accounts:
            item = QListWidgetItem(
                f"{account.name} — {vendor_label(account.vendor)}", self.account_list
            )
            item.setData(NAME_ROLE, account.name)
            item.setToolTip(account.base_url)
        self.account_list.blockSignals(False)
        self.remove_button.setEnabled(False)

    def account_names(self) -> list[str]:
        """Return the names listed, in order."""
        return [
            str(self.account_list.item(i).data(NAME_ROLE)) for i in range(self.account_list.count())
        ]

    def select_account(self, name: str) -> None:
        """Select the account called ``name`` and show it for editing."""
        for index in range(self.account_list.count()):
            item = self.account_list.item(index)
            if item.data(NAME_ROLE) == name:
                self.account_list.setCurrentItem(item)
                return

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: object) -> None:
        if current is None:
            self.remove_button.setEnabled(False)
            return
        builtin = self._builtin.get(str(current.data(NAME_ROLE)))
        if builtin is not None:
            self._show_builtin(builtin)
            return
        try:
            account = self._config.get(str(current.data(NAME_ROLE)))
        except AccountError as exc:
            self._set_error(str(exc))
            return
        self._edit(account)

    def _show_builtin(self, account: Account) -> None:
        """A built-in (demo) account: shown, not editable, not removable, not tested."""
        self._edit(account)
        self.remove_button.setEnabled(False)
        self.url_edit.setReadOnly(True)
        for control in (self.keyring_radio, self.env_radio, self.key_edit, self.env_edit):
            control.setEnabled(False)
        self.save_button.setEnabled(False)
        self.test_button.setEnabled(False)
        self.status_label.setText(
            self.tr(
                "{name} is built into the demo: a sandbox {crm} inside calldesk, with sample "
                "calls. It can't be changed or removed; add your own accounts beside it."
            ).format(name=account.name, crm=vendor_label(account.vendor))
        )

    def _edit(self, account: Account) -> None:
        self._editing = account
        self._set_editable(True)
        self.remove_button.setEnabled(True)
        self.vendor_combo.blockSignals(True)
        self.vendor_combo.setCurrentIndex(self.vendor_combo.findData(account.vendor.value))
        self.vendor_combo.blockSignals(False)
        self.vendor_combo.setEnabled(False)
        self.name_edit.setText(account.name)
        self.name_edit.setReadOnly(True)
        self.url_edit.setText(account.base_url)
        self.key_edit.clear()
        self.env_edit.clear()
        if account.key.kind == "env":
            self.env_radio.setChecked(True)
            self.env_edit.setText(account.key.name)
        else:
            self.keyring_radio.setChecked(True)
        self._update_hints()
        self._set_error(None)
        self.status_label.clear()

    @Slot()
    def new_account(self) -> None:
        """Clear the form for a new account."""
        self._editing = None
        self._set_editable(True)
        self.account_list.blockSignals(True)
        self.account_list.setCurrentRow(-1)
        self.account_list.clearSelection()
        self.account_list.blockSignals(False)
        self.remove_button.setEnabled(False)
        self.vendor_combo.setEnabled(True)
        self.name_edit.setReadOnly(False)
        self.name_edit.clear()
        self.key_edit.clear()
        self.env_edit.clear()
        self.keyring_radio.setChecked(True)
        self.url_edit.setText(self._default_url(self.vendor()))
        self._update_hints()
        self._set_error(None)
        self.status_label.clear()
        self.name_edit.setFocus()

    def _set_editable(self, editable: bool) -> None:
        self.url_edit.setReadOnly(not editable)
        for control in (self.keyring_radio, self.env_radio):
            control.setEnabled(editable)
        self.save_button.setEnabled(editable)
        self.test_button.setEnabled(editable and not self._testing)
        if editable:
            self._sync_key_inputs()

    # -- the form -------------------------------------------------------------------------------

    def vendor(self) -> Vendor:
        """Return the CRM chosen in the combo."""
        return Vendor(str(self.vendor_combo.currentData()))

    @staticmethod
    def _default_url(vendor: Vendor) -> str:
        return VENDOR_URL_RULES[vendor].default or ""

    @Slot()
    def _on_vendor_changed(self) -> None:
        defaults = {rule.default or "" for rule in VENDOR_URL_RULES.values()}
        if self._editing is None and self.url_edit.text().strip() in defaults:
            self.url_edit.setText(self._default_url(self.vendor()))
        self._update_hints()

    def _update_hints(self) -> None:
        vendor = self.vendor()
        self.url_edit.setPlaceholderText(VENDOR_URL_RULES[vendor].form)
        self.url_edit.setToolTip(
            self.tr("{crm}'s API address, of the form {form}").format(
                crm=vendor_label(vendor), form=VENDOR_URL_RULES[vendor].form
            )
        )
        shape = KEY_SHAPES[vendor].description
        if self._editing is not None and self._editing.key.kind == "keyring":
            self.key_edit.setPlaceholderText(self.tr("Leave empty to keep the stored key"))
        else:
            self.key_edit.setPlaceholderText(self.tr("API key: {shape}").format(shape=shape))

    @Slot()
    def _sync_key_inputs(self) -> None:
        keyring = self.keyring_radio.isChecked()
        self.key_edit.setEnabled(keyring)
        self.env_edit.setEnabled(not keyring)

    def error(self) -> str | None:
        """Return the problem shown in the dialog, if any."""
        return self.error_label.text() if not self.error_label.isHidden() else None

    def status(self) -> str:
        """Return the status line (saved, testing, the test's answer)."""
        return self.status_label.text()

    def _set_error(self, message: str | None) -> None:
        show_error(self.error_label, message)
        self.setAccessibleDescription(message or "")

    def _no_keyring_message(self) -> str:
        return self.tr(
            "There is no system keyring on this computer, so calldesk cannot keep the key safely. "
            "Choose “Read from environment variable”, put the key in that variable before "
            "starting calldesk, and save again. Nothing was saved."
        )

    def _account_from_form(self) -> Account:
        env_name = self.env_edit.text().strip() if self.env_radio.isChecked() else None
        if env_name == "":
            raise AccountError(self.tr("Give the name of the environment variable holding the key"))
        return make_account(self.name_edit.text(), self.vendor(), self.url_edit.text(), env_name)

    # -- saving ---------------------------------------------------------------------------------

    @Slot()
    def save(self) -> bool:
        """Check the form, then write the account (and its key) off the GUI thread.

        True: the write started; its outcome shows inline and ``write_finished`` tells it.
        False: refused at once (the reason beside the form; ``write_finished(False)`` too).
        """
        if self._writing:
            return False
        self._set_error(None)
        self.status_label.clear()
        editing = self._editing
        try:
            account = self._account_from_form()
            accounts = self._config.load()
            if editing is not None and editing.name in self._builtin:
                raise AccountError(self.tr("A demo account can't be changed"))
            taken = [a for a in accounts if editing is None or a.name != editing.name]
            taken += list(self._builtin.values())
            if any(a.name.casefold() == account.name.casefold() for a in taken):
                raise DuplicateAccountError(
                    self.tr("An account named {name} already exists").format(name=account.name)
                )
        except AccountError as exc:
            self._set_error(str(exc))
            self.write_finished.emit(False)
            return False
        key = self.key_edit.text()
        had_keyring_key = editing is not None and editing.key.kind == "keyring"
        store_key = account.key.kind == "keyring" and (bool(key) or not had_keyring_key)
        replaced = [account if editing and a.name == editing.name else a for a in accounts]
        saved = replaced if editing is not None else [*accounts, account]
        secrets, config = self._secrets, self._config

        def write() -> None:  # on the worker thread: the keyring and the file may be slow
            if store_key:
                secrets.check_available()
                check_key_shape(account.vendor, key)
                secrets.set(account.name, key)
            try:
                config.save(saved)
            except AccountError:
                if store_key and not had_keyring_key:
                    self._forget_key(account.name)
                raise
            if had_keyring_key and account.key.kind == "env":
                self._forget_key(account.name)

        self._start_write(write, lambda: self._saved(account.name))
        return True

    def _start_write(self, write: Callable[[], None], written: Callable[[], None]) -> None:
        self._writing = True
        self.save_button.setEnabled(False)
        self.remove_button.setEnabled(False)
        self.status_label.setText(self.tr("Saving…"))
        self._io.run(write, lambda _result, error: self._write_done(error, written))

    def _write_done(self, error: BaseException | None, written: Callable[[], None]) -> None:
        self._writing = False
        editing = self._editing
        self.remove_button.setEnabled(editing is not None and editing.name not in self._builtin)
        self.status_label.clear()
        if isinstance(error, NoKeyringError):
            self._set_error(self._no_keyring_message())
        elif isinstance(error, (SecretError, AccountError)):
            self._set_error(str(error))
        elif error is not None:  # an unexpected failure: said, and logged with its trace
            LOG.error("could not write the accounts", exc_info=error)
            self._set_error(str(error) or type(error).__name__)
        else:
            written()
        self._set_editable(self._editing is None or self._editing.name not in self._builtin)
        self.write_finished.emit(error is None)

    def _saved(self, name: str) -> None:
        self.key_edit.clear()
        self.reload()
        self.select_account(name)
        self.status_label.setText(self.tr("Saved {name}.").format(name=name))
        self.accounts_changed.emit()

    def _forget_key(self, name: str) -> None:
        try:
            self._secrets.delete(name)
        except SecretError as exc:
            LOG.info("could not delete the keyring entry of %r: %s", name, exc)

    # -- removing -------------------------------------------------------------------------------

    @Slot()
    def confirm_remove(self) -> None:
        """Ask (without a nested event loop) whether to remove the selected account."""
        account = self._editing
        if account is None or account.name in self._builtin:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Remove account"),
            self.tr(
                "Remove the account {name}? Calls already in {crm} stay there; calls still "
                "waiting to be sent from this computer will not be sent."
            ).format(name=account.name, crm=vendor_label(account.vendor)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Remove"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda result: (
                self.remove_account(account.name)
                if result == QMessageBox.StandardButton.Yes
                else None
            )
        )
        box.finished.connect(box.deleteLater)
        self._confirm = box
        box.open()

    def confirmation(self) -> QMessageBox | None:
        """Return the confirmation box last opened by :meth:`confirm_remove`."""
        return self._confirm

    def remove_account(self, name: str) -> bool:
        """Remove the account called ``name`` and its keyring key, off the GUI thread; the
        outcome shows inline and ``write_finished`` tells it (False: a write is under way)."""
        if self._writing:
            return False
        self._set_error(None)
        config = self._config

        def write() -> None:
            removed = config.remove(name)
            if removed.key.kind == "keyring":
                self._forget_key(removed.name)

        self._start_write(write, lambda: self._removed(name))
        return True

    def _removed(self, name: str) -> None:
        self.reload()
        self.new_account()
        self.status_label.setText(self.tr("Removed {name}.").format(name=name))
        self.accounts_changed.emit()

    # -- testing --------------------------------------------------------------------------------

    @Slot()
    def test_connection(self) -> None:
        """Ask the CRM who the key belongs to, without blocking; the answer appears inline."""
        if self._testing:
            return
        self._set_error(None)
        try:
            account = self._account_from_form()
            key = self._key_for_test(account)
        except NoKeyringError:
            self._set_error(self._no_keyring_message())
            return
        except (AccountError, SecretError) as exc:
            self._set_error(str(exc))
            return
        self._testing = True
        self.test_button.setEnabled(False)
        self.status_label.setText(
            self.tr("Testing the connection to {crm}…").format(crm=vendor_label(account.vendor))
        )
        self._spawn(self._run_test(account, key))

    def _key_for_test(self, account: Account) -> str:
        if account.key.kind == "env":
            return self._secrets.from_env(account.key.name)
        typed = self.key_edit.text()
        if typed:
            check_key_shape(account.vendor, typed)
            return typed
        if self._editing is not None and self._editing.key.kind == "keyring":
            return self._secrets.get(account.name)
        raise SecretError(self.tr("Type the API key to test the connection"))

    async def _run_test(self, account: Account, key: str) -> None:
        try:
            answer = await self._test(account, key)
        except Exception as exc:  # shown to the rep: the CRM's or the network's reason
            self.status_label.clear()
            self._set_error(
                self.tr("The connection test failed: {reason}").format(
                    reason=str(exc) or type(exc).__name__
                )
            )
        else:
            self.status_label.setText(self.tr("Connected: {answer}").format(answer=answer))
        finally:
            self._testing = False
            self.test_button.setEnabled(True)
