"""The strict schema loader: shipped files load, broken copies are refused with file + key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from calldesk.domain.model import Vendor
from calldesk.schema import (
    TYPE_TABLE,
    SchemaError,
    load_all_schemas,
    load_schema,
    load_schema_file,
    schema_path,
)

EXPECTED_LOOKUPS = {
    Vendor.APOLLO: {"users", "contacts", "accounts", "outcomes"},
    Vendor.CLOSE: {"outcomes", "users", "leads", "contacts"},
    Vendor.PIPEDRIVE: {"users", "persons", "deals", "leads", "organizations"},
    Vendor.BUILDR: {"outcomes", "contacts", "companies", "projects"},
}


def test_all_shipped_schemas_load() -> None:
    schemas = load_all_schemas()
    assert set(schemas) == set(Vendor)
    for vendor, schema in schemas.items():
        assert schema.vendor is vendor
        assert set(schema.lookups) == EXPECTED_LOOKUPS[vendor]
        assert schema.fields, vendor
        for spec in schema.fields:
            assert spec.label and spec.help, (vendor, spec.name)
            assert TYPE_TABLE[spec.type.name] is spec.type
            if spec.read_only:
                assert spec.read_only_reason, (vendor, spec.name)
            if spec.lookup is not None:
                assert spec.lookup in schema.lookups
        assert all(schema.has_field(name) for name in schema.identity_fields)
        assert schema.field("id").read_only
        assert schema.record_id_field == "id"


def test_field_lookup_raises_key_error_for_unknown_name() -> None:
    with pytest.raises(KeyError):
        load_schema(Vendor.CLOSE).field("nope")


def _broken_copy(tmp_path: Path, vendor: Vendor, old: str, new: str) -> Path:
    text = schema_path(vendor).read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {vendor}.toml"
    target = tmp_path / f"{vendor.value}.toml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


BROKEN = [
    pytest.param(
        Vendor.CLOSE,
        "hide_in_editor = true\n",
        "hide_in_editor = true\naccount_default = true\n",
        "close.toml: fields.date_created.account_default: a default for new calls must be a "
        "field the rep can set",
        id="account-default-on-a-hidden-field",
    ),
    pytest.param(
        Vendor.CLOSE,
        "hide_in_editor = true\n",
        'hide_in_editor = "yes"\n',
        "close.toml: fields.date_created.hide_in_editor",
        id="hide-in-editor-not-a-boolean",
    ),
    pytest.param(
        Vendor.CLOSE,
        "maximum = 604800\n",
        "maximum = 604800\nmaxx = 5\n",
        "close.toml: fields.duration: unknown key 'maxx'",
        id="unknown-key",
    ),
    pytest.param(
        Vendor.PIPEDRIVE,
        'type = "duration"',
        'type = "durration"',
        "pipedrive.toml: fields.duration.type: unknown type 'durration'",
        id="bad-type-name",
    ),
    pytest.param(
        Vendor.CLOSE,
        'type = "lookup"\nlookup = "outcomes"',
        'type = "lookup"\nlookup = "outcomez"',
        "close.toml: fields.outcome_id.lookup: names undeclared lookup 'outcomez'",
        id="dangling-lookup",
    ),
    pytest.param(
        Vendor.PIPEDRIVE,
        'fields = ["deal_id", "lead_id"]',
        'fields = ["deal_id", "lead_uuid"]',
        "pipedrive.toml: exclusive[0].fields: names unknown field 'lead_uuid'",
        id="dangling-exclusive-member",
    ),
    pytest.param(
        Vendor.APOLLO,
        'phone = "to_number"',
        'phone = "to_numbr"',
        "apollo.toml: list_view.phone: names unknown field 'to_numbr'",
        id="bad-list-mapping",
    ),
    pytest.param(
        Vendor.CLOSE,
        'drop = "note"',
        'drop = "notes"',
        "close.toml: precedence[0].drop: names unknown field 'notes'",
        id="dangling-precedence",
    ),
    pytest.param(
        Vendor.CLOSE,
        "maximum = 604800",
        'maximum = "604800"',
        "close.toml: fields.duration.maximum: expected an integer, got str",
        id="wrong-value-type",
    ),
    pytest.param(
        Vendor.CLOSE,
        'frozen_when = { field = "source", equals = "Close.io", reason = "Status',
        'frozen_when = { field = "origin", equals = "Close.io", reason = "Status',
        "close.toml: fields.status.frozen_when.field: names unknown field 'origin'",
        id="dangling-frozen-condition",
    ),
    pytest.param(
        Vendor.BUILDR,
        'identity_fields = ["recorded_at", "contact_id", "notes"]',
        'identity_fields = ["recorded_at", "contact", "notes"]',
        "buildr.toml: identity_fields: names unknown field 'contact'",
        id="dangling-identity-field",
    ),
    pytest.param(
        Vendor.CLOSE,
        'record_id_field = "id"',
        'record_id_field = "ident"',
        "close.toml: record_id_field: names unknown field 'ident'",
        id="dangling-record-id-field",
    ),
    pytest.param(
        Vendor.CLOSE,
        'record_id_field = "id"',
        'record_id_field = "phone"',
        "close.toml: record_id_field: field 'phone' must be read_only",
        id="editable-record-id-field",
    ),
    pytest.param(
        Vendor.PIPEDRIVE,
        'wire_format = "pipedrive_utc"',
        'wire_format = "rfc2822"',
        "pipedrive.toml: fields.start_time.wire_format: 'rfc2822' is not one of",
        id="bad-wire-format",
    ),
    pytest.param(
        Vendor.PIPEDRIVE,
        '{ value = "busy", label = "Busy" }',
        '{ value = "busy", label = "Busy", colour = "red" }',
        "pipedrive.toml: fields.outcome.enum[5]: unknown key 'colour'",
        id="unknown-key-in-enum-item",
    ),
    pytest.param(
        Vendor.BUILDR,
        'label = "Buildr"\n',
        'label = "Buildr"\nflavour = "x"\n',
        "buildr.toml: unknown key 'flavour'",
        id="unknown-top-level-key",
    ),
    pytest.param(
        Vendor.BUILDR,
        'inferred = ["list",',
        'inferred = ["lisst",',
        "buildr.toml: capabilities.inferred: unknown operation or lookup 'lisst'",
        id="unknown-inferred-operation",
    ),
    pytest.param(
        Vendor.CLOSE,
        'update = "partial"',
        'update = "sometimes"',
        "close.toml: capabilities.update: expected 'partial', 'whole' or 'none'",
        id="bad-update-mode",
    ),
    pytest.param(
        Vendor.CLOSE,
        "[fields.duration]\n",
        "[fields.duration\n",
        "close.toml: not valid TOML",
        id="toml-syntax",
    ),
]


@pytest.mark.parametrize(("vendor", "old", "new", "message"), BROKEN)
def test_broken_schema_is_refused_naming_file_and_key(
    tmp_path: Path, vendor: Vendor, old: str, new: str, message: str
) -> None:
    path = _broken_copy(tmp_path, vendor, old, new)
    with pytest.raises(SchemaError) as info:
        load_schema_file(path)
    assert str(info.value).startswith(message), str(info.value)


def test_unchanged_copy_loads(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, Vendor.CLOSE, "", "")
    assert load_schema_file(path).field("duration").maximum == 604800


def test_missing_file_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"^ghost\.toml: can't read"):
        load_schema_file(tmp_path / "ghost.toml")


def test_missing_required_key_is_named(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, Vendor.APOLLO, 'label = "Duration"\n', 'title = "Duration"\n')
    with pytest.raises(SchemaError) as info:
        load_schema_file(path)
    assert str(info.value) == "apollo.toml: fields.duration.label: missing required key"
