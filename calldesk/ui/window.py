"""The main window: toolbar, account/filter sidebar, lazily paged call list, editor, status bar.

It talks only to the ``Backend`` (``CallService``, ``SyncEngine``, ``ChangeBus``) and runs its
async work as tasks on the running (qasync) loop; nothing here blocks or opens a modal dialog.
Under the editor sits the recording drop zone of the open call (upload progress comes from the
backend's ``ProgressRelay``); a call in conflict opens the field-by-field conflict view instead
of the editor; unsaved drafts come back at start-up; the accounts dialog reopens the backend.

Start-up comes in two steps. ``MainWindow(None, glance=...)`` builds the *first frame*: the
toolbar, the sidebar, the newest calls the glance read (``calldesk.store.glance``, shown by
``calldesk.ui.first_frame.FrameModel``) and the status bar, importing neither the store, the
domain model, asyncio nor PySide6's ``Qt`` namespace (building its 93 enum classes costs ~15 ms;
the few Qt enum values the frame needs are written as ints, see ``ROLE_FILTER``), so it paints
a few milliseconds after Qt has started. ``attach(backend)`` then adds everything else: the real
list model over the same rows, shortcuts, the editor column, keys, timers and the sync status.
``MainWindow(backend, ...)`` does both at once. Even then, the editor forms (and the schema
machinery), the conflict view, the recording drop zones, the history list, the queue panel and
the accounts dialog are imported and built when first needed (``prepare_panels`` builds the
shared ones ahead of use, once the rows are on screen).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from calldesk.ui.call_table import CallTable
from calldesk.ui.first_frame import FrameModel, frame_header
from calldesk.ui.icons import icon

if TYPE_CHECKING:  # imported where first used: the first frame needs none of them
    import asyncio

    from PySide6.QtWidgets import QListWidget

    from calldesk.domain import Changes, Operation
    from calldesk.store.drafts import Draft
    from calldesk.store.glance import Glance
    from calldesk.ui.accounts import AccountsDialog
    from calldesk.ui.conflict_view import ConflictView
    from calldesk.ui.form import EditorForm
    from calldesk.ui.ports import Backend, Summary
    from calldesk.ui.queue_panel import QueuePanel
    from calldesk.ui.recording import RecordingDropZone

log = logging.getLogger("calldesk.ui")

SEARCH_DELAY_MS = 150
#: The search box's narrowest and widest (it grows with the window between the two).
SEARCH_WIDTHS = (320, 520)
DRAFT_DELAY_MS = 600
STATUS_TICK_MS = 3000
#: Qt enum values the first frame uses as plain ints (through ``setProperty`` or an int
#: parameter): naming them through PySide6's ``Qt`` namespace would build all of its enum
#: classes (~15 ms) before the first paint. ``tests/ui/test_ui_first_frame.py`` checks them.
ROLE_FILTER = 0x0100  # Qt.ItemDataRole.UserRole
TEXT_BESIDE_ICON = 2  # Qt.ToolButtonStyle.ToolButtonTextBesideIcon
RIGHT_ARROW = 4  # Qt.ArrowType.RightArrow
#: Likewise for QAbstractItemView's enums (~2 ms to build on first use).
SELECT_ROWS = 1  # QAbstractItemView.SelectionBehavior.SelectRows
SINGLE_SELECTION = 1  # QAbstractItemView.SelectionMode.SingleSelection
FAILED_UPLOAD = {"failed", "conflict", "needs-auth"}  # OpState values
STATUS_STYLE = "QPushButton { text-align: left; padding: 2px 8px; }"
Reopen = Callable[[], Awaitable["Backend"]]


def _new_draft_id() -> str:
    """A fresh key for the unsaved draft (32 random hex digits; no ``uuid`` import at start-up)."""
    return os.urandom(16).hex()


class BusBridge(QObject):
    """Turns ``ChangeBus`` callbacks into one coalesced Qt signal per burst."""

    changed = Signal(object)

    def __init__(self, backend: Backend, parent: QObject | None = None) -> None:
        from calldesk.domain import Changes

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
        changes, self._pending = self._pending, type(self._pending)()
        self.changed.emit(changes)

    def close(self) -> None:
        self._unsubscribe()
        self._timer.stop()


class MainWindow(QMainWindow):
    """calldesk's window (see the module docstring). ``settings_path``: an ini file for layout.

    ``MainWindow(backend, ...)`` builds the whole window. ``MainWindow(None, glance=...)`` builds
    only its first frame (the toolbar, the sidebar, the newest calls, the status bar) for the
    launcher to paint; ``attach(backend)`` then gives it everything else. ``reopen`` (optional)
    closes the backend and opens it again; the window calls it after the rep changed accounts in
    the accounts dialog, and carries on with the new backend.
    """

    closing = Signal()

    def __init__(
        self,
        backend: Backend | None,
        *,
        settings_path: Path,
        reopen: Reopen | None = None,
        glance: Glance | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._reopen = reopen
        self._attached = False
        self._tasks: set[asyncio.Task[object]] = set()
        self._settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        self._forms: dict[str, EditorForm] = {}
        self._zones: dict[str, RecordingDropZone] = {}
        self._editing: tuple[str, str | None] | None = None  # (account, local_id or None if new)
        self._locked = False  # the open call's CRM allows no changes to it
        self._draft_id = _new_draft_id()
        self._draft: tuple[str, dict[str, str]] | None = None
        self._record_drafts: dict[str, Draft] = {}
        self._failed = glance.failed if glance is not None else 0
        self._view = ("all", "")  # the sidebar's choice: (kind, account or "")
        self._was_online = True
        self._pending = glance.pending if glance is not None else 0
        self._unsubscribe_progress: Callable[[], None] = lambda: None
        self.accounts_dialog: AccountsDialog | None = None
        self._queue_panel: QueuePanel | None = None
        self._network_watch: QObject | None = None
        self._conflict_view: ConflictView | None = None
        self._history: QListWidget | None = None
        self.setObjectName("main_window")
        self.setWindowTitle(self.tr("calldesk"))
        self._build_toolbar()
        self._build_body(glance)
        self._build_status()
        self._restore_layout()
        if backend is not None:
            self.attach(backend)

    def attach(self, backend: Backend, rows: Sequence[Summary] | None = None) -> None:
        """Give the first frame its behaviour: the real call list (showing ``rows`` until its
        first load), the toolbar's shortcuts, the editor column, the keys, the sync status."""
        from calldesk.ui.call_model import CallListModel

        if self._attached:
            raise RuntimeError("the window is attached to a backend already")
        self._attached = True
        self.backend = backend
        self.service = backend.service
        title = self.tr("calldesk") + (self.tr(" — Demo") if backend.demo else "")
        self.setWindowTitle(title)
        self.model: CallListModel = CallListModel(
            self.service, backend.base_query, spawn=self.spawn, parent=self
        )
        if rows is not None:
            self.model.seed(rows)
        self._attach_list()
        self._attach_toolbar()
        self._attach_editor_column()
        self._install_keys()
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(lambda: self.spawn(self._store_draft()))
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(200)
        self._reload_timer.timeout.connect(lambda: self.spawn(self.reload_backend()))
        from calldesk.ui.refresher import CrmRefresher

        self.refresher = CrmRefresher(lambda: self.backend, self.spawn, self)
        self.refresher.failed.connect(self._fetch_failed)
        self.refresher.failures_changed.connect(
            lambda: self._update_status(pending=self._pending, failed=self._failed)
        )
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_TICK_MS)
        self._status_timer.timeout.connect(self._update_rate)
        self._status_timer.start()
        self.bridge = BusBridge(backend, self)
        self.bridge.changed.connect(self._on_changes)
        self._listen_progress()
        self.model.loaded.connect(self._reselect)
        self._apply_backend_flags()
        self._fill_sidebar()
        self.sidebar.currentItemChanged.connect(self._on_sidebar)
        self._update_status(pending=self._pending, failed=self._failed)
        self._show_default_editor()

    @property
    def attached(self) -> bool:
        """Whether the window has its backend (else it is the first frame alone)."""
        return self._attached

    # -- tasks ---------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, object]) -> object:
        """Run ``coro`` on the running loop, logging (never raising) what it throws."""
        if "asyncio" not in sys.modules:  # no loop yet: the window paints before asyncio loads
            coro.close()
            return None
        import asyncio

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
        import asyncio

        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _cancel_tasks(self) -> None:
        import asyncio

        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    async def shutdown(self) -> None:
        """Keep the draft being typed, then stop every task (after the window closed)."""
        if self._attached and self._draft_timer.isActive():
            self._draft_timer.stop()
            await self._store_draft()
        self._cancel_tasks()
        await self.settle()

    # -- building: the first frame (nothing here may name PySide6's ``Qt``; see ROLE_FILTER) --

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("Main"), self)
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setProperty("toolButtonStyle", TEXT_BESIDE_ICON)
        self.addToolBar(bar)
        title = QLabel(self.tr("calldesk"), self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        title.setContentsMargins(6, 0, 12, 0)
        bar.addWidget(title)
        self.new_action = QAction(icon("new"), self.tr("New call log"), self)
        self.new_action.setObjectName("new_call")
        self.new_action.setToolTip(self.tr("Log a new call, starting now (Ctrl+N)"))
        bar.addAction(self.new_action)
        self.search = QLineEdit(self)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("Search calls…  (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search calls"))
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(SEARCH_WIDTHS[0])
        self.search.setMaximumWidth(SEARCH_WIDTHS[1])  # it takes the toolbar's free space, to this
        bar.addSeparator()
        bar.addWidget(self.search)
        self.filter_button = QToolButton(self)  # its menu comes with ``attach`` (ui.filters)
        self.filter_button.setObjectName("filter")
        self.filter_button.setText(self.tr("Filter"))
        self.filter_button.setIcon(icon("filter"))
        self.filter_button.setProperty("toolButtonStyle", TEXT_BESIDE_ICON)
        self.filter_button.setAutoRaise(True)
        bar.addWidget(self.filter_button)
        self.sync_action = QAction(icon("sync"), self.tr("Sync now"), self)
        self.sync_action.setObjectName("sync_now")
        self.sync_action.setToolTip(
            self.tr("Send queued changes now, skipping waits, and fetch new calls (F5)")
        )
        bar.addAction(self.sync_action)
        self.accounts_action = QAction(icon("accounts"), self.tr("Accounts…"), self)
        self.accounts_action.setObjectName("accounts")
        self.accounts_action.setToolTip(self.tr("Add, change or remove CRM accounts"))
        self.accounts_action.setVisible(False)  # shown once the backend says it can
        bar.addAction(self.accounts_action)
        self._toolbar = bar  # a spacer, the demo's switch and its mark go last, when attached

    def _build_body(self, glance: Glance | None) -> None:
        self.splitter = QSplitter(parent=self)  # horizontal (no ``Qt.Orientation`` needed)
        self.splitter.setObjectName("main_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.sidebar = QTreeWidget(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName(self.tr("Accounts and filters"))
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setRootIsDecorated(False)
        self.sidebar.setIndentation(10)
        self._fill_sidebar_items([])
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self._build_list(glance))
        self.splitter.addWidget(self._build_editor_column())
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([150, 800, 490])
        self.setCentralWidget(self.splitter)

    def _build_list(self, glance: Glance | None) -> QWidget:
        middle = QWidget(self)
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.banner = QLabel(middle)
        self.banner.setObjectName("offline_banner")
        self.banner.setAccessibleName(self.tr("Connection and accounts"))
        self.banner.setWordWrap(True)
        self.banner.setContentsMargins(10, 7, 10, 7)
        self.banner.setAutoFillBackground(True)
        self.banner.setBackgroundRole(self.banner.backgroundRole().AlternateBase)
        self.banner.hide()
        column.addWidget(self.banner)
        self.table = CallTable(self._row_refusal, middle)
        self.table.setObjectName("call_list")
        self.table.setAccessibleName(self.tr("Calls"))
        self.table.setProperty("selectionBehavior", SELECT_ROWS)
        self.table.setProperty("selectionMode", SINGLE_SELECTION)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        # The first frame: the newest calls from the glance, titled by a header-only model.
        self.frame_model = FrameModel(glance.rows if glance is not None else [], self)
        self.table.setModel(self.frame_model)
        self.table.horizontalHeader().setModel(frame_header(self))
        self._size_columns()
        column.addWidget(self.table, 1)
        return middle

    def _size_columns(self) -> None:
        """The columns' widths and modes (again after each ``setModel``: the header resets)."""
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(False)  # the model's titles carry ▼/▲ (see CallListModel)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(24)
        metrics = self.table.fontMetrics()

        def width(sample: str) -> int:
            return metrics.horizontalAdvance(sample) + 28

        widths = (
            30,
            width("Yesterday 23:54"),
            width("Chloe Moreau  +1 312-555-0"),
            width("Outbound"),
            width("Duration"),
            width("Not interested"),
            200,
            width("pipedrive·"),
        )
        for number, size in enumerate(widths):
            header.setSectionResizeMode(number, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(number, size)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)  # the note takes the rest
        self.table.hideColumn(3)  # direction: shown in the editor; the list keeps to the essentials

    def _build_editor_column(self) -> QWidget:
        right = QWidget(self)
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.setSpacing(4)
        self.editor_stack = QStackedWidget(right)
        self.editor_stack.setObjectName("editor_stack")
        self.starting_page = QWidget(self.editor_stack)  # blank while the accounts load
        self.editor_stack.addWidget(self.starting_page)
        right_column.addWidget(self.editor_stack, 1)
        self.drop_hint = QLabel(
            self.tr("Save the call first, then drop its recording here."), right
        )
        self.drop_hint.setObjectName("recording_hint")
        self.drop_hint.setForegroundRole(self.drop_hint.foregroundRole().PlaceholderText)
        self.drop_hint.setContentsMargins(12, 4, 12, 4)
        self.drop_hint.hide()
        right_column.addWidget(self.drop_hint)
        self.zone_stack = QStackedWidget(right)
        self.zone_stack.setObjectName("recording_zones")
        self.zone_stack.hide()  # its size policy comes with ``attach`` (hidden until then)
        right_column.addWidget(self.zone_stack)
        self.history_toggle = QToolButton(right)
        self.history_toggle.setObjectName("history_toggle")
        self.history_toggle.setText(self.tr("History"))
        self.history_toggle.setCheckable(True)
        self.history_toggle.setProperty("toolButtonStyle", TEXT_BESIDE_ICON)
        self.history_toggle.setProperty("arrowType", RIGHT_ARROW)
        self.history_toggle.setAutoRaise(True)
        self.history_toggle.setEnabled(False)
        right_column.addWidget(self.history_toggle)
        self._editor_column = right_column  # the history list goes last, when first needed
        return right

    # -- building: what ``attach`` adds after the first paint ----------------------------------

    def _attach_list(self) -> None:
        from PySide6.QtCore import Qt

        self.table.setModel(self.model)  # the header's own model goes with the frame's
        self.frame_model.deleteLater()
        self._size_columns()
        header = self.table.horizontalHeader()
        # The list is newest first: show that before sorting is switched on (which sorts by it).
        header.setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        header.setSortIndicatorShown(False)
        self.table.selectionModel().currentRowChanged.connect(self._on_row)
        self.table.file_dropped.connect(self._on_row_drop)
        self.table.drag_refused.connect(lambda why: self.statusBar().showMessage(why, 5000))
        self.table.leave_forward.connect(self.focus_editor)

    def _attach_toolbar(self) -> None:
        from PySide6.QtGui import QKeySequence
        from PySide6.QtWidgets import QCheckBox, QSizePolicy

        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.triggered.connect(lambda: self.new_call())  # noqa: PLW0108
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.find_action = QAction(self.tr("Search"), self)
        self.find_action.setObjectName("find")
        self.find_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        self.find_action.triggered.connect(self.focus_search)
        self.addAction(self.find_action)
        from calldesk.ui.filters import ListFilters

        self.filters = ListFilters(  # the service changes with the accounts: look it up late
            self.filter_button,
            lambda: self.service.outcomes(),  # noqa: PLW0108
            self,
        )
        self.filters.changed.connect(self._on_filters)
        self.sync_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.sync_action.triggered.connect(self.sync_now)
        self.accounts_action.triggered.connect(self.open_accounts)
        self.offline_switch = QCheckBox(self.tr("Simulate offline"), self)
        self.offline_switch.setObjectName("offline_switch")
        self.offline_switch.setToolTip(self.tr("Simulate having no network: saves queue up"))
        self.offline_switch.toggled.connect(self.set_offline)
        self.demo_mark = QLabel(self.tr("DEMO"), self)
        self.demo_mark.setObjectName("demo_mark")
        self.demo_mark.setToolTip(self.tr("Sandbox CRMs with sample data; nothing leaves this app"))
        # A spacer pushes them to the right end. It is built now, not in the first frame, and
        # shown only with them: ``QSizePolicy`` costs ~1 ms to load before the first paint.
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        # A toolbar shows and hides its widgets through the actions it wraps them in.
        self._demo_actions = (
            self._toolbar.addWidget(spacer),
            self._toolbar.addWidget(self.offline_switch),
            self._toolbar.addWidget(self.demo_mark),
        )
        if self.search.text():  # typed while the window was starting
            self._search_timer.start()

    def _apply_backend_flags(self) -> None:
        if self.backend.demo and not self.demo_mark.styleSheet():
            self.demo_mark.setStyleSheet(  # styled only when shown: a style sheet costs a polish
                "QLabel { background: #b36b00; color: white; font-weight: 700;"
                " border-radius: 4px; padding: 2px 8px; margin: 0 6px; }"
            )
        for action in self._demo_actions:
            action.setVisible(self.backend.demo)
        self.accounts_action.setVisible(self.backend.account_tools is not None)

    def _attach_editor_column(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QFrame, QHBoxLayout, QSizePolicy

        self.zone_stack.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.notice = QFrame(self.editor_stack.parentWidget())
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
        self.delete_button.clicked.connect(lambda: self.spawn(self.delete_current()))
        row.addWidget(self.notice_icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.notice_text, 1)
        row.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.notice.hide()
        self._editor_column.insertWidget(0, self.notice)
        self.empty_page = self._build_empty_page(self.editor_stack)
        self.editor_stack.addWidget(self.empty_page)
        self.history_toggle.toggled.connect(self._toggle_history)

    # -- panels built on first use -------------------------------------------------------------

    def prepare_panels(self) -> None:
        """Build the panels the first paint does not show, ahead of their first use; start
        listening to the operating system's view of the network."""
        _ = self.conflict_view, self.history, self.queue_panel
        self.watch_network()

    def watch_network(self) -> None:
        """Feed the OS's reachability (Qt's QNetworkInformation) into the sync engine."""
        if self._network_watch is not None:
            return
        from calldesk.ui.network import ReachabilityWatch

        self._network_watch = ReachabilityWatch(self._reachability_changed, self)

    def _reachability_changed(self, reachable: bool) -> None:
        self.backend.engine.connectivity.set_reachable(reachable)
        if reachable:
            self.backend.engine.sync_now()
            self.spawn(self.refresh_all(recent=True))

    @property
    def conflict_view(self) -> ConflictView:
        """The field-by-field conflict view (a page of the editor stack)."""
        if self._conflict_view is None:
            from calldesk.ui.conflict_view import ConflictView

            view = ConflictView(self.editor_stack)
            view.resolve_requested.connect(
                lambda local_id, chosen: self.spawn(self.resolve_conflict(local_id, chosen))
            )
            self.editor_stack.addWidget(view)
            self._conflict_view = view
        return self._conflict_view

    @property
    def history(self) -> QListWidget:
        """What was sent for the open call (under the editor, shown by the History toggle)."""
        if self._history is None:
            from PySide6.QtWidgets import QListWidget

            history = QListWidget(self._editor_column.parentWidget())
            history.setObjectName("history")
            history.setAccessibleName(self.tr("What was sent for this call"))
            history.setMaximumHeight(120)
            history.setVisible(self.history_toggle.isChecked())
            self._editor_column.addWidget(history)
            self._history = history
        return self._history

    @property
    def queue_panel(self) -> QueuePanel:
        """The sync queue (a non-modal window)."""
        if self._queue_panel is None:
            from calldesk.ui.queue_panel import QueuePanel

            self._queue_panel = QueuePanel(self.service, self.spawn, self)
            self._queue_panel.edit_requested.connect(
                lambda account, local_id, said: self.spawn(
                    self.edit_from_queue(account, local_id, said)
                )
            )
        return self._queue_panel

    async def edit_from_queue(self, account: str, local_id: str, said: str) -> None:
        """The queue panel's "Edit…": the call in its editor, with what the CRM said."""
        await self.open_record(account, local_id)
        self.raise_()
        self.activateWindow()
        self._reselect()  # its line in the list, when listed
        form = self.form
        if form is not None and said:
            form.show_remote_errors(
                self.tr("The CRM refused the last try: {said}").format(said=said)
            )
            self.focus_editor()

    def _build_empty_page(self, parent: QWidget) -> QWidget:
        from PySide6.QtCore import Qt

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
        self.add_account_button.clicked.connect(self.open_accounts)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addWidget(self.add_account_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    def _fill_sidebar(self) -> None:
        entries = []
        for name, account in self.service.accounts().items():
            reason = self.backend.unavailable.get(name)
            entries.append(
                (
                    f"{name} · {self.service.schema_for(name).label}",
                    name,
                    reason or f"{account.vendor.value} · {account.base_url}",
                    bool(reason),
                )
            )
        self._fill_sidebar_items(entries)

    def _fill_sidebar_items(self, accounts: list[tuple[str, str, str, bool]]) -> None:
        """The sidebar: "All calls", one line per account (label, name, tooltip, can't sync),
        then the filters. Section titles are made unselectable once attached (that needs the
        ``Qt`` namespace; the first frame takes no clicks)."""
        self.sidebar.blockSignals(True)
        self.sidebar.clear()
        bold = self.sidebar.font()
        bold.setBold(True)
        enabled_only = None
        if self._attached:
            from PySide6.QtCore import Qt

            enabled_only = Qt.ItemFlag.ItemIsEnabled

        def section(title: str) -> QTreeWidgetItem:
            item = QTreeWidgetItem([title])
            if enabled_only is not None:
                item.setFlags(enabled_only)
            item.setFont(0, bold)
            self.sidebar.addTopLevelItem(item)
            item.setExpanded(True)
            return item

        section_item = section(self.tr("ACCOUNTS"))
        self.all_item = QTreeWidgetItem([self.tr("All calls")])
        self.all_item.setData(0, ROLE_FILTER, ("all", ""))
        section_item.addChild(self.all_item)
        for label, name, tooltip, unavailable in accounts:
            item = QTreeWidgetItem([label])
            item.setData(0, ROLE_FILTER, ("account", name))
            if unavailable:
                item.setIcon(0, icon("needs_auth"))
            item.setToolTip(0, tooltip)
            section_item.addChild(item)
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
        self._show_failed_count()
        self.sidebar.setCurrentItem(self.all_item)
        self.sidebar.blockSignals(False)

    def _show_failed_count(self) -> None:
        failed = self._failed
        self.filter_items["failed"].setText(
            0, self.tr("Failed ({n})").format(n=failed) if failed else self.tr("Failed")
        )

    def sidebar_accounts(self) -> list[str]:
        """The account names the sidebar lists."""
        names: list[str] = []
        for number in range(self.sidebar.topLevelItemCount()):
            section = self.sidebar.topLevelItem(number)
            for child in range(section.childCount() if section is not None else 0):
                item = section.child(child) if section is not None else None
                data = item.data(0, ROLE_FILTER) if item is not None else None
                if data and data[0] == "account":
                    names.append(str(data[1]))
        return names

    def _build_status(self) -> None:
        status = self.statusBar()
        self.status_button = QPushButton(self)
        self.status_button.setObjectName("sync_status")
        self.status_button.setFlat(True)
        self.status_button.setStyleSheet(STATUS_STYLE)
        self.status_button.setAccessibleName(self.tr("Sync status; opens the queue"))
        self.status_button.setToolTip(self.tr("Open the sync queue"))
        status.addPermanentWidget(self.status_button, 1)
        self.rate_label = QLabel(self)
        self.rate_label.setObjectName("rate_budget")
        self.rate_label.setToolTip(self.tr("Requests each CRM still allows in its current window"))
        self.rate_label.setContentsMargins(8, 0, 8, 0)
        status.addPermanentWidget(self.rate_label)
        self._show_status_line(None, pending=self._pending, failed=self._failed)

    def _install_keys(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence, QShortcut

        self.status_button.clicked.connect(self.open_queue)
        leave = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.editor_stack)
        leave.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        leave.activated.connect(self.focus_list)

    # -- layout persistence --------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self._settings.value("window/geometry")
        state = self._settings.value("window/splitter")
        if geometry is None and state is None:  # the first start: no ``QByteArray`` needed
            self.resize(1440, 860)
            return
        from PySide6.QtCore import QByteArray

        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 860)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.splitter.restoreState(state)

    def save_layout(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        if self._attached:
            self.bridge.close()
            self._status_timer.stop()
        self._unsubscribe_progress()
        if self._queue_panel is not None:
            self._queue_panel.close()
        if self.accounts_dialog is not None:
            self.accounts_dialog.close()
        super().closeEvent(event)
        self.closing.emit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            # A widget with a style sheet keeps the colours it was polished with: set it again,
            # or the status line stays dark text on the new dark background (light/dark switch).
            status = getattr(self, "status_button", None)  # None: still being built
            if status is not None:
                status.setStyleSheet("")
                status.setStyleSheet(STATUS_STYLE)
            if getattr(self, "_attached", False):
                self._tint_icons()

    def _tint_icons(self) -> None:
        """Icons follow the palette's text colour: paint them again when it changes (dark mode)."""
        self.new_action.setIcon(icon("new"))
        self.sync_action.setIcon(icon("sync"))
        self.accounts_action.setIcon(icon("accounts"))
        self.filter_button.setIcon(icon("filter"))
        self.delete_button.setIcon(icon("delete"))
        self.notice_icon.setPixmap(icon("info").pixmap(18, 18))
        self.add_account_button.setIcon(icon("accounts"))
        online = self.backend.engine.connectivity.online
        self.status_button.setIcon(
            icon("sync" if self.backend.starting else "online" if online else "offline")
        )
        for action in self.search.actions():
            action.setIcon(icon("search"))

    # -- focus ---------------------------------------------------------------------------------

    def focus_list(self) -> None:
        """Esc: back to the call list."""
        from PySide6.QtCore import Qt

        self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_editor(self) -> None:
        """Tab/Enter from the list: into the first field the rep can change."""
        from PySide6.QtCore import Qt

        form = self.form
        if form is None:
            page = self.editor_stack.currentWidget()
            if page is not None:
                page.setFocus(Qt.FocusReason.TabFocusReason)
            return
        for name in form.field_names():
            widget = form.fields[name]
            if widget.is_editable():
                widget.focus_widget().setFocus(Qt.FocusReason.TabFocusReason)
                return

    def focus_search(self) -> None:
        from PySide6.QtCore import Qt

        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- list and filters ----------------------------------------------------------------------

    def start(self, *, refresh: bool = False) -> None:
        """Load the list, the status and unsaved drafts (call once the loop runs).

        ``refresh``: also fetch every account's calls from its CRM in the background. On the
        real engine the recent calls are fetched again every few minutes as well.
        """
        self.spawn(self.model.reload())
        self.spawn(self.refresh_status())
        self.spawn(self.restore_drafts())
        self.spawn(self.filters.load_outcomes())
        if refresh:
            self.spawn(self.refresh_all())
        if not self.backend.starting:
            self.refresher.timer.start()

    @property
    def refresh_timer(self) -> QTimer:
        """What fetches the recent calls every few minutes (``calldesk.ui.refresher``)."""
        return self.refresher.timer

    async def refresh_all(self, *, recent: bool = False) -> None:
        """Fetch the accounts' calls from their CRMs (``CrmRefresher.refresh_all``)."""
        await self.refresher.refresh_all(recent=recent)

    def _fetch_failed(self, account: str, reason: str) -> None:
        self.statusBar().showMessage(
            self.tr("{account}: could not fetch calls ({reason})").format(
                account=account, reason=reason
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
        self._view = (str(kind), str(value))
        if kind in ("not_synced", "failed"):
            self.filters.reset_status()  # the view's status replaces the menu's
        if kind == "week":
            self.filters.reset_range()
        self._apply_filters()
        self.table.setColumnHidden(7, kind == "account")  # one account: no need to repeat it
        if kind == "account":
            self.new_call(value)

    def _on_filters(self) -> None:
        """The filter menu changed: a status or date chosen there replaces the sidebar's."""
        kind = self._view[0]
        choice = self.filters.choice
        if (choice.status and kind in ("not_synced", "failed")) or (
            choice.range_key != "any" and kind == "week"
        ):
            self.sidebar.blockSignals(True)
            self.sidebar.setCurrentItem(self.all_item)
            self.sidebar.blockSignals(False)
            self._view = ("all", "")
        self._apply_filters()

    def _apply_filters(self) -> None:
        """The list's query: the sidebar's view AND the filter menu's choices."""
        from datetime import datetime, timedelta

        from calldesk.domain import SyncState

        kind, value = self._view
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
            from calldesk.ui.form import EditorForm

            form = EditorForm(
                self.service.schema_for(account),
                account_name=account,
                lookups=partial(self.service.lookup, account),
                spawn=self.spawn,
                parent=self.editor_stack,
            )
            form.save_requested.connect(self._on_save)
            form.defaults_requested.connect(partial(self._store_defaults, account))
            form.draft_changed.connect(partial(self._on_draft, account))
            self.editor_stack.addWidget(form)
            self._forms[account] = form
        return form

    def account_defaults(self, account: str) -> dict[str, str]:
        """What new calls for ``account`` start with (raw field texts; ``ui.defaults``)."""
        from calldesk.ui.defaults import AccountDefaults

        return AccountDefaults(self._settings).get(account)

    def _store_defaults(self, account: str, texts: dict[str, str]) -> None:
        from calldesk.ui.defaults import AccountDefaults

        kept = AccountDefaults(self._settings).put(account, texts)
        form = self._forms.get(account)
        labels = [form.schema.field(n).label.lower() for n in kept] if form else list(kept)
        if kept:
            message = self.tr("New calls for {account} now start with this {fields}.").format(
                account=account, fields=", ".join(labels)
            )
        else:
            message = self.tr("New calls for {account} start empty again.").format(account=account)
        self.statusBar().showMessage(message, 6000)

    @property
    def form(self) -> EditorForm | None:
        current = self.editor_stack.currentWidget()
        return next((form for form in self._forms.values() if form is current), None)

    def _default_account(self) -> str | None:
        item = self.sidebar.currentItem()
        data = item.data(0, ROLE_FILTER) if item is not None else None
        if data and data[0] == "account":
            return str(data[1])
        if self._editing is not None and self._editing[0] in self.service.accounts():
            return self._editing[0]
        names = list(self.service.accounts())
        return names[0] if names else None

    def _show_default_editor(self) -> None:
        if self.service.accounts():
            self.new_call()
        else:
            self._editing = None
            starting = self.backend.starting
            self.editor_stack.setCurrentWidget(self.starting_page if starting else self.empty_page)
            self._show_zone(None)
            self._set_notice(None)
            self.history_toggle.setEnabled(False)

    def new_call(self, account: str | None = None) -> None:
        """Ctrl+N: an empty editor for ``account`` (the selected one by default), starting now."""
        name = account or self._default_account()
        if name is None:
            self._show_default_editor()
            return
        form = self.form_for(name)
        self.editor_stack.setCurrentWidget(form)
        form.new_record({}, defaults=self.account_defaults(name))
        self._editing = (name, None)
        self._locked = False
        self._set_notice(None)
        self._draft_id = _new_draft_id()
        self._draft = None
        self.table.clearSelection()
        self.history.clear()
        self.history_toggle.setEnabled(False)
        self._show_zone(name)

    async def open_record(self, account: str, local_id: str) -> None:
        """Load a call into its account's editor (or the conflict view), with its history."""
        from calldesk.domain import SyncState

        record = await self.service.find(account, local_id)
        schema = self.service.schema_for(account)
        self._editing = (account, local_id)
        self._draft_id = _new_draft_id()
        self._draft = None
        self.history_toggle.setEnabled(True)
        if record.state == SyncState.CONFLICT:
            version = await self.service.conflict(local_id)
            if version is not None:
                from calldesk.ui.conflict_view import lookup_labels

                labels = await lookup_labels(
                    schema,
                    version.local_fields,
                    version.remote_fields,
                    lookups=partial(self.service.lookup, account),
                )
                self.conflict_view.show_conflict(
                    schema,
                    account,
                    local_id,
                    version.local_fields,
                    version.remote_fields,
                    labels=labels,
                )
                self.editor_stack.setCurrentWidget(self.conflict_view)
                self._set_notice(None)
                self._show_zone(None)
                await self._load_history(local_id)
                return
        form = self.form_for(account)
        self.editor_stack.setCurrentWidget(form)
        self._locked = schema.capabilities.update is None and record.remote_id is not None
        form.load_record(
            record.fields,
            existing=record.remote_id is not None,
            remote_id=record.remote_id,
            queued=record.remote_id is None,
        )
        lock = self.tr("{crm} doesn't allow changes to a logged call.").format(crm=schema.label)
        form.set_locked(lock if self._locked else None)
        if self._locked:
            self._set_notice(
                lock + " " + self.tr("You can delete it and log it again."),
                delete=schema.capabilities.delete,
            )
        else:
            self._set_notice(None)
        draft = self._record_drafts.get(local_id)
        if draft is not None and not self._locked:
            form.load_draft(draft.form)
            self._draft_id = draft.draft_id
            self._draft = (account, dict(draft.form))
        self._show_zone(account, saved=True)
        self.zone_for(account).set_duration_blocked(lock if self._locked else None)
        await self._restore_upload(account, local_id)
        await self._load_history(local_id)

    def _set_notice(self, text: str | None, *, delete: bool = False) -> None:
        if not text:
            self.notice.hide()
            return
        self.notice_text.setText(text)
        self.delete_button.setVisible(delete)
        self.notice.show()

    def notice_text_shown(self) -> str | None:
        """The calm line above the editor, if shown."""
        return self.notice_text.text() if self.notice.isVisibleTo(self) else None

    async def delete_current(self) -> None:
        """Delete the open call (queued like every change)."""
        if self._editing is None:
            return
        account, local_id = self._editing
        if local_id is None:
            return
        try:
            await self.service.delete_call(account, local_id)
        except self.backend.service_error as exc:
            self.statusBar().showMessage(str(exc), 8000)
            return
        self.statusBar().showMessage(
            self.tr("Deleted here; {crm} is told in the background.").format(
                crm=self.service.schema_for(account).label
            ),
            5000,
        )
        self.new_call(account)

    async def resolve_conflict(self, local_id: str, chosen: dict[str, Any]) -> None:
        """Apply the conflict view's choices and show the call again."""
        await self.service.resolve_conflict(local_id, chosen)
        self.statusBar().showMessage(self.tr("Conflict resolved; your choice syncs now."), 5000)
        if self._editing is not None and self._editing[1] == local_id:
            await self.open_record(self._editing[0], local_id)

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
        from PySide6.QtCore import Qt

        self.history.setVisible(shown)
        self.history_toggle.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )

    # -- drafts --------------------------------------------------------------------------------

    def _on_draft(self, account: str, raw: dict[str, str]) -> None:
        self._draft = (account, dict(raw))
        self._draft_timer.start()

    async def _store_draft(self) -> None:
        if self._draft is None or self._editing is None:
            return
        account, raw = self._draft
        local_id = self._editing[1] if self._editing[0] == account else None
        await self.service.save_draft(self._draft_id, account, raw, local_id)

    async def restore_drafts(self) -> None:
        """Bring back what the rep typed but did not save (the newest draft opens at once)."""
        accounts = self.service.accounts()
        drafts = [d for d in await self.service.drafts() if d.account in accounts]
        self._record_drafts = {d.local_id: d for d in reversed(drafts) if d.local_id is not None}
        if not drafts:
            return
        newest = drafts[0]
        if newest.local_id is not None:
            await self.open_record(newest.account, newest.local_id)
        else:
            self.new_call(newest.account)
            form = self.form
            if form is None:
                return
            form.load_draft(newest.form)
            self._draft_id = newest.draft_id
            self._draft = (newest.account, dict(newest.form))
        when = newest.updated_at.astimezone().strftime("%H:%M")
        self.statusBar().showMessage(
            self.tr("Restored what you were typing at {when}; it was never lost.").format(
                when=when
            ),
            8000,
        )

    # -- saving --------------------------------------------------------------------------------

    def _on_save(self, wire: dict[str, Any], and_new: bool) -> None:
        self.spawn(self.save(wire, and_new=and_new))

    async def save(self, wire: dict[str, Any], *, and_new: bool = False) -> bool:
        """Queue the editor's values (new call or edit); errors go beside the fields."""
        from calldesk.ui.ports import errors_of

        form = self.form
        if form is None or self._editing is None:
            return False
        account, local_id = self._editing
        values = form.schema.from_wire(wire)
        # from_wire leaves nulls out; here a null is the rep clearing a field: keep it.
        values.update({name: None for name, value in wire.items() if value is None})
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
        if local_id is not None:
            self._record_drafts.pop(local_id, None)
        self._draft = None
        self.statusBar().showMessage(self.tr("Saved. It syncs in the background."), 4000)
        if and_new:
            self.new_call(account)
        else:
            self._editing = (account, record.local_id)
            form.load_record(
                record.fields,
                existing=record.remote_id is not None,
                remote_id=record.remote_id,
                queued=record.remote_id is None,
            )
            self.history_toggle.setEnabled(True)
            self._show_zone(account, saved=True)
        return True

    # -- recordings ----------------------------------------------------------------------------

    def zone_for(self, account: str) -> RecordingDropZone:
        """The recording drop zone of ``account`` (built once, from its vendor schema)."""
        zone = self._zones.get(account)
        if zone is None:
            service = self.service
            from calldesk.ui.recording import RecordingDropZone

            zone = RecordingDropZone(
                service.schema_for(account),
                check=lambda path: service.check_recording(account, path),
                attach=lambda path: self._attach(account, path),
                spawn=self.spawn,
                parent=self.zone_stack,
            )
            zone.cancel_requested.connect(lambda op_id: self.spawn(self.service.discard(op_id)))
            zone.retry_requested.connect(lambda op_id: self.spawn(self._retry_upload(op_id)))
            zone.duration_offered.connect(partial(self._use_duration, account))
            zone.queued.connect(lambda _op: self.spawn(self._track_uploads()))
            self.zone_stack.addWidget(zone)
            self._zones[account] = zone
        return zone

    @property
    def drop_zone(self) -> RecordingDropZone | None:
        """The drop zone under the editor, when one is shown."""
        current = self.zone_stack.currentWidget()
        zone = next((zone for zone in self._zones.values() if zone is current), None)
        return zone if zone is not None and self.zone_stack.isVisibleTo(self) else None

    def _show_zone(self, account: str | None, *, saved: bool = False) -> None:
        """The zone for ``account``'s open call; a hint instead while the call is not saved."""
        if account is None:
            self.zone_stack.hide()
            self.drop_hint.hide()
            return
        zone = self.zone_for(account)
        zone.reset()
        self.zone_stack.setCurrentWidget(zone)
        takes_files = zone.accepts_files()
        self.zone_stack.setVisible(saved or not takes_files)
        self.drop_hint.setVisible(takes_files and not saved)

    async def _attach(self, account: str, path: Path) -> Operation:
        if self._editing is None or self._editing[1] is None or self._editing[0] != account:
            raise self.backend.service_error(self.tr("Save the call first, then attach."))
        return await self.service.attach_recording(account, self._editing[1], path)

    async def _retry_upload(self, op_id: str) -> None:
        await self.service.retry(op_id)
        self.backend.engine.sync_now()

    def _use_duration(self, account: str, seconds: int) -> None:
        from calldesk.ui.recording import format_length

        form = self._forms.get(account)
        if form is None or form is not self.form:
            return
        names = [n for n in form.schema.list_view.duration if n in form.fields]
        editable = [n for n in names if form.fields[n].is_editable()]
        if not editable or not form.set_field_text(editable[0], format_length(seconds)):
            self.statusBar().showMessage(self.tr("This call's duration can't be changed."), 5000)

    async def _restore_upload(self, account: str, local_id: str) -> None:
        """Show an upload of this call that is still queued (the zone forgot it on a switch)."""
        from calldesk.domain import OpKind

        ops = [
            op
            for op in await self.service.queue(account)
            if op.local_id == local_id and op.kind == OpKind.UPLOAD
        ]
        zone = self._zones.get(account)
        if not ops or zone is None or self._editing != (account, local_id):
            return  # nothing queued, or the rep moved on meanwhile
        op = ops[-1]
        if zone.op_id() == op.op_id:
            return
        failed = op.last_error or self.tr("The CRM refused the upload.")
        zone.track(op.op_id, failed=failed if op.state in FAILED_UPLOAD else None)

    def _listen_progress(self) -> None:
        relay = self.backend.progress
        self._unsubscribe_progress = (
            relay.subscribe(self._on_progress) if relay is not None else (lambda: None)
        )

    def _on_progress(self, op_id: str, sent: int, total: int) -> None:
        for zone in self._zones.values():
            zone.set_progress(op_id, sent, total)

    async def _track_uploads(self) -> None:
        """Tell the zones whose upload finished (left the queue) or failed."""
        waiting = {z.op_id(): z for z in self._zones.values() if z.op_id() is not None}
        if not waiting:
            return
        ops = {op.op_id: op for op in await self.service.queue()}
        for op_id, zone in waiting.items():
            if op_id is None or zone.op_id() != op_id:
                continue
            op = ops.get(op_id)
            if op is None:
                zone.set_done(op_id)
            elif op.state in FAILED_UPLOAD:
                zone.set_failed(op_id, op.last_error or self.tr("The CRM refused the upload."))

    def _row_refusal(self, row: int, path: Path) -> str | None:
        if not self._attached:
            return self.tr("calldesk is still starting; try again in a moment.")
        account = self.model.row_at(row).account
        if account not in self.service.accounts():
            return self.tr("This call's account is not connected.")
        try:
            if not self.zone_for(account).accepts_files():
                self.service.check_recording(account, path)  # raises with the CRM's reason
        except Exception as exc:  # the service's refusal, in words for the rep
            return str(exc)
        return None

    def _on_row_drop(self, row: int, path: str) -> None:
        summary = self.model.row_at(row)
        self.table.selectionModel().blockSignals(True)
        self.table.selectRow(row)
        self.table.selectionModel().blockSignals(False)
        self.spawn(self._attach_to_row(summary.account, summary.local_id, Path(path)))

    async def _attach_to_row(self, account: str, local_id: str, path: Path) -> None:
        await self.open_record(account, local_id)
        zone = self.drop_zone
        if zone is not None:
            zone.take_file(path)

    # -- accounts ------------------------------------------------------------------------------

    def open_accounts(self) -> None:
        """Show the accounts dialog (non-modal)."""
        tools = self.backend.account_tools
        if tools is None:
            return
        if self.accounts_dialog is None:
            from calldesk.ui.accounts import AccountsDialog

            dialog = AccountsDialog(
                tools.config,
                tools.secrets,
                tools.test,
                builtin=tools.builtin,
                spawn=self.spawn,
                parent=self,
            )
            dialog.setModal(False)
            dialog.accounts_changed.connect(self._reload_timer.start)
            self.accounts_dialog = dialog
        self.accounts_dialog.show()
        self.accounts_dialog.raise_()
        self.accounts_dialog.activateWindow()

    async def reload_backend(self) -> None:
        """The accounts changed: reopen the backend and carry on with it."""
        if self._reopen is None:
            return
        if self._draft_timer.isActive():
            self._draft_timer.stop()
            await self._store_draft()
        self._cancel_tasks()
        self.bridge.close()
        self._unsubscribe_progress()
        self.statusBar().showMessage(self.tr("Connecting the accounts…"))
        backend = await self._reopen()
        self.rebind(backend)
        self.statusBar().showMessage(self.tr("Accounts updated."), 4000)

    def rebind(self, backend: Backend) -> None:
        """Carry on with another backend (same window, new accounts)."""
        self.backend = backend
        self.service = backend.service
        self.refresher.forget()
        self.model.set_service(self.service)
        if self._queue_panel is not None:
            self._queue_panel.set_service(self.service)
        for form in self._forms.values():
            self.editor_stack.removeWidget(form)
            form.deleteLater()
        for zone in self._zones.values():
            self.zone_stack.removeWidget(zone)
            zone.deleteLater()
        self._forms.clear()
        self._zones.clear()
        self._editing = None
        self.bridge = BusBridge(backend, self)
        self.bridge.changed.connect(self._on_changes)
        self._listen_progress()
        self._apply_backend_flags()
        self._fill_sidebar()
        self._on_sidebar(self.all_item, None)
        self._show_default_editor()
        self.start(refresh=True)

    # -- sync state ----------------------------------------------------------------------------

    def sync_now(self) -> None:
        """F5: send what is queued now, and fetch the recent calls from the CRMs."""
        self.backend.engine.sync_now()
        self.spawn(self.refresh_all(recent=True))
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
        if changes.calls:
            self.spawn(self.filters.load_outcomes())  # the Filter menu offers what is listed
        if changes.outbox or changes.connectivity or changes.accounts:
            self.spawn(self.refresh_status())
            if self._queue_panel is not None and self._queue_panel.isVisible():
                self.spawn(self._queue_panel.refresh())
        if changes.outbox:
            self.spawn(self._track_uploads())
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
        if online and not self._was_online and not self.backend.starting:
            self.spawn(self.refresh_all(recent=True))  # back online: fetch what was missed
        self._was_online = online
        self._pending = pending
        self._show_status_line(None if self.backend.starting else online, pending, failed)
        self._failed = failed
        self._show_failed_count()
        lines: list[str] = []
        if not online:
            if pending == 1:
                lines.append(self.tr("Offline — 1 change will sync when you are back"))
            elif pending:
                lines.append(
                    self.tr("Offline — {n} changes will sync when you are back").format(n=pending)
                )
            else:
                lines.append(
                    self.tr("Offline — your saves are kept here and sync when you are back")
                )
        lines.extend(self.account_problems())
        self.banner.setText("\n".join(lines))
        self.banner.setVisible(bool(lines))
        self._update_rate()

    def _show_status_line(self, online: bool | None, pending: int, failed: int) -> None:
        """The status bar's line; ``online`` None: still starting (not known yet)."""
        name = "sync" if online is None else "online" if online else "offline"
        self.status_button.setIcon(icon(name))
        if online is None:
            parts = [self.tr("Starting…")]
        else:
            parts = [self.tr("Online") if online else self.tr("Offline")]
        parts.append(self.tr("{n} pending").format(n=pending))
        if failed:
            parts.append(self.tr("{n} need attention").format(n=failed))
        self.status_button.setText("  ·  ".join(parts) + self.tr("   —  open queue"))

    def account_problems(self) -> list[str]:
        """One calm line per account that cannot sync (no readable key, or a refused key) or
        whose calls could not be fetched the last time (until a refresh succeeds)."""
        problems = [
            self.tr("{account} can't sync: {reason}. Its saves wait here; see Accounts…").format(
                account=name, reason=reason.rstrip(".")
            )
            for name, reason in self.backend.unavailable.items()
        ]
        for name, syncer in self.backend.engine.syncers.items():
            if syncer.status.needs_auth:
                problems.append(
                    self.tr(
                        "{account} refused its key ({reason}). Its saves wait here; "
                        "fix the key in Accounts…"
                    ).format(account=name, reason=syncer.status.auth_message.rstrip("."))
                )
        for name, reason in self.refresher.failures().items():
            if name in self.backend.unavailable or name not in self.service.accounts():
                continue
            problems.append(
                self.tr(
                    "{account}: calls could not be fetched ({reason}). What you log here is "
                    "kept and sent when the CRM answers; F5 tries again."
                ).format(account=name, reason=reason.rstrip("."))
            )
        return problems

    def rate_text(self) -> str:
        """Each account's rate-limit budget, where its CRM told it (``Close: 88/100 req left``)."""
        parts: list[str] = []
        for name, syncer in self.backend.engine.syncers.items():
            info = syncer.status.rate_info
            if info is None or info.remaining is None:
                continue
            budget = f"{info.remaining}/{info.limit}" if info.limit else f"{info.remaining}"
            parts.append(
                self.tr("{account}: {budget} req left").format(account=name, budget=budget)
            )
        return "   ".join(parts)

    def _update_rate(self) -> None:
        text = self.rate_text()
        self.rate_label.setText(text)
        self.rate_label.setVisible(bool(text))
