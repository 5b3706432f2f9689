"""The one protocol every field widget of the editor form follows, and what a factory is given.

A field widget is a small ``QWidget`` holding the input control, an optional quiet note beside it
(``max 7 days``), an optional quiet line below it (``→ sent as …``) and an error line under it.
The form only talks to widgets through :class:`FieldWidget`'s methods, so a new field type needs
one new factory and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from calldesk.domain.model import JSONValue, LookupItem
from calldesk.schema.spec import FieldSpec

LOG = logging.getLogger(__name__)

LookupProvider = Callable[[str, str], Awaitable[list[LookupItem]]]
"""``(source, query) -> items``: choices for a lookup field, e.g. from the cached lookups."""

LabelResolver = Callable[[str, str], Awaitable[str | None]]
"""``(source, id) -> label``: the name of a stored lookup id, ``None`` when it is not known."""

Spawner = Callable[[Coroutine[Any, Any, None]], object]
"""Starts a coroutine without waiting for it (the app runs a qasync loop)."""

ERROR_RED_ON_LIGHT = "#b3261e"
ERROR_RED_ON_DARK = "#ff8a80"


def spawn_on_running_loop(coro: Coroutine[Any, Any, None]) -> object:
    """Start ``coro`` as a task of the running asyncio loop; drop it when no loop runs."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        coro.close()
        LOG.debug("no running asyncio loop: a lookup search was skipped")
        return None
    return loop.create_task(coro)


def translate(text: str) -> str:
    """Translate a user-facing string of the form outside a QObject method."""
    return QCoreApplication.translate("EditorForm", text)


def calm_read_only(control: QWidget, read_only: bool) -> None:
    """Give a read-only text control the window's background (system palette) and skip it on Tab."""
    if read_only:
        palette = control.palette()
        palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
        control.setPalette(palette)
    else:
        control.setPalette(QPalette())
    control.setFocusPolicy(Qt.FocusPolicy.ClickFocus if read_only else Qt.FocusPolicy.StrongFocus)


def show_muted(control: QWidget, muted: bool) -> None:
    """Draw the control's text in the palette's placeholder colour (a raw id nobody named) or in
    the normal text colour; keeps the rest of the palette (e.g. a read-only background)."""
    palette = control.palette()
    normal = QPalette()
    colour = normal.color(QPalette.ColorRole.PlaceholderText if muted else QPalette.ColorRole.Text)
    palette.setColor(QPalette.ColorRole.Text, colour)
    control.setPalette(palette)


def error_colour(widget: QWidget) -> str:
    """Return an error red with enough contrast on the widget's (light or dark) palette."""
    return (
        ERROR_RED_ON_DARK
        if widget.palette().color(QPalette.ColorRole.Base).lightness() < 128
        else ERROR_RED_ON_LIGHT
    )


def show_error(label: QLabel, message: str | None) -> None:
    """Show ``message`` in ``label`` in the palette's error red (hide it when there is none)."""
    if not message:
        label.clear()
        label.hide()
        return
    label.setStyleSheet(f"color: {error_colour(label)};")
    label.setText(message)
    label.show()


@dataclass(frozen=True, slots=True)
class WidgetContext:
    """What a widget factory may need beyond the field's spec.

    ``outcome`` marks the field the rep picks a call outcome with (keys 1–9 choose);
    ``multiline`` asks text fields for several lines; ``zone`` is the time zone times are shown
    in (``None``: the computer's); ``region`` is the default country for phone numbers.
    ``labels`` names stored lookup ids (without it, lookup widgets ask ``lookups`` with the id).
    """

    lookups: LookupProvider | None = None
    labels: LabelResolver | None = None
    spawn: Spawner = spawn_on_running_loop
    zone: tzinfo | None = None
    region: str | None = None
    outcome: bool = False
    multiline: bool = False
    search_delay_ms: int = 200


