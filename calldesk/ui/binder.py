"""The window's tie to its backend: its change events, the accounts dialog, reopening.

``BusBridge`` turns ``ChangeBus`` callbacks into one coalesced Qt signal per burst.
``BackendBinder`` listens to the backend of the moment (``changed``), opens the accounts dialog
(non-modal) and, once the rep changed accounts there, closes the backend, opens it again
through ``reopen`` and hands the new one to ``rebind`` (the window's, which tells every
collaborator).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from calldesk.domain import Changes
    from calldesk.ui.accounts import AccountsDialog
    from calldesk.ui.context import WindowContext
    from calldesk.ui.ports import Backend

Reopen = Callable[[], Awaitable["Backend"]]
RELOAD_DELAY_MS = 200


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


class BackendBinder(QObject):
    """Listens to the backend, runs the accounts dialog, reopens (see the module docstring)."""

    changed = Signal(object)  # Changes, coalesced

    def __init__(
        self,
        context: WindowContext,
        reopen: Reopen | None,
        *,
        before_reopen: Callable[[], Awaitable[None]],
        rebind: Callable[[Backend], None],
        parent: QWidget,
    ) -> None:
        """``before_reopen``: keep what must be kept (the draft being typed) and let go of the
        old backend; ``rebind``: carry on with the new one."""
        super().__init__(parent)
        self._context = context
        self._reopen = reopen
        self._before_reopen = before_reopen
        self._rebind = rebind
        self._parent = parent
        self.accounts_dialog: AccountsDialog | None = None
        self.bridge = self._listen(context.backend)
        self.reload_timer = QTimer(self)
        self.reload_timer.setSingleShot(True)
        self.reload_timer.setInterval(RELOAD_DELAY_MS)
        self.reload_timer.timeout.connect(lambda: context.spawn(self.reload()))

    def _listen(self, backend: Backend) -> BusBridge:
        bridge = BusBridge(backend, self)
        bridge.changed.connect(self.changed)
        return bridge

    def bind(self, backend: Backend) -> None:
        """Listen to ``backend`` from now on (the old bridge was closed by whoever replaced it)."""
        self._context.backend = backend
        self.bridge = self._listen(backend)

    def open_accounts(self) -> None:
        """Show the accounts dialog (non-modal)."""
        tools = self._context.backend.account_tools
        if tools is None:
            return
        if self.accounts_dialog is None:
            from calldesk.ui.accounts import AccountsDialog

            dialog = AccountsDialog(
                tools.config,
                tools.secrets,
                tools.test,
                builtin=tools.builtin,
                spawn=self._context.spawn,
                parent=self._parent,
            )
            dialog.setModal(False)
            dialog.accounts_changed.connect(self.reload_timer.start)
            self.accounts_dialog = dialog
        self.accounts_dialog.show()
        self.accounts_dialog.raise_()
        self.accounts_dialog.activateWindow()

    async def reload(self) -> None:
        """The accounts changed: reopen the backend and carry on with it."""
        if self._reopen is None:
            return
        await self._before_reopen()
        self._context.tasks.cancel()
        self.bridge.close()
        self._context.say(self.tr("Connecting the accounts…"), 0)
        backend = await self._reopen()
        self._rebind(backend)
        self._context.say(self.tr("Accounts updated."), 4000)

    def close(self) -> None:
        """The window closes: stop listening; close the dialog."""
        self.bridge.close()
        if self.accounts_dialog is not None:
            self.accounts_dialog.close()
