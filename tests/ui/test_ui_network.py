"""The OS's view of the network reaches the sync engine's connectivity."""

from __future__ import annotations

from PySide6.QtNetwork import QNetworkInformation

from calldesk.sync.connectivity import Connectivity
from calldesk.ui.network import ReachabilityWatch

R = QNetworkInformation.Reachability


def test_only_online_counts_as_reachable(qapp: object) -> None:
    connectivity = Connectivity()
    flips: list[bool] = []
    connectivity.subscribe(flips.append)
    watch = ReachabilityWatch(connectivity.set_reachable)
    watch._changed(R.Disconnected)
    assert connectivity.online is False
    watch._changed(R.Unknown)  # says nothing: keep what we know
    assert connectivity.online is False
    watch._changed(R.Local)  # a LAN without the internet reaches no CRM
    assert connectivity.online is False
    watch._changed(R.Online)
    assert connectivity.online is True
    watch._changed(R.Site)
    assert connectivity.online is False
    assert flips == [False, True, False]


def test_the_demo_offline_switch_wins_over_the_os(qapp: object) -> None:
    connectivity = Connectivity()
    watch = ReachabilityWatch(connectivity.set_reachable)
    connectivity.force_offline(True)
    watch._changed(R.Online)
    assert connectivity.online is False
    connectivity.force_offline(False)
    assert connectivity.online is True


def test_the_watch_follows_the_os_backend_when_there_is_one(qapp: object) -> None:
    connectivity = Connectivity()
    watch = ReachabilityWatch(connectivity.set_reachable)
    info = QNetworkInformation.instance()
    assert watch.available is (info is not None)
    if info is not None:  # the OS backend's own signal reaches the engine's connectivity
        info.reachabilityChanged.emit(R.Disconnected)
        assert connectivity.online is False
        info.reachabilityChanged.emit(R.Online)
        assert connectivity.online is True
