"""The main window: toolbar, account/filter sidebar, lazily paged call list, editor, status bar.

It talks only to the ``Backend`` (``CallService``, ``SyncEngine``, ``ChangeBus``) and runs its
async work as tasks on the running (qasync) loop; nothing here blocks or opens a modal dialog.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain import Changes, SyncState
from calldesk.ui.call_model import CallListModel
from calldesk.ui.form import EditorForm
from calldesk.ui.ports import Backend, errors_of
from calldesk.ui.queue_panel import QueuePanel

log = logging.getLogger("calldesk.ui")

SEARCH_DELAY_MS = 150
DRAFT_DELAY_MS = 600
ROLE_FILTER = Qt.ItemDataRole.UserRole


class BusBridge(QObject):
    """Turns ``ChangeBus`` callbacks into one coalesced Qt signal per burst."""

    changed = Signal(object)

    def __init__(self, backend: Backend, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending = Changes()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._flush)
        self._unsubscribe = backend.bus.subscribe(self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        self._pending = self._pending | changes
        self._timer.start()

    def _flush(self) -> None:
        changes, self._pending = self._pending, Changes()
        self.changed.emit(changes)

    def close(self) -> None:
        self._unsubscribe()
        self._timer.stop()


class MainWindow(QMainWindow):
    """calldesk's window (see the module docstring). ``settings_path``: an ini file for layout."""

    def __init__(
        self, backend: Backend, *, settings_path: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.backend = backend
        self.service = backend.service
        self._tasks: set[asyncio.Task[object]] = set()
        self._settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        self._forms: dict[str, EditorForm] = {}
        self._editing: tuple[str, str | None] | None = None  # (account, local_id or None if new)
        self._draft_id = uuid.uuid4().hex
        self._draft: tuple[str, dict[str, str]] | None = None
        self._failed = 0
        self.setObjectName("main_window")
        self.setWindowTitle(self.tr("calldesk") + (self.tr(" — Demo") if backend.demo else ""))
        self.model = CallListModel(self.service, backend.base_query, spawn=self.spawn, parent=self)
        self.queue_panel = QueuePanel(self.service, self.spawn, self)
        self._build_toolbar()
        self._build_body()
        self._build_status()
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(lambda: self.spawn(self._store_draft()))
        self.bridge = BusBridge(backend, self)
        self.bridge.changed.connect(self._on_changes)
        self.model.loaded.connect(self._reselect)
        self._restore_layout()
        self.new_call()

    # -- tasks ---------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, object]) -> object:
        """Run ``coro`` on the running loop, logging (never raising) what it throws."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            coro.close()
            return None
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("window task failed", exc_info=task.exception())
            self.statusBar().showMessage(str(task.exception()), 8000)

    async def settle(self) -> None:
        """Wait for the window's outstanding tasks (tests and shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- building ------------------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("Main"), self)
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(bar)
        title = QLabel(self.tr("calldesk"), self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        title.setContentsMargins(6, 0, 12, 0)
        bar.addWidget(title)
        self.new_action = QAction(self.tr("+ New call log"), self)
        self.new_action.setObjectName("new_call")
        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.setToolTip(self.tr("Log a new call (Ctrl+N)"))
        self.new_action.triggered.connect(lambda: self.new_call())  # noqa: PLW0108
        bar.addAction(self.new_action)
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("Search calls…"))
        self.search.setAccessibleName(self.tr("Search calls"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        find = QAction(self)
        find.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(lambda: self.search.setFocus())  # noqa: PLW0108
        self.addAction(find)
        bar.addSeparator()
        bar.addWidget(self.search)
        self.sync_action = QAction(self.tr("⟳ Sync now"), self)
        self.sync_action.setObjectName("sync_now")
        self.sync_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.sync_action.setToolTip(self.tr("Send queued changes now, skipping waits (F5)"))
        self.sync_action.triggered.connect(self.sync_now)
        bar.addAction(self.sync_action)
        #: Hook for the accounts dialog (``calldesk.ui.accounts``): enabled when it is wired in.
        self.accounts_action = QAction(self.tr("Accounts…"), self)
        self.accounts_action.setObjectName("accounts")
        self.accounts_action.setVisible(False)
        bar.addAction(self.accounts_action)
        spacer = QWidget(self)
        spacer.setSizePolicy(
            spacer.sizePolicy().horizontalPolicy().Expanding, spacer.sizePolicy().verticalPolicy()
        )
        bar.addWidget(spacer)
        self.offline_switch = QCheckBox(self.tr("Offline"), self)
        self.offline_switch.setObjectName("offline_switch")
        self.offline_switch.setToolTip(self.tr("Simulate having no network: saves queue up"))
        self.offline_switch.toggled.connect(self.set_offline)
        self.demo_mark = QLabel(self.tr("DEMO"), self)
        self.demo_mark.setObjectName("demo_mark")
        self.demo_mark.setToolTip(self.tr("Sandbox CRMs with sample data; nothing leaves this app"))
        self.demo_mark.setStyleSheet(
            "QLabel { background: #b36b00; color: white; font-weight: 700;"
            " border-radius: 4px; padding: 2px 8px; margin: 0 6px; }"
        )
        bar.addWidget(self.offline_switch)
        bar.addWidget(self.demo_mark)
        self.offline_switch.setVisible(self.backend.demo)
        self.demo_mark.setVisible(self.backend.demo)

    def _build_body(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("main_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.sidebar = QTreeWidget(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName(self.tr("Accounts and filters"))
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setRootIsDecorated(False)
        self.sidebar.setIndentation(10)
        self._fill_sidebar()
        self.sidebar.currentItemChanged.connect(self._on_sidebar)
        self.splitter.addWidget(self.sidebar)

        middle = QWidget(self)
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.banner = QLabel(middle)
        self.banner.setObjectName("offline_banner")
        self.banner.setAccessibleName(self.tr("Connection"))
        self.banner.setContentsMargins(10, 6, 10, 6)
        self.banner.setAutoFillBackground(True)
        self.banner.setBackgroundRole(self.banner.backgroundRole().AlternateBase)
        self.banner.hide()
        column.addWidget(self.banner)
        self.table = QTableView(middle)
        self.table.setObjectName("call_list")
        self.table.setAccessibleName(self.tr("Calls"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for number, width in enumerate((26, 120, 200, 72, 64, 100, 160, 80)):
            header.resizeSection(number, width)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        column.addWidget(self.table, 1)
        self.splitter.addWidget(middle)

        right = QWidget(self)
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.setSpacing(4)
        self.editor_stack = QStackedWidget(right)
        self.editor_stack.setObjectName("editor_stack")
        right_column.addWidget(self.editor_stack, 1)
        #: Hook for the recording drop zone (``calldesk.ui.recording``); hidden until wired in.
        self.drop_zone_slot = QVBoxLayout()
        right_column.addLayout(self.drop_zone_slot)
        self.history_toggle = QToolButton(right)
        self.history_toggle.setObjectName("history_toggle")
        self.history_toggle.setText(self.tr("History"))
        self.history_toggle.setCheckable(True)
        self.history_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.history_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.history_toggle.setAutoRaise(True)
        self.history_toggle.toggled.connect(self._toggle_history)
        right_column.addWidget(self.history_toggle)
        self.history = QListWidget(right)
        self.history.setObjectName("history")
        self.history.setAccessibleName(self.tr("What was sent for this call"))
        self.history.setMaximumHeight(120)
        self.history.hide()
        right_column.addWidget(self.history)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([180, 660, 560])
        self.setCentralWidget(self.splitter)

    def _fill_sidebar(self) -> None:
        self.sidebar.clear()
        bold = self.sidebar.font()
        bold.setBold(True)

        def section(title: str) -> QTreeWidgetItem:
            item = QTreeWidgetItem([title])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setFont(0, bold)
            self.sidebar.addTopLevelItem(item)
            item.setExpanded(True)
            return item

        accounts = section(self.tr("ACCOUNTS"))
        self.all_item = QTreeWidgetItem([self.tr("All calls")])
        self.all_item.setData(0, ROLE_FILTER, ("all", ""))
        accounts.addChild(self.all_item)
        for name, account in self.service.accounts().items():
            label = f"{name} · {self.service.schema_for(name).label}"
            item = QTreeWidgetItem([label])
            item.setData(0, ROLE_FILTER, ("account", name))
            reason = self.backend.unavailable.get(name)
            item.setToolTip(0, reason or f"{account.vendor.value} · {account.base_url}")
            accounts.addChild(item)
        filters = section(self.tr("FILTERS"))
        self.filter_items: dict[str, QTreeWidgetItem] = {}
        for key, title in (
            ("not_synced", self.tr("Not synced")),
            ("failed", self.tr("Failed")),
            ("week", self.tr("This week")),
        ):
            item = QTreeWidgetItem([title])
            item.setData(0, ROLE_FILTER, (key, ""))
            filters.addChild(item)
            self.filter_items[key] = item
        self.sidebar.setCurrentItem(self.all_item)

    def _build_status(self) -> None:
        status = self.statusBar()
        self.status_button = QPushButton(self)
        self.status_button.setObjectName("sync_status")
        self.status_button.setFlat(True)
        self.status_button.setAccessibleName(self.tr("Sync status; opens the queue"))
        self.status_button.setToolTip(self.tr("Open the sync queue"))
        self.status_button.clicked.connect(self.open_queue)
        status.addPermanentWidget(self.status_button, 1)
        self._update_status(pending=0, failed=0)

    # -- layout persistence --------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 860)
        state = self._settings.value("window/splitter")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.splitter.restoreState(state)

    def save_layout(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self._settings.sync()

    closing = Signal()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.bridge.close()
        self.queue_panel.close()
        super().closeEvent(event)
        self.closing.emit()

    # -- list and filters ----------------------------------------------------------------------

    def start(self) -> None:
        """Load the list and the status (call once the loop runs)."""
        self.spawn(self.model.reload())
        self.spawn(self.refresh_status())

    async def refresh_all(self) -> None:
        """Fetch every connected account's lookups and calls from its CRM (in the background)."""
        for name in self.service.accounts():
            if name in self.backend.unavailable:
                continue
            try:
                await self.service.refresh_lookups(name)
                await self.service.refresh(name)
            except Exception as exc:  # a CRM that cannot be reached must not stop the others
                log.warning("refresh of %s failed: %s", name, exc)
                self.statusBar().showMessage(
                    self.tr("{account}: could not fetch calls ({reason})").format(
                        account=name, reason=exc
                    ),
                    8000,
                )

    def apply_search(self) -> None:
        self.model.set_filter(text=self.search.text().strip())

    def _on_sidebar(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        data = item.data(0, ROLE_FILTER) if item is not None else None
        if not data:
            return
        kind, value = data
        start_of_week = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        start_of_week -= timedelta(days=start_of_week.weekday())
        self.model.set_filter(
            accounts=(value,) if kind == "account" else (),
            not_synced=kind == "not_synced",
            states=(SyncState.FAILED,) if kind == "failed" else (),
            since=start_of_week.timestamp() if kind == "week" else None,
        )
        if kind == "account":
            self.new_call(value)

    def _on_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        summary = self.model.row_at(current.row())
        if self._editing == (summary.account, summary.local_id):
            return
        self.spawn(self.open_record(summary.account, summary.local_id))

    def _reselect(self) -> None:
        if self._editing is None or self._editing[1] is None:
            return
        row = self.model.row_of(self._editing[1])
        if row >= 0 and self.table.currentIndex().row() != row:
            self.table.selectionModel().blockSignals(True)
            self.table.selectRow(row)
            self.table.selectionModel().blockSignals(False)

    # -- the editor ----------------------------------------------------------------------------

    def form_for(self, account: str) -> EditorForm:
        """The editor of ``account`` (built once, from its vendor schema)."""
        form = self._forms.get(account)
        if form is None:
            form = EditorForm(
                self.service.schema_for(account),
                account_name=account,
                lookups=partial(self.service.lookup, account),
                spawn=self.spawn,
                parent=self.editor_stack,
            )
            form.save_requested.connect(self._on_save)
            form.draft_changed.connect(partial(self._on_draft, account))
            self.editor_stack.addWidget(form)
            self._forms[account] = form
        return form

    @property
    def form(self) -> EditorForm | None:
        current = self.editor_stack.currentWidget()
        return current if isinstance(current, EditorForm) else None

    def _default_account(self) -> str | None:
        item = self.sidebar.currentItem()
        data = item.data(0, ROLE_FILTER) if item is not None else None
        if data and data[0] == "account":
            return str(data[1])
        if self._editing is not None:
            return self._editing[0]
        names = list(self.service.accounts())
        return names[0] if names else None

    def new_call(self, account: str | None = None) -> None:
        """Show an empty editor for ``account`` (the selected one by default)."""
        name = account or self._default_account()
        if name is None:
            return
        form = self.form_for(name)
        self.editor_stack.setCurrentWidget(form)
        form.new_record({})
        self._editing = (name, None)
        self._draft_id = uuid.uuid4().hex
        self.table.clearSelection()
        self.history.clear()
        self.history_toggle.setEnabled(False)

    async def open_record(self, account: str, local_id: str) -> None:
        """Load a call into its account's editor, with its history."""
        record = await self.service.find(account, local_id)
        form = self.form_for(account)
        self.editor_stack.setCurrentWidget(form)
        form.load_record(record.fields, existing=record.remote_id is not None)
        self._editing = (account, local_id)
        self._draft_id = uuid.uuid4().hex
        self.history_toggle.setEnabled(True)
        await self._load_history(local_id)

    async def _load_history(self, local_id: str) -> None:
        entries = await self.service.history(local_id)
        self.history.clear()
        for entry in entries:
            status = str(entry.status) if entry.status is not None else self.tr("no answer")
            when = entry.at.astimezone().strftime("%d %b %H:%M:%S")
            text = f"{when}  {entry.method} {entry.path}  → {status}"
            if entry.message:
                text += f"  {entry.message}"
            self.history.addItem(text)
        self.history_toggle.setText(self.tr("History ({n})").format(n=len(entries)))

    def _toggle_history(self, shown: bool) -> None:
        self.history.setVisible(shown)
        self.history_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )

    def _on_draft(self, account: str, raw: dict[str, str]) -> None:
        self._draft = (account, dict(raw))
        self._draft_timer.start()

    async def _store_draft(self) -> None:
        if self._draft is None or self._editing is None:
            return
        account, raw = self._draft
        local_id = self._editing[1] if self._editing[0] == account else None
        await self.service.save_draft(self._draft_id, account, raw, local_id)

    def _on_save(self, wire: dict[str, Any], and_new: bool) -> None:
        self.spawn(self.save(wire, and_new=and_new))

    async def save(self, wire: dict[str, Any], *, and_new: bool = False) -> bool:
        """Queue the editor's values (new call or edit); errors go beside the fields."""
        form = self.form
        if form is None or self._editing is None:
            return False
        account, local_id = self._editing
        values = form.schema.from_wire(wire)
        self._draft_timer.stop()
        try:
            if local_id is None:
                record = await self.service.log_call(account, values)
            else:
                record = await self.service.update_call(account, local_id, values)
        except self.backend.validation_error as exc:
            form.show_remote_errors("", errors_of(exc))
            return False
        except self.backend.service_error as exc:
            form.show_remote_errors(str(exc))
            return False
        await self.service.drop_draft(self._draft_id)
        self._draft = None
        self.statusBar().showMessage(self.tr("Saved. It syncs in the background."), 4000)
        if and_new:
            self.new_call(account)
        else:
            self._editing = (account, record.local_id)
            form.load_record(record.fields, existing=record.remote_id is not None)
            self.history_toggle.setEnabled(True)
        return True

    # -- sync state ----------------------------------------------------------------------------

    def sync_now(self) -> None:
        self.backend.engine.sync_now()
        self.statusBar().showMessage(self.tr("Syncing…"), 2000)

    def set_offline(self, offline: bool) -> None:
        """The demo's switch: simulate having no network."""
        self.backend.engine.connectivity.force_offline(offline)
        if self.offline_switch.isChecked() != offline:
            self.offline_switch.setChecked(offline)
        self.spawn(self.refresh_status())

    def open_queue(self) -> None:
        """Show the queue panel (non-modal)."""
        self.queue_panel.show()
        self.queue_panel.raise_()
        self.spawn(self.queue_panel.refresh())

    def _on_changes(self, changes: Changes) -> None:
        if changes.calls or changes.outbox:
            self.spawn(self.model.reload(keep=True))
        if changes.outbox or changes.connectivity:
            self.spawn(self.refresh_status())
            if self.queue_panel.isVisible():
                self.spawn(self.queue_panel.refresh())
        if changes.local_ids and self._editing and self._editing[1] in changes.local_ids:
            local_id = self._editing[1]
            if local_id is not None:
                self.spawn(self._load_history(local_id))

    async def refresh_status(self) -> None:
        counts = await self.service.counts()
        pending = counts.pending + counts.in_flight
        failed = counts.failed + counts.conflict + counts.needs_auth
        self._update_status(pending=pending, failed=failed)

    def _update_status(self, *, pending: int, failed: int) -> None:
        online = self.backend.engine.connectivity.online
        parts = [self.tr("● Online") if online else self.tr("○ Offline")]
        parts.append(self.tr("{n} pending").format(n=pending))
        if failed:
            parts.append(self.tr("{n} need attention").format(n=failed))
        self.status_button.setText("  ·  ".join(parts) + self.tr("  (open queue)"))
        self.filter_items["failed"].setText(
            0, self.tr("Failed ({n})").format(n=failed) if failed else self.tr("Failed")
        )
        self._failed = failed
        if online:
            self.banner.hide()
        else:
            self.banner.setText(
                self.tr("Offline — {n} change(s) will sync when you are back.").format(n=pending)
                if pending
                else self.tr("Offline — your saves are kept here and sync when you are back.")
            )
            self.banner.show()
