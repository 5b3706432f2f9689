"""The main window: composes its collaborators and wires them to each other and to the backend.

It talks only to the ``Backend`` (``CallService``, ``SyncEngine``, ``ChangeBus``) and runs its
async work as tasks on the running (qasync) loop; nothing here blocks or opens a modal dialog.
What it composes, each in its own module:

* ``chrome.WindowChrome`` — toolbar, the columns' widgets, status bar, the layout kept;
* ``sidebar.SidebarController`` — accounts and views in the sidebar, the Failed count;
* ``tasks.TaskRunner`` — spawning, settling and cancelling coroutines (none dropped silently);
* ``listing.CallListController`` — the list's model, search, Filter menu and sidebar view;
* ``editor_column.EditorCoordinator`` — the open record: form, notices, conflict view, save,
  with ``drafts.DraftKeeper``, ``recordings.RecordingCoordinator`` and ``history.HistoryPanel``;
* ``status.SyncStatusPresenter`` — status line, banner, account problems, request budgets;
* ``binder.BackendBinder`` — the backend's change events, the accounts dialog, reopening;
* ``refresher.CrmRefresher`` — fetching from the CRMs.

Start-up comes in two steps. ``MainWindow(None, glance=...)`` builds the *first frame* (the
chrome and the sidebar: the toolbar, the newest calls the glance read, the status bar), importing
neither the store, the domain model, asyncio nor PySide6's ``Qt`` namespace (building its 93 enum
classes costs ~15 ms; see ``chrome.ROLE_FILTER``), so it paints a few milliseconds after Qt has
started. ``attach(backend)`` then builds the collaborators. ``MainWindow(backend, ...)`` does both
at once. The editor forms, the conflict view, the recording drop zones, the history list, the
queue panel and the accounts dialog are imported and built when first needed
(``prepare_panels`` builds the shared ones ahead of use, once the rows are on screen).
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QWidget

from calldesk.ui.chrome import (  # re-exported: the first frame's ints live with the chrome
    RIGHT_ARROW,
    ROLE_FILTER,
    SEARCH_WIDTHS,
    SELECT_ROWS,
    SINGLE_SELECTION,
    TEXT_BESIDE_ICON,
    WindowChrome,
)
from calldesk.ui.sidebar import AccountEntry, SidebarController, View
from calldesk.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtWidgets import QCheckBox, QLabel, QTreeWidgetItem

    from calldesk.domain import Changes
    from calldesk.store.glance import Glance
    from calldesk.ui.accounts import AccountsDialog
    from calldesk.ui.binder import BackendBinder, BusBridge, Reopen
    from calldesk.ui.call_model import CallListModel
    from calldesk.ui.conflict_view import ConflictView
    from calldesk.ui.context import WindowContext
    from calldesk.ui.drafts import Editing
    from calldesk.ui.editor_column import EditorCoordinator
    from calldesk.ui.filters import ListFilters
    from calldesk.ui.form import EditorForm
    from calldesk.ui.listing import CallListController
    from calldesk.ui.ports import Backend, CallServicePort, Summary
    from calldesk.ui.queue_panel import QueuePanel
    from calldesk.ui.recording import RecordingDropZone
    from calldesk.ui.refresher import CrmRefresher
    from calldesk.ui.status import SyncStatusPresenter

__all__ = [
    "RIGHT_ARROW",
    "ROLE_FILTER",
    "SEARCH_WIDTHS",
    "SELECT_ROWS",
    "SINGLE_SELECTION",
    "TEXT_BESIDE_ICON",
    "MainWindow",
]

log = logging.getLogger("calldesk.ui")


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
        self.tasks = TaskRunner(lambda text: self.statusBar().showMessage(text, 8000))
        self._settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
        self._glance_counts = (glance.pending, glance.failed) if glance is not None else (0, 0)
        self._queue_panel: QueuePanel | None = None
        self._network_watch: QObject | None = None
        self.setObjectName("main_window")
        self.setWindowTitle(self.tr("calldesk"))
        self.chrome = WindowChrome(
            self, self._settings, glance.rows if glance is not None else [], self._row_refusal
        )
        chrome = self.chrome
        self.table, self.search, self.splitter = chrome.table, chrome.search, chrome.splitter
        self.banner, self.status_button = chrome.banner, chrome.status_button
        self.new_action, self.sync_action = chrome.new_action, chrome.sync_action
        self.accounts_action, self.filter_button = chrome.accounts_action, chrome.filter_button
        self.editor_stack, self.drop_hint = chrome.editor_stack, chrome.drop_hint
        self.history_toggle, self.sidebar = chrome.history_toggle, chrome.sidebar
        self.side = SidebarController(chrome.sidebar, self.tr)
        self.side.show_failed(self._glance_counts[1])
        chrome.show_status_line(None, *self._glance_counts)
        if backend is not None:
            self.attach(backend)

    def attach(self, backend: Backend, rows: Sequence[Summary] | None = None) -> None:
        """Give the first frame its behaviour: the real call list (showing ``rows`` until its
        first load), the toolbar's shortcuts, the editor column, the keys, the sync status."""
        from calldesk.ui.binder import BackendBinder
        from calldesk.ui.context import WindowContext
        from calldesk.ui.editor_column import EditorCoordinator
        from calldesk.ui.listing import CallListController
        from calldesk.ui.refresher import CrmRefresher
        from calldesk.ui.status import SyncStatusPresenter

        if self._attached:
            raise RuntimeError("the window is attached to a backend already")
        self._attached = True
        self.context: WindowContext = WindowContext(
            backend, self.tasks, self.statusBar().showMessage, self._settings
        )
        self.setWindowTitle(self.tr("calldesk") + (self.tr(" — Demo") if backend.demo else ""))
        self.listing: CallListController = CallListController(
            self.context, self.chrome, self.side, self._open_local_id, rows
        )
        self.editor: EditorCoordinator = EditorCoordinator(
            self.context, self.chrome, self.listing, self.side.chosen_account, self.open_accounts
        )
        self.binder: BackendBinder = BackendBinder(
            self.context,
            self._reopen,
            before_reopen=self._before_reopen,
            rebind=self.rebind,
            parent=self,
        )
        self.refresher: CrmRefresher = CrmRefresher(lambda: self.backend, self.spawn, self)
        self.refresher.failed.connect(self._fetch_failed)
        self.status: SyncStatusPresenter = SyncStatusPresenter(
            self.context,
            self.chrome,
            self.side,
            self.refresher,
            self._back_online,
            pending=self._glance_counts[0],
            failed=self._glance_counts[1],
        )
        from calldesk.ui.menus import WindowMenus

        self.menus: WindowMenus = WindowMenus(
            self,
            self.chrome,
            find=self.listing.find_action,
            attach=self.editor.attach_recording,
            bring_back=self.editor.bring_back_discarded,
            open_queue=self.open_queue,
        )
        self._wire()
        self._apply_backend()
        self.side.attach(self._on_view)
        self.status.show_again()
        self.editor.show_default()

    def _wire(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QKeySequence, QShortcut

        chrome, listing, editor = self.chrome, self.listing, self.editor
        listing.row_chosen.connect(self._on_row)
        editor.drafts.marks_changed.connect(listing.model.set_marked)
        self.table.file_dropped.connect(
            lambda row, path: editor.recordings.drop_on_row(listing, row, path)
        )
        self.table.leave_forward.connect(self.focus_editor)
        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.triggered.connect(lambda: self.new_call())  # noqa: PLW0108
        self.sync_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.sync_action.triggered.connect(self.sync_now)
        self.accounts_action.triggered.connect(self.open_accounts)
        chrome.attach_demo_controls().toggled.connect(self.set_offline)
        chrome.attach_access()
        self.binder.changed.connect(self._on_changes)
        self.status_button.clicked.connect(self.open_queue)
        leave = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.editor_stack)
        leave.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        leave.activated.connect(self.focus_list)

    def _apply_backend(self) -> None:
        """Show what the backend of the moment has: its demo controls and its accounts."""
        backend, service = self.backend, self.service
        self.chrome.show_demo(backend.demo, accounts=backend.account_tools is not None)
        entries = []
        for name, account in service.accounts().items():
            reason = backend.unavailable.get(name)
            entries.append(
                AccountEntry(
                    f"{name} · {service.schema_for(name).label}",
                    name,
                    reason or f"{account.vendor.value} · {account.base_url}",
                    bool(reason),
                )
            )
        self.side.fill(entries)

    @property
    def attached(self) -> bool:
        """Whether the window has its backend (else it is the first frame alone)."""
        return self._attached

    @property
    def backend(self) -> Backend:
        return self.context.backend

    @property
    def service(self) -> CallServicePort:
        return self.context.backend.service

    # -- what others reach: the collaborators' parts ------------------------------------------

    @property
    def model(self) -> CallListModel:
        return self.listing.model

    @property
    def filters(self) -> ListFilters:
        return self.listing.filters

    @property
    def form(self) -> EditorForm | None:
        """The form shown in the editor column, if a form is."""
        return self.editor.form

    @property
    def editing(self) -> Editing | None:
        """The open call: ``(account, local_id)``, ``local_id`` None for a new call."""
        return self.editor.editing

    @property
    def drop_zone(self) -> RecordingDropZone | None:
        """The drop zone under the editor, when one is shown."""
        return self.editor.recordings.drop_zone

    @property
    def conflict_view(self) -> ConflictView:
        return self.editor.conflict_view

    @property
    def empty_page(self) -> QWidget:
        return self.editor.empty_page

    @property
    def add_account_button(self) -> QWidget:
        return self.editor.pages.add_account_button

    @property
    def offline_switch(self) -> QCheckBox:
        """The demo's "Simulate offline" switch (built by ``attach``)."""
        switch = self.chrome.offline_switch
        if switch is None:
            raise RuntimeError("the window is not attached yet")
        return switch

    @property
    def demo_mark(self) -> QLabel:
        """The demo's mark (built by ``attach``)."""
        mark = self.chrome.demo_mark
        if mark is None:
            raise RuntimeError("the window is not attached yet")
        return mark

    @property
    def bridge(self) -> BusBridge:
        return self.binder.bridge

    @property
    def accounts_dialog(self) -> AccountsDialog | None:
        return self.binder.accounts_dialog

    @property
    def all_item(self) -> QTreeWidgetItem:
        return self.side.all_item

    @property
    def filter_items(self) -> Mapping[str, QTreeWidgetItem]:
        return self.side.filter_items

    @property
    def refresh_timer(self) -> QTimer:
        """What fetches the recent calls every few minutes (``calldesk.ui.refresher``)."""
        return self.refresher.timer

    def sidebar_accounts(self) -> list[str]:
        """The account names the sidebar lists."""
        return self.side.accounts()

    def notice_text_shown(self) -> str | None:
        """The calm line above the editor, if shown."""
        return self.editor.pages.notice_shown()

    def new_call(self, account: str | None = None) -> None:
        """Ctrl+N: an empty editor for ``account`` (the selected one by default), starting now."""
        self.editor.new_call(account)

    async def open_record(self, account: str, local_id: str) -> None:
        """Open a call in the editor (or the conflict view)."""
        await self.editor.open_record(account, local_id)

    async def save(self, values: Mapping[str, object], *, and_new: bool = False) -> bool:
        """Save the open call with ``values`` (see ``EditorCoordinator.save``)."""
        return await self.editor.save(values, and_new=and_new)

    # -- tasks ---------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, object]) -> object:
        """Run ``coro`` as one of the window's tasks (``calldesk.ui.tasks``)."""
        return self.tasks.spawn(coro)

    async def settle(self) -> None:
        """Wait for the window's outstanding tasks (tests and shutdown)."""
        await self.tasks.settle()

    async def shutdown(self) -> None:
        """Keep the draft being typed, then stop every task (after the window closed)."""
        if self._attached:
            await self.editor.drafts.flush()
        self.tasks.cancel()
        await self.tasks.settle()

    # -- start, backend changes ----------------------------------------------------------------

    def start(self, *, refresh: bool = False) -> None:
        """Load the list, the status and unsaved drafts (call once the loop runs).

        ``refresh``: also fetch every account's calls from its CRM in the background. On the
        real engine the recent calls are fetched again every few minutes as well.
        """
        self.tasks.start_kept()
        self.spawn(self.model.reload())
        self.spawn(self.refresh_status())
        self.spawn(self.editor.restore_drafts())
        self.spawn(self.filters.load_outcomes())
        if refresh:
            self.spawn(self.refresh_all())
        if not self.backend.starting:
            self.refresher.timer.start()

    async def _before_reopen(self) -> None:
        await self.editor.drafts.flush()
        self.editor.recordings.close()

    async def reload_backend(self) -> None:
        """The accounts changed: reopen the backend and carry on with it."""
        await self.binder.reload()

    def rebind(self, backend: Backend) -> None:
        """Carry on with another backend (same window, new accounts)."""
        self.binder.bind(backend)
        self.refresher.forget()
        if self._queue_panel is not None:
            self._queue_panel.set_service(self.service)
        self.editor.forget()
        self.editor.recordings.listen_progress()
        self._apply_backend()
        self.listing.rebind()
        self.editor.show_default()
        self.start(refresh=True)

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
            self.spawn(self.editor.recordings.track_uploads())
        editing = self.editing
        if changes.local_ids and editing is not None and editing[1] in changes.local_ids:
            local_id = editing[1]
            if local_id is not None:
                self.spawn(self.editor.follow(local_id))  # heading, CRM id, lock: live
                self.spawn(self.editor.history.load(local_id))

    # -- the sidebar and the list --------------------------------------------------------------

    def _on_view(self, view: View) -> None:
        self.listing.set_view(view)
        if view[0] == "account":
            self.new_call(view[1])

    def _on_row(self, account: str, local_id: str) -> None:
        if self.editing == (account, local_id):
            return
        self.spawn(self.open_record(account, local_id))

    def _open_local_id(self) -> str | None:
        editing = self.editor.editing if self._attached else None
        return editing[1] if editing is not None else None

    def _row_refusal(self, row: int, path: Path) -> str | None:
        if not self._attached:
            return self.tr("calldesk is still starting; try again in a moment.")
        line = self.model.row_at(row)
        if line is None:
            return self.tr("This call is still being read; try again in a moment.")
        return self.editor.recordings.row_refusal(line.account, path)

    # -- fetching and syncing ------------------------------------------------------------------

    async def refresh_all(self, *, recent: bool = False) -> None:
        """Fetch the accounts' calls from their CRMs (``CrmRefresher.refresh_all``)."""
        await self.refresher.refresh_all(recent=recent)

    def _back_online(self) -> None:
        """Back online: fetch what was missed."""
        self.spawn(self.refresh_all(recent=True))

    def _fetch_failed(self, account: str, reason: str) -> None:
        self.statusBar().showMessage(
            self.tr("{account}: could not fetch calls ({reason})").format(
                account=account, reason=reason
            ),
            8000,
        )

    def sync_now(self) -> None:
        """F5: send what is queued now, and fetch the recent calls from the CRMs."""
        self.backend.engine.sync_now()
        self.spawn(self.refresh_all(recent=True))
        self.statusBar().showMessage(self.tr("Syncing…"), 2000)

    def set_offline(self, offline: bool) -> None:
        """The demo's switch: simulate having no network."""
        self.backend.engine.connectivity.force_offline(offline)
        switch = self.chrome.offline_switch
        if switch is not None and switch.isChecked() != offline:
            switch.setChecked(offline)
        self.spawn(self.refresh_status())

    async def refresh_status(self) -> None:
        """Read the outbox counts and show them (``SyncStatusPresenter``)."""
        await self.status.refresh()

    def account_problems(self) -> list[str]:
        return self.status.account_problems()

    def rate_text(self) -> str:
        return self.status.rate_text()

    # -- panels built on first use -------------------------------------------------------------

    def prepare_panels(self) -> None:
        """Build the panels the first paint does not show, ahead of their first use; start
        listening to the operating system's view of the network."""
        _ = self.conflict_view, self.editor.history.list, self.queue_panel
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

    def open_queue(self) -> None:
        """Show the queue panel (non-modal)."""
        self.queue_panel.show()
        self.queue_panel.raise_()
        self.spawn(self.queue_panel.refresh())

    async def edit_from_queue(self, account: str, local_id: str, said: str) -> None:
        """The queue panel's "Edit…": the call in its editor, with what the CRM said."""
        await self.open_record(account, local_id)
        self.raise_()
        self.activateWindow()
        self.listing.reselect()  # its line in the list, when listed
        form = self.form
        if form is not None and said:
            form.show_remote_errors(
                self.tr("The CRM refused the last try: {said}").format(said=said)
            )
            self.focus_editor()

    def open_accounts(self) -> None:
        """Show the accounts dialog (non-modal)."""
        self.binder.open_accounts()

    # -- focus ---------------------------------------------------------------------------------

    def focus_list(self) -> None:
        """Esc: back to the call list."""
        self.listing.focus()

    def focus_editor(self) -> None:
        """Tab/Enter from the list: into the first field the rep can change."""
        self.editor.focus()

    def focus_search(self) -> None:
        self.listing.focus_search()

    # -- the window's own events ---------------------------------------------------------------

    def save_layout(self) -> None:
        self.chrome.save_layout()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.chrome.save_layout()
        if self._attached:
            self.binder.close()
            self.status.timer.stop()
            self.editor.recordings.close()
        self.tasks.close_kept()  # what waited for a loop will not run now
        if self._queue_panel is not None:
            self._queue_panel.close()
        super().closeEvent(event)
        self.closing.emit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            chrome = getattr(self, "chrome", None)  # None: still being built
            if chrome is not None:
                chrome.restyle_status()
            if getattr(self, "_attached", False):
                self.chrome.tint_icons(self.status.status_icon())
                self.editor.pages.tint_icons()
