"""Tells the sync engine what the operating system knows about the network.

Qt's ``QNetworkInformation`` reports reachability from the OS (NetworkManager, connman, glib,
or the platform's own API). calldesk only counts *Online* as reachable: a link to the local
network or a captive site cannot reach a CRM. Where no backend is available (some containers),
the engine still notices going offline from connection errors.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QNetworkInformation

_OFFLINE = (
    QNetworkInformation.Reachability.Disconnected,
    QNetworkInformation.Reachability.Local,
    QNetworkInformation.Reachability.Site,
)


class ReachabilityWatch(QObject):
    """Calls ``on_change(reachable)`` whenever the OS's reachability changes."""

    def __init__(self, on_change: Callable[[bool], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_change = on_change
        self.available = False
        try:
            loaded = QNetworkInformation.loadDefaultBackend()
        except RuntimeError:
            loaded = False
        info = QNetworkInformation.instance() if loaded else None
        if info is not None:
            self.available = True
            info.reachabilityChanged.connect(self._changed)

    def _changed(self, reachability: QNetworkInformation.Reachability) -> None:
        if reachability == QNetworkInformation.Reachability.Unknown:
            return
        self._on_change(reachability not in _OFFLINE)
