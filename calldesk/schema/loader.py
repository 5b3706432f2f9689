"""Strict loader for ``resources/schemas/<vendor>.toml``.

Unknown keys, wrong value types, unknown type names and references to undeclared fields or
lookups are refused with a :class:`SchemaError` naming the file and the key path, e.g.
``close.toml: fields.duration: unknown key 'maxx'``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from calldesk.domain.model import Vendor
from calldesk.resources import resources_dir
from calldesk.schema.errors import SchemaError
from calldesk.schema.spec import (
    CallerIdSpec,
    Capabilities,
    EnumValue,
    ExclusiveGroup,
    FieldSpec,
    FrozenWhen,
    ListView,
    LookupSpec,
    Precedence,
    RecordingUpload,
)
from calldesk.schema.types import TYPE_TABLE
from calldesk.schema.vendor import VendorSchema

OPERATIONS = ("list", "get", "create", "update", "delete", "recording", "auth")
LIST_COLUMNS = ("when", "who", "phone", "direction", "duration", "outcome", "note")
_NUMERIC_TYPES = frozenset({"integer", "duration"})
_TEXT_TYPES = frozenset({"text", "html"})


class _Table:
    """A TOML table being read: typed getters, and a check that no key was left unread."""

    def __init__(self, data: Mapping[str, Any], file: str, path: str) -> None:
        self.data = data
        self.file = file
        self.path = path
        self.used: set[str] = set()

    def fail(self, message: str, key: str | None = None) -> SchemaError:
        where = f"{self.path}.{key}" if key and self.path else (key or self.path)
        prefix = f"{self.file}: {where}" if where else self.file
        return SchemaError(f"{prefix}: {message}")

    def _get(self, key: str, kinds: tuple[type, ...], what: str, required: bool) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                raise self.fail("missing required key", key)
            return None
        value = self.data[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(f"expected {what}, got {type(value).__name__}", key)
        return value

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._get(key, (str,), "a string", required)
        return default if value is None else cast(str, value)

    def text(self, key: str, default: str = "") -> str:
        return self.string(key, default) or default

    def flag(self, key: str, default: bool = False) -> bool:
        value = self._get(key, (bool,), "true or false", False)
        return default if value is None else cast(bool, value)

    def integer(self, key: str, *, required: bool = False) -> int | None:
        return cast("int | None", self._get(key, (int,), "an integer", required))

    def strs(self, key: str) -> tuple[str, ...]:
        """A string or a list of strings (as a tuple)."""
        value = self._get(key, (str, list), "a string or a list of strings", False)
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(item, str) for item in items):
            raise self.fail("expected a list of strings", key)
        return tuple(items)

    def table(self, key: str, *, required: bool = False) -> _Table | None:
        value = self._get(key, (dict,), "a table", required)
        if value is None:
            return None
        return _Table(value, self.file, f"{self.path}.{key}" if self.path else key)

    def tables(self, key: str) -> list[_Table]:
        value = self._get(key, (list,), "an array of tables", False)
        if value is None:
            return []
        out: list[_Table] = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"item {index}: expected a table", key)
            prefix = f"{self.path}.{key}" if self.path else key
            out.append(_Table(item, self.file, f"{prefix}[{index}]"))
        return out

    def children(self) -> list[tuple[str, _Table]]:
        """Every value of this table as a sub-table, keyed by name (for ``[fields.x]``)."""
        out: list[tuple[str, _Table]] = []
        for key in self.data:
            sub = self.table(key)
            if sub is not None:
                out.append((key, sub))
        return out

    def finish(self) -> None:
        for key in self.data:
            if key not in self.used:
                raise self.fail(f"unknown key '{key}'")


def schema_path(vendor: Vendor) -> Path:
    """Return where the shipped schema of ``vendor`` lives."""
    return resources_dir() / "schemas" / f"{vendor.value}.toml"


def load_schema(vendor: Vendor) -> VendorSchema:
    """Load and check the shipped schema of one vendor (callers cache it if they wish)."""
    schema = load_schema_file(schema_path(vendor))
    if schema.vendor is not vendor:
        raise SchemaError(f"{vendor.value}.toml: vendor: declares '{schema.vendor.value}'")
    return schema


def load_all_schemas() -> dict[Vendor, VendorSchema]:
    """Load the shipped schema of every vendor."""
    return {vendor: load_schema(vendor) for vendor in Vendor}


def load_schema_file(path: Path) -> VendorSchema:
    """Load and strictly check one schema file; raise :class:`SchemaError` if anything is off."""
    file = path.name
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise SchemaError(f"{file}: can't read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{file}: not valid TOML: {exc}") from None
    return _SchemaReader(_Table(data, file, "")).read(str(path))


class _SchemaReader:
    """Reads one parsed file into a :class:`VendorSchema`, checking every reference."""

    def __init__(self, root: _Table) -> None:
        self.root = root

    def read(self, source: str) -> VendorSchema:
        root = self.root
        vendor_name = root.string("vendor", required=True) or ""
        try:
            vendor = Vendor(vendor_name)
        except ValueError:
            known = ", ".join(v.value for v in Vendor)
            raise root.fail(f"unknown vendor '{vendor_name}' (known: {known})", "vendor") from None
        label = root.string("label", required=True) or vendor_name
        lookups = self._lookups(root.table("lookups"))
        groups_table = root.tables("exclusive")
        fields_table = root.table("fields", required=True)
        assert fields_table is not None
        group_of = self._group_membership(groups_table)
        fields = tuple(
            self._field(name, table, lookups, group_of) for name, table in fields_table.children()
        )
        fields_table.finish()
        names = {spec.name for spec in fields}
        groups = tuple(self._group(table, names, fields) for table in groups_table)
        precedence = tuple(self._precedence(table, names) for table in root.tables("precedence"))
        for spec in fields:
            self._check_refs(spec, names, fields_table)
        capabilities = self._capabilities(root.table("capabilities", required=True), names, lookups)
        list_view = self._list_view(root.table("list_view", required=True), names)
        identity = root.strs("identity_fields")
        for name in identity:
            if name not in names:
                raise root.fail(f"names unknown field '{name}'", "identity_fields")
        record_id = root.string("record_id_field")
        if record_id is not None:
            if record_id not in names:
                raise root.fail(f"names unknown field '{record_id}'", "record_id_field")
            if not next(spec for spec in fields if spec.name == record_id).read_only:
                raise root.fail(f"field '{record_id}' must be read_only", "record_id_field")
        caller_id = self._caller_id(root.table("caller_id"), names, fields)
        root.finish()
        return VendorSchema(
            vendor=vendor,
            label=label,
            fields=fields,
            capabilities=capabilities,
            lookups=MappingProxyType(lookups),
            list_view=list_view,
            identity_fields=identity,
            record_id_field=record_id,
            exclusive_groups=groups,
            precedence=precedence,
            source=source,
            caller_id=caller_id,
        )

    @staticmethod
    def _caller_id(
        table: _Table | None, names: set[str], fields: tuple[FieldSpec, ...]
    ) -> CallerIdSpec | None:
        if table is None:
            return None
        phone = table.string("phone")
        if phone is not None:
            spec = next((f for f in fields if f.name == phone), None)
            if spec is None or spec.type.name != "phone":
                raise table.fail(f"'{phone}' is not a phone field", "phone")
        links_table = table.table("links", required=True)
        assert links_table is not None
        links: dict[str, str] = {}
        for kind in links_table.data:
            target = links_table.string(kind, required=True) or ""
            if target not in names:
                raise links_table.fail(f"names unknown field '{target}'", kind)
            links[kind] = target
        links_table.finish()
        table.finish()
        return CallerIdSpec(phone, MappingProxyType(links))

    @staticmethod
    def _lookups(table: _Table | None) -> dict[str, LookupSpec]:
        if table is None:
            return {}
        lookups: dict[str, LookupSpec] = {}
        for name, sub in table.children():
            lookups[name] = LookupSpec(name, sub.text("label", name), sub.text("help"))
            sub.finish()
        table.finish()
        return lookups

    @staticmethod
    def _group_membership(groups: list[_Table]) -> dict[str, str]:
        member: dict[str, str] = {}
        for table in groups:
            name = table.string("name", required=True) or ""
            for field_name in table.strs("fields"):
                member[field_name] = name
        return member

    def _field(
        self,
        name: str,
        table: _Table,
        lookups: Mapping[str, LookupSpec],
        group_of: Mapping[str, str],
    ) -> FieldSpec:
        type_name = table.string("type", required=True) or ""
        field_type = TYPE_TABLE.get(type_name)
        if field_type is None:
            known = ", ".join(TYPE_TABLE)
            raise table.fail(f"unknown type '{type_name}' (known: {known})", "type")
        lookup = table.string("lookup")
        if lookup is not None and lookup not in lookups:
            raise table.fail(f"names undeclared lookup '{lookup}'", "lookup")
        if type_name == "lookup" and lookup is None:
            raise table.fail("a lookup field needs a 'lookup' source", "lookup")
        enum = self._enum(table)
        if (type_name == "enum") != bool(enum):
            raise table.fail("enum values go with type 'enum' only, and it needs some", "enum")
        wire_format = table.string("wire_format")
        if wire_format is not None and wire_format not in field_type.wire_formats:
            allowed = ", ".join(field_type.wire_formats)
            raise table.fail(f"'{wire_format}' is not one of {allowed}", "wire_format")
        minimum, maximum = table.integer("minimum"), table.integer("maximum")
        if (minimum is not None or maximum is not None) and type_name not in _NUMERIC_TYPES:
            raise table.fail("minimum/maximum apply to integer and duration fields only")
        max_length = table.integer("max_length")
        pattern = table.string("pattern")
        if (max_length is not None or pattern is not None) and type_name not in _TEXT_TYPES:
            raise table.fail("max_length/pattern apply to text and html fields only")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise table.fail(f"bad regular expression: {exc}", "pattern") from None
        read_only = table.flag("read_only")
        reason = table.text("read_only_reason")
        if read_only and not reason:
            raise table.fail("a read-only field needs a read_only_reason", "read_only_reason")
        spec = FieldSpec(
            name=name,
            label=table.string("label", required=True) or name,
            help=table.string("help", required=True) or "",
            type=field_type,
            required_on_create=table.flag("required_on_create"),
            read_only=read_only,
            read_only_reason=reason,
            create_only=table.flag("create_only"),
            minimum=minimum,
            maximum=maximum,
            max_length=max_length,
            pattern=pattern,
            pattern_message=table.text("pattern_message"),
            enum=enum,
            lookup=lookup,
            exclusive_group=group_of.get(name),
            frozen_when=self._frozen(table.table("frozen_when")),
            wire_format=wire_format,
            wire_name=table.text("wire_name"),
            not_before=table.string("not_before"),
            within=table.strs("within"),
            hide_in_editor=table.flag("hide_in_editor"),
            account_default=table.flag("account_default"),
        )
        if spec.within and (len(spec.within) != 2 or type_name != "duration"):
            raise table.fail("'within' names a start and an end field, on a duration", "within")
        if spec.account_default and (spec.read_only or spec.hide_in_editor):
            raise table.fail(
                "a default for new calls must be a field the rep can set", "account_default"
            )
        table.finish()
        return spec

    @staticmethod
    def _enum(table: _Table) -> tuple[EnumValue, ...]:
        values: list[EnumValue] = []
        for item in table.tables("enum"):
            value = item.string("value", required=True) or ""
            values.append(EnumValue(value, item.text("label", value), item.strs("aliases")))
            item.finish()
        if len({v.value for v in values}) != len(values):
            raise table.fail("enum values must be unique", "enum")
        return tuple(values)

    @staticmethod
    def _frozen(table: _Table | None) -> FrozenWhen | None:
        if table is None:
            return None
        field_name = table.string("field", required=True) or ""
        equals = table.string("equals")
        one_of = table.strs("one_of")
        if (equals is None) == (not one_of):
            raise table.fail("give exactly one of 'equals' or 'one_of'")
        reason = table.string("reason", required=True) or ""
        table.finish()
        return FrozenWhen(field_name, (equals,) if equals is not None else one_of, reason)

    @staticmethod
    def _check_refs(spec: FieldSpec, names: set[str], fields_table: _Table) -> None:
        where = fields_table.fail  # messages read "fields.<name>.<key>"
        if spec.frozen_when is not None and spec.frozen_when.field not in names:
            raise where(
                f"names unknown field '{spec.frozen_when.field}'",
                f"{spec.name}.frozen_when.field",
            )
        if spec.not_before is not None and spec.not_before not in names:
            raise where(f"names unknown field '{spec.not_before}'", f"{spec.name}.not_before")
        for other in spec.within:
            if other not in names:
                raise where(f"names unknown field '{other}'", f"{spec.name}.within")

    @staticmethod
    def _group(table: _Table, names: set[str], fields: tuple[FieldSpec, ...]) -> ExclusiveGroup:
        name = table.string("name", required=True) or ""
        members = table.strs("fields")
        if len(members) < 2:
            raise table.fail("an exclusive group needs at least two fields", "fields")
        for member in members:
            if member not in names:
                raise table.fail(f"names unknown field '{member}'", "fields")
        labels = [next(f.label for f in fields if f.name == m) for m in members]
        default = (
            f"Choose either {labels[0]} or {labels[1]}, not both"
            if len(labels) == 2
            else f"Choose only one of {', '.join(labels)}"
        )
        group = ExclusiveGroup(name, members, table.text("message", default))
        table.finish()
        return group

    @staticmethod
    def _precedence(table: _Table, names: set[str]) -> Precedence:
        keep = table.string("keep", required=True) or ""
        drop = table.string("drop", required=True) or ""
        for key, value in (("keep", keep), ("drop", drop)):
            if value not in names:
                raise table.fail(f"names unknown field '{value}'", key)
        rule = Precedence(keep, drop, table.string("reason", required=True) or "")
        table.finish()
        return rule

    @staticmethod
    def _capabilities(
        table: _Table | None, names: set[str], lookups: Mapping[str, LookupSpec]
    ) -> Capabilities:
        assert table is not None
        update = table.string("update", required=True)
        if update not in ("partial", "whole", "none"):
            raise table.fail("expected 'partial', 'whole' or 'none'", "update")
        recording = table.string("recording", required=True)
        if recording not in ("upload", "url", "none"):
            raise table.fail("expected 'upload', 'url' or 'none'", "recording")
        recording_field = table.string("recording_field")
        if recording == "url" and (recording_field is None or recording_field not in names):
            raise table.fail("a url recording needs a declared field", "recording_field")
        upload_table = table.table("upload")
        upload = None
        if upload_table is not None:
            upload = RecordingUpload(
                upload_table.string("multipart_field", required=True) or "",
                upload_table.flag("one_per_call"),
            )
            upload_table.finish()
        if (recording == "upload") != (upload is not None):
            raise table.fail("[capabilities.upload] goes with recording = 'upload' only", "upload")
        concurrency = table.integer("max_concurrency", required=True) or 0
        if not 1 <= concurrency <= 8:
            raise table.fail("must be between 1 and 8", "max_concurrency")
        inferred = table.strs("inferred")
        for item in inferred:
            source = item.removeprefix("lookup.")
            if item not in OPERATIONS and not (item.startswith("lookup.") and source in lookups):
                raise table.fail(f"unknown operation or lookup '{item}'", "inferred")
        caps = Capabilities(
            list=table.flag("list"),
            get=table.flag("get"),
            create=table.flag("create"),
            update=None if update == "none" else cast("Any", update),
            delete=table.flag("delete"),
            recording=None if recording == "none" else cast("Any", recording),
            recording_field=recording_field,
            upload=upload,
            max_concurrency=concurrency,
            inferred=inferred,
            inferred_note=table.text("inferred_note"),
            note=table.text("note"),
        )
        if caps.inferred and not caps.inferred_note:
            raise table.fail("say why facts are inferred", "inferred_note")
        table.finish()
        return caps

    @staticmethod
    def _list_view(table: _Table | None, names: set[str]) -> ListView:
        assert table is not None
        columns: dict[str, tuple[str, ...]] = {}
        for column in LIST_COLUMNS:
            columns[column] = table.strs(column)
            for name in columns[column]:
                if name not in names:
                    raise table.fail(f"names unknown field '{name}'", column)
        labels_table = table.table("direction_labels")
        direction_labels: Mapping[str, str] | None = None
        if labels_table is not None:
            direction_labels = MappingProxyType(
                {key: labels_table.string(key) or key for key in labels_table.data}
            )
            labels_table.finish()
        table.finish()
        return ListView(**columns, direction_labels=direction_labels)
