"""Field widgets for choices: enum combos, outcome pickers and type-to-search lookups.

Labels are shown and values (enum values, lookup ids) are stored. While a numbered combo has
focus, keys 1–9 pick the n-th choice. Lookup choices come asynchronously from the
:data:`~calldesk.ui.form.base.LookupProvider` the form was given, and the names of stored ids
from its :data:`~calldesk.ui.form.base.LabelResolver`; the GUI never waits for either. An id
nobody can name is shown as it is, in the muted placeholder colour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QFocusEvent, QKeyEvent, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QCompleter, QLineEdit, QWidget

from calldesk.domain.model import JSONValue, LookupItem
from calldesk.schema.spec import FieldSpec
from calldesk.ui.form.base import (
    FieldWidget,
    WidgetContext,
    calm_read_only,
    show_muted,
    translate,
)
from calldesk.ui.form.outcome_keys import DigitDelegate

LOG = logging.getLogger(__name__)
ID_ROLE = Qt.ItemDataRole.UserRole + 1
NONE_LABEL = "—"


async def resolve_label(context: WidgetContext, source: str, item_id: str) -> str | None:
    """The label of ``item_id`` in ``source``: from the form's label resolver, else the lookup
    item whose id is exactly ``item_id``; ``None`` when neither knows it (or both fail)."""
    try:
        if context.labels is not None:
            return await context.labels(source, item_id)
        if context.lookups is not None:
            for item in await context.lookups(source, item_id):
                if item.id == item_id:
                    return item.label or None
    except Exception as exc:
        LOG.info("no label for %s %s: %s", source, item_id, exc)
    return None


def unknown_id_tip(spec: FieldSpec, item_id: str) -> str:
    """The tooltip of an id shown raw because its name is not in the cached lookups."""
    return translate("{id} is not in the cached {what}; refresh to see its name").format(
        id=item_id, what=spec.label.lower()
    )


class NumberedCombo(QComboBox):
    """A combo box where keys 1–9 choose the n-th choice (the blank first entry is not counted)."""

    def __init__(
        self, parent: QWidget | None = None, *, on_focus: Callable[[], None] | None = None
    ):
        super().__init__(parent)
        self._on_focus = on_focus
        self.digits = DigitDelegate(self._first_choice, self)  # "1   Busy" in the list
        self.setItemDelegate(self.digits)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if len(text) == 1 and "1" <= text <= "9" and modifiers == Qt.KeyboardModifier.NoModifier:
            index = self._first_choice() + int(text) - 1
            if index < self.count():
                self.setCurrentIndex(index)
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if self._on_focus is not None:
            self._on_focus()

    def _first_choice(self) -> int:
        return 1 if self.count() and self.itemData(0, ID_ROLE) == "" else 0


COMBO_MIN_WIDTH = 220
OUTCOME_COMBO_MIN_WIDTH = 180


class _ComboWidget(FieldWidget):
    """Shared behaviour of enum and outcome pickers: a blank entry, then labelled values."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.combo = NumberedCombo(self, on_focus=self._on_focus)
        # An outcome picker shares its row with the "keys 1–9 choose" hint: a narrower minimum
        # keeps that row inside a 490 px editor column next to the longest labels.
        self.combo.setMinimumWidth(OUTCOME_COMBO_MIN_WIDTH if context.outcome else COMBO_MIN_WIDTH)
        self.combo.addItem(NONE_LABEL)
        self.combo.setItemData(0, "", ID_ROLE)
        self.combo.currentIndexChanged.connect(self._on_index_changed)
        self._install(self.combo, stretch=False)
        self.combo.setToolTip(f"{spec.help}\n{translate('Keys 1–9 pick a choice.')}")
        if context.outcome:
            self.aside.setText(translate("keys 1–9 choose"))
            self.aside.setVisible(True)

    def _on_focus(self) -> None:
        """Called when the combo gains focus (outcome pickers load their choices then)."""

    def _on_index_changed(self, _index: int) -> None:
        self.changed.emit()

    def _add_choice(self, value: str, label: str) -> None:
        self.combo.addItem(label)
        self.combo.setItemData(self.combo.count() - 1, value, ID_ROLE)

    def _index_of(self, value: str) -> int:
        for index in range(self.combo.count()):
            if self.combo.itemData(index, ID_ROLE) == value:
                return index
        return -1

    def text(self) -> str:
        value = self.combo.currentData(ID_ROLE)
        return value if isinstance(value, str) else ""

    def set_text(self, text: str) -> None:
        index = self._index_of(text)
        if index < 0:
            self._add_choice(text, text)  # keep an unknown value rather than lose it
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)

    def choice_labels(self) -> list[str]:
        """Return the labels of the choices, in the order keys 1–9 pick them."""
        first = self.combo._first_choice()
        return [self.combo.itemText(i) for i in range(first, self.combo.count())]

    def current_label(self) -> str:
        return self.combo.currentText()

    def focus_widget(self) -> QWidget:
        return self.combo

    def _apply_read_only(self, read_only: bool) -> None:
        self.combo.setEnabled(not read_only)  # disabled widgets still show their tooltip
        self.aside.setVisible(not read_only and self.context.outcome)


