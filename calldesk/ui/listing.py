"""The call list's behaviour: its model, the search box, the Filter menu and the sidebar's view.

``CallListController`` puts ``CallListModel`` on the chrome's table, turns the search text, the
sidebar's view and the Filter menu's choices into one query (ANDed), keeps the open call's line
selected across reloads, and says which line the rep chose (``row_chosen``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence

from calldesk.ui.call_model import CallListModel
from calldesk.ui.chrome import ACCOUNT_COLUMN, WindowChrome
from calldesk.ui.filters import ListFilters
from calldesk.ui.sidebar import SidebarController, View

if TYPE_CHECKING:
    from collections.abc import Sequence

    from calldesk.ui.context import WindowContext
    from calldesk.ui.ports import Summary

SEARCH_DELAY_MS = 150


class CallListController(QObject):
    """The list, its search and filters (see the module docstring)."""

    row_chosen = Signal(str, str)  # account, local_id

    def __init__(
        self,
        context: WindowContext,
        chrome: WindowChrome,
        sidebar: SidebarController,
        current: Callable[[], str | None],
        rows: Sequence[Summary] | None = None,
    ) -> None:
        """``current``: the local id of the call open in the editor (kept selected)."""
        super().__init__(chrome.table)
        self._context = context
        self._sidebar = sidebar
        self._current = current
        self.table = chrome.table
        self.search = chrome.search
        self.view: View = ("all", "")
        self.model = CallListModel(
            context.service, context.backend.base_query, spawn=context.spawn, parent=self
        )
        self._awaited_row: int | None = None  # the current line, while its page is read
        if rows is not None:
            self.model.seed(rows)
        self.table.setModel(self.model)  # the header's own model goes with the frame's
        chrome.attach_list()
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.table.drag_refused.connect(lambda why: context.say(why, 5000))
        self.model.loaded.connect(self.reselect)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        window = chrome.search.window()
        self.find_action = QAction(self.tr("Search"), window)
        self.find_action.setObjectName("find")
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.focus_search)
        window.addAction(self.find_action)
        self.filters = ListFilters(  # the service changes with the accounts: look it up late
            chrome.filter_button,
            lambda: self._context.service.outcomes(),  # noqa: PLW0108
            window,
        )
        self.filters.changed.connect(self._on_filters)
        if self.search.text():  # typed while the window was starting
            self._search_timer.start()

    def rebind(self) -> None:
        """The backend changed: read from its service, from "All calls"."""
        self.model.set_service(self._context.service)
        self.set_view(("all", ""))

    def focus(self) -> None:
        """Esc: back to the call list."""
        from PySide6.QtCore import Qt

        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_search(self) -> None:
        from PySide6.QtCore import Qt

        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def apply_search(self) -> None:
        self.model.set_filter(text=self.search.text().strip())

    def set_view(self, view: View) -> None:
        """The sidebar's choice: a status or date view replaces the menu's."""
        kind = view[0]
        self.view = view
        if kind in ("not_synced", "failed"):
            self.filters.reset_status()  # the view's status replaces the menu's
        if kind == "week":
            self.filters.reset_range()
        self.apply_filters()
        self.table.setColumnHidden(ACCOUNT_COLUMN, kind == "account")  # one account: not again

    def _on_filters(self) -> None:
        """The filter menu changed: a status or date chosen there replaces the sidebar's."""
        kind = self.view[0]
        choice = self.filters.choice
        if (choice.status and kind in ("not_synced", "failed")) or (
            choice.range_key != "any" and kind == "week"
        ):
            self._sidebar.choose_all()
            self.view = ("all", "")
        self.apply_filters()

    def apply_filters(self) -> None:
        """The list's query: the sidebar's view AND the filter menu's choices."""
        from datetime import datetime, timedelta

        from calldesk.domain import SyncState

        kind, value = self.view
        choice = self.filters.choice
        since, until = choice.since, choice.until
        if kind == "week":
            start = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
            since = (start - timedelta(days=start.weekday())).timestamp()
        states = (SyncState.FAILED,) if kind == "failed" else self.filters.states()
        self.model.set_filter(
            accounts=(value,) if kind == "account" else (),
            not_synced=kind == "not_synced",
            states=states,
            outcomes=self.filters.outcomes(),
            since=since,
            until=until,
        )

    def select_silently(self, row: int) -> None:
        """Select ``row`` without opening it (it is open already, or opens by other means)."""
        self.table.selectionModel().blockSignals(True)
        self.table.selectRow(row)
        self.table.selectionModel().blockSignals(False)

    def reselect(self) -> None:
        """Keep the open call's line selected (after a reload moved it); choose the current
        line once its page arrives, when it was chosen before (a jump to the end)."""
        current = self.table.currentIndex()
        if self._awaited_row is not None and current.row() == self._awaited_row:
            if self.model.row_at(current.row()) is not None:
                self._on_row(current, current)
            return
        local_id = self._current()
        if local_id is None:
            return
        row = self.model.row_of(local_id)
        if row >= 0 and self.table.currentIndex().row() != row:
            self.select_silently(row)

    def _on_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        summary = self.model.row_at(current.row())
        if summary is None:  # its page is being read (a jump to the end): chosen on arrival
            self._awaited_row = current.row()
            return
        self._awaited_row = None
        self.row_chosen.emit(summary.account, summary.local_id)
