"""The call list's filter menu: outcome, sync status and date range, behind the toolbar's Filter.

``ListFilters`` owns the choices and the menu of the button it is given; the window combines them
with the sidebar's view (one account, "Not synced", "Failed", "This week") into the list's query.
The outcomes offered are those the cached calls have (``CallServicePort.outcomes``; the window
has ``load_outcomes`` read them when it starts and whenever calls change). Dates are the rep's
local days. The button's text names what is chosen, so a filtered list never looks like the
whole list.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from PySide6.QtCore import QDate, QObject, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QMenu,
    QToolButton,
    QWidget,
)

from calldesk.domain import SyncState

#: Status choices → the sync states they cover.
STATUSES: dict[str, tuple[SyncState, ...]] = {
    "synced": (SyncState.SYNCED,),
    "pending": (SyncState.PENDING, SyncState.IN_FLIGHT),
    "failed": (SyncState.FAILED,),
    "conflict": (SyncState.CONFLICT,),
    "needs-auth": (SyncState.NEEDS_AUTH,),
}
#: Date range choices, in menu order ("custom" asks for two dates).
RANGES = ("any", "today", "yesterday", "week7", "month", "custom")


class Choice(NamedTuple):
    """What the menu has chosen (None / "any": no filter)."""

    outcome: str | None = None
    status: str | None = None
    range_key: str = "any"
    since: float | None = None  # epoch seconds, inclusive
    until: float | None = None  # epoch seconds, exclusive


def _midnight(day: QDate) -> float:
    """Local midnight starting ``day``, in epoch seconds."""
    return time.mktime((day.year(), day.month(), day.day(), 0, 0, 0, 0, 0, -1))


def day_range(
    key: str, today: QDate, first: QDate | None = None, last: QDate | None = None
) -> tuple[float | None, float | None]:
    """``[since, until)`` for a range choice, in local days (``custom``: ``first``–``last``)."""
    if key == "today":
        return _midnight(today), _midnight(today.addDays(1))
    if key == "yesterday":
        return _midnight(today.addDays(-1)), _midnight(today)
    if key == "week7":
        return _midnight(today.addDays(-6)), _midnight(today.addDays(1))
    if key == "month":
        start = QDate(today.year(), today.month(), 1)
        return _midnight(start), _midnight(start.addMonths(1))
    if key == "custom" and first is not None and last is not None:
        low, high = (first, last) if first <= last else (last, first)
        return _midnight(low), _midnight(high.addDays(1))
    return None, None


class DateRangeDialog(QDialog):
    """Asks for a first and a last day (inclusive)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Calls between two days"))
        form = QFormLayout(self)
        today = QDate.currentDate()
        self.first = QDateEdit(today.addDays(-7), self)
        self.last = QDateEdit(today, self)
        for edit, name in ((self.first, self.tr("From")), (self.last, self.tr("To"))):
            edit.setCalendarPopup(True)
            edit.setAccessibleName(name)
            form.addRow(name, edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class ListFilters(QObject):
    """The filter menu of ``button`` (see the module docstring); ``changed`` after each choice."""

    changed = Signal()

    def __init__(
        self,
        button: QToolButton,
        outcomes: Callable[[], Awaitable[list[str]]],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._button = button
        self._outcomes = outcomes
        self._known_outcomes: list[str] = []
        self.choice = Choice()
        self.menu = QMenu(button)
        self.menu.setObjectName("filter_menu")
        self._outcome_menu = self.menu.addMenu(self.tr("Outcome"))
        self._outcome_menu.aboutToShow.connect(self._fill_outcomes)
        self._status_menu = self.menu.addMenu(self.tr("Sync status"))
        self._status_group = QActionGroup(self)
        self._status_actions: dict[str | None, QAction] = {}
        for key, label in (
            (None, self.tr("Any status")),
            ("synced", self.tr("Synced")),
            ("pending", self.tr("Pending")),
            ("failed", self.tr("Failed")),
            ("conflict", self.tr("Conflict")),
            ("needs-auth", self.tr("Waiting for a valid key")),
        ):
            action = self._status_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(key is None)
            self._status_group.addAction(action)
            action.triggered.connect(lambda _c=False, k=key: self.set_status(k))
            self._status_actions[key] = action
        self._date_menu = self.menu.addMenu(self.tr("Date"))
        self._date_group = QActionGroup(self)
        self._date_actions: dict[str, QAction] = {}
        for key, label in zip(
            RANGES,
            (
                self.tr("Any time"),
                self.tr("Today"),
                self.tr("Yesterday"),
                self.tr("Last 7 days"),
                self.tr("This month"),
                self.tr("Between two days…"),
            ),
            strict=True,
        ):
            action = self._date_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(key == "any")
            self._date_group.addAction(action)
            if key == "custom":
                action.triggered.connect(self.ask_range)
            else:
                action.triggered.connect(lambda _c=False, k=key: self.set_range(k))
            self._date_actions[key] = action
        self.menu.addSeparator()
        self.clear_action = self.menu.addAction(self.tr("Clear filters"))
        self.clear_action.triggered.connect(self.clear)
        # Opened on click rather than set as the button's menu: a menu button draws an arrow the
        # window's first frame (built before this) would not have.
        button.clicked.connect(self.open_menu)
        button.setAccessibleName(self.tr("Filter the calls"))
        self._show()

    def open_menu(self) -> None:
        """Show the menu under the button."""
        self.menu.popup(self._button.mapToGlobal(self._button.rect().bottomLeft()))

    # -- choosing ---------------------------------------------------------------------------------

    def set_outcome(self, outcome: str | None) -> None:
        self._choose(self.choice._replace(outcome=outcome or None))

    def set_status(self, status: str | None) -> None:
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status filter {status!r}")
        self._choose(self.choice._replace(status=status))

    def set_range(self, key: str, first: QDate | None = None, last: QDate | None = None) -> None:
        """Choose a date range (``custom``: from ``first`` to ``last``, both included)."""
        if key not in RANGES:
            raise ValueError(f"unknown date range {key!r}")
        since, until = day_range(key, QDate.currentDate(), first, last)
        if key == "custom" and since is None:
            key = "any"
        self._choose(self.choice._replace(range_key=key, since=since, until=until))

    def ask_range(self) -> None:
        dialog = DateRangeDialog(self._button.window())
        dialog.accepted.connect(
            lambda: self.set_range("custom", dialog.first.date(), dialog.last.date())
        )
        dialog.rejected.connect(self._show)  # put the ticks back as they were
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def clear(self) -> None:
        self._choose(Choice())

    def reset_status(self) -> None:
        """Forget the status choice without announcing it (a sidebar view took over)."""
        self.choice = self.choice._replace(status=None)
        self._show()

    def reset_range(self) -> None:
        """Forget the date choice without announcing it (a sidebar view took over)."""
        self.choice = self.choice._replace(range_key="any", since=None, until=None)
        self._show()

    def _choose(self, choice: Choice) -> None:
        changed = choice != self.choice
        self.choice = choice
        self._show()
        if changed:
            self.changed.emit()

    # -- what the list asks for -------------------------------------------------------------------

    def states(self) -> tuple[SyncState, ...]:
        return STATUSES[self.choice.status] if self.choice.status else ()

    def outcomes(self) -> tuple[str, ...]:
        return (self.choice.outcome,) if self.choice.outcome else ()

    def describe(self) -> str:
        """The chosen filters in a few words ("" when none)."""
        parts: list[str] = []
        if self.choice.outcome:
            parts.append(self.choice.outcome)
        if self.choice.status:
            parts.append(self._status_actions[self.choice.status].text())
        if self.choice.range_key == "custom" and self.choice.since is not None:
            assert self.choice.until is not None
            first = time.strftime("%d %b", time.localtime(self.choice.since))
            last = time.strftime("%d %b", time.localtime(self.choice.until - 1))
            parts.append(f"{first} – {last}")
        elif self.choice.range_key != "any":
            parts.append(self._date_actions[self.choice.range_key].text())
        return " · ".join(parts)

    # -- the menu ---------------------------------------------------------------------------------

    def _show(self) -> None:
        self._status_actions[self.choice.status].setChecked(True)
        self._date_actions[self.choice.range_key].setChecked(True)
        described = self.describe()
        self._button.setText(
            self.tr("Filter: {what}").format(what=described) if described else self.tr("Filter")
        )
        self._button.setToolTip(
            self.tr("Showing only: {what}").format(what=described)
            if described
            else self.tr("Filter the calls by outcome, sync status or date")
        )
        self.clear_action.setEnabled(bool(described))

    def _fill_outcomes(self) -> None:
        self._outcome_menu.clear()
        any_action = self._outcome_menu.addAction(self.tr("Any outcome"))
        any_action.setCheckable(True)
        any_action.setChecked(self.choice.outcome is None)
        any_action.triggered.connect(lambda: self.set_outcome(None))
        known = list(self._known_outcomes)
        if self.choice.outcome and self.choice.outcome not in known:
            known.append(self.choice.outcome)
        for outcome in known:
            action = self._outcome_menu.addAction(outcome)
            action.setCheckable(True)
            action.setChecked(outcome == self.choice.outcome)
            action.triggered.connect(lambda _c=False, o=outcome: self.set_outcome(o))
        if not known:
            none = self._outcome_menu.addAction(self.tr("No outcomes in the calls yet"))
            none.setEnabled(False)

    async def load_outcomes(self) -> None:
        """Read the outcomes the cached calls have (the menu shows them when it opens)."""
        try:
            self._known_outcomes = await self._outcomes()
        except Exception:  # still starting, or the store is busy: keep the last list
            return
