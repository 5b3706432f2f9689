"""What was sent for the open call: the History toggle under the editor and its list.

``HistoryPanel`` builds the list when first needed, fills it from the service's audit entries
of one call, said in words ("Call logged in Close, 10:42"; the request itself in the line's
tooltip), and shows or hides it with the toggle. A new call has no history: the toggle says
"History" and is off, and a history still loading for the call left behind is not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from calldesk.ui.chrome import WindowChrome

if TYPE_CHECKING:
    from PySide6.QtWidgets import QListWidget

    from calldesk.domain import AuditEntry
    from calldesk.ui.context import WindowContext


class HistoryPanel(QObject):
    """The open call's history (see the module docstring)."""

    def __init__(
        self, context: WindowContext, chrome: WindowChrome, current: Callable[[], str | None]
    ) -> None:
        """``current``: the local id of the open call (None for a new one)."""
        super().__init__(chrome.history_toggle)
        self._context = context
        self._current = current
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
        self.toggle.setText(self.tr("History"))
        self.toggle.setAccessibleName(self.tr("History: nothing sent yet"))
        self.toggle.setEnabled(False)

    def enable(self) -> None:
        self.toggle.setEnabled(True)

    async def load(self, local_id: str) -> None:
        """Show what was sent for ``local_id``."""
        entries = await self._context.service.history(local_id)
        if self._current() != local_id:
            return  # the rep moved on while it was read
        history = self.list
        history.clear()
        for entry in entries:
            history.addItem(self._line(entry))
            item = history.item(history.count() - 1)
            status = str(entry.status) if entry.status is not None else self.tr("no answer")
            item.setToolTip(f"{entry.method} {entry.path} → {status}")
        self.toggle.setText(self.tr("History ({n})").format(n=len(entries)))
        self.toggle.setAccessibleName(
            self.tr("History: {n} exchanges with the CRM").format(n=len(entries))
        )

    def _line(self, entry: AuditEntry) -> str:
        """One exchange in words: what was done, with which CRM, when; why it failed."""
        try:
            crm = self._context.service.schema_for(entry.account).label
        except KeyError:
            crm = entry.account
        local = entry.at.astimezone()
        today = datetime.now().astimezone().date()
        when = local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")
        method, path = entry.method.upper(), entry.path.lower()
        if any(word in path for word in ("recording", "/files", "upload")):
            what = self.tr("Recording uploaded to {crm}")
        elif method == "POST":
            what = self.tr("Call logged in {crm}")
        elif method in ("PUT", "PATCH"):
            what = self.tr("Changes sent to {crm}")
        elif method == "DELETE":
            what = self.tr("Deleted in {crm}")
        else:
            what = self.tr("Checked with {crm}")
        ok = entry.status is not None and 200 <= entry.status < 300
        if ok:
            return self.tr("{what}, {when}").format(what=what.format(crm=crm), when=when)
        if entry.status is None:
            return self.tr("{crm} did not answer, {when}; it is tried again").format(
                crm=crm, when=when
            )
        said = f": {entry.message}" if entry.message else ""
        return self.tr("{crm} refused it ({status}){said}, {when}").format(
            crm=crm, status=entry.status, said=said, when=when
        )

    def _show(self, shown: bool) -> None:
        from PySide6.QtCore import Qt

        self.list.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
