"""The queue panel: every unsent operation with its state and last error; retry, edit, discard.

A non-modal dialog (opened with ``open()``/``show()``), refreshed whenever the outbox changes.
"Edit…" emits ``edit_requested(account, local_id, what the CRM said)``: the window opens that
call in its editor with the CRM's message, and saving the fix sends the change again (the
outbox folds the new edit into the refused one).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain import Operation, OpKind, OpState
from calldesk.ui.ports import CallServicePort

Spawn = Callable[[Coroutine[Any, Any, None]], object]
RETRYABLE = {OpState.FAILED, OpState.CONFLICT, OpState.NEEDS_AUTH}

#: What each kind of change is called for a rep (translated through ``tr`` when shown).
KIND_TEXT = {
    OpKind.CREATE: "New call",
    OpKind.UPDATE: "Changes",
    OpKind.DELETE: "Delete",
    OpKind.UPLOAD: "Recording",
}
#: Where a change stands, for a rep.
STATE_TEXT = {
    OpState.PENDING: "Waiting",
    OpState.IN_FLIGHT: "Sending",
    OpState.SENT: "Sent",
    OpState.FAILED: "Refused",
    OpState.CONFLICT: "Conflict",
    OpState.NEEDS_AUTH: "Needs the account key",
}


class QueuePanel(QDialog):
    """Lists the outbox; retry, edit or discard the selected operation."""

    edit_requested = Signal(str, str, str)

    def __init__(self, service: CallServicePort, spawn: Spawn, parent: QWidget | None = None):
        super().__init__(parent)
        self._service = service
        self._spawn = spawn
        self._ops: list[Operation] = []
        self._calls: dict[str, str] = {}
        self.setObjectName("queue_panel")
        self.setWindowTitle(self.tr("Sync queue"))
        self.setAccessibleName(self.tr("Sync queue"))
        self.setModal(False)
        self.resize(760, 360)
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("queue_summary")
        layout.addWidget(self.summary)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("queue_list")
        self.tree.setAccessibleName(self.tr("Unsent changes"))
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHeaderLabels(
            [
                self.tr("Call"),
                self.tr("Account"),
                self.tr("Change"),
                self.tr("State"),
                self.tr("Tries"),
                self.tr("What the CRM said"),
            ]
        )
        header = self.tree.header()
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.tree, 1)
        row = QHBoxLayout()
        self.retry_button = QPushButton(self.tr("&Retry"), self)
        self.retry_button.setObjectName("queue_retry")
        self.retry_button.setToolTip(self.tr("Send this change again now"))
        self.discard_button = QPushButton(self.tr("&Discard"), self)
        self.discard_button.setObjectName("queue_discard")
        self.discard_button.setToolTip(
            self.tr("Forget this change: it is never sent and its local effect is undone")
        )
        self.edit_button = QPushButton(self.tr("&Edit…"), self)
        self.edit_button.setObjectName("queue_edit")
        self.edit_button.setToolTip(
            self.tr("Open this call in the editor to fix what the CRM refused, then save it")
        )
        self.retry_button.clicked.connect(self._retry)
        self.edit_button.clicked.connect(self._edit)
        self.discard_button.clicked.connect(self._discard)
        self.tree.itemDoubleClicked.connect(lambda _item, _column: self._edit())
        row.addWidget(self.retry_button)
        row.addWidget(self.edit_button)
        row.addWidget(self.discard_button)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.close)
        row.addWidget(close)
        layout.addLayout(row)
        self._update_buttons()

    def set_service(self, service: CallServicePort) -> None:
        """Talk to another service (the accounts changed)."""
        self._service = service
        self.show_ops([])

    async def refresh(self) -> None:
        """Read the queue from the service and show it, naming the call of each change."""
        ops = await self._service.queue()
        for op in ops:
            if op.local_id not in self._calls:
                self._calls[op.local_id] = await self._describe(op)
        self.show_ops(ops)

    async def _describe(self, op: Operation) -> str:
        """``Chloe Moreau · 21 Nov 10:42`` (or the phone), from the record's list line."""
        try:
            record = await self._service.find(op.account, op.local_id)
            row = self._service.schema_for(op.account).list_row(record.fields, {})
        except Exception:  # a discarded or unknown record: fall back to its id
            return op.remote_id or op.local_id
        when = row.when.astimezone().strftime("%d %b %H:%M") if row.when else ""
        who = row.phone or row.who
        return " · ".join(part for part in (who, when) if part) or (op.remote_id or op.local_id)

    def show_ops(self, ops: Sequence[Operation]) -> None:
        selected = self.selected_op()
        self._ops = list(ops)
        self.tree.clear()
        for op in self._ops:
            item = QTreeWidgetItem(
                [
                    self._calls.get(op.local_id, op.remote_id or op.local_id),
                    op.account,
                    self.tr(KIND_TEXT[op.kind]),
                    self.tr(STATE_TEXT[op.state]),
                    str(op.attempts),
                    op.last_error or "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, op.op_id)
            item.setToolTip(5, op.last_error or "")
            self.tree.addTopLevelItem(item)
            if selected is not None and op.op_id == selected.op_id:
                item.setSelected(True)
        for column in range(5):
            self.tree.resizeColumnToContents(column)
        self.summary.setText(self._summary_text())
        self._update_buttons()

    def _summary_text(self) -> str:
        if not self._ops:
            return self.tr("Nothing waiting: every change reached its CRM.")
        waiting = len(self._ops)
        attention = sum(op.state in RETRYABLE for op in self._ops)
        text = (
            self.tr("1 change waiting to be sent")
            if waiting == 1
            else self.tr("{n} changes waiting to be sent").format(n=waiting)
        )
        if attention == 1:
            text += self.tr(" · 1 needs your attention")
        elif attention:
            text += self.tr(" · {n} need your attention").format(n=attention)
        return text

    def selected_op(self) -> Operation | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        op_id = items[0].data(0, Qt.ItemDataRole.UserRole)
        return next((op for op in self._ops if op.op_id == op_id), None)

    def _update_buttons(self) -> None:
        op = self.selected_op()
        self.retry_button.setEnabled(op is not None and op.state in RETRYABLE)
        self.edit_button.setEnabled(
            op is not None and op.state != OpState.IN_FLIGHT and op.kind != OpKind.DELETE
        )
        self.discard_button.setEnabled(op is not None and op.state != OpState.IN_FLIGHT)

    def _retry(self) -> None:
        op = self.selected_op()
        if op is not None:
            self._spawn(self._run(self._service.retry(op.op_id)))

    def _edit(self) -> None:
        op = self.selected_op()
        if op is not None and self.edit_button.isEnabled():
            self.edit_requested.emit(op.account, op.local_id, op.last_error or "")

    def _discard(self) -> None:
        op = self.selected_op()
        if op is not None:
            self._spawn(self._run(self._service.discard(op.op_id)))

    async def _run(self, action: Coroutine[Any, Any, object]) -> None:
        await action
        await self.refresh()
