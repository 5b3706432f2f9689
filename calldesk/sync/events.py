"""Change notifications from the services to whoever shows them (the window, the CLI).

A ``ChangeBus`` is a list of plain callbacks receiving ``Changes`` and a short status; the window
adapts it to a Qt signal, the CLI prints. Callbacks must not raise; one that does is logged and
kept, so a broken view cannot stop the sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from calldesk.domain import Changes

log = logging.getLogger("calldesk.sync")

Listener = Callable[[Changes], None]


@dataclass
class ChangeBus:
    """Fan-out of ``Changes`` to subscribers, in subscription order."""

    _listeners: list[Listener] = field(default_factory=list)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it again."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, changes: Changes) -> None:
        """Tell every listener what changed."""
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("change listener failed")
