"""The schema-driven call editor: a type → widget table and the ``EditorForm`` built from it."""

from calldesk.ui.form.base import (
    FieldWidget,
    LabelResolver,
    LookupProvider,
    Spawner,
    WidgetContext,
    WidgetFactory,
)
from calldesk.ui.form.editor import EditorForm
from calldesk.ui.form.table import WIDGET_TABLE, build_widget, register_widget

__all__ = [
    "WIDGET_TABLE",
    "EditorForm",
    "FieldWidget",
    "LabelResolver",
    "LookupProvider",
    "Spawner",
    "WidgetContext",
    "WidgetFactory",
    "build_widget",
    "register_widget",
]
