"""The call list: a ``QAbstractTableModel`` over ``CallService.list_calls``, read a page at a time.

The model has as many rows as the query matches (``count_calls``) but holds only a window of at
most :data:`KEEP_PAGES` pages of them: a row the view asks for that is not held is blank until
its page arrives (the request runs on the asyncio loop; ``dataChanged`` repaints it), and the
rows furthest from it are dropped, so scrolling through a million calls holds memory flat. Pages
next to the window are read by keyset (``after``/``before`` its edge rows), the end of the list
(End, Ctrl+End, the scrollbar at the bottom) as the query's last page (``from_end``), without
reading the pages between; only a jump into the middle (dragging the scrollbar) skips rows by
offset, from the nearer end. Sorting and filters re-query the service. Every row is a plain
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
#: How many pages of rows the model holds at most (the rest are read again when shown).
KEEP_PAGES = 5


WHO_COLUMN = 2  # "Contact / phone": where a call with unsaved edits shows its ✎


def _spawn_on_running_loop(coro: Coroutine[Any, Any, None]) -> object:
    """The default spawner: ``calldesk.ui.form.base.spawn_on_running_loop``, imported on use."""
    from calldesk.ui.form.base import spawn_on_running_loop

    return spawn_on_running_loop(coro)


class CallListModel(QAbstractTableModel):
    """The rows of one query (filters, search text, sort), a window of them held at a time.

    ``spawn`` starts the model's loads (default: a task on the running asyncio loop).
    """

    loaded = Signal()  # after each (re)load or page

    def __init__(
        self,
        service: CallServicePort,
        base_query: Any,
        *,
        page_size: int = PAGE_SIZE,
        keep_pages: int = KEEP_PAGES,
        spawn: Spawner | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._query: Any = dataclasses.replace(base_query, limit=page_size, offset=0)
        self._page = page_size
        self._keep = max(2, keep_pages) * page_size
        self._spawn: Spawner = spawn if spawn is not None else _spawn_on_running_loop
        self._start = 0  # the list position of self._rows[0]
        self._rows: list[Summary] = []
        self._marked: frozenset[str] = frozenset()  # calls with unsaved edits kept
        self._total = 0
        self._loading = False
        self._wanted: int | None = None  # a row asked for while a page was loading
        self._generation = 0
        self._icons: dict[tuple[SyncState, bool], QIcon] = {}

    def set_marked(self, local_ids: frozenset[str]) -> None:
        """Mark the calls with unsaved edits kept (a ✎ before the contact, said in the tip)."""
        if local_ids == self._marked:
            return
        self._marked = frozenset(local_ids)
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, WHO_COLUMN))

    def set_service(self, service: CallServicePort) -> None:
        """Read from another service (the accounts changed); call :meth:`reload` next.

        The rows shown stay until the reload's first page replaces them in one reset, so the
        list never flickers empty while the window switches engines; loads still running
        against the old service are dropped.
        """
        self._service = service
        self._generation += 1
        self._loading = False
        self._wanted = None

    def seed(self, rows: Sequence[Summary]) -> None:
        """Show ``rows`` (read before the event loop ran) until the next reload replaces them."""
        self._generation += 1
        self.beginResetModel()
        self._start = 0
        self._rows = list(rows)
        self._total = len(self._rows)
        self._loading = False
        self._wanted = None
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

    @property
    def loading(self) -> bool:
        """Whether a page is being read."""
        return self._loading

    def held(self) -> range:
        """The list positions whose rows are held now (the window)."""
        return range(self._start, self._start + len(self._rows))

    def set_filter(self, **changes: Any) -> None:
        """Change filters/search (fields of ``CallQuery``) and reload from the first page."""
        self._query = dataclasses.replace(self._query, **changes)
        if "sort" in changes or "descending" in changes:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        self._spawn(self.reload())

    async def reload(self, *, keep: bool = False) -> None:
        """Read the list again from its first page; ``keep``: read the rows held now again in
        place (the view keeps its position), as after a save or a sync."""
        self._generation += 1
        generation = self._generation
        start, held = self._start, len(self._rows)
        if keep and start > 0 and held:
            rows = await self._read_at(start, held)
        else:
            start = 0
            limit = max(self._page, held) if keep else self._page
            rows = list(await self._service.list_calls(self._page_query(limit=limit)))
        total = await self._service.count_calls(self._query)
        if generation != self._generation:
            return  # a newer reload superseded this one
        self._loading = False
        self._wanted = None
        if keep and start == self._start:
            same = [r.local_id for r in self._rows] == [r.local_id for r in rows]
            self._resize(max(total, start + len(rows)))
            self._rows = rows
            if rows:
                last = start + len(rows) - 1 if same else self._total - 1
                self.dataChanged.emit(self.index(start, 0), self.index(last, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._start = 0
            self._rows = rows
            self._total = max(total, len(rows))
            self.endResetModel()
        self.loaded.emit()

    async def _read_at(self, start: int, count: int) -> list[Summary]:
        """The ``count`` rows from list position ``start`` on (its neighbour's keyset)."""
        if self._rows and start > 0:
            before = list(
                await self._service.list_calls(
                    self._page_query(limit=1, before=self._rows[0].local_id)
                )
            )
            if before:
                query = self._page_query(limit=count, after=before[0].local_id)
                return list(await self._service.list_calls(query))
        return list(await self._service.list_calls(self._page_query(limit=count, offset=start)))

    def _page_query(self, **page: Any) -> Any:
        return dataclasses.replace(self._query, **{"offset": 0, **page})

    def _resize(self, total: int) -> None:
        """Grow or shrink the row count to ``total`` (rows at the end come or go)."""
        if total > self._total:
            self.beginInsertRows(QModelIndex(), self._total, total - 1)
            self._total = total
            self.endInsertRows()
        elif total < self._total:
            self.beginRemoveRows(QModelIndex(), total, self._total - 1)
            self._total = total
            del self._rows[max(0, total - self._start) :]
            self.endRemoveRows()

    # -- the window of rows held ----------------------------------------------------------------

    def _held(self, row: int) -> Summary | None:
        offset = row - self._start
        return self._rows[offset] if 0 <= offset < len(self._rows) else None

    def request(self, row: int) -> None:
        """Make sure the page holding list position ``row`` is read (now or after the current
        load): the view calls this through :meth:`data` for each row it paints."""
        if not 0 <= row < self._total or self._held(row) is not None:
            return
        if self._loading:
            self._wanted = row
            return
        self._loading = True
        self._spawn(self._load(row))

    async def load_end(self) -> None:
        """Read the last page now (End, Ctrl+End): the oldest calls, in one query."""
        if self._total and self._held(self._total - 1) is None:
            self._loading = True
            await self._load(self._total - 1)

    async def _load(self, row: int) -> None:
        generation = self._generation
        end = self._start + len(self._rows)
        page = self._page
        try:
            if self._rows and end <= row < end + page:
                query = self._page_query(after=self._rows[-1].local_id, limit=page)
                placement = "after"
            elif self._rows and self._start - page <= row < self._start:
                query = self._page_query(before=self._rows[0].local_id, limit=page)
                placement = "before"
            elif row < page or row <= self._total - row:
                query = self._page_query(offset=max(0, row - page // 2), limit=page)
                placement = "top"
            else:
                skip = max(0, self._total - 1 - row - page // 2)
                query = self._page_query(from_end=True, offset=skip, limit=page)
                placement = "bottom"
            rows = list(await self._service.list_calls(query))
        finally:
            if generation == self._generation:
                self._loading = False
        if generation != self._generation:
            return
        self._place(placement, query, rows, row)
        self.loaded.emit()
        wanted, self._wanted = self._wanted, None
        if wanted is not None:
            self.request(wanted)

    def _place(self, placement: str, query: Any, rows: list[Summary], row: int) -> None:
        """Put a page read for list position ``row`` in the window, dropping the far rows."""
        first = self._start
        if placement == "after":
            if len(rows) < query.limit:  # the list ends sooner than counted
                self._resize(self._start + len(self._rows) + len(rows))
            self._rows.extend(rows)
        elif placement == "before":
            self._start = max(0, self._start - len(rows))
            self._rows[:0] = rows
            first = self._start
        elif placement == "top":
            self._start = query.offset
            self._rows = rows
            if len(rows) < query.limit:
                self._resize(self._start + len(rows))
            first = self._start
        else:
            self._start = max(0, self._total - query.offset - len(rows))
            self._rows = rows
            first = self._start
        overflow = len(self._rows) - self._keep
        if overflow > 0:
            if row - self._start >= len(self._rows) // 2:  # drop the far side from ``row``
                del self._rows[:overflow]
                self._start += overflow
            else:
                del self._rows[-overflow:]
        if self._rows:
            last = max(self._start + len(self._rows), first + len(rows)) - 1
            top = min(first, self._start)
            self.dataChanged.emit(
                self.index(top, 0), self.index(min(last, self._total - 1), len(COLUMNS) - 1)
            )

    # -- Qt model API --------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def row_at(self, row: int) -> Summary | None:
        """The summary at list position ``row``; ``None`` while its page is being read."""
        found = self._held(row)
        if found is None:
            self.request(row)
        return found

    def row_of(self, local_id: str) -> int:
        """The list position of ``local_id`` among the rows held, or -1."""
        for number, summary in enumerate(self._rows):
            if summary.local_id == local_id:
                return self._start + number
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
        if section == STATE_COLUMN and role in (
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return tr("Sync state")
        if role == Qt.ItemDataRole.ToolTipRole:
            return tr("Click to sort by this column; click again to reverse")
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid():
            return None
        row = self._held(index.row())
        if row is None:
            self.request(index.row())
            return None
        column = index.column()
        marked = row.local_id in self._marked
        if column == STATE_COLUMN:
            if role == Qt.ItemDataRole.DecorationRole:
                return self.state_icon(row.state)
            if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
                tip = state_tip(row.state)
                return tip + tr("; unsaved edits kept here") if marked else tip
            if role == Qt.ItemDataRole.UserRole:
                return row.local_id
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            text = cell_text(row, column)
            return f"✎ {text}" if marked and column == WHO_COLUMN else text
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
        """The rows held now (list positions :meth:`held`)."""
        return tuple(self._rows)