class EnumWidget(_ComboWidget):
    """A fixed list of values from the schema."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        for item in spec.enum:
            self._add_choice(item.value, item.label)

    def set_value_from_wire(self, value: JSONValue) -> None:
        parsed = None if value is None else self.spec.type.from_wire(value, self.spec)
        self.set_text("" if parsed is None else str(parsed))


class OutcomeLookupWidget(_ComboWidget):
    """An outcome picker over a lookup source: every choice listed, keys 1–9 pick."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self._loaded = False
        self._loading = False
        self.load_choices()

    def _on_focus(self) -> None:
        self.load_choices()

    def load_choices(self) -> None:
        """Ask the provider for every choice (once), without waiting for the answer."""
        if (
            self._loaded
            or self._loading
            or self.context.lookups is None
            or self.spec.lookup is None
        ):
            return
        self._loading = True
        if self.context.spawn(self._load()) is None:
            self._loading = False

    async def _load(self) -> None:
        provider, source = self.context.lookups, self.spec.lookup
        assert provider is not None and source is not None
        try:
            items = await provider(source, "")
        except Exception as exc:
            LOG.warning("loading %s choices failed: %s", source, exc)
            self.note.setText(translate("Couldn't load the choices: {error}").format(error=exc))
            self.note.show()
            return
        finally:
            self._loading = False
        self._loaded = True
        self.fill(items)

    def fill(self, items: list[LookupItem]) -> None:
        """Show these choices, keeping the current one."""
        current = self.text()
        previous = {
            str(self.combo.itemData(i, ID_ROLE)): self.combo.itemText(i)
            for i in range(1, self.combo.count())
        }
        self.combo.blockSignals(True)
        while self.combo.count() > 1:
            self.combo.removeItem(1)
        for item in items:
            self._add_choice(item.id, item.label)
        index = self._index_of(current) if current else 0
        if index < 0:
            self._add_choice(current, previous.get(current, current))
            index = self.combo.count() - 1
            if previous.get(current, current) == current:
                self._mark_unknown(index, current)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)

    def set_value_from_wire(self, value: JSONValue) -> None:
        parsed = None if value is None else self.spec.type.from_wire(value, self.spec)
        self.set_text("" if parsed is None else str(parsed))

    def set_text(self, text: str) -> None:
        known = self._index_of(text) >= 0
        super().set_text(text)
        if text and not known:
            self._mark_unknown(self.combo.currentIndex(), text)
            if self.spec.lookup is not None:
                self.context.spawn(self._name(text))

    def _mark_unknown(self, index: int, item_id: str) -> None:
        colour = QPalette().color(QPalette.ColorRole.PlaceholderText)
        self.combo.setItemData(index, colour, Qt.ItemDataRole.ForegroundRole)
        self.combo.setItemData(
            index, unknown_id_tip(self.spec, item_id), Qt.ItemDataRole.ToolTipRole
        )

    async def _name(self, item_id: str) -> None:
        assert self.spec.lookup is not None
        label = await resolve_label(self.context, self.spec.lookup, item_id)
        index = self._index_of(item_id)
        if label is None or index < 0 or self.combo.itemText(index) != item_id:
            return
        self.combo.setItemText(index, label)
        self.combo.setItemData(index, None, Qt.ItemDataRole.ForegroundRole)
        self.combo.setItemData(index, None, Qt.ItemDataRole.ToolTipRole)

    def is_muted(self) -> bool:
        """Tell whether the current choice is an id shown raw (its name is unknown)."""
        index = self.combo.currentIndex()
        return index > 0 and self.combo.itemData(index, Qt.ItemDataRole.ForegroundRole) is not None


