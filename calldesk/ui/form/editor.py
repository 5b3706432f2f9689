"""``EditorForm``: the schema-driven form a rep fills in after a call.

Built from a :class:`~calldesk.schema.vendor.VendorSchema` in schema order; the schema decides
every field, label, marker and rule (no vendor names here). Text is validated as the rep types
(debounced by a QTimer); Save and Save & new stay disabled until the schema accepts the values.
Every edit emits :attr:`EditorForm.draft_changed` with the raw texts, so no keystroke is lost.

Which fields show (all decided by the schema):

- **Precedence pairs** (``[[precedence]]``: when both are set, ``keep`` is sent and ``drop`` left
  out): the form shows only the winner, so the rep never types into a field that would be
  dropped. The loser's row is hidden and read-only (its reason is the rule's). A record that
  holds only the loser's value shows it in the winner's editor, converted between plain text and
  HTML; saving then sends it as the winner (the CRM keeps one of the two anyway). A draft typed
  into the loser goes into the winner the same way.
- **New calls** hide read-only fields (the CRM fills them in: ids, timestamps, dispositions);
  they appear once the record exists.
- **The record's CRM id** shows in the schema's ``record_id_field`` (read-only, selectable) from
  the ``remote_id`` given to :meth:`EditorForm.load_record`, since adapters keep a record's own
  id out of its fields.
- **Locked records** (:meth:`EditorForm.set_locked`, e.g. a CRM that allows no change to a logged
  call): every field is read-only with the reason on hover, and Save is disabled.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain.model import FieldError, JSONValue, WireFields
from calldesk.schema.spec import FieldSpec
from calldesk.schema.types import html_to_text
from calldesk.schema.vendor import VendorSchema
from calldesk.ui.form.base import (
    FieldWidget,
    LabelResolver,
    LookupProvider,
    Spawner,
    WidgetContext,
    WidgetFactory,
    error_colour,
    spawn_on_running_loop,
)
from calldesk.ui.form.datetime_widget import DateTimeWidget
from calldesk.ui.form.table import WIDGET_TABLE, build_widget

VALIDATE_DELAY_MS = 150
SAVE_KEYS = ("Ctrl+S",)
SAVE_NEW_KEYS = ("Ctrl+Return", "Ctrl+Enter")


class EditorForm(QWidget):
    """The call editor for one account (see the module docstring).

    Signals: ``save_requested(values, and_new)`` (``save_values``) only when valid;
    ``defaults_requested(raw)``
    when the rep makes the new call's values of the schema's ``account_default`` fields the
    account's defaults (raw texts, as drafts keep them); ``draft_changed(raw)`` on
    every edit; ``dirty_changed(bool)`` when the form starts or stops differing from what was
    loaded; ``validated()`` after each validation pass.

    ``lookups`` gives lookup fields their choices; ``labels`` names the ids a loaded record
    holds. Without ``labels`` a lookup field asks ``lookups`` with the id itself and takes the
    item whose id matches (``CallService.lookup`` puts that item first).
    """

    save_requested = Signal(dict, bool)
    defaults_requested = Signal(dict)
    draft_changed = Signal(dict)
    dirty_changed = Signal(bool)
    validated = Signal()

    def __init__(
        self,
        schema: VendorSchema,
        *,
        account_name: str,
        lookups: LookupProvider | None = None,
        labels: LabelResolver | None = None,
        zone: tzinfo | None = None,
        region: str | None = None,
        widgets: Mapping[str, WidgetFactory] = WIDGET_TABLE,
        spawn: Spawner = spawn_on_running_loop,
        search_delay_ms: int = 200,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.schema = schema
        self.account_name = account_name
        self._region = region
        self._existing = False
        self._current: dict[str, JSONValue] = {}
        self._loading = False
        self._baseline: dict[str, str] = {}
        self._dirty = False
        self._errors: list[FieldError] = []
        self._values: dict[str, object] = {}
        self._remote_field_errors: dict[str, str] = {}
        self._remote_message = ""
        self._touched: set[str] = set()
        self._reveal_all = False
        self._locked_reason: str | None = None
        self._hidden: set[str] = set()
        self._rules = {
            rule.drop: rule
            for rule in schema.precedence
            if rule.keep in {spec.name for spec in schema.fields}
        }  # loser -> its precedence rule
        self.setObjectName("editor_form")
        self.setAccessibleName(self.tr("Call editor"))

        base_context = WidgetContext(
            lookups=lookups,
            labels=labels,
            spawn=spawn,
            zone=zone,
            region=region,
            search_delay_ms=search_delay_ms,
        )
        self.fields: dict[str, FieldWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._build(base_context, widgets)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self._install_shortcuts()
        self.new_record({})

    # -- building -------------------------------------------------------------------------------

    def _context_for(self, spec: FieldSpec, base: WidgetContext) -> WidgetContext:
        view = self.schema.list_view
        return WidgetContext(
            lookups=base.lookups,
            labels=base.labels,
            spawn=base.spawn,
            zone=base.zone,
            region=base.region,
            search_delay_ms=base.search_delay_ms,
            outcome=spec.name in view.outcome,
            multiline=spec.name in view.note,
        )

    def _build(self, base: WidgetContext, widgets: Mapping[str, WidgetFactory]) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(8)

        self.header = QLabel(self)
        self.header.setObjectName("editor_header")
        self.header.setText(
            self.tr("{vendor} · {account}").format(
                vendor=self.schema.label, account=self.account_name
            )
        )
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.header.setFont(font)
        self.header.setAccessibleName(self.header.text())
        self.mode_label = QLabel(self)
        self.mode_label.setObjectName("editor_mode")
        self.mode_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        header_row = QHBoxLayout()
        header_row.addWidget(self.header)
        header_row.addStretch(1)
        header_row.addWidget(self.mode_label)
        outer.addLayout(header_row)
        rule = QFrame(self)
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        outer.addWidget(rule)

        self.message = QLabel(self)
        self.message.setObjectName("form_message")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Form errors"))
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()  # placed under the fields: showing it never moves them

        body = QWidget(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self._layout = form
        column.addLayout(form)
        column.addStretch(1)
        form.setContentsMargins(0, 0, 4, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        for spec in self.schema.fields:
            widget = build_widget(spec, self._context_for(spec, base), widgets)
            widget.setParent(body)
            label = QLabel(self._label_text(spec), body)
            label.setObjectName(f"label_{spec.name}")
            label.setToolTip(spec.help)
            label.setBuddy(widget.focus_widget())
            control_height = widget.focus_widget().sizeHint().height()
            if control_height <= 2 * label.sizeHint().height():  # one-line control: centre
                label.setFixedHeight(control_height)  # stays level with the control
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            else:
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            if spec.required_on_create:
                widget.focus_widget().setAccessibleName(
                    self.tr("{label} (required)").format(label=spec.label)
                )
            form.addRow(label, widget)
            widget.changed.connect(self._on_field_changed)
            self.fields[spec.name] = widget
            self.labels[spec.name] = label
        scroll = QScrollArea(self)
        scroll.setObjectName("editor_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.message)
        self.save_hint = QLabel(self)  # what keeps Save greyed, just above it
        self.save_hint.setObjectName("save_hint")
        self.save_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.save_hint.setWordWrap(True)  # never widens the editor
        self.save_hint.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.save_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        outer.addWidget(self.save_hint)

        buttons = QHBoxLayout()
        self.defaults_button = QPushButton(self.tr("Use as defaults"), self)
        self.defaults_button.setObjectName("use_as_defaults")
        self.defaults_button.setAccessibleName(self.tr("Use these values for new calls"))
        self.defaults_button.setToolTip(
            self.tr("Start new calls for {account} with this {fields}").format(
                account=self.account_name,
                fields=", ".join(self.schema.field(n).label.lower() for n in self.default_fields()),
            )
        )
        self.defaults_button.clicked.connect(
            lambda: self.defaults_requested.emit(self.default_texts())
        )
        self.defaults_button.setVisible(bool(self.default_fields()))
        buttons.addWidget(self.defaults_button)
        buttons.addStretch(1)

        self.save_button = QPushButton(self._button_text(self.tr("Save"), SAVE_KEYS[0]), self)
        self.save_button.setObjectName("save")
        self.save_button.setAccessibleName(self.tr("Save"))
        self.save_button.setDefault(True)
        self.save_new_button = QPushButton(
            self._button_text(self.tr("Save & new").replace("&", "&&"), SAVE_NEW_KEYS[0]), self
        )
        self.save_new_button.setObjectName("save_new")
        self.save_new_button.setAccessibleName(self.tr("Save and start a new call"))
        self.save_button.clicked.connect(lambda: self.request_save(and_new=False))
        self.save_new_button.clicked.connect(lambda: self.request_save(and_new=True))
        buttons.addWidget(self.save_new_button)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)

        chain = [w.focus_widget() for w in self.fields.values()]
        chain += [self.defaults_button, self.save_new_button, self.save_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _label_text(self, spec: FieldSpec) -> str:
        if spec.required_on_create:
            return self.tr("{label} *").format(label=spec.label)
        return spec.label

    @staticmethod
    def _button_text(text: str, keys: str) -> str:
        readable = QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)
        return f"{text}   {readable}"

    def _install_shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys in SAVE_KEYS:
            QShortcut(
                QKeySequence(keys), self, lambda: self.request_save(and_new=False), context=context
            )
        for keys in SAVE_NEW_KEYS:
            QShortcut(
                QKeySequence(keys), self, lambda: self.request_save(and_new=True), context=context
            )

    # -- loading ---------------------------------------------------------------------------------

    def load_record(
        self,
        fields_wire: WireFields,
        *,
        existing: bool,
        remote_id: str | None = None,
        queued: bool = False,
    ) -> None:
        """Show a record (wire form); ``existing`` means it was logged before (an update);
        ``queued``: saved here and waiting to be created in the CRM.

        ``remote_id`` is the CRM's id of the record, shown in the schema's ``record_id_field``.
        Loading unlocks the form: call :meth:`set_locked` afterwards for a locked record.
        """
        self._loading = True
        try:
            self._existing = existing
            self._locked_reason = None
            shown = dict(fields_wire)
            id_field = self.schema.record_id_field
            if remote_id and id_field in self.fields and shown.get(id_field) in (None, ""):
                shown[id_field] = remote_id
            self._current = dict(fields_wire)
            self._remote_field_errors.clear()
            self._remote_message = ""
            self._touched.clear()
            self._reveal_all = existing
            for name, widget in self.fields.items():
                widget.set_value_from_wire(shown.get(name))
            self._carry_losers()
            self._apply_visibility()
            self._apply_read_only()
        finally:
            self._loading = False
        if existing:
            mode = self.tr("Editing a logged call")
        elif queued:
            mode = self.tr("Saved here, not in the CRM yet")
        else:
            mode = self.tr("New call")
        self.mode_label.setText(mode)
        self.header.setAccessibleName(f"{self.header.text()} — {mode}")  # what a reader hears
        self.defaults_button.setVisible(not existing and not queued and bool(self.default_fields()))
        self._baseline = self.raw_texts(all_fields=True)
        self._set_dirty(False)
        self.validate_now()

    def new_record(
        self, defaults_wire: WireFields, defaults: Mapping[str, str] | None = None
    ) -> None:
        """Start a new call: now for the call-time field(s), then the account's ``defaults``
        (raw texts of ``account_default`` fields, as ``default_texts`` gave them)."""
        self.load_record(defaults_wire, existing=False)
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        chosen = set(self.default_fields())
        self._loading = True
        try:
            for name in self.call_time_fields():
                widget = self.fields[name]
                if isinstance(widget, DateTimeWidget) and name not in defaults_wire:
                    widget.set_moment(now)
            for name, text in (defaults or {}).items():
                if name in chosen and text and self.fields[name].is_editable():
                    self.fields[name].set_text(text)
        finally:
            self._loading = False
        self._baseline = self.raw_texts(all_fields=True)
        self._set_dirty(False)
        self.validate_now()

    def load_draft(self, raw_texts: Mapping[str, str]) -> None:
        """Restore text exactly as the rep typed it (on top of the loaded record).

        Text for a precedence loser goes into its winner (converted) unless the draft has the
        winner's text too.
        """
        self._loading = True
        try:
            for typed_name, typed in raw_texts.items():
                name, text = typed_name, typed
                rule = self._rules.get(typed_name)
                if rule is not None:
                    if rule.keep in raw_texts or not typed.strip():
                        continue
                    name = rule.keep
                    text = carry_text(self.schema.field(typed_name), self.schema.field(name), typed)
                widget = self.fields.get(name)
                if widget is not None and widget.read_only_reason() is None:
                    widget.set_text(text)
                    if text.strip():
                        self._touched.add(name)  # its errors show; empty fields stay calm
            self._refresh_exclusive()
        finally:
            self._loading = False
        self._update_dirty()
        self.validate_now()

    def default_fields(self) -> list[str]:
        """The fields whose values the rep may make the account's defaults (the schema says)."""
        return [
            spec.name
            for spec in self.schema.fields
            if spec.account_default and spec.name in self.fields and spec.name not in self._hidden
        ]

    def default_texts(self) -> dict[str, str]:
        """The new call's text in each ``default_fields`` field (empty: no default)."""
        return {name: self.fields[name].text() for name in self.default_fields()}

    def call_time_fields(self) -> list[str]:
        """Editable date-time fields the schema lists as the call's time (prefilled with now)."""
        return [
            name
            for name in self.schema.list_view.when
            if name in self.fields
            and self.schema.field(name).type.name == "datetime"
            and not self.schema.field(name).read_only
        ]

    @property
    def loading(self) -> bool:
        """True while a record, a draft or a new call is being put into the fields (their
        ``changed`` signals then come from the form, not from the rep)."""
        return self._loading

    def add_row_below(self, name: str, widget: QWidget) -> None:
        """Show ``widget`` on its own row right under field ``name`` (helpers such as caller
        ID that belong to one field)."""
        position: Any = self._layout.getWidgetPosition(self.fields[name])
        row = int(position[0])
        widget.setParent(self.fields[name].parentWidget())
        self._layout.insertRow(row + 1, "", widget)

    def set_field_text(self, name: str, text: str) -> bool:
        """Put ``text`` into field ``name`` as if the rep typed it; False when it can't change."""
        widget = self.fields.get(name)
        if widget is None or not widget.is_editable() or name in self._hidden:
            return False
        widget.set_text(text)
        self._touched.add(name)
        self._update_dirty()
        self.validate_now()
        return True

    def set_locked(self, reason: str | None) -> None:
        """Make every field read-only with ``reason`` on hover and disable Save (``None``: undo)."""
        self._locked_reason = reason
        self._apply_read_only()
        self.validate_now()

    def locked_reason(self) -> str | None:
        """Return why the record can't be changed, when the form is locked."""
        return self._locked_reason

    def is_shown(self, name: str) -> bool:
        """Tell whether field ``name`` has a row in the form now (see the module docstring)."""
        return name in self.fields and name not in self._hidden

    def _carry_losers(self) -> None:
        """A record with only a precedence loser's value shows it in the winner's editor."""
        for drop, rule in self._rules.items():
            winner, loser = self.fields[rule.keep], self.fields[drop]
            if winner.text().strip() or not loser.text().strip():
                continue
            winner.set_text(
                carry_text(self.schema.field(drop), self.schema.field(rule.keep), loser.text())
            )

    def _apply_visibility(self) -> None:
        hidden = set(self._rules) | {s.name for s in self.schema.fields if s.hide_in_editor}
        if not self._existing:
            hidden |= {spec.name for spec in self.schema.fields if spec.read_only}
        for name, widget in self.fields.items():
            self._layout.setRowVisible(widget, name not in hidden)
        self._hidden = hidden

    def _apply_read_only(self) -> None:
        frozen = self.schema.frozen_fields(self._current) if self._existing else {}
        for spec in self.schema.fields:
            reason: str | None = None
            if spec.name in self._rules:
                reason = self._rules[spec.name].reason
            elif spec.read_only:
                reason = spec.read_only_reason or self.tr("{crm} fills this in").format(
                    crm=self.schema.label
                )
            elif self._existing and spec.name in frozen:
                reason = frozen[spec.name]
            elif self._existing and spec.create_only:
                reason = self.tr("Can only be set when the call is logged")
            if self._locked_reason is not None and reason is None:
                reason = self._locked_reason
            self.fields[spec.name].set_read_only(reason)
        self._refresh_exclusive()

    # -- editing -----------------------------------------------------------------------------

    def _on_field_changed(self) -> None:
        if self._loading:
            return
        sender = self.sender()
        for name, widget in self.fields.items():
            if widget is sender:
                self._touched.add(name)
                if self._remote_field_errors.pop(name, None) is not None:
                    self._show_errors()
        self._refresh_exclusive()
        self.draft_changed.emit(self.raw_texts())
        self._update_dirty()
        self._timer.start()

    def _refresh_exclusive(self) -> None:
        for group in self.schema.exclusive_groups:
            members = [name for name in group.fields if name in self.fields]
            filled = [
                name
                for name in members
                if self.fields[name].text().strip() and self.fields[name].read_only_reason() is None
            ]
            for name in members:
                others = [other for other in filled if other != name]
                widget = self.fields[name]
                if others and not widget.text().strip():
                    labels = ", ".join(self.schema.field(other).label for other in others)
                    widget.set_blocked(
                        self.tr("{why} Clear {other} to use this field.").format(
                            why=group.message.rstrip(".") + ".", other=labels
                        )
                    )
                else:
                    widget.set_blocked(None)

    def raw_texts(self, *, all_fields: bool = False) -> dict[str, str]:
        """Return the text of every field the rep can edit (of every field with ``all_fields``).

        A locked form's fields are read-only, so it returns nothing to save.
        """
        return {
            name: widget.text()
            for name, widget in self.fields.items()
            if all_fields or widget.read_only_reason() is None
        }

    def _update_dirty(self) -> None:
        self._set_dirty(self.raw_texts(all_fields=True) != self._baseline)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def is_dirty(self) -> bool:
        return self._dirty

    # -- validation --------------------------------------------------------------------------

    def _op(self) -> Literal["create", "update"]:
        return "update" if self._existing else "create"

    def validate_now(self) -> None:
        """Parse and validate the form at once, then show errors and enable Save accordingly."""
        self._timer.stop()
        raw = self.raw_texts()
        values, errors = self.schema.parse_inputs(raw, region=self._region)
        unreadable = {error.field for error in errors}
        good = {name: value for name, value in values.items() if name not in unreadable}
        current = self._current if self._existing else None
        errors += [
            error
            for error in self.schema.validate(good, op=self._op(), current=current)
            if error.field not in unreadable
        ]
        for name, widget in self.fields.items():
            problem = widget.local_error() if name in raw else None
            if problem and name not in unreadable:
                errors.append(FieldError(name, problem))
        self._values = good
        self._errors = errors
        self._show_errors()
        valid = not errors and self._locked_reason is None
        self.save_button.setEnabled(valid)
        self.save_new_button.setEnabled(valid)
        waiting = sorted(
            {self.schema.field(e.field).label for e in errors if e.field in self.fields}
        )
        hint = (
            self.tr("Missing or wrong: {fields}").format(fields=", ".join(waiting))
            if waiting
            else ""
        )
        if self._locked_reason is not None:
            hint = self._locked_reason
        self.save_button.setToolTip(hint)
        self.save_new_button.setToolTip(hint)
        self.save_hint.setText(hint if self._locked_reason is None else "")
        self.save_hint.setToolTip(hint)
        self.save_button.setAccessibleDescription(hint)
        self.validated.emit()

    def _field_message(self, name: str, message: str) -> str:
        spec = self.schema.field(name)
        prefix = f"{spec.label}: "
        return message[len(prefix) :] if message.startswith(prefix) else message

    def _show_errors(self) -> None:
        per_field: dict[str, list[str]] = {}
        form_level: list[str] = []
        if self._remote_message:
            form_level.append(self._remote_message)
        for error in self._errors:
            if error.field is not None and error.field in self.fields:
                if not (self._reveal_all or error.field in self._touched):
                    continue  # calm: no red on fields the rep hasn't reached yet
                text = self._field_message(error.field, error.message)
                if text not in per_field.setdefault(error.field, []):
                    per_field[error.field].append(text)
            else:
                form_level.append(error.message)
        for name, message in self._remote_field_errors.items():
            per_field.setdefault(name, []).append(message)
        if self._locked_reason is not None:
            per_field.clear()  # nothing can change: the lock's reason (on hover) says why
            form_level = [self._remote_message] if self._remote_message else []
        for name, widget in self.fields.items():
            messages = per_field.get(name)
            widget.set_error("\n".join(messages) if messages else None)
        if form_level:
            self.message.setStyleSheet(f"color: {error_colour(self)}; font-weight: 600;")
            self.message.setText("\n".join(form_level))
            self.message.show()
        else:
            self.message.clear()
            self.message.hide()

    def show_remote_errors(
        self, message: str, field_errors: Mapping[str, str] | Iterable[FieldError] = ()
    ) -> None:
        """Show what the CRM said: beside the fields it names, the rest at the top."""
        if isinstance(field_errors, Mapping):
            pairs = list(field_errors.items())
        else:
            pairs = [(error.field or "", error.message) for error in field_errors]
        self._remote_field_errors.clear()
        extra: list[str] = []
        for name, text in pairs:
            if name in self.fields:
                self._remote_field_errors[name] = text
            else:
                extra.append(f"{name}: {text}" if name else text)
        self._remote_message = "\n".join([message, *extra]) if message or extra else ""
        self._show_errors()

    def errors(self) -> list[FieldError]:
        """Return the schema's current complaints (validation runs first if an edit is pending)."""
        if self._timer.isActive():
            self.validate_now()
        return list(self._errors)

    def is_valid(self) -> bool:
        return not self.errors()

    def values(self) -> dict[str, JSONValue]:
        """Return the wire values Save would send (editable fields; nulls only to clear a value
        the loaded record has, whether it is in the CRM yet or still a queued create)."""
        if self._timer.isActive():
            self.validate_now()
        wire = self.schema.to_wire(self._values)
        return {
            name: value
            for name, value in wire.items()
            if value is not None or self._current.get(name) is not None
        }

    def save_values(self) -> dict[str, object]:
        """The values Save hands the service, as the schema reads them (not wire form: the
        service converts them once). The same fields as :meth:`values`: a ``None`` only clears
        a value the loaded record has; a field a precedence rule drops is left out."""
        if self._timer.isActive():
            self.validate_now()
        dropped = self.schema.precedence_drops(self._values)
        return {
            name: value
            for name, value in self._values.items()
            if name not in dropped and (value is not None or self._current.get(name) is not None)
        }

    def request_save(self, *, and_new: bool) -> bool:
        """Emit :attr:`save_requested` when the form is valid; tell whether it did."""
        if self._locked_reason is not None:
            return False
        if not self.is_valid():
            self._reveal_all = True
            self._show_errors()
            return False
        self._remote_message = ""
        self._remote_field_errors.clear()
        self._show_errors()
        self.save_requested.emit(self.save_values(), and_new)
        return True

    def field_names(self) -> list[str]:
        """Return the names of every field of the schema, in order (see :meth:`is_shown`)."""
        return list(self.fields)


def carry_text(source: FieldSpec, target: FieldSpec, text: str) -> str:
    """Convert a field's text for another field's editor (plain text ↔ HTML; else as is)."""
    source_html, target_html = source.type.name == "html", target.type.name == "html"
    if target_html and not source_html:
        lines = text.splitlines() or [""]
        return "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    if source_html and not target_html:
        return html_to_text(text)
    return text
