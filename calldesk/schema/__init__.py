"""Vendor field schemas: loaded from resources/schemas/*.toml, field types, validation.

``load_schema(vendor)`` returns a :class:`VendorSchema`; its fields carry a :class:`FieldType`
chosen from :data:`TYPE_TABLE` by the type name in the file (never by vendor).
"""

from calldesk.schema.errors import FieldValueError, SchemaError
from calldesk.schema.loader import load_all_schemas, load_schema, load_schema_file, schema_path
from calldesk.schema.spec import (
    Capabilities,
    EnumValue,
    ExclusiveGroup,
    FieldSpec,
    FrozenWhen,
    ListRow,
    ListView,
    LookupSpec,
    Precedence,
    RecordingUpload,
)
from calldesk.schema.types import TYPE_TABLE, FieldType, html_to_text, sanitize_html
from calldesk.schema.vendor import VendorSchema

__all__ = [
    "TYPE_TABLE",
    "Capabilities",
    "EnumValue",
    "ExclusiveGroup",
    "FieldSpec",
    "FieldType",
    "FieldValueError",
    "FrozenWhen",
    "ListRow",
    "ListView",
    "LookupSpec",
    "Precedence",
    "RecordingUpload",
    "SchemaError",
    "VendorSchema",
    "html_to_text",
    "load_all_schemas",
    "load_schema",
    "load_schema_file",
    "sanitize_html",
    "schema_path",
]
