"""The window's frame: toolbar, the three columns' widgets, status bar, and the layout kept.

``WindowChrome`` builds what the *first frame* paints (before asyncio, the store or PySide6's
``Qt`` namespace load; the few Qt enum values it needs are written as ints, see ``ROLE_FILTER``)
and owns how it looks afterwards: the list's column widths, the demo's controls at the toolbar's
right end, the status line's words and icon, icons repainted on a light/dark switch, the window
geometry and splitter saved in the settings file. It holds widgets, not behaviour: the
collaborators built by ``MainWindow.attach`` connect to them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
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
    QVBoxLayout,
    QWidget,
)

from calldesk.ui.call_table import CallTable
from calldesk.ui.first_frame import FrameModel, frame_header
from calldesk.ui.icons import icon

if TYPE_CHECKING:
    from PySide6.QtWidgets import QCheckBox, QMenu

    from calldesk.ui.columns import ListLine

#: The search box's narrowest and widest (it grows with the window between the two).
SEARCH_WIDTHS = (320, 520)
#: Qt enum values the first frame uses as plain ints (through ``setProperty`` or an int
#: parameter): naming them through PySide6's ``Qt`` namespace would build all of its enum
#: classes (~15 ms) before the first paint. ``tests/ui/test_ui_first_frame.py`` checks them.
ROLE_FILTER = 0x0100  # Qt.ItemDataRole.UserRole
TEXT_BESIDE_ICON = 2  # Qt.ToolButtonStyle.ToolButtonTextBesideIcon
RIGHT_ARROW = 4  # Qt.ArrowType.RightArrow
#: Likewise for QAbstractItemView's enums (~2 ms to build on first use).
SELECT_ROWS = 1  # QAbstractItemView.SelectionBehavior.SelectRows
SINGLE_SELECTION = 1  # QAbstractItemView.SelectionMode.SingleSelection
STATUS_STYLE = "QPushButton { text-align: left; padding: 2px 8px; }"
#: The list's columns (``calldesk.ui.columns``) the chrome sizes by name.
DIRECTION_COLUMN = 3
NOTE_COLUMN = 6
ACCOUNT_COLUMN = 7
RowRefusal = Callable[[int, Path], "str | None"]


class WindowChrome:
    """Builds the window's widgets on ``window`` and keeps its look (see the module docstring)."""

    def __init__(
        self,
        window: QMainWindow,
        settings: QSettings,
        rows: Sequence[ListLine],
        row_refusal: RowRefusal,
    ) -> None:
        self._window = window
        self._settings = settings
        self.offline_switch: QCheckBox | None = None
        self.demo_mark: QLabel | None = None
        self._demo_actions: tuple[QAction, ...] = ()
        self.menus: dict[str, QMenu] = {}
        self._build_menus()
        self._build_toolbar()
        self._build_body(rows, row_refusal)
        self._build_status()
        self._restore_layout()

    def tr(self, text: str) -> str:
        return self._window.tr(text)

    # -- the first frame -----------------------------------------------------------------------

    def _build_menus(self) -> None:
        """The menu bar's titles (filled by ``calldesk.ui.menus`` when attached): built now so
        that attaching does not move the frame."""
        bar = self._window.menuBar()
        self.menus = {
            key: bar.addMenu(title)
            for key, title in (
                ("file", self.tr("&File")),
                ("edit", self.tr("&Edit")),
                ("view", self.tr("&View")),
                ("help", self.tr("&Help")),
            )
        }

    def _build_toolbar(self) -> None:
        window = self._window
        bar = QToolBar(self.tr("Main"), window)
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.setProperty("toolButtonStyle", TEXT_BESIDE_ICON)
        window.addToolBar(bar)
        title = QLabel(self.tr("calldesk"), window)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        title.setFont(font)
        title.setContentsMargins(6, 0, 12, 0)
        bar.addWidget(title)
        self.new_action = QAction(icon("new"), self.tr("New call log"), window)
        self.new_action.setObjectName("new_call")
        self.new_action.setToolTip(self.tr("Log a new call, starting now (Ctrl+N)"))
        bar.addAction(self.new_action)
        self.search = QLineEdit(window)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("Search calls…  (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search calls"))
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition).setText(
            self.tr("Search calls")
        )
        self.search.setMinimumWidth(SEARCH_WIDTHS[0])
        self.search.setMaximumWidth(SEARCH_WIDTHS[1])  # it takes the toolbar's free space, to this
        bar.addSeparator()
        bar.addWidget(self.search)
        self.filter_button = QToolButton(window)  # its menu comes with ``attach`` (ui.filters)
        self.filter_button.setObjectName("filter")
        self.filter_button.setText(self.tr("Filter"))
        self.filter_button.setIcon(icon("filter"))
        self.filter_button.setProperty("toolButtonStyle", TEXT_BESIDE_ICON)
        self.filter_button.setAutoRaise(True)
        bar.addWidget(self.filter_button)
        self.sync_action = QAction(icon("sync"), self.tr("Sync now"), window)
        self.sync_action.setObjectName("sync_now")
        self.sync_action.setToolTip(
            self.tr("Send queued changes now, skipping waits, and fetch new calls (F5)")
        )
        bar.addAction(self.sync_action)
        self.accounts_action = QAction(icon("accounts"), self.tr("Accounts…"), window)
        self.accounts_action.setObjectName("accounts")
        self.accounts_action.setToolTip(self.tr("Add, change or remove CRM accounts"))
        self.accounts_action.setVisible(False)  # shown once the backend says it can
        bar.addAction(self.accounts_action)
        self.toolbar = bar  # a spacer, the demo's switch and its mark go last, when attached

    def _build_body(self, rows: Sequence[ListLine], row_refusal: RowRefusal) -> None:
        window = self._window
        self.splitter = QSplitter(parent=window)  # horizontal (no ``Qt.Orientation`` needed)
        self.splitter.setObjectName("main_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.sidebar = QTreeWidget(window)  # filled by ``calldesk.ui.sidebar``
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setAccessibleName(self.tr("Accounts and filters"))
        self.sidebar.setHeaderLabel(self.tr("Accounts and filters"))  # a reader's column name
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setRootIsDecorated(False)
        self.sidebar.setIndentation(10)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self._build_list(rows, row_refusal))
        self.splitter.addWidget(self._build_editor_column())
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([150, 800, 490])
        window.setCentralWidget(self.splitter)

    def _build_list(self, rows: Sequence[ListLine], row_refusal: RowRefusal) -> QWidget:
        window = self._window
        middle = QWidget(window)
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
        self.table = CallTable(row_refusal, middle)
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
        self.frame_model = FrameModel(rows, window)
        self.table.setModel(self.frame_model)
        self.table.horizontalHeader().setModel(frame_header(window))
        self.size_columns()
        column.addWidget(self.table, 1)
        return middle

    def size_columns(self) -> None:
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
        header.setSectionResizeMode(NOTE_COLUMN, QHeaderView.ResizeMode.Stretch)  # the rest
        self.table.hideColumn(DIRECTION_COLUMN)  # shown in the editor; the list keeps it short

    def _build_editor_column(self) -> QWidget:
        right = QWidget(self._window)
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
        self.editor_column = right_column  # the notice goes first, the history list last
        return right

    def _build_status(self) -> None:
        window = self._window
        status = window.statusBar()
        self.status_button = QPushButton(window)
        self.status_button.setObjectName("sync_status")
        self.status_button.setFlat(True)
        self.status_button.setStyleSheet(STATUS_STYLE)
        self.status_button.setAccessibleName(self.tr("Sync status; opens the queue"))
        self.status_button.setToolTip(self.tr("Open the sync queue"))
        status.addPermanentWidget(self.status_button, 1)
        self.rate_label = QLabel(window)
        self.rate_label.setObjectName("rate_budget")
        self.rate_label.setToolTip(self.tr("Requests each CRM still allows in its current window"))
        self.rate_label.setContentsMargins(8, 0, 8, 0)
        status.addPermanentWidget(self.rate_label)

    def show_status_line(self, online: bool | None, pending: int, failed: int) -> None:
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
        self.status_button.setAccessibleName(
            self.tr("Sync status: {state}; opens the queue").format(state=", ".join(parts))
        )

    # -- what ``attach`` adds ------------------------------------------------------------------

    def attach_list(self) -> None:
        """The real model is on the table: drop the frame's, size the columns again, sort."""
        from PySide6.QtCore import Qt

        self.frame_model.deleteLater()
        self.size_columns()
        header = self.table.horizontalHeader()
        # The list is newest first: show that before sorting is switched on (which sorts by it).
        header.setSortIndicator(1, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        header.setSortIndicatorShown(False)

    def attach_access(self) -> None:
        """What a keyboard or a screen reader needs beyond the first frame: the toolbar's
        buttons on the Tab chain, and a name for each of the search box's icon buttons."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QToolButton

        for action in (self.new_action, self.sync_action, self.accounts_action):
            button = self.toolbar.widgetForAction(action)
            if button is not None:
                button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
                button.setAccessibleName(action.text().replace("…", ""))
        self.filter_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        icons = self.search.findChildren(QToolButton)
        names = (self.tr("Search calls"), self.tr("Clear the search"))
        for button, name in zip(icons, names, strict=False):
            button.setAccessibleName(name)

    def attach_demo_controls(self) -> QCheckBox:
        """The demo's "Simulate offline" switch and its mark, at the toolbar's right end."""
        from PySide6.QtWidgets import QCheckBox, QSizePolicy

        window = self._window
        switch = QCheckBox(self.tr("Simulate offline"), window)
        switch.setObjectName("offline_switch")
        switch.setToolTip(self.tr("Simulate having no network: saves queue up"))
        mark = QLabel(self.tr("DEMO"), window)
        mark.setObjectName("demo_mark")
        mark.setToolTip(self.tr("Sandbox CRMs with sample data; nothing leaves this app"))
        # A spacer pushes them to the right end. It is built now, not in the first frame, and
        # shown only with them: ``QSizePolicy`` costs ~1 ms to load before the first paint.
        spacer = QWidget(window)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        # A toolbar shows and hides its widgets through the actions it wraps them in.
        self._demo_actions = (
            self.toolbar.addWidget(spacer),
            self.toolbar.addWidget(switch),
            self.toolbar.addWidget(mark),
        )
        self.offline_switch, self.demo_mark = switch, mark
        return switch

    def show_demo(self, demo: bool, *, accounts: bool) -> None:
        """The demo's controls when ``demo``; "Accounts…" when the backend can change them."""
        mark = self.demo_mark
        if demo and mark is not None and not mark.styleSheet():
            mark.setStyleSheet(  # styled only when shown: a style sheet costs a polish
                "QLabel { background: #b36b00; color: white; font-weight: 700;"
                " border-radius: 4px; padding: 2px 8px; margin: 0 6px; }"
            )
        for action in self._demo_actions:
            action.setVisible(demo)
        self.accounts_action.setVisible(accounts)

    def restyle_status(self) -> None:
        """A widget with a style sheet keeps the colours it was polished with: set it again,
        or the status line stays dark text on the new dark background (light/dark switch)."""
        self.status_button.setStyleSheet("")
        self.status_button.setStyleSheet(STATUS_STYLE)

    def tint_icons(self, status: str) -> None:
        """Icons follow the palette's text colour: paint them again when it changes (dark mode);
        ``status``: the status line's icon name."""
        self.new_action.setIcon(icon("new"))
        self.sync_action.setIcon(icon("sync"))
        self.accounts_action.setIcon(icon("accounts"))
        self.filter_button.setIcon(icon("filter"))
        self.status_button.setIcon(icon(status))
        for action in self.search.actions():
            action.setIcon(icon("search"))

    # -- layout persistence --------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self._settings.value("window/geometry")
        state = self._settings.value("window/splitter")
        if geometry is None and state is None:  # the first start: no ``QByteArray`` needed
            self._window.resize(1440, 860)
            return
        from PySide6.QtCore import QByteArray

        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self._window.restoreGeometry(geometry)
        else:
            self._window.resize(1440, 860)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.splitter.restoreState(state)

    def save_layout(self) -> None:
        """Keep the window's geometry and the columns' split for the next start."""
        self._settings.setValue("window/geometry", self._window.saveGeometry())
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self._settings.sync()
