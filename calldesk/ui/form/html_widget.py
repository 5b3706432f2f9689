"""The rich-text note: bold, italic, underline and lists by the usual shortcuts.

Its raw text is simple semantic HTML (``<p>``, ``<b>``, ``<i>``, ``<u>``, ``<ul>``/``<ol>``,
``<a>``) written from the document structure, so the schema's sanitiser keeps the formatting
(Qt's own ``toHtml`` expresses bold as inline styles, which a sanitiser drops).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QFont,
    QKeySequence,
    QShortcut,
    QTextCharFormat,
    QTextList,
    QTextListFormat,
)
from PySide6.QtWidgets import QHBoxLayout, QTextEdit, QToolButton, QVBoxLayout, QWidget

from calldesk.domain.model import JSONValue
from calldesk.schema.spec import FieldSpec
from calldesk.ui.form.base import FieldWidget, WidgetContext, calm_read_only, translate
from calldesk.ui.form.text_widgets import wire_display


def _fragment_html(fmt: QTextCharFormat, text: str) -> str:
    out = html.escape(text).replace("\u2028", "<br>")
    if fmt.fontUnderline():
        out = f"<u>{out}</u>"
    if fmt.fontItalic():
        out = f"<i>{out}</i>"
    if fmt.fontWeight() >= QFont.Weight.Bold.value:
        out = f"<b>{out}</b>"
    if fmt.isAnchor() and fmt.anchorHref():
        out = f'<a href="{html.escape(fmt.anchorHref(), quote=True)}">{out}</a>'
    return out


def document_html(edit: QTextEdit) -> str:
    """Return the editor's content as simple semantic HTML ("" when empty)."""
    document = edit.document()
    if not document.toPlainText().strip():
        return ""
    parts: list[str] = []
    open_list: str | None = None
    block = document.begin()
    while block.isValid():
        inline: list[str] = []
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.isValid():
                inline.append(_fragment_html(fragment.charFormat(), fragment.text()))
            iterator += 1
        body = "".join(inline)
        text_list = block.textList()
        tag = None
        if text_list is not None:
            numbered = text_list.format().style() in (
                QTextListFormat.Style.ListDecimal,
                QTextListFormat.Style.ListLowerAlpha,
                QTextListFormat.Style.ListUpperAlpha,
            )
            tag = "ol" if numbered else "ul"
        if tag != open_list:
            if open_list:
                parts.append(f"</{open_list}>")
            if tag:
                parts.append(f"<{tag}>")
            open_list = tag
        parts.append(f"<li>{body}</li>" if tag else f"<p>{body}</p>")
        block = block.next()
    if open_list:
        parts.append(f"</{open_list}>")
    return "".join(parts)


class HtmlWidget(FieldWidget):
    """A rich-text box with B / I / U / list buttons; sanitised by the field type on save."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit = QTextEdit(self)
        self.edit.setAcceptRichText(True)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(self.edit.fontMetrics().lineSpacing() * 6 + 14)
        self.edit.textChanged.connect(self.changed.emit)
        self._buttons: list[QToolButton] = []
        tools = QWidget(self)
        column = QHBoxLayout(tools)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        for text, shortcut, action, name in (
            ("B", "Ctrl+B", self.toggle_bold, translate("Bold")),
            ("I", "Ctrl+I", self.toggle_italic, translate("Italic")),
            ("U", "Ctrl+U", self.toggle_underline, translate("Underline")),
            ("•", "Ctrl+Shift+8", self.toggle_bullets, translate("Bulleted list")),
        ):
            button = QToolButton(tools)
            button.setText(text)
            button.setAutoRaise(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            sequence = QKeySequence(shortcut)
            readable = sequence.toString(QKeySequence.SequenceFormat.NativeText)
            button.setToolTip(f"{name} ({readable})")
            button.setAccessibleName(name)
            button.clicked.connect(action)
            column.addWidget(button)
            self._buttons.append(button)
            QShortcut(sequence, self.edit, action, context=Qt.ShortcutContext.WidgetShortcut)
        column.addStretch(1)
        tools.setAccessibleName(translate("Formatting"))
        bold_font = self._buttons[0].font()
        bold_font.setBold(True)
        self._buttons[0].setFont(bold_font)
        italic_font = self._buttons[1].font()
        italic_font.setItalic(True)
        self._buttons[1].setFont(italic_font)
        self._install(self.edit)
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        outer.insertWidget(0, tools)

    def toggle_bold(self) -> None:
        bold = self.edit.fontWeight() < QFont.Weight.Bold.value
        self.edit.setFontWeight(QFont.Weight.Bold.value if bold else QFont.Weight.Normal.value)

    def toggle_italic(self) -> None:
        self.edit.setFontItalic(not self.edit.fontItalic())

    def toggle_underline(self) -> None:
        self.edit.setFontUnderline(not self.edit.fontUnderline())

    def toggle_bullets(self) -> None:
        cursor = self.edit.textCursor()
        current: QTextList | None = cursor.currentList()  # None outside a list
        if current is not None:
            block_format = cursor.blockFormat()
            current.remove(cursor.block())
            block_format.setIndent(0)
            cursor.setBlockFormat(block_format)
            return
        cursor.createList(QTextListFormat.Style.ListDisc)

    def text(self) -> str:
        return document_html(self.edit)

    def set_text(self, text: str) -> None:
        if text == self.text():
            return
        if "<" in text:
            self.edit.setHtml(text)
        else:
            self.edit.setPlainText(text)

    def set_value_from_wire(self, value: JSONValue) -> None:
        self.set_text(wire_display(self.spec, value))

    def focus_widget(self) -> QWidget:
        return self.edit

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        calm_read_only(self.edit, read_only)
        for button in self._buttons:
            button.setEnabled(not read_only)