class FieldWidget(QWidget):
    """Base class of the editor's field widgets (see the module docstring).

    Subclasses build their control, call :meth:`_install`, emit :attr:`changed` when the rep
    edits, and implement :meth:`text`, :meth:`set_text`, :meth:`set_value_from_wire`,
    :meth:`_apply_read_only` and :meth:`focus_widget`.
    """

    changed = Signal()

    def __init__(self, spec: FieldSpec, context: WidgetContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self.context = context
        self._read_only_reason: str | None = None
        self._blocked_reason: str | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(8)
        outer.addLayout(self._row)
        self.aside = self._quiet_label("aside")
        self.note = self._quiet_label("note")
        self.error_label = QLabel(self)
        self.error_label.setObjectName(f"error_{spec.name}")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(translate("Error for {label}").format(label=spec.label))
        self.error_label.hide()
        outer.addWidget(self.note)
        outer.addWidget(self.error_label)

    def _quiet_label(self, role: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(f"{role}_{self.spec.name}")
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        label.setTextInteractionFlags(label.textInteractionFlags())
        label.hide()
        return label

    def _install(self, control: QWidget, *, stretch: bool = True) -> None:
        """Put the input control in the row, named and described for assistive technology."""
        control.setAccessibleName(self.spec.label)
        control.setAccessibleDescription(self.spec.help)
        control.setToolTip(self.spec.help)
        control.setObjectName(f"field_{self.spec.name}")
        self._row.addWidget(control, 1 if stretch else 0)
        self._row.addWidget(self.aside)
        if not stretch:
            self._row.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)

    # -- the protocol the form uses -------------------------------------------------------

    def text(self) -> str:
        """Return the raw text as typed (what a draft keeps and ``parse_inputs`` reads)."""
        raise NotImplementedError

    def set_text(self, text: str) -> None:
        """Show ``text`` exactly as a rep typed it (restoring a draft)."""
        raise NotImplementedError

    def set_value_from_wire(self, value: JSONValue) -> None:
        """Show a value as the CRM holds it."""
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        """Return the control that takes keyboard focus (for tab order and labels)."""
        raise NotImplementedError

    def local_error(self) -> str | None:
        """Return a problem only the widget can see (e.g. a search text nothing was picked for)."""
        return None

    def set_error(self, message: str | None) -> None:
        """Show ``message`` under the field, or clear it."""
        show_error(self.error_label, message)
        described = f"{message}. {self.spec.help}" if message else self.spec.help
        self.focus_widget().setAccessibleDescription(described)

    def error(self) -> str | None:
        """Return the message shown under the field, if any."""
        return self.error_label.text() or None

    def set_read_only(self, reason: str | None) -> None:
        """Make the field read-only with ``reason`` on hover, or editable again (``None``)."""
        self._read_only_reason = reason
        self._apply_read_only(reason is not None)
        self._refresh_tooltip()

    def read_only_reason(self) -> str | None:
        return self._read_only_reason

    def set_blocked(self, reason: str | None) -> None:
        """Disable the field because another one excludes it (``reason`` on hover)."""
        self._blocked_reason = reason
        self.focus_widget().setEnabled(reason is None)
        if reason is None and self._read_only_reason is not None:
            self._apply_read_only(True)  # unblocking must not make a read-only field editable
        self._refresh_tooltip()

    def blocked_reason(self) -> str | None:
        return self._blocked_reason

    def is_editable(self) -> bool:
        """Tell whether the rep can change this field now."""
        return self._read_only_reason is None and self._blocked_reason is None

    def _refresh_tooltip(self) -> None:
        reason = self._blocked_reason or self._read_only_reason
        tip = reason if reason else self.spec.help
        self.focus_widget().setToolTip(tip)
        self.setToolTip(tip if reason else "")

    def _apply_read_only(self, read_only: bool) -> None:
        raise NotImplementedError


WidgetFactory = Callable[[FieldSpec, WidgetContext], FieldWidget]
"""Builds the widget for one field; chosen by the field type's name."""
