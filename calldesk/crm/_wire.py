"""Reading an answer off the wire within a size cap, and naming what went wrong on the wire.

``read_capped`` streams a body and stops at its cap (never holding more); ``describe_transport``
turns an httpx network failure into a few plain words, naming a certificate problem as one.
"""

from __future__ import annotations

import ssl

import httpx


async def read_capped(response: httpx.Response, cap: int, *, truncate: bool) -> bytes | None:
    """The (decoded) body, streamed; past ``cap`` bytes: its start if ``truncate``, else None."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > cap:
        return None
    kept = bytearray()
    async for chunk in response.aiter_bytes():
        room = cap - len(kept)
        if len(chunk) > room:
            if not truncate:
                return None
            kept += chunk[:room]
            break
        kept += chunk
    return bytes(kept)


def size_text(n: int) -> str:
    """A byte count for a message (``2 MB``, ``64 KB``)."""
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


def certificate_problem(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind ``exc`` (a self-signed, expired or wrong-host certificate)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
    return None


def describe_transport(exc: Exception) -> str:
    """A network failure in a few plain words (a certificate problem named as such)."""
    tls = certificate_problem(exc)
    if isinstance(tls, ssl.SSLCertVerificationError):
        detail = tls.verify_message or "not trusted"
        return f"its certificate is not valid ({detail}), so calldesk did not connect"
    if tls is not None or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return f"the secure connection failed ({tls.reason if tls else 'certificate'})"
    names: dict[type[Exception], str] = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ConnectError: "could not connect",
        httpx.ReadTimeout: "no answer in time",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "too many requests waiting",
        httpx.RemoteProtocolError: "the connection was closed unexpectedly",
        httpx.ReadError: "the connection broke while reading",
        httpx.WriteError: "the connection broke while sending",
        httpx.DecodingError: "the answer could not be decoded",
    }
    for kind, text in names.items():
        if isinstance(exc, kind):
            return text
    return type(exc).__name__
