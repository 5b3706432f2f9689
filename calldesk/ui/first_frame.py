"""What the call list shows in the window's first frame, before the store and the engine load.

``FrameModel`` holds the newest list lines read by ``calldesk.store.glance`` and draws them
exactly as ``CallListModel`` will (``calldesk.ui.columns``); the window swaps it for the real
model right after the first paint. Its column titles come from ``frame_header``, a header-only
``QStandardItemModel`` (no rows) set on the table's header: a Python ``headerData`` receives a
``Qt.Orientation``, and converting that builds PySide6's whole ``Qt`` namespace (~15 ms), which
the first frame avoids (see ``calldesk.ui.window``). Roles are the ints Qt passes ``data``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex
from PySide6.QtGui import QColor, QIcon, QStandardItemModel

from calldesk.ui.columns import (
    COLUMNS,
    STATE_COLUMN,
    STATE_MARKS,
    ListLine,
    cell_text,
    header_title,
)
from calldesk.ui.icons import icon, is_dark

DISPLAY_ROLE = 0  # Qt.ItemDataRole.DisplayRole
DECORATION_ROLE = 1  # Qt.ItemDataRole.DecorationRole


class FrameModel(QAbstractTableModel):
    """The first frame's list lines (read-only; replaced by ``CallListModel``)."""

    def __init__(self, lines: Sequence[ListLine], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines = list(lines)
        self._marks: dict[str, QIcon] = {}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY_ROLE) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._lines):
            return None
        line = self._lines[index.row()]
        if index.column() == STATE_COLUMN:
            return self._mark(line.state) if role == DECORATION_ROLE else None
        if role == DISPLAY_ROLE:
            return cell_text(line, index.column())
        return None

    def _mark(self, state: str) -> QIcon | None:
        found = self._marks.get(state)
        if found is None and state in STATE_MARKS:
            name, _tip, light, dark = STATE_MARKS[state]
            found = self._marks[state] = icon(name, QColor(dark if is_dark() else light))
        return found


def frame_header(
    parent: QObject, sort: str = "when", descending: bool = True
) -> QStandardItemModel:
    """The column titles alone (no rows), for the table's header in the first frame."""
    header = QStandardItemModel(0, len(COLUMNS), parent)
    header.setHorizontalHeaderLabels(
        [header_title(section, sort, descending) for section in range(len(COLUMNS))]
    )
    return header
