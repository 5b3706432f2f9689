"""Whether calldesk believes it can reach the network, from failures seen and from the OS.

Going offline is noticed two ways: connection errors reported by the syncers, and an external
source (the window feeds Qt's QNetworkInformation into ``set_reachable``). While offline the
syncers stop retrying at full speed and only probe now and then; coming back online (or the
rep pressing "sync now") wakes them at once.
"""

from __future__ import annotations

from collections.abc import Callable


class Connectivity:
    """Online/offline state shared by all of one engine's syncers."""

    def __init__(self) -> None:
        self._online = True
        self._forced_offline = False
        self._listeners: list[Callable[[bool], None]] = []

    def subscribe(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(online)`` whenever the state flips."""
        self._listeners.append(listener)

    @property
    def online(self) -> bool:
        """True when requests are worth sending."""
        return self._online and not self._forced_offline

    def report_failure(self) -> None:
        """A request could not reach its server (connect error, DNS, reset before sending)."""
        self._set(False)

    def report_success(self) -> None:
        """A request got an answer from its server (any HTTP status)."""
        self._set(True)

    def set_reachable(self, reachable: bool) -> None:
        """The OS says the network is (un)reachable."""
        self._set(reachable)

    @property
    def forced_offline(self) -> bool:
        """True while the rep (or the demo switch) has taken calldesk offline."""
        return self._forced_offline

    def force_offline(self, offline: bool) -> None:
        """Simulate going offline (the demo's switch): nothing is sent while set."""
        before = self.online
        self._forced_offline = offline
        self._announce(before)

    def _set(self, online: bool) -> None:
        before = self.online
        self._online = online
        self._announce(before)

    def _announce(self, before: bool) -> None:
        if before != self.online:
            for listener in list(self._listeners):
                listener(self.online)
