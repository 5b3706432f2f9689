"""Streaming multipart/form-data reader that writes one file part straight to disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header


class MultipartError(ValueError):
    """The body is not multipart/form-data or lacks the wanted part."""


class _PartWriter:
    """Parser callbacks copying the data of the part named ``field`` into ``out``."""

    def __init__(self, field: bytes, out: BinaryIO) -> None:
        self.field = field
        self.out = out
        self.header = b""
        self.headers: dict[bytes, bytes] = {}
        self.current: bytes | None = None
        self.found = False
        self.size = 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        key = self.header.lower()
        self.headers[key] = self.headers.get(key, b"") + data[start:end]

    def on_header_end(self) -> None:
        self.header = b""

    def on_headers_finished(self) -> None:
        _, disposition = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.current = disposition.get(b"name")
        self.headers = {}

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.current == self.field:
            self.out.write(data[start:end])
            self.found = True
            self.size += end - start


async def stream_file_part(
    content_type: str, chunks: AsyncIterator[bytes], field: str, dest: Path
) -> int:
    """Write the part named ``field`` to ``dest`` as it arrives; return its size in bytes.

    Only one network chunk is held in memory at a time. Raises ``MultipartError`` when the body
    is not multipart or has no such part (``dest`` is then removed).
    """
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise MultipartError("Content-Type must be multipart/form-data with a boundary")
    with dest.open("wb") as out:
        writer = _PartWriter(field.encode(), out)
        parser = MultipartParser(
            boundary,
            {
                "on_header_field": writer.on_header_field,
                "on_header_value": writer.on_header_value,
                "on_header_end": writer.on_header_end,
                "on_headers_finished": writer.on_headers_finished,
                "on_part_data": writer.on_part_data,
            },
        )
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    if not writer.found:
        dest.unlink(missing_ok=True)
        raise MultipartError(f'"{field}" is required.')
    return writer.size