class SearchLookupWidget(FieldWidget):
    """Type to search a lookup source; the label is shown and the picked id is stored."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(translate("Type to search…"))
        self.edit.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.activated[QModelIndex].connect(self._on_activated)  # type: ignore[index]
        self.edit.setCompleter(self.completer)
        self._chosen: tuple[str, str] | None = None
        self._labels: dict[str, str] = {}
        self._muted = False
        self._query = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(context.search_delay_ms)
        self._timer.timeout.connect(self._search_now)
        self.edit.textEdited.connect(self._on_edited)
        self._install(self.edit)

    # -- searching --------------------------------------------------------------------------

    def _on_edited(self, text: str) -> None:
        if self._chosen is not None and text != self._chosen[1]:
            self._chosen = None
        if self._muted:
            self._set_muted(False)
        self.changed.emit()
        if self.context.search_delay_ms <= 0:
            self._search_now()
        else:
            self._timer.start()

    def _search_now(self) -> None:
        if self.context.lookups is None or self.spec.lookup is None:
            return
        self._query = self.edit.text().strip()
        self.context.spawn(self._search(self._query))

    async def _search(self, query: str) -> None:
        provider, source = self.context.lookups, self.spec.lookup
        assert provider is not None and source is not None
        try:
            items = await provider(source, query)
        except Exception as exc:
            LOG.warning("searching %s failed: %s", source, exc)
            self.note.setText(translate("Couldn't search: {error}").format(error=exc))
            self.note.show()
            return
        if query != self._query:
            return  # a newer search is under way
        self.note.hide()
        self.show_choices(items)

    def show_choices(self, items: list[LookupItem]) -> None:
        """Offer these items in the completer popup (when the field has focus)."""
        self.model.clear()
        for item in items:
            self._labels[item.id] = item.label
            row = QStandardItem(item.label)
            row.setData(item.id, ID_ROLE)
            row.setToolTip(item.detail or item.id)
            self.model.appendRow(row)
        if self.edit.hasFocus() and items:
            self.completer.complete()

    def choice_labels(self) -> list[str]:
        """Return the labels currently offered."""
        return [self.model.item(row).text() for row in range(self.model.rowCount())]

    def choose(self, row: int) -> None:
        """Pick the offered choice in ``row`` (what activating it in the popup does)."""
        self._on_activated(self.model.index(row, 0))

    def _on_activated(self, index: QModelIndex) -> None:
        item_id = index.data(ID_ROLE)
        label = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(item_id, str) or not isinstance(label, str):
            return
        self._chosen = (item_id, label)
        self._labels[item_id] = label
        self.edit.setText(label)
        self._set_muted(False)
        self.changed.emit()

    # -- the protocol -------------------------------------------------------------------------

    def text(self) -> str:
        typed = self.edit.text()
        if self._chosen is not None and typed == self._chosen[1]:
            return self._chosen[0]
        return typed

    def set_text(self, text: str) -> None:
        self._timer.stop()
        if not text:
            self._chosen = None
            self.edit.setText("")
            self._set_muted(False)
        else:
            label = self._labels.get(text, text)
            self._chosen = (text, label)
            self.edit.setText(label)
            self.edit.setCursorPosition(0)
            self._set_muted(label == text)
            if label == text:
                self._resolve_label(text)
        self.changed.emit()

    def set_value_from_wire(self, value: JSONValue) -> None:
        parsed = None if value is None else self.spec.type.from_wire(value, self.spec)
        self.set_text("" if parsed is None else str(parsed))

    def remember_label(self, item_id: str, label: str) -> None:
        """Name ``item_id`` (known from elsewhere: caller ID) so choosing it shows ``label``."""
        if label:
            self._labels[item_id] = label

    def _resolve_label(self, item_id: str) -> None:
        if self.spec.lookup is not None and (
            self.context.labels is not None or self.context.lookups is not None
        ):
            self.context.spawn(self._resolve(item_id))

    async def _resolve(self, item_id: str) -> None:
        assert self.spec.lookup is not None
        label = await resolve_label(self.context, self.spec.lookup, item_id)
        if label is None or label == item_id:
            return
        self._labels[item_id] = label
        if self._chosen == (item_id, item_id) and self.edit.text() == item_id:
            self._chosen = (item_id, label)
            self.edit.setText(label)
            self.edit.setCursorPosition(0)
            self._set_muted(False)

    def _set_muted(self, muted: bool) -> None:
        self._muted = muted
        show_muted(self.edit, muted)
        self._refresh_tooltip()

    def _refresh_tooltip(self) -> None:
        super()._refresh_tooltip()
        if self._muted and self._chosen is not None and self.is_editable():
            self.edit.setToolTip(unknown_id_tip(self.spec, self._chosen[0]))

    def is_muted(self) -> bool:
        """Tell whether the field shows a stored id raw, because its name is unknown."""
        return self._muted

    def shown_text(self) -> str:
        """Return what the rep sees in the field (a label, or an id nobody named)."""
        return self.edit.text()

    def local_error(self) -> str | None:
        typed = self.edit.text().strip()
        if typed and self._chosen is None:
            return translate("Pick a {what} from the list (type to search)").format(
                what=self.spec.label.lower()
            )
        return None

    def focus_widget(self) -> QWidget:
        return self.edit

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.edit.setClearButtonEnabled(not read_only)
        self.edit.setPlaceholderText("—" if read_only else translate("Type to search…"))
        calm_read_only(self.edit, read_only)
        show_muted(self.edit, self._muted)  # calm_read_only resets the palette


__all__ = [
    "EnumWidget",
    "NumberedCombo",
    "OutcomeLookupWidget",
    "SearchLookupWidget",
]
