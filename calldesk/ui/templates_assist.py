"""Note templates in the editor: the rep's short texts per outcome, inserted with a key.

``TemplatesAssist`` puts a "Templates" button under the call's note. Ctrl+T (or the button) opens
the templates of the chosen outcome first, then those for any outcome, numbered 1–9: a digit or
Enter inserts one at the end of the note with its ``{placeholders}`` filled in
(``calldesk.domain.templates``). Choosing an outcome while the note is empty inserts that
outcome's default template. "Edit templates…" opens :class:`TemplatesDialog` (kept locally, per
account). Only the rep's own edits insert defaults: loading a record does not.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain.templates import PLACEHOLDERS, NoteTemplate

if TYPE_CHECKING:
    from calldesk.ui.form import EditorForm
    from calldesk.ui.ports import TemplatesPort

Spawn = Callable[[Coroutine[Any, Any, object]], object]
Outcomes = Callable[[], Coroutine[Any, Any, list[tuple[str, str]]]]
TEMPLATE_KEYS = "Ctrl+T"


class TemplatesAssist(QObject):
    """Templates under one form's note (see the module docstring)."""

    def __init__(
        self, form: EditorForm, port: TemplatesPort, spawn: Spawn, outcomes: Outcomes
    ) -> None:
        super().__init__(form)
        view = form.schema.list_view
        self.form = form
        self.account = form.account_name
        self.note_field = next(n for n in view.note if n in form.fields)
        self.outcome_field = next((n for n in view.outcome if n in form.fields), None)
        self._port = port
        self._spawn = spawn
        self._outcomes = outcomes
        self.templates: list[NoteTemplate] = []
        self.menu = QMenu(form)
        self.menu.setObjectName("templates_menu")
        self.button = QToolButton()
        self.button.setObjectName("templates_button")
        readable = QKeySequence(TEMPLATE_KEYS).toString(QKeySequence.SequenceFormat.NativeText)
        self.button.setText(self.tr("Templates   {keys}").format(keys=readable))
        self.button.setToolTip(self.tr("Insert a note template ({keys})").format(keys=readable))
        self.button.clicked.connect(self.open_menu)
        form.add_row_below(self.note_field, self.button)
        QShortcut(
            QKeySequence(TEMPLATE_KEYS),
            form,
            self.open_menu,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        if self.outcome_field is not None:
            form.fields[self.outcome_field].changed.connect(self._on_outcome_changed)
        self.dialog: TemplatesDialog | None = None
        self.reload()

    # -- the templates -------------------------------------------------------------------------

    def reload(self) -> None:
        self._spawn(self._load())

    async def _load(self) -> None:
        self.templates = await self._port.list(self.account)

    def outcome(self) -> str:
        if self.outcome_field is None:
            return ""
        return self.form.fields[self.outcome_field].text()

    def offered(self) -> list[NoteTemplate]:
        """This outcome's templates, then those for any outcome (the menu's order)."""
        outcome = self.outcome()
        mine = [t for t in self.templates if outcome and t.outcome == outcome]
        return mine + [t for t in self.templates if not t.outcome]

    # -- inserting ------------------------------------------------------------------------------

    def open_menu(self) -> None:
        """Ctrl+T: the templates to insert, numbered; then "Edit templates…"."""
        self.menu.clear()
        offered = self.offered()
        for index, template in enumerate(offered[:9], start=1):
            action = self.menu.addAction(f"&{index}  {template.name}")
            action.setToolTip(template.body)
            action.triggered.connect(lambda _=False, t=template: self.insert(t))
        if not offered:
            none = self.menu.addAction(self.tr("No templates for this outcome yet"))
            none.setEnabled(False)
        self.menu.addSeparator()
        edit = self.menu.addAction(self.tr("Edit templates…"))
        edit.triggered.connect(self.edit_templates)
        self.menu.popup(self.button.mapToGlobal(self.button.rect().bottomLeft()))

    def insert(self, template: NoteTemplate) -> None:
        """Put ``template``'s text at the end of the note, placeholders filled in."""
        widget = self.form.fields[self.note_field]
        contact = self._contact_name()
        text = self._port.render(template, {"contact": contact})
        edit: Any = widget.focus_widget()
        edit.moveCursor(QTextCursor.MoveOperation.End)
        if widget.text().strip():
            edit.insertPlainText("\n")
        edit.insertPlainText(text)
        edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _contact_name(self) -> str:
        for name in self.form.schema.list_view.who:
            widget = self.form.fields.get(name)
            shown = getattr(widget, "shown_text", None)
            if widget is not None and callable(shown) and widget.text():
                return str(shown())
        return ""

    def _on_outcome_changed(self) -> None:
        if self.form.loading or self.form.fields[self.note_field].text().strip():
            return
        outcome = self.outcome()
        default = next((t for t in self.templates if t.is_default and t.outcome == outcome), None)
        if outcome and default is not None:
            self.insert(default)

    # -- editing --------------------------------------------------------------------------------

    def edit_templates(self) -> None:
        if self.dialog is None:
            self.dialog = TemplatesDialog(self, self.form)
        self.dialog.open()
        self._spawn(self.dialog.load())


class TemplatesDialog(QDialog):
    """The account's templates: pick one to change it, or "New"; saved locally at once."""

    def __init__(self, assist: TemplatesAssist, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assist = assist
        self.setObjectName("templates_dialog")
        self.setWindowTitle(self.tr("Note templates · {account}").format(account=assist.account))
        self.resize(640, 420)
        self.current: NoteTemplate | None = None
        row = QHBoxLayout(self)
        self.list = QListWidget(self)
        self.list.setObjectName("templates_list")
        self.list.setAccessibleName(self.tr("Templates"))
        self.list.currentRowChanged.connect(self._show)
        row.addWidget(self.list, 1)
        side = QVBoxLayout()
        form = QFormLayout()
        self.name = QLineEdit(self)
        self.name.setObjectName("template_name")
        self.outcome = QComboBox(self)
        self.outcome.setObjectName("template_outcome")
        self.body = QPlainTextEdit(self)
        self.body.setObjectName("template_body")
        self.body.setTabChangesFocus(True)
        self.body.setToolTip(
            "\n".join(f"{{{name}}}: {what}" for name, what in PLACEHOLDERS.items())
        )
        self.body.setPlaceholderText(self.tr("Left voicemail, will call back {weekday}"))
        self.default = QCheckBox(self.tr("Insert when this outcome is chosen"), self)
        self.default.setObjectName("template_default")
        form.addRow(self.tr("&Name"), self.name)
        form.addRow(self.tr("&Outcome"), self.outcome)
        form.addRow(self.tr("&Text"), self.body)
        form.addRow("", self.default)
        hint = QLabel(
            self.tr("Placeholders: {names}").format(
                names=", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
            ),
            self,
        )
        hint.setWordWrap(True)
        hint.setForegroundRole(hint.foregroundRole().PlaceholderText)
        form.addRow("", hint)
        self.message = QLabel(self)
        self.message.setObjectName("template_message")
        form.addRow("", self.message)
        side.addLayout(form, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton(self.tr("&New"), self)
        self.new_button.clicked.connect(self.start_new)
        self.save_button = QPushButton(self.tr("&Save"), self)
        self.save_button.setObjectName("template_save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda: self.assist._spawn(self.save()))
        self.delete_button = QPushButton(self.tr("&Delete"), self)
        self.delete_button.clicked.connect(lambda: self.assist._spawn(self.delete()))
        close = QPushButton(self.tr("Close"), self)
        close.clicked.connect(self.accept)
        for button in (self.new_button, self.save_button, self.delete_button, close):
            buttons.addWidget(button)
        side.addLayout(buttons)
        row.addLayout(side, 2)

    async def load(self) -> None:
        outcomes = await self.assist._outcomes()
        self.outcome.clear()
        self.outcome.addItem(self.tr("Any outcome"), "")
        for value, label in outcomes:
            self.outcome.addItem(label, value)
        await self.assist._load()
        self._fill()
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.start_new()

    def _fill(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for template in self.assist.templates:
            outcome = self._outcome_label(template.outcome)
            mark = " ★" if template.is_default else ""
            self.list.addItem(f"{template.name} · {outcome}{mark}")
        self.list.blockSignals(False)

    def _outcome_label(self, value: str) -> str:
        index = self.outcome.findData(value)
        return self.outcome.itemText(index) if index >= 0 else value

    def _show(self, row: int) -> None:
        templates = self.assist.templates
        if not 0 <= row < len(templates):
            return
        template = templates[row]
        self.current = template
        self.name.setText(template.name)
        index = self.outcome.findData(template.outcome)
        self.outcome.setCurrentIndex(max(index, 0))
        self.body.setPlainText(template.body)
        self.default.setChecked(template.is_default)
        self.message.clear()

    def start_new(self) -> None:
        """An empty template for the outcome the call has (or any)."""
        self.current = None
        self.list.clearSelection()
        self.name.clear()
        self.body.clear()
        index = self.outcome.findData(self.assist.outcome())
        self.outcome.setCurrentIndex(max(index, 0))
        self.default.setChecked(False)
        self.message.clear()
        self.name.setFocus()

    async def save(self) -> None:
        current = self.current
        template = NoteTemplate(
            account=self.assist.account,
            name=self.name.text().strip(),
            body=self.body.toPlainText().strip(),
            outcome=str(self.outcome.currentData() or ""),
            is_default=self.default.isChecked(),
            position=current.position if current is not None else 0,
            template_id=current.template_id if current is not None else None,
        )
        try:
            saved = await self.assist._port.save(template)
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.current = saved
        await self.assist._load()
        self._fill()
        ids = [t.template_id for t in self.assist.templates]
        if saved.template_id in ids:
            self.list.setCurrentRow(ids.index(saved.template_id))
        self.message.setText(self.tr("Saved."))

    async def delete(self) -> None:
        current = self.current
        if current is None or current.template_id is None:
            return
        await self.assist._port.delete(current.template_id)
        await self.assist._load()
        self._fill()
        self.start_new()
        self.message.setText(self.tr("Deleted “{name}”.").format(name=current.name))
