"""A small Hugging Face-style model hub on 127.0.0.1 serving a model folder, with faults.

It answers ``/api/models/<repo>/tree/<rev>`` (sizes, git blob SHA-1s, SHA-256 for ``model.bin``
as an LFS file) and ``/<repo>/resolve/<rev>/<file>`` with range support. Faults for the tests:
``cut_after`` (close the connection once after that many bytes of model.bin), ``corrupt`` (flip
a byte of model.bin), ``ignore_range`` (answer 200 and the whole file to a range request).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

LFS_FILES = {"model.bin"}


@dataclass
class HubState:
    folder: Path
    cut_after: int | None = None
    corrupt: bool = False
    ignore_range: bool = False
    ranges: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def body(self, name: str) -> bytes:
        data = (self.folder / name).read_bytes()
        if self.corrupt and name == "model.bin":
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        return data

    def listing(self) -> list[dict[str, object]]:
        entries: list[dict[str, object]] = []
        for path in sorted(self.folder.iterdir()):
            data = path.read_bytes()
            entry: dict[str, object] = {"type": "file", "path": path.name, "size": len(data)}
            blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
            if path.name in LFS_FILES:
                entry["oid"] = blob
                entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}
            else:
                entry["oid"] = blob
            entries.append(entry)
        entries.append({"type": "directory", "path": "docs", "size": 0, "oid": "0" * 40})
        return entries


def _handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append(self.path)
            parts = self.path.strip("/").split("/")
            if parts[:2] == ["api", "models"] and "tree" in parts:
                self._send(200, json.dumps(state.listing()).encode(), "application/json")
                return
            if "resolve" in parts:
                name = parts[-1]
                if not (state.folder / name).is_file():
                    self._send(404, b"not found", "text/plain")
                    return
                data = state.body(name)
                start = 0
                header = self.headers.get("Range")
                if header:
                    state.ranges.append(f"{name}:{header}")
                if header and not state.ignore_range:
                    start = int(header.removeprefix("bytes=").split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if name == "model.bin" and state.cut_after is not None:
                    cut, state.cut_after = state.cut_after, None
                    self.wfile.write(body[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)
                return
            self._send(404, b"not found", "text/plain")

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serve_hub(folder: Path) -> Iterator[tuple[str, HubState]]:
    """Serve ``folder`` as every repo of a hub; yield its base URL and its fault switches."""
    state = HubState(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
