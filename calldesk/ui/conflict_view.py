"""The conflict view: a call changed in the CRM while the rep's edit waited; pick field by field.

Shows, for every field where the rep's version and the CRM's differ, both values side by side
with a choice ("Keep mine" / "Take the CRM's"). :meth:`ConflictView.chosen_fields` gives the
merged record (wire form) that ``CallService.resolve_conflict`` takes; Apply emits
:attr:`ConflictView.resolve_requested` with it.

Values read as the editor shows them: lookup ids by their names (``labels``, e.g. from
:func:`lookup_labels`, which resolves them like the editor form does; an unknown id stays as is),
enum values by their labels, other fields by the schema's display text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain.model import JSONValue
from calldesk.schema import VendorSchema
from calldesk.schema.types import html_to_text
from calldesk.ui.form.base import LabelResolver, LookupProvider, WidgetContext
from calldesk.ui.form.choice_widgets import resolve_label

SHOWN_CHARS = 26


def _full(value: JSONValue) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _short(text: str) -> str:
    """The text on one short line (the whole value is in the tooltip)."""
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def lookup_pairs(schema: VendorSchema, *versions: Mapping[str, JSONValue]) -> list[tuple[str, str]]:
    """The ``(lookup source, id)`` pairs the versions hold (what to ask ``labels_for``)."""
    pairs: list[tuple[str, str]] = []
    for spec in schema.fields:
        if spec.lookup is None:
            continue
        for version in versions:
            value = version.get(spec.name)
            if value is not None and value != "" and not isinstance(value, list | dict):
                pairs.append((spec.lookup, str(value)))
    return list(dict.fromkeys(pairs))


async def lookup_labels(
    schema: VendorSchema,
    *versions: Mapping[str, JSONValue],
    lookups: LookupProvider | None = None,
    labels: LabelResolver | None = None,
) -> dict[tuple[str, str], str]:
    """Name the lookup ids the versions hold, the way the editor form does (``labels`` first,
    else the lookup item with that exact id); ids nobody knows are left out."""
    context = WidgetContext(lookups=lookups, labels=labels)
    named: dict[tuple[str, str], str] = {}
    for source, item_id in lookup_pairs(schema, *versions):
        label = await resolve_label(context, source, item_id)
        if label:
            named[(source, item_id)] = label
    return named


def readable(
    schema: VendorSchema,
    name: str,
    value: JSONValue,
    labels: Mapping[tuple[str, str], str],
) -> str:
    """A wire value as a rep reads it: a lookup's name, an enum's label, the display text."""
    if value is None or value == "" or not schema.has_field(name):
        return _full(value)
    spec = schema.field(name)
    if spec.lookup is not None and not isinstance(value, list | dict):
        return labels.get((spec.lookup, str(value)), str(value))
    text = schema.display(name, {name: value})
    if spec.type.name == "html":
        text = html_to_text(text)
    return text or _full(value)


class ConflictView(QWidget):
    """Field-by-field choice between the rep's version and the CRM's newer one."""

    resolve_requested = Signal(str, dict)
    """``(local_id, chosen_fields)``: the rep applied the choices."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflict_view")
        self.setAccessibleName(self.tr("Resolve a conflict"))
        self._local_id = ""
        self._local: dict[str, JSONValue] = {}
        self._remote: dict[str, JSONValue] = {}
        self._choices: dict[str, QRadioButton] = {}  # field → its "keep mine" button
        self._editable: set[str] = set()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        self.title = QLabel(self)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        outer.addWidget(self.title)
        self.explain = QLabel(self)
        self.explain.setWordWrap(True)
        outer.addWidget(self.explain)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._grid_host = QWidget(scroll)
        self.grid = QGridLayout(self._grid_host)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        self.grid.setVerticalSpacing(8)
        scroll.setWidget(self._grid_host)
        outer.addWidget(scroll, 1)
        buttons = QHBoxLayout()
        self.all_mine = QPushButton(self.tr("Keep all mine"), self)
        self.all_mine.clicked.connect(lambda: self.choose_all(mine=True))
        self.all_theirs = QPushButton(self.tr("Take all the CRM's"), self)
        self.all_theirs.clicked.connect(lambda: self.choose_all(mine=False))
        self.apply_button = QPushButton(self.tr("Apply"), self)
        self.apply_button.setObjectName("conflict_apply")
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self._apply)
        buttons.addWidget(self.all_mine)
        buttons.addWidget(self.all_theirs)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        outer.addLayout(buttons)

    def show_conflict(
        self,
        schema: VendorSchema,
        account: str,
        local_id: str,
        local_fields: Mapping[str, JSONValue],
        remote_fields: Mapping[str, JSONValue],
        *,
        labels: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        """Show the fields where ``local_fields`` and ``remote_fields`` differ.

        ``labels`` maps ``(lookup source, id)`` to a name (see :func:`lookup_pairs`).
        """
        named = labels or {}
        self._local_id = local_id
        self._local = dict(local_fields)
        self._remote = dict(remote_fields)
        self._editable = {spec.name for spec in schema.fields if not spec.read_only}
        self._choices.clear()
        while self.grid.count():
            item = self.grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.title.setText(
            self.tr("{account} · changed in {crm} meanwhile").format(
                account=account, crm=schema.label
            )
        )
        self.explain.setText(
            self.tr(
                "Someone changed this call in {crm} while your edit was waiting to be sent. "
                "Choose, field by field, which version to keep; nothing is sent until you apply."
            ).format(crm=schema.label)
        )
        titles = {spec.name: spec.label for spec in schema.fields}
        quiet = QPalette.ColorRole.PlaceholderText
        for column, text in enumerate(
            ("", self.tr("Yours"), self.tr("In {crm}").format(crm=schema.label))
        ):
            head = QLabel(text, self._grid_host)
            head.setForegroundRole(quiet)
            self.grid.addWidget(head, 0, column)
        row = 1
        for name in self.differing_fields():
            label = QLabel(titles.get(name, name), self._grid_host)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            mine_text = readable(schema, name, self._local.get(name), named)
            theirs_text = readable(schema, name, self._remote.get(name), named)
            mine = QRadioButton(_short(mine_text), self._grid_host)
            mine.setObjectName(f"conflict_mine_{name}")
            theirs = QRadioButton(_short(theirs_text), self._grid_host)
            theirs.setObjectName(f"conflict_theirs_{name}")
            mine.setToolTip(mine_text)
            theirs.setToolTip(theirs_text)
            group = QButtonGroup(self._grid_host)
            group.addButton(mine)
            group.addButton(theirs)
            mine.setChecked(True)
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(mine, row, 1)
            self.grid.addWidget(theirs, row, 2)
            self._choices[name] = mine
            row += 1
        self.grid.setRowStretch(row, 1)

    def local_id(self) -> str:
        return self._local_id

    def differing_fields(self) -> list[str]:
        """The editable fields whose values differ between the two versions (stable order)."""
        names = list(dict.fromkeys([*self._remote, *self._local]))
        return [
            n for n in names if n in self._editable and self._local.get(n) != self._remote.get(n)
        ]

    def choose(self, field: str, *, mine: bool) -> None:
        """Pick the rep's (``mine``) or the CRM's value for ``field``."""
        keep = self._choices[field]
        if mine:
            keep.setChecked(True)
        else:
            buttons = keep.group().buttons() if keep.group() is not None else []
            for button in buttons:
                if button is not keep:
                    button.setChecked(True)

    def choose_all(self, *, mine: bool) -> None:
        for name in self._choices:
            self.choose(name, mine=mine)

    def chosen_fields(self) -> dict[str, JSONValue]:
        """The record as chosen: the CRM's version with the fields the rep kept."""
        chosen = dict(self._remote)
        for name, keep in self._choices.items():
            if keep.isChecked():
                chosen[name] = self._local.get(name)
        return chosen

    def _apply(self) -> None:
        self.resolve_requested.emit(self._local_id, self.chosen_fields())
