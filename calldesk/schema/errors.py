"""The two exceptions of the schema layer: a broken schema file, and a value a person mistyped."""

from __future__ import annotations


class SchemaError(Exception):
    """A vendor schema file is malformed; the message names the file and the key path."""


class FieldValueError(ValueError):
    """Text typed for a field could not be understood; the message is written for a sales rep."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
