"""Fetching the accounts' calls from their CRMs into the local cache, for the call list.

``CrmRefresher.refresh_all()`` fetches every connected account's calls and lookups (when the
window opens, or after the accounts changed). ``refresh_all(recent=True)`` fetches only each
account's calls from ``REFRESH_OVERLAP_S`` before its last fetch began (a call is often logged
after it ended, under its start time): on F5, every ``REFRESH_EVERY_MS`` (``timer``), and when
the window comes back online; while offline it does nothing. One refresh runs at a time. An
account whose last fetch failed is kept in ``failures()`` until one succeeds (the window names it
in its banner); ``failed(account, reason)`` tells the window at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from calldesk.ui.ports import Backend

log = logging.getLogger("calldesk.ui")

#: How often the recent calls are fetched (while online).
REFRESH_EVERY_MS = 5 * 60 * 1000
#: A recent-calls fetch asks from this long before the account's last fetch began.
REFRESH_OVERLAP_S = 24 * 3600

Spawner = Callable[[Coroutine[Any, Any, None]], object]


class CrmRefresher(QObject):
    """See the module docstring. ``backend`` gives the window's current backend."""

    failed = Signal(str, str)
    failures_changed = Signal()

    def __init__(
        self, backend: Callable[[], Backend], spawn: Spawner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._backend = backend
        self._spawn = spawn
        self._fetched_at: dict[str, datetime] = {}  # account → when its last fetch began
        self._failures: dict[str, str] = {}  # account → why its last fetch failed
        self._running = False
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_EVERY_MS)
        self.timer.timeout.connect(self.fetch_recent)

    def fetch_recent(self) -> None:
        """Start fetching the recent calls (in the background)."""
        self._spawn(self.refresh_all(recent=True))

    @property
    def running(self) -> bool:
        """Whether a fetch is under way now."""
        return self._running

    def failures(self) -> Mapping[str, str]:
        """The accounts whose last fetch failed, and why."""
        return dict(self._failures)

    def forget(self) -> None:
        """The accounts changed: the next refresh is a full one, and old failures go."""
        self._fetched_at.clear()
        if self._failures:
            self._failures.clear()
            self.failures_changed.emit()

    async def refresh_all(self, *, recent: bool = False) -> None:
        """Fetch every connected account's calls (see the module docstring)."""
        backend = self._backend()
        if self._running or (recent and not backend.engine.connectivity.online):
            return  # offline (or simulating it): coming back online fetches
        self._running = True
        try:
            for name in list(backend.service.accounts()):
                if name not in backend.unavailable:
                    await self._refresh(backend, name, recent=recent)
        finally:
            self._running = False

    async def _refresh(self, backend: Backend, name: str, *, recent: bool) -> None:
        started = datetime.now(UTC)
        last = self._fetched_at.get(name)
        since = last - timedelta(seconds=REFRESH_OVERLAP_S) if recent and last else None
        try:
            if since is None:
                await backend.service.refresh_lookups(name)
            await backend.service.refresh(name, since=since)
        except Exception as exc:  # a CRM that cannot be reached must not stop the others
            log.warning("refresh of %s failed: %s", name, exc)
            self._failures[name] = str(exc)
            self.failed.emit(name, str(exc))
            self.failures_changed.emit()
            return
        self._fetched_at[name] = started
        if self._failures.pop(name, None) is not None:
            self.failures_changed.emit()
