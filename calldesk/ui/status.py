"""What the window says about syncing: the status line, the banner, the Failed count, budgets.

``SyncStatusPresenter`` reads the outbox counts and the engine's state and shows them: the
status line ("Online · 2 pending · 1 need attention"), the banner above the list (offline, and
one calm line per account that cannot sync or could not be fetched), the sidebar's Failed count
and each account's request budget, which it reads again every few seconds. Coming back online
asks for a fetch of what was missed (``back_online``); it fetches nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from calldesk.ui.chrome import WindowChrome
from calldesk.ui.sidebar import SidebarController

if TYPE_CHECKING:
    from calldesk.ui.context import WindowContext
    from calldesk.ui.refresher import CrmRefresher

STATUS_TICK_MS = 3000


class SyncStatusPresenter(QObject):
    """The sync state in words (see the module docstring)."""

    def __init__(
        self,
        context: WindowContext,
        chrome: WindowChrome,
        sidebar: SidebarController,
        refresher: CrmRefresher,
        back_online: Callable[[], None],
        *,
        pending: int,
        failed: int,
    ) -> None:
        super().__init__(chrome.status_button)
        self._context = context
        self._chrome = chrome
        self._sidebar = sidebar
        self._refresher = refresher
        self._back_online = back_online
        self.pending = pending
        self.failed = failed
        self._was_online = True
        self.timer = QTimer(self)
        self.timer.setInterval(STATUS_TICK_MS)
        self.timer.timeout.connect(self.update_rate)
        self.timer.start()
        refresher.failures_changed.connect(self.show_again)

    def show_again(self) -> None:
        """Show the last counts again (accounts or fetch failures changed)."""
        self.update(pending=self.pending, failed=self.failed)

    async def refresh(self) -> None:
        """Read the outbox counts and show them."""
        counts = await self._context.service.counts()
        pending = counts.pending + counts.in_flight
        failed = counts.failed + counts.conflict + counts.needs_auth
        self.update(pending=pending, failed=failed)

    def update(self, *, pending: int, failed: int) -> None:
        backend = self._context.backend
        online = backend.engine.connectivity.online
        if online and not self._was_online and not backend.starting:
            self._back_online()
        self._was_online = online
        self.pending = pending
        self._chrome.show_status_line(None if backend.starting else online, pending, failed)
        self.failed = failed
        self._sidebar.show_failed(failed)
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
        banner = self._chrome.banner
        banner.setText("\n".join(lines))
        banner.setVisible(bool(lines))
        self.update_rate()

    def status_icon(self) -> str:
        """The status line's icon name for the state of the moment."""
        backend = self._context.backend
        online = backend.engine.connectivity.online
        return "sync" if backend.starting else "online" if online else "offline"

    def account_problems(self) -> list[str]:
        """One calm line per account that cannot sync (no readable key, or a refused key) or
        whose calls could not be fetched the last time (until a refresh succeeds)."""
        backend = self._context.backend
        problems = [
            self.tr("{account} can't sync: {reason}. Its saves wait here; see Accounts…").format(
                account=name, reason=reason.rstrip(".")
            )
            for name, reason in backend.unavailable.items()
        ]
        for name, syncer in backend.engine.syncers.items():
            if syncer.status.needs_auth:
                problems.append(
                    self.tr(
                        "{account} refused its key ({reason}). Its saves wait here; "
                        "fix the key in Accounts…"
                    ).format(account=name, reason=syncer.status.auth_message.rstrip("."))
                )
        accounts = self._context.service.accounts()
        for name, reason in self._refresher.failures().items():
            if name in backend.unavailable or name not in accounts:
                continue
            problems.append(
                self.tr(
                    "{account}: calls could not be fetched ({reason}). What you log here is "
                    "kept and sent when the CRM answers; F5 tries again."
                ).format(account=name, reason=reason.rstrip("."))
            )
        return problems

    def rate_text(self) -> str:
        """Each account's rate-limit budget once its CRM answered (``Close: 88/100 req left``);
        a CRM that states no limit says so (Buildr, Apollo), so every account is listed."""
        parts: list[str] = []
        for name, syncer in self._context.backend.engine.syncers.items():
            info = syncer.status.rate_info
            if info is None:
                continue  # not asked anything yet
            if info.remaining is None:
                parts.append(self.tr("{account}: no limit stated").format(account=name))
                continue
            budget = f"{info.remaining}/{info.limit}" if info.limit else f"{info.remaining}"
            parts.append(
                self.tr("{account}: {budget} req left").format(account=name, budget=budget)
            )
        return "   ".join(parts)

    def update_rate(self) -> None:
        text = self.rate_text()
        label = self._chrome.rate_label
        label.setText(text)
        label.setVisible(bool(text))
