"""The call list: a lazily paged ``QAbstractTableModel`` over ``CallService.list_calls``.

Rows arrive a page at a time (``canFetchMore``/``fetchMore`` ask the service for the next page
on the running asyncio loop); sorting and filters re-query the service. Every row is a plain
summary object: no per-row widgets, no item objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QIcon

from calldesk.domain import SyncState
from calldesk.ui.columns import (
    COLUMNS,
    STATE_COLUMN,
    STATE_MARKS,
    cell_text,
    header_title,
    state_tip,
    tr,
)
from calldesk.ui.icons import icon, is_dark
from calldesk.ui.ports import CallServicePort, Summary

if TYPE_CHECKING:  # the form package (and the schemas) load after the list's first paint
    from calldesk.ui.form.base import Spawner

PAGE_SIZE = 100


def _spawn_on_running_loop(coro: Coroutine[Any, Any, None]) -> object:
    """The default spawner: ``calldesk.ui.form.base.spawn_on_running_loop``, imported on use."""
    from calldesk.ui.form.base import spawn_on_running_loop

    return spawn_on_running_loop(coro)


class CallListModel(QAbstractTableModel):
    """Pages of call summaries for one query (filters, search text, sort).

    ``spawn`` starts the model's loads (default: a task on the running asyncio loop).
    """

    loaded = Signal()  # after each (re)load or page

    def __init__(
        self,
        service: CallServicePort,
        base_query: Any,
        *,
        page_size: int = PAGE_SIZE,
        spawn: Spawner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._query: Any = dataclasses.replace(base_query, limit=page_size, offset=0)
        self._page = page_size
        self._spawn: Spawner = spawn if spawn is not None else _spawn_on_running_loop
        self._rows: list[Summary] = []
        self._total = 0
        self._fetching = False
        self._generation = 0
        self._icons: dict[tuple[SyncState, bool], QIcon] = {}

    def set_service(self, service: CallServicePort) -> None:
        """Read from another service (the accounts changed); call :meth:`reload` next.

        The rows shown stay until the reload's first page replaces them in one reset, so the
        list never flickers empty while the window switches engines; loads still running
        against the old service are dropped.
        """
        self._service = service
        self._generation += 1
        self._fetching = False

    def seed(self, rows: Sequence[Summary]) -> None:
        """Show ``rows`` (read before the event loop ran) until the next reload replaces them."""
        self._generation += 1
        self.beginResetModel()
        self._rows = list(rows)
        self._total = len(self._rows)
        self._fetching = False
        self.endResetModel()
        self.loaded.emit()

    def state_icon(self, state: SyncState) -> QIcon:
        """The state's mark, tinted for the current palette."""
        dark = is_dark()
        found = self._icons.get((state, dark))
        if found is None:
            name, _tip, light_colour, dark_colour = STATE_MARKS[state]
            found = icon(name, QColor(dark_colour if dark else light_colour))
            self._icons[(state, dark)] = found
        return found

    # -- query ---------------------------------------------------------------------------------

    @property
    def query(self) -> Any:
        return self._query

    def total(self) -> int:
        """How many calls match (all pages)."""
        return self._total

    def set_filter(self, **changes: Any) -> None:
        """Change filters/search (fields of ``CallQuery``) and reload from the first page."""
        self._query = dataclasses.replace(self._query, **changes)
        if "sort" in changes or "descending" in changes:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        self._spawn(self.reload())

    async def reload(self, *, keep: bool = False) -> None:
        """Fetch the first page again (``keep``: as many rows as are loaded now)."""
        self._generation += 1
        generation = self._generation
        limit = max(self._page, len(self._rows)) if keep else self._page
        query = dataclasses.replace(self._query, limit=limit, offset=0)
        rows = list(await self._service.list_calls(query))
        total = await self._service.count_calls(query)
        if generation != self._generation:
            return  # a newer reload superseded this one
        old_ids = [r.local_id for r in self._rows]
        if keep and old_ids == [r.local_id for r in rows]:
            self._rows = rows
            self._total = total
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._rows = rows
            self._total = total
            self._fetching = False
            self.endResetModel()
        self.loaded.emit()

    async def load_more(self) -> None:
        """Append the next page."""
        if self._fetching or len(self._rows) >= self._total:
            return
        self._fetching = True
        generation = self._generation
        try:
            query = dataclasses.replace(self._query, limit=self._page, offset=len(self._rows))
            rows = list(await self._service.list_calls(query))
        finally:
            self._fetching = False
        if generation != self._generation:
            return
        known = {r.local_id for r in self._rows}
        fresh = [r for r in rows if r.local_id not in known]
        if not fresh:
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        self.endInsertRows()
        self.loaded.emit()

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not parent.isValid() and not self._fetching:
            self._spawn(self.load_more())

    def row_at(self, row: int) -> Summary:
        return self._rows[row]

    def row_of(self, local_id: str) -> int:
        """The row showing ``local_id``, or -1."""
        for number, summary in enumerate(self._rows):
            if summary.local_id == local_id:
                return number
        return -1

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return header_title(
                section, getattr(self._query, "sort", ""), getattr(self._query, "descending", False)
            )
        if role == Qt.ItemDataRole.ToolTipRole and section == STATE_COLUMN:
            return tr("Sync state")
        if role == Qt.ItemDataRole.ToolTipRole:
            return tr("Click to sort by this column; click again to reverse")
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if column == STATE_COLUMN:
            if role == Qt.ItemDataRole.DecorationRole:
                return self.state_icon(row.state)
            if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
                return state_tip(row.state)
            if role == Qt.ItemDataRole.UserRole:
                return row.local_id
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (2, 6):
            return cell_text(row, column)
        if role == Qt.ItemDataRole.UserRole:
            return row.local_id
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(COLUMNS):
            self.set_filter(
                sort=COLUMNS[column][1], descending=order == Qt.SortOrder.DescendingOrder
            )

    def rows(self) -> Sequence[Summary]:
        """The rows loaded so far."""
        return tuple(self._rows)
