"""The account a new call is logged into, chosen at the top of the editor (and remembered).

``AccountPicker`` is a labelled combo above the editor, shown for a new call when there is more
than one account: the rep sees and changes where the call goes instead of guessing from the
heading. The last account chosen is kept in the window's settings and is the default next time
(after the sidebar's own choice).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from calldesk.ui.chrome import WindowChrome

KEY = "editor/new_call_account"


class AccountPicker(QObject):
    """The "Log into" picker of a new call (see the module docstring)."""

    chosen = Signal(str)  # the rep picked another account for the new call

    def __init__(self, chrome: WindowChrome, settings: QSettings) -> None:
        super().__init__(chrome.editor_stack)
        self._settings = settings
        self.row = QWidget()
        self.row.setObjectName("account_picker")
        layout = QHBoxLayout(self.row)
        layout.setContentsMargins(12, 6, 12, 0)
        label = QLabel(self.tr("Log into"), self.row)
        self.combo = QComboBox(self.row)
        self.combo.setObjectName("new_call_account")
        self.combo.setAccessibleName(self.tr("Account the new call is logged into"))
        label.setBuddy(self.combo)
        layout.addWidget(label)
        layout.addWidget(self.combo, 1)
        self.row.hide()
        column = chrome.editor_column
        column.insertWidget(column.indexOf(chrome.editor_stack), self.row)
        self.combo.activated.connect(self._activated)

    def remembered(self) -> str | None:
        """The account last chosen for a new call, if any."""
        value = self._settings.value(KEY)
        return value if isinstance(value, str) and value else None

    def show_for(self, account: str, accounts: Sequence[tuple[str, str]]) -> None:
        """A new call of ``account``: the picker over ``accounts`` ((name, label) pairs)."""
        self.combo.blockSignals(True)
        self.combo.clear()
        for name, label in accounts:
            self.combo.addItem(label, name)
        self.combo.setCurrentIndex(max(0, self.combo.findData(account)))
        self.combo.blockSignals(False)
        self.row.setVisible(len(accounts) > 1)

    def hide(self) -> None:
        """An existing call is open: its account is not for changing."""
        self.row.hide()

    def _activated(self, index: int) -> None:
        name = self.combo.itemData(index)
        if isinstance(name, str):
            self._settings.setValue(KEY, name)
            self.chosen.emit(name)
