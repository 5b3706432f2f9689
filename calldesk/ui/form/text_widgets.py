"""Field widgets on a line or a plain text box: text, id, integer, phone, duration, boolean."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QPlainTextEdit, QWidget

from calldesk.domain.model import JSONValue
from calldesk.schema.errors import FieldValueError
from calldesk.schema.phones import try_read_phone
from calldesk.schema.spec import FieldSpec
from calldesk.ui.form.base import FieldWidget, WidgetContext, calm_read_only, translate


def wire_display(spec: FieldSpec, value: JSONValue) -> str:
    """Return the text a rep would type for a wire value ("" when absent or unreadable)."""
    if value is None:
        return ""
    parsed = spec.type.from_wire(value, spec)
    if parsed is None:
        return ""
    return spec.type.display(parsed, spec)


class LineWidget(FieldWidget):
    """A one-line text box: text, id and integer fields (the schema validates the text)."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit = QLineEdit(self)
        if spec.max_length is not None:
            self.edit.setMaxLength(max(spec.max_length * 2, spec.max_length + 50))
        self.edit.textChanged.connect(self._on_text_changed)
        self._install(self.edit, stretch=self._stretches())

    def _stretches(self) -> bool:
        return True

    def _on_text_changed(self, _text: str) -> None:
        self.changed.emit()

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def set_value_from_wire(self, value: JSONValue) -> None:
        self.edit.setText(wire_display(self.spec, value))
        self.edit.setCursorPosition(0)  # a long id reads from its start, not its end

    def focus_widget(self) -> QWidget:
        return self.edit

    def _apply_read_only(self, read_only: bool) -> None:
        if not hasattr(self, "_placeholder"):
            self._placeholder = self.edit.placeholderText()
        self.edit.setReadOnly(read_only)
        self.edit.setPlaceholderText("—" if read_only else self._placeholder)
        calm_read_only(self.edit, read_only)


class IntegerWidget(LineWidget):
    """A whole number, in a short box that shows the vendor's bounds beside it."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.edit.setMaximumWidth(160)
        bounds = _bounds_text(spec.minimum, spec.maximum, str)
        if bounds:
            self.aside.setText(bounds)
            self.aside.show()

    def _stretches(self) -> bool:
        return False


def _bounds_text(minimum: int | None, maximum: int | None, say: Callable[[int], str]) -> str:
    if minimum == 0 and maximum is None:
        return ""
    if maximum is not None and (minimum is None or minimum == 0):
        return translate("max {limit}").format(limit=say(maximum))
    if minimum is not None and maximum is not None:
        return translate("{low}–{high}").format(low=say(minimum), high=say(maximum))
    if minimum is not None:
        return translate("min {limit}").format(limit=say(minimum))
    return ""


def duration_words(seconds: int) -> str:
    """Say a length of time the way a rep would: ``7 days``, ``2 hours``, ``90 s``."""
    for size, one, many in (
        (86400, translate("1 day"), translate("{n} days")),
        (3600, translate("1 hour"), translate("{n} hours")),
        (60, translate("1 minute"), translate("{n} minutes")),
    ):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return one if count == 1 else many.format(n=count)
    return translate("{n} s").format(n=seconds)


class DurationWidget(LineWidget):
    """A length of time typed as ``90``, ``1:30`` or ``1h 5m``; shows the normalised value."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit.setMaximumWidth(160)
        self.edit.setPlaceholderText(translate("e.g. 4:12 or 1h 5m"))
        self._limit = _bounds_text(spec.minimum, spec.maximum, duration_words)
        self._show_normalised()

    def _stretches(self) -> bool:
        return False

    def _on_text_changed(self, text: str) -> None:
        self._show_normalised()
        super()._on_text_changed(text)

    def seconds(self) -> int | None:
        """Return the typed duration in seconds, or ``None`` when it can't be read."""
        if not self.edit.text().strip():
            return None
        try:
            value = self.spec.type.parse(self.edit.text(), self.spec)
        except FieldValueError:
            return None
        return value if isinstance(value, int) else None

    def _show_normalised(self) -> None:
        seconds = self.seconds()
        parts: list[str] = []
        typed = self.edit.text().strip()
        if seconds is not None:
            shown = self.spec.type.display(seconds, self.spec)
            if shown != typed:
                parts.append(translate("= {shown}").format(shown=shown))
            if str(seconds) != typed:
                parts.append(translate("{n} s").format(n=seconds))
        if self._limit:
            parts.append(self._limit)
        self.aside.setText("  ·  ".join(parts))
        self.aside.setVisible(bool(parts))


