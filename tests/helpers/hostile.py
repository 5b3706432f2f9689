"""A small hostile HTTP server on 127.0.0.1 for the tests: real sockets, scripted answers.

Each connection is served on its own thread: the request is read (head and ``Content-Length``
body) and handed with the socket to the test's ``respond(request, conn)``, which writes whatever
bytes it likes (an endless chunked stream, one byte every few seconds, odd headers) and returns;
the connection is then closed. ``tls`` serves HTTPS with the given context (a self-signed
certificate). ``stop()`` (or leaving the ``with``) ends every loop that checks ``stopping``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Conn:
    """The socket of one request, with the server's stop flag and a byte counter."""

    sock: socket.socket
    stopping: threading.Event
    sent: list[int] = field(default_factory=lambda: [0])

    def send(self, data: bytes) -> bool:
        """Write ``data``; False once the client has gone (or the server is stopping)."""
        if self.stopping.is_set():
            return False
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        self.sent[0] += len(data)
        return True

    def wait(self, seconds: float) -> bool:
        """Pause (a drip), returning False when the server is stopping."""
        return not self.stopping.wait(seconds)


Respond = Callable[[Request, Conn], None]


def http_answer(
    status: int, body: bytes | str | Any = b"", headers: dict[str, str] | None = None
) -> bytes:
    """A complete HTTP/1.1 answer; a non-bytes, non-str ``body`` is sent as JSON."""
    if isinstance(body, str):
        raw = body.encode()
        kind = "text/plain"
    elif isinstance(body, bytes):
        raw = body
        kind = "application/octet-stream"
    else:
        raw = json.dumps(body).encode()
        kind = "application/json"
    head = {"Content-Type": kind, "Content-Length": str(len(raw)), "Connection": "close"}
    head.update(headers or {})
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    return f"HTTP/1.1 {status} X\r\n{lines}\r\n".encode() + raw


class HostileServer:
    """An HTTP server whose every answer is written by ``respond``."""

    def __init__(self, respond: Respond, *, tls: ssl.SSLContext | None = None) -> None:
        self.respond = respond
        self.tls = tls
        self.requests: list[Request] = []
        self.conns: list[Conn] = []
        self.stopping = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def bytes_sent(self) -> int:
        return sum(conn.sent[0] for conn in self.conns)

    def __enter__(self) -> HostileServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self._acceptor.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, raw: socket.socket) -> None:
        sock = raw
        with contextlib.suppress(OSError, ssl.SSLError):
            if self.tls is not None:
                sock = self.tls.wrap_socket(raw, server_side=True)
            sock.settimeout(10)
            request = _read_request(sock)
            if request is not None:
                self.requests.append(request)
                conn = Conn(sock, self.stopping)
                self.conns.append(conn)
                self.respond(request, conn)
        with contextlib.suppress(OSError):
            sock.close()


def _read_request(sock: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = sock.recv(min(1 << 20, length - len(rest)))
        if not chunk:
            break
        rest += chunk
    return Request(method, target, headers, rest)


@contextlib.contextmanager
def hostile(respond: Respond, *, tls: ssl.SSLContext | None = None) -> Iterator[HostileServer]:
    """Serve ``respond`` on 127.0.0.1 for the duration of the ``with``."""
    server = HostileServer(respond, tls=tls)
    with server:
        yield server
