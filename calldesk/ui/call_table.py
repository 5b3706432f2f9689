"""The call list view: a ``QTableView`` that takes a recording dropped on a row, hands focus on.

Dropping one local file on a row emits :attr:`CallTable.file_dropped` with the row and the path;
a row whose CRM takes no recording files refuses the drag, and :attr:`CallTable.drag_refused`
says why (the window shows it). Tab and Enter emit :attr:`CallTable.leave_forward`, so focus
moves from the list to the editor. Building one does not touch PySide6's ``Qt`` namespace (the
window's first frame holds one; see ``calldesk.ui.window``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QTableView, QWidget

if TYPE_CHECKING:  # loaded on the first key press: the first frame does without them
    from PySide6.QtCore import QModelIndex, Qt
    from PySide6.QtWidgets import QAbstractItemView


def _dropped_file(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> Path | None:
    # Imported on the first drag: the recording widgets are not needed to paint the list.
    from calldesk.ui.recording import local_file_of

    return local_file_of(event.mimeData().urls())


#: QAbstractItemView.DragDropMode.DropOnly, set as an int: building QAbstractItemView's enums costs
#: ~2 ms, and the window's first frame holds one of these tables.
DROP_ONLY = 2

RowRefusal = Callable[[int, Path], str | None]
"""``(row, path) -> reason``: why the row's call cannot take the file (None: it can)."""


class CallTable(QTableView):
    """The call list view (see the module docstring)."""

    file_dropped = Signal(int, str)
    drag_refused = Signal(str)
    leave_forward = Signal()

    def __init__(self, refusal: RowRefusal, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._refusal = refusal
        self.setAcceptDrops(True)
        self.setProperty("dragDropMode", DROP_ONLY)
        self.setDropIndicatorShown(True)
        self.setTabKeyNavigation(False)

    def _target(self, position: QPoint, path: Path | None) -> int | None:
        if path is None:
            return None
        row = self.indexAt(position).row()
        if row < 0:
            return None
        reason = self._refusal(row, path)
        if reason:
            self.drag_refused.emit(reason)
            return None
        return row

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        path = _dropped_file(event)
        if self._target(event.position().toPoint(), path) is None:
            event.ignore()
            return
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_file(event)
        row = self._target(event.position().toPoint(), path)
        if row is None or path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.file_dropped.emit(row, str(path))

    def focusNextPrevChild(self, next: bool) -> bool:
        if next:
            self.leave_forward.emit()  # Tab: on to the editor, whatever the focus chain says
            return True
        return super().focusNextPrevChild(next)

    def moveCursor(
        self, cursorAction: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """Home and End go to the first and last call, as Ctrl+Home and Ctrl+End do, and stay
        in the current column (a row is selected whole: going to its last column would only
        scroll the call's time out of sight)."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QAbstractItemView

        action = QAbstractItemView.CursorAction
        if cursorAction not in (action.MoveHome, action.MoveEnd):
            return super().moveCursor(cursorAction, modifiers)
        target = super().moveCursor(cursorAction, modifiers | Qt.KeyboardModifier.ControlModifier)
        current = self.currentIndex()
        return target.siblingAtColumn(current.column()) if current.isValid() else target

    def keyPressEvent(self, event: QKeyEvent) -> None:
        from PySide6.QtCore import Qt  # not at import: the first frame does without ``Qt``

        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self.leave_forward.emit()
            event.accept()
            return
        super().keyPressEvent(event)
