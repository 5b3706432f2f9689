"""The digit beside each choice of a picker where keys 1–9 choose (``NumberedCombo``).

``DigitDelegate`` draws the list of choices as "1  Busy", "2  Connected", …: the rep sees which
key picks what, per CRM, without learning it. The choice's own text (what is stored, shown in
the closed picker and read by a screen reader) is not changed; the digit is also part of each
line's accessible text.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QWidget

#: How many choices have a key (1 … 9).
KEYED = 9


class DigitDelegate(QStyledItemDelegate):
    """Shows the key of each of the first nine choices before its label (see the module)."""

    def __init__(self, first_choice: Callable[[], int], parent: QWidget | None = None) -> None:
        """``first_choice()``: the row of choice 1 (1 when a blank entry comes first)."""
        super().__init__(parent)
        self._first_choice = first_choice

    def digit(self, row: int) -> int | None:
        """The key that picks ``row`` (None: no key)."""
        number = row - self._first_choice() + 1
        return number if 1 <= number <= KEYED else None

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        digit = self.digit(index.row())
        option.text = f"{digit}   {option.text}" if digit is not None else f"     {option.text}"
