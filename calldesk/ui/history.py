"""What was sent for the open call: the History toggle under the editor and its list.

``HistoryPanel`` builds the list when first needed (``prepare``/``load``), fills it from the
service's audit entries of one call, and shows or hides it with the toggle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from calldesk.ui.chrome import WindowChrome

if TYPE_CHECKING:
    from PySide6.QtWidgets import QListWidget

    from calldesk.ui.context import WindowContext


class HistoryPanel(QObject):
    """The open call's history (see the module docstring)."""

    def __init__(self, context: WindowContext, chrome: WindowChrome) -> None:
        super().__init__(chrome.history_toggle)
        self._context = context
        self._column = chrome.editor_column
        self.toggle = chrome.history_toggle
        self._list: QListWidget | None = None
        self.toggle.toggled.connect(self._show)

    @property
    def list(self) -> QListWidget:
        """The list (under the editor, shown by the History toggle), built on first use."""
        if self._list is None:
            from PySide6.QtWidgets import QListWidget

            history = QListWidget(self._column.parentWidget())
            history.setObjectName("history")
            history.setAccessibleName(self.tr("What was sent for this call"))
            history.setMaximumHeight(120)
            history.setVisible(self.toggle.isChecked())
            self._column.addWidget(history)
            self._list = history
        return self._list

    def clear(self) -> None:
        """A new call: nothing sent yet, nothing to open."""
        self.list.clear()
        self.toggle.setEnabled(False)

    def enable(self) -> None:
        self.toggle.setEnabled(True)

    async def load(self, local_id: str) -> None:
        """Show what was sent for ``local_id``."""
        entries = await self._context.service.history(local_id)
        history = self.list
        history.clear()
        for entry in entries:
            status = str(entry.status) if entry.status is not None else self.tr("no answer")
            when = entry.at.astimezone().strftime("%d %b %H:%M:%S")
            text = f"{when}  {entry.method} {entry.path}  → {status}"
            if entry.message:
                text += f"  {entry.message}"
            history.addItem(text)
        self.toggle.setText(self.tr("History ({n})").format(n=len(entries)))

    def _show(self, shown: bool) -> None:
        from PySide6.QtCore import Qt

        self.list.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
