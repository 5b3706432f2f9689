"""Caller ID in the editor: under the call's phone field, who has the number being typed.

As the rep types or pastes a number, ``CallerIdAssist`` reads it with the account's country and
answers at once from the numbers matched recently (memory) or before (the local store), then asks
the CRM when that answer is missing or old. Exactly one match links it (its contact and lead, or
person and organization: the schema's ``[caller_id] links``), unless the rep already chose
someone else; several show a picker (Enter or "Link" links the chosen one); none says so plainly,
as does "offline, nothing cached". Only the rep's own edits start it: loading a record does not.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calldesk.schema.errors import FieldValueError
from calldesk.schema.phones import pretty_phone

if TYPE_CHECKING:
    from calldesk.domain import PhoneMatch
    from calldesk.sync.callerid import MatchResult
    from calldesk.ui.form import EditorForm
    from calldesk.ui.ports import CallerIdPort

Spawn = Callable[[Coroutine[Any, Any, object]], object]

#: How long typing must pause before the CRM is asked (the cache is read at every keystroke).
ASK_DELAY_MS = 350
#: Picker rows shown before it scrolls.
PICKER_ROWS = 5


class CallerIdAssist(QObject):
    """Caller ID under one form's phone field (see the module docstring)."""

    def __init__(
        self,
        form: EditorForm,
        port: CallerIdPort,
        spawn: Spawn,
        *,
        ask_delay_ms: int = ASK_DELAY_MS,
    ) -> None:
        super().__init__(form)
        spec = form.schema.caller_id
        assert spec is not None and spec.phone is not None
        self.form = form
        self.account = form.account_name
        self.phone_field = spec.phone
        self._port = port
        self._spawn = spawn
        self._result: MatchResult | None = None
        self._linked: dict[str, str] = {}  # field -> id this assist put there
        self._asked_text = ""
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ask_delay_ms)
        self._timer.timeout.connect(self._ask_crm)
        form.fields[self.phone_field].changed.connect(self._on_phone_changed)

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.panel = QWidget()
        self.panel.setObjectName("callerid_panel")
        column = QVBoxLayout(self.panel)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        self.status = QLabel(self.panel)
        self.status.setObjectName("callerid_status")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Caller ID"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.status)
        row = QHBoxLayout()
        self.choices = QListWidget(self.panel)
        self.choices.setObjectName("callerid_choices")
        self.choices.setAccessibleName(self.tr("People with this number"))
        self.choices.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.choices.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.choices.itemActivated.connect(lambda _item: self.link_chosen())
        row.addWidget(self.choices, 1)
        self.link_button = QPushButton(self.tr("Link"), self.panel)
        self.link_button.setObjectName("callerid_link")
        self.link_button.setToolTip(self.tr("Link the chosen record to this call (Enter)"))
        self.link_button.clicked.connect(self.link_chosen)
        row.addWidget(self.link_button, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(row)
        self.form.add_row_below(self.phone_field, self.panel)
        self._show_picker(False)
        self._idle = self.tr("Caller ID: type or paste the number to see who it is.")
        self._say("")  # the line keeps its place: answers never push the form down

    def _show_picker(self, shown: bool) -> None:
        if self.choices.isHidden() == shown:  # only a real change costs a relayout
            self.choices.setVisible(shown)
            self.link_button.setVisible(shown)

    # -- what the rep sees ---------------------------------------------------------------------

    def status_text(self) -> str:
        """The line under the phone field ("" while it only shows the idle hint)."""
        text = self.status.text()
        return "" if text == self._idle else text

    def choice_texts(self) -> list[str]:
        """The picker's rows as shown (empty when there is no picker)."""
        if self.choices.isHidden():
            return []
        return [self.choices.item(i).text() for i in range(self.choices.count())]

    def _say(self, text: str) -> None:
        shown = text or self._idle
        if self.status.text() != shown:
            self.status.setText(shown)
            self.status.setForegroundRole(
                QPalette.ColorRole.PlaceholderText if not text else QPalette.ColorRole.WindowText
            )

    # -- reacting ------------------------------------------------------------------------------

    def _on_phone_changed(self) -> None:
        self._timer.stop()
        if self.form.loading:  # a record or draft being shown, not the rep typing
            self._reset()
            return
        text = self.form.fields[self.phone_field].text().strip()
        if not text:
            self._reset()
            return
        try:
            reading = self._port.read(self.account, text)
        except FieldValueError:
            self._reset()  # the field itself says what is wrong with it
            return
        kept = self._port.cached_now(self.account, reading)
        if kept is not None:
            self.show_result(kept)  # at once: memory, or one indexed read of the cache
        else:
            self._say(self.tr("Looking up {number}…").format(number=reading.pretty))
        self._timer.start()  # the service asks the CRM only if there is no fresh answer

    def _ask_crm(self) -> None:
        if not self.form.isVisible():  # closed or switched away meanwhile: nobody to tell
            return
        text = self.form.fields[self.phone_field].text().strip()
        if text:
            self._spawn(self._match(text))

    async def _match(self, text: str) -> None:
        try:
            result = await self._port.match(self.account, text)
        except FieldValueError:
            return
        except Exception as exc:  # a CRM without caller ID, a closed store: say, don't crash
            if self._still(text):
                self._say(str(exc))
            return
        if self._still(text):
            self.show_result(result)

    def _still(self, text: str) -> bool:
        """The field still holds ``text`` (an answer for an older number is dropped)."""
        return self.form.fields[self.phone_field].text().strip() == text

    def _reset(self) -> None:
        self._result = None
        self.choices.clear()
        self._show_picker(False)
        self._say("")

    # -- showing an answer ---------------------------------------------------------------------

    def show_result(self, result: MatchResult) -> None:
        """Say who has the number; link a single match; offer a picker for several."""
        self._result = result
        number = result.reading.pretty
        vendor = self.form.schema.label
        matches = result.matches
        if self.choices.count():
            self.choices.clear()
        self._show_picker(False)
        if not result.answered:
            self._say(
                self.tr("{problem}. No earlier answer for {number} is kept here.").format(
                    problem=result.problem, number=number
                )
            )
            return
        note = self._age_note(result)
        if len(matches) != 1:
            self._unlink()  # an earlier single answer no longer holds: link nobody by a guess
        if not matches:
            self._say(
                self.tr("Nobody in {vendor} has {number}.").format(vendor=vendor, number=number)
                + note
            )
            return
        if len(matches) == 1:
            linkable = self._can_link(matches[0])
            verb = self.tr("linked") if linkable else self.tr("not linked: you chose someone else")
            self._say(f"{_describe(matches[0])} — {verb}.{note}")
            if linkable:  # shown first; the fields fill on the loop's next turn
                QTimer.singleShot(0, self, lambda m=matches[0]: self._link(m))
            return
        self._say(
            self.tr("{count} records have {number}: pick one and press Enter.").format(
                count=len(matches), number=number
            )
            + note
        )
        for match in matches:
            item = QListWidgetItem(_describe(match, number=False), self.choices)
            item.setData(Qt.ItemDataRole.UserRole, match.id)
            item.setToolTip(_describe(match))
        self.choices.setCurrentRow(0)
        rows = min(len(matches), PICKER_ROWS)
        row_height = self.choices.fontMetrics().height() + 6
        self.choices.setFixedHeight(row_height * rows + 2 * self.choices.frameWidth() + 2)
        self._show_picker(True)

    def _age_note(self, result: MatchResult) -> str:
        if not result.problem or result.searched_at is None:
            return ""
        when = result.searched_at.astimezone().strftime("%d %b %H:%M")
        return " " + self.tr("({problem}; as of {when})").format(problem=result.problem, when=when)

    def link_chosen(self) -> None:
        """Link the picker's chosen record (the "Link" button, Enter in the picker)."""
        result = self._result
        row = self.choices.currentRow()
        if result is None or not 0 <= row < len(result.matches):
            return
        match = result.matches[row]
        self._linked.clear()
        self._link(match, force=True)
        self.choices.clear()
        self._show_picker(False)
        self._say(f"{_describe(match)} — {self.tr('linked')}.")

    def _unlink(self) -> None:
        """Empty the fields this assist filled, if the rep has not changed them since."""
        for name, item_id in list(self._linked.items()):
            widget = self.form.fields.get(name)
            if widget is not None and widget.text() == item_id:
                self.form.set_field_text(name, "")
        self._linked.clear()

    def _can_link(self, match: PhoneMatch) -> bool:
        """No field the match would fill holds a choice the rep made."""
        for name in self._port.link_fields(self.account, match):
            current = self.form.fields[name].text() if name in self.form.fields else ""
            if current and current != self._linked.get(name):
                return False
        return True

    def _link(self, match: PhoneMatch, *, force: bool = False) -> bool:
        """Fill the call fields the match links; never over a choice the rep made."""
        if self._result is None or match not in self._result.matches:
            return False  # another number's answer came meanwhile
        if not force and not self._can_link(match):
            return False
        wanted = self._port.link_fields(self.account, match)
        for name, item_id in wanted.items():
            widget = self.form.fields.get(name)
            if widget is None:
                continue
            label = match.name if name == next(iter(wanted)) else match.detail
            remember = getattr(widget, "remember_label", None)
            if callable(remember) and label:
                remember(item_id, label)
            if self.form.set_field_text(name, item_id):
                self._linked[name] = item_id
        return True


def _describe(match: PhoneMatch, *, number: bool = True) -> str:
    parts = [match.name or match.id]
    if match.detail:
        parts.append(match.detail)
    said = f"{match.kind}, {pretty_phone(match.number)}" if number else match.kind
    return f"{' · '.join(parts)} ({said})"
