"""The sidebar's contents: "All calls", one line per account, then the views (Not synced, Failed
with its count, This week), and which of them is chosen.

``SidebarController`` fills the chrome's tree (already in the first frame, with no accounts) and
reads it back: the chosen view as ``(kind, account or "")``, the account names listed. It decides
nothing about the list or the editor: the window connects ``on_view`` to them. Plain Python (no
QObject): the first frame builds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

from calldesk.ui.chrome import ROLE_FILTER
from calldesk.ui.icons import icon

View = tuple[str, str]
"""The sidebar's choice: ``(kind, account or "")``; kinds: all, account, not_synced, failed,
week."""


class AccountEntry(NamedTuple):
    """One account's line: its label, name, tooltip, and whether it cannot sync."""

    label: str
    name: str
    tooltip: str
    unavailable: bool


class SidebarController:
    """Fills and reads the sidebar tree (see the module docstring)."""

    def __init__(self, tree: QTreeWidget, tr: Callable[[str], str]) -> None:
        self.tree = tree
        self.tr = tr
        self.failed = 0
        self.filter_items: dict[str, QTreeWidgetItem] = {}
        self._selectable_sections = False  # set once attached (needs the ``Qt`` namespace)
        self.fill([])

    def attach(self, on_view: Callable[[View], None]) -> None:
        """From now on: sections are not selectable, and choosing a line calls ``on_view``."""
        self._selectable_sections = True
        self.tree.currentItemChanged.connect(lambda item, _previous: self._chosen(item, on_view))

    def fill(self, accounts: list[AccountEntry]) -> None:
        """The sidebar: "All calls", one line per account, then the views; "All calls" chosen
        (silently: no ``on_view``)."""
        self.tree.blockSignals(True)
        self.tree.clear()
        bold = self.tree.font()
        bold.setBold(True)
        enabled_only = None
        if self._selectable_sections:
            from PySide6.QtCore import Qt

            enabled_only = Qt.ItemFlag.ItemIsEnabled

        def section(title: str) -> QTreeWidgetItem:
            item = QTreeWidgetItem([title])
            if enabled_only is not None:
                item.setFlags(enabled_only)
            item.setFont(0, bold)
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)
            return item

        section_item = section(self.tr("ACCOUNTS"))
        self.all_item = QTreeWidgetItem([self.tr("All calls")])
        self.all_item.setData(0, ROLE_FILTER, ("all", ""))
        section_item.addChild(self.all_item)
        for entry in accounts:
            item = QTreeWidgetItem([entry.label])
            item.setData(0, ROLE_FILTER, ("account", entry.name))
            if entry.unavailable:
                item.setIcon(0, icon("needs_auth"))
            item.setToolTip(0, entry.tooltip)
            section_item.addChild(item)
        filters = section(self.tr("FILTERS"))
        self.filter_items = {}
        for key, title in (
            ("not_synced", self.tr("Not synced")),
            ("failed", self.tr("Failed")),
            ("week", self.tr("This week")),
        ):
            item = QTreeWidgetItem([title])
            item.setData(0, ROLE_FILTER, (key, ""))
            filters.addChild(item)
            self.filter_items[key] = item
        self.show_failed(self.failed)
        self.tree.setCurrentItem(self.all_item)
        self.tree.blockSignals(False)

    def show_failed(self, failed: int) -> None:
        """The Failed view's count."""
        self.failed = failed
        self.filter_items["failed"].setText(
            0, self.tr("Failed ({n})").format(n=failed) if failed else self.tr("Failed")
        )

    def view(self) -> View:
        """The chosen line's view (``("all", "")`` when a section title is current)."""
        data = self._data(self.tree.currentItem())
        return data if data is not None else ("all", "")

    def chosen_account(self) -> str | None:
        """The account whose line is chosen, if one is."""
        kind, value = self.view()
        return value if kind == "account" else None

    def choose_all(self) -> None:
        """Back to "All calls" without telling anyone (the filter menu took the view over)."""
        self.tree.blockSignals(True)
        self.tree.setCurrentItem(self.all_item)
        self.tree.blockSignals(False)

    def accounts(self) -> list[str]:
        """The account names the sidebar lists."""
        names: list[str] = []
        for number in range(self.tree.topLevelItemCount()):
            section = self.tree.topLevelItem(number)
            for child in range(section.childCount() if section is not None else 0):
                data = self._data(section.child(child) if section is not None else None)
                if data is not None and data[0] == "account":
                    names.append(data[1])
        return names

    @staticmethod
    def _data(item: QTreeWidgetItem | None) -> View | None:
        data = item.data(0, ROLE_FILTER) if item is not None else None
        if not data:
            return None
        kind, value = data
        return str(kind), str(value)

    def _chosen(self, item: QTreeWidgetItem | None, on_view: Callable[[View], None]) -> None:
        data = self._data(item)
        if data is not None:
            on_view(data)
