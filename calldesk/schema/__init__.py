"""Vendor field schemas: loaded from resources/schemas/*.toml, field types, validation."""
