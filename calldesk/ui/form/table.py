"""The type → widget factory table: which widget edits each field type.

Like magicgui's type map, but immutable (no module-level mutable state): :func:`register_widget`
returns a new table, which is handed to :class:`~calldesk.ui.form.editor.EditorForm`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from calldesk.schema.spec import FieldSpec
from calldesk.ui.form.base import FieldWidget, WidgetContext, WidgetFactory
from calldesk.ui.form.choice_widgets import EnumWidget, OutcomeLookupWidget, SearchLookupWidget
from calldesk.ui.form.datetime_widget import DateTimeWidget
from calldesk.ui.form.html_widget import HtmlWidget
from calldesk.ui.form.text_widgets import (
    BooleanWidget,
    DurationWidget,
    IntegerWidget,
    LineWidget,
    PhoneWidget,
    TextAreaWidget,
)


def _text(spec: FieldSpec, context: WidgetContext) -> FieldWidget:
    return TextAreaWidget(spec, context) if context.multiline else LineWidget(spec, context)


def _lookup(spec: FieldSpec, context: WidgetContext) -> FieldWidget:
    if context.outcome:
        return OutcomeLookupWidget(spec, context)
    return SearchLookupWidget(spec, context)


WIDGET_TABLE: Mapping[str, WidgetFactory] = MappingProxyType(
    {
        "text": _text,
        "html": HtmlWidget,
        "enum": EnumWidget,
        "lookup": _lookup,
        "integer": IntegerWidget,
        "duration": DurationWidget,
        "datetime": DateTimeWidget,
        "phone": PhoneWidget,
        "boolean": BooleanWidget,
        "id": LineWidget,
    }
)
"""The built-in factories, keyed by ``FieldType.name``."""


def register_widget(
    type_name: str,
    factory: WidgetFactory,
    table: Mapping[str, WidgetFactory] = WIDGET_TABLE,
) -> Mapping[str, WidgetFactory]:
    """Return a copy of ``table`` where ``type_name`` fields are built by ``factory``."""
    return MappingProxyType({**table, type_name: factory})


def build_widget(
    spec: FieldSpec, context: WidgetContext, table: Mapping[str, WidgetFactory] = WIDGET_TABLE
) -> FieldWidget:
    """Build the widget for ``spec`` (a plain line edit for a type the table doesn't know)."""
    factory = table.get(spec.type.name, LineWidget)
    return factory(spec, context)
