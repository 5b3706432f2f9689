"""Serve the sandbox CRMs over real sockets: ``serve()`` (blocking) and ``SandboxServer``.

Both run uvicorn with ``SandboxProtocol``, an h11 protocol that hands the app a way to abort or
close the client's connection (the ``down`` and ``commit_then_drop`` faults need a real broken
socket rather than uvicorn's 500).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from calldesk.domain.model import Vendor
from calldesk.sandbox.app import Sandbox, create_app
from calldesk.sandbox.base import CONNECTION_EXTENSION, Message, Receive, Scope, Send
from calldesk.sandbox.config import APOLLO_PLAIN_KEY, SANDBOX_KEYS, SandboxConfig


class SandboxProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus the ``calldesk.sandbox.connection`` scope extension."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            extensions = scope.setdefault("extensions", {})
            extensions[CONNECTION_EXTENSION] = {"abort": self._abort, "close": self._close}
            await inner(scope, receive, send)

        self.app = app

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Answers go out as separate writes (head, then body); without TCP_NODELAY the body
        # waits on the client's delayed ACK, adding ~40 ms to every keep-alive request.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]

    def _abort(self) -> None:
        self.transport.abort()

    def _close(self) -> None:
        self.transport.close()


def _uvicorn_config(app: Any, **kwargs: Any) -> uvicorn.Config:
    return uvicorn.Config(app, lifespan="off", http=SandboxProtocol, log_level="warning", **kwargs)


def describe(origin: str) -> str:
    """The base URLs and keys of a sandbox at ``origin``, for people to paste into calldesk."""
    lines = [f"calldesk sandbox CRMs at {origin}"]
    for vendor in Vendor:
        lines.append(f"  {vendor.value:<10} {origin}/{vendor.value}   key: {SANDBOX_KEYS[vendor]}")
    lines.append(f"  (apollo non-master key: {APOLLO_PLAIN_KEY})")
    lines.append(f"  controls: {origin}/_sandbox/faults, /_sandbox/state, /_sandbox/reset")
    return "\n".join(lines)


def serve(host: str = "127.0.0.1", port: int = 8765, config: SandboxConfig | None = None) -> None:
    """Run the sandbox until interrupted (for ``calldesk sandbox --port N``)."""
    app = create_app(config)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))  # bound first, so --port 0 can say which port it got
    sock.listen(128)  # connections made right after the port is printed wait in the backlog
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    print(describe(f"http://{shown}:{bound}"), flush=True)
    try:
        uvicorn.Server(_uvicorn_config(app)).run(sockets=[sock])
    finally:
        sock.close()


class SandboxServer:
    """The sandbox on ``127.0.0.1:<free port>`` in a daemon thread, as a context manager.

    ``url`` is the origin, ``base_url(vendor)`` an adapter's base URL, ``sandbox`` the live
    ``Sandbox`` (data, faults, counters). Without ``config.recordings_dir`` recordings go to a
    temporary directory removed on exit.
    """

    def __init__(self, config: SandboxConfig | None = None, *, start_timeout: float = 10.0) -> None:
        config = config or SandboxConfig()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if config.recordings_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="calldesk-sandbox-")
            config = replace(config, recordings_dir=Path(self._tmp.name))
        self.config = config
        self.app = create_app(config)
        self.sandbox: Sandbox = self.app.state.sandbox
        self._start_timeout = start_timeout
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def base_url(self, vendor: Vendor) -> str:
        return f"{self.url}/{Vendor(vendor).value}"

    def __enter__(self) -> SandboxServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._socket = sock
        port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._server = uvicorn.Server(_uvicorn_config(self.app))
        server = self._server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="calldesk-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        if self._tmp is not None:
            self._tmp.cleanup()
        self._server = self._thread = self._socket = None


__all__ = ["Message", "SandboxProtocol", "SandboxServer", "describe", "serve"]
