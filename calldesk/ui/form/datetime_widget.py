"""The date-time field: edited in the rep's time zone, with a preview of what the CRM receives."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone
from PySide6.QtWidgets import QDateTimeEdit, QToolButton, QWidget

from calldesk.domain.model import JSONValue
from calldesk.schema.errors import FieldValueError
from calldesk.schema.spec import FieldSpec
from calldesk.ui.form.base import FieldWidget, WidgetContext, calm_read_only, translate

EMPTY = QDateTime(QDate(1970, 1, 1), QTime(0, 0), QTimeZone.utc())
DISPLAY_FORMAT = "ddd d MMM yyyy  HH:mm"


def in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    """Return an aware moment as wall time in ``zone`` (``None``: the computer's zone)."""
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def wall_to_aware(wall: datetime, zone: tzinfo | None) -> datetime:
    """Attach ``zone`` (or the computer's zone, DST included) to a naive wall-clock time."""
    return wall.replace(tzinfo=zone) if zone is not None else wall.astimezone()


def wire_preview(wire: JSONValue) -> str:
    """Say what the CRM receives, adding "(UTC)" when the wire text has no offset of its own."""
    text = str(wire)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return translate("→ sent as {wire}").format(wire=text)
    if parsed.tzinfo is None:
        return translate("→ sent as {wire} (UTC)").format(wire=text)
    return translate("→ sent as {wire}").format(wire=text)


class DateTimeWidget(FieldWidget):
    """A ``QDateTimeEdit`` in local time; its raw text is ISO 8601 with the zone's offset."""

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(spec, context, parent)
        self.edit = QDateTimeEdit(self)
        # Components are wall time in the rep's zone; UTC here keeps Qt from shifting them.
        self.edit.setTimeZone(QTimeZone.utc())
        self.edit.setDisplayFormat(DISPLAY_FORMAT)
        self.edit.setCalendarPopup(True)
        self.edit.setMinimumDateTime(EMPTY)
        self.edit.setSpecialValueText(translate("— not set —"))
        self.edit.setDateTime(EMPTY)
        self.edit.setMinimumWidth(220)
        self.edit.dateTimeChanged.connect(self._on_changed)
        self._install(self.edit, stretch=False)
        self.now_button = QToolButton(self)
        self.now_button.setText(translate("Now"))
        self.now_button.setToolTip(translate("Set to the current time"))
        self.now_button.setAccessibleName(translate("Set {label} to now").format(label=spec.label))
        self.now_button.clicked.connect(self.set_now)
        self._row.insertWidget(1, self.now_button)
        self._refresh()

    def _on_changed(self, _value: QDateTime) -> None:
        self._refresh()
        self.changed.emit()

    def moment(self) -> datetime | None:
        """Return the chosen moment as an aware datetime, or ``None`` when unset."""
        value = self.edit.dateTime()
        if value == EMPTY:
            return None
        date, time = value.date(), value.time()
        wall = datetime(date.year(), date.month(), date.day(), time.hour(), time.minute())
        return wall_to_aware(wall, self.context.zone)

    def set_moment(self, moment: datetime | None) -> None:
        """Show an aware moment in the rep's zone (``None`` clears the field)."""
        if moment is None:
            self.edit.setDateTime(EMPTY)
            return
        wall = in_zone(moment, self.context.zone)
        self.edit.setDateTime(
            QDateTime(
                QDate(wall.year, wall.month, wall.day),
                QTime(wall.hour, wall.minute, wall.second),
                QTimeZone.utc(),
            )
        )

    def set_now(self) -> None:
        self.set_moment(datetime.now(UTC).replace(second=0, microsecond=0))

    def _refresh(self) -> None:
        moment = self.moment()
        if moment is None:
            self.note.hide()
            self.aside.hide()
            return
        self.aside.setText(moment.tzname() or "")
        self.aside.setVisible(bool(moment.tzname()))
        try:
            value = self.spec.type.parse(moment.isoformat(), self.spec)
            wire = self.spec.type.to_wire(value, self.spec)
        except (FieldValueError, TypeError, ValueError):
            self.note.hide()
            return
        self.note.setText(wire_preview(wire))
        self.note.setAccessibleName(translate("What {crm} receives").format(crm=self.spec.label))
        self.note.show()

    def preview(self) -> str:
        """Return the preview line (empty when the field is unset)."""
        return self.note.text() if self.moment() is not None else ""

    def text(self) -> str:
        moment = self.moment()
        return "" if moment is None else moment.isoformat(timespec="seconds")

    def set_text(self, text: str) -> None:
        wanted = text.strip()
        if not wanted:
            self.set_moment(None)
            return
        try:
            moment = datetime.fromisoformat(wanted.replace("Z", "+00:00"))
        except ValueError:
            self.set_moment(None)
            return
        if moment.tzinfo is None:
            moment = wall_to_aware(moment, self.context.zone)
        self.set_moment(moment)

    def set_value_from_wire(self, value: JSONValue) -> None:
        parsed = None if value is None else self.spec.type.from_wire(value, self.spec)
        self.set_moment(parsed if isinstance(parsed, datetime) else None)

    def focus_widget(self) -> QWidget:
        return self.edit

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.edit.setButtonSymbols(
            QDateTimeEdit.ButtonSymbols.NoButtons
            if read_only
            else QDateTimeEdit.ButtonSymbols.UpDownArrows
        )
        self.edit.setCalendarPopup(not read_only)
        self.now_button.setVisible(not read_only)
        calm_read_only(self.edit, read_only)