class PhoneWidget(LineWidget):
    """A phone number: checked by the schema, tidied to international form when focus leaves.

    National numbers are read with the account's country (``context.region``); beside the box
    it says when letters were read as digits and when the number is in no range calldesk knows
    (accepted, but worth a second look).
    """

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit.setPlaceholderText(translate("+1 650 555 1234"))
        self.edit.editingFinished.connect(self.tidy)

    def _on_text_changed(self, text: str) -> None:
        reading = try_read_phone(text, self.context.region) if text.strip() else None
        self._notes = reading.notes() if reading is not None else []
        short: list[str] = []
        if reading is not None and reading.rewritten:
            short.append(translate("= {number}").format(number=reading.pretty))
        if reading is not None and not reading.known:
            short.append(translate("⚠ unknown range: check it"))
        self.aside.setText("  ".join(short))
        self.aside.setToolTip("\n".join(self._notes))
        self.aside.setAccessibleDescription("; ".join(self._notes))
        self.aside.setVisible(bool(short))
        super()._on_text_changed(text)

    def notes(self) -> str:
        """What the box says beside the number, in full ("" when nothing needs saying)."""
        return "  ·  ".join(getattr(self, "_notes", []))

    def tidy(self) -> None:
        """Rewrite a readable number in international form; leave anything else as typed."""
        if self.edit.isReadOnly() or not self.edit.text().strip():
            return
        try:
            value = self.spec.type.parse(self.edit.text(), self.spec, region=self.context.region)
        except FieldValueError:
            return
        shown = self.spec.type.display(value, self.spec)
        if shown != self.edit.text():
            self.edit.setText(shown)


class TextAreaWidget(FieldWidget):
    """Several lines of plain text (a note); Tab moves on instead of typing a tab."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 4 + 12)
        self.edit.textChanged.connect(self.changed.emit)
        self._install(self.edit)

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        if text != self.edit.toPlainText():
            self.edit.setPlainText(text)

    def set_value_from_wire(self, value: JSONValue) -> None:
        self.set_text(wire_display(self.spec, value))

    def focus_widget(self) -> QWidget:
        return self.edit

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        calm_read_only(self.edit, read_only)


class BooleanWidget(FieldWidget):
    """Yes or no. Left unset ("") until the rep or the record says otherwise."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.box = QCheckBox(self)
        self._explicit = False
        self.box.toggled.connect(self._on_toggled)
        self._install(self.box, stretch=False)

    def _on_toggled(self, _checked: bool) -> None:
        self._explicit = True
        self.changed.emit()

    def text(self) -> str:
        if self.box.isChecked():
            return "true"
        return "false" if self._explicit else ""

    def set_text(self, text: str) -> None:
        word = text.strip().lower()
        self.box.blockSignals(True)
        self.box.setChecked(word in {"true", "yes", "1", "on", "y"})
        self.box.blockSignals(False)
        self._explicit = bool(word)
        self.changed.emit()

    def set_value_from_wire(self, value: JSONValue) -> None:
        parsed = None if value is None else self.spec.type.from_wire(value, self.spec)
        self.set_text("" if parsed is None else ("true" if parsed else "false"))

    def focus_widget(self) -> QWidget:
        return self.box

    def _apply_read_only(self, read_only: bool) -> None:
        self.box.setEnabled(not read_only)  # disabled widgets still show their tooltip
