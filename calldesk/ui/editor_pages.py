"""The editor column's own pages and notice: the calm line above the form (a CRM that allows no
changes to a logged call, with "Delete call…" beside it) and the "No CRM account yet" page.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from calldesk.ui.chrome import WindowChrome
from calldesk.ui.icons import icon


class EditorPages(QObject):
    """The notice above the editor and the page shown when there is no account."""

    def __init__(
        self,
        chrome: WindowChrome,
        open_accounts: Callable[[], None],
        delete: Callable[[], object],
        parent: QObject | None = None,
    ) -> None:
        """``open_accounts``: "Add an account…"; ``delete``: "Delete call…"."""
        super().__init__(parent)
        self._stack = chrome.editor_stack
        self._build_notice(chrome, delete)
        self.empty_page = self._build_empty_page(self._stack, open_accounts)
        self._stack.addWidget(self.empty_page)

    def _build_notice(self, chrome: WindowChrome, delete: Callable[[], object]) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

        self.notice = QFrame(self._stack.parentWidget())
        self.notice.setObjectName("editor_notice")
        self.notice.setFrameShape(QFrame.Shape.StyledPanel)
        self.notice.setAutoFillBackground(True)
        self.notice.setBackgroundRole(self.notice.backgroundRole().AlternateBase)
        row = QHBoxLayout(self.notice)
        row.setContentsMargins(10, 6, 10, 6)
        self.notice_icon = QLabel(self.notice)
        self.notice_icon.setPixmap(icon("info").pixmap(18, 18))
        self.notice_text = QLabel(self.notice)
        self.notice_text.setObjectName("editor_notice_text")
        self.notice_text.setWordWrap(True)
        self.delete_button = QPushButton(icon("delete"), self.tr("Delete call…"), self.notice)
        self.delete_button.setObjectName("delete_call")
        self.delete_button.clicked.connect(lambda: delete)
        row.addWidget(self.notice_icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.notice_text, 1)
        row.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.notice.hide()
        chrome.editor_column.insertWidget(0, self.notice)

    def _build_empty_page(self, parent: QWidget, open_accounts: Callable[[], None]) -> QWidget:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

        page = QWidget(parent)
        page.setObjectName("no_accounts")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(32, 48, 32, 32)
        layout.setSpacing(12)
        title = QLabel(self.tr("No CRM account yet"), page)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        title.setFont(font)
        text = QLabel(
            self.tr(
                "Add the Close, Pipedrive, Apollo or Buildr account you log calls into. "
                "calldesk keeps every call here first and sends it in the background, "
                "so nothing is lost when the network is not."
            ),
            page,
        )
        text.setWordWrap(True)
        self.add_account_button = QPushButton(icon("accounts"), self.tr("Add an account…"), page)
        self.add_account_button.setObjectName("add_account")
        self.add_account_button.clicked.connect(open_accounts)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addWidget(self.add_account_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    def tint_icons(self) -> None:
        """Paint the column's icons again (the palette changed)."""
        self.delete_button.setIcon(icon("delete"))
        self.notice_icon.setPixmap(icon("info").pixmap(18, 18))
        self.add_account_button.setIcon(icon("accounts"))

    def set_notice(self, text: str | None, *, delete: bool = False) -> None:
        """The calm line above the editor (None: hidden); ``delete``: with "Delete call…"."""
        if not text:
            self.notice.hide()
            return
        self.notice_text.setText(text)
        self.delete_button.setVisible(delete)
        self.notice.show()

    def notice_shown(self) -> str | None:
        """The calm line above the editor, if shown."""
        return self.notice_text.text() if self.notice.isVisibleTo(self.notice.window()) else None
