"""The errors every CRM adapter raises, shaped for the sync engine's decisions.

The hierarchy (every adapter failure is one of these; nothing else escapes an adapter):

* ``CrmError`` — base: ``.status``, ``.vendor_message``, ``.method``, ``.path``
    * ``TransportError`` — network failure or timeout; retryable. ``.maybe_delivered`` is False
      only when the request certainly never reached the server (connect error, connect or pool
      timeout); True when it may have been processed (read timeout, connection dropped after
      sending or in the middle of the answer), so a create must be recovered with
      ``find_created`` before any resend.
        * ``CertificateError`` — the server's certificate is not valid (self-signed, expired,
          another host's): nothing was sent; the network itself is up.
    * ``RateLimited`` — 429 (or a vendor's equivalent); wait ``.retry_after`` seconds.
    * ``AuthError`` — 401/403: bad, expired or insufficient key (Apollo non-master key, Pipedrive's
      HTML 403 page); retrying will not help until the user fixes the key.
    * ``NotFound`` — 404 or 410 (``.gone`` True for 410): the record no longer exists.
    * ``Rejected`` — the CRM refused the content (400/409/422…); ``.field_errors`` maps API field
      names to messages where the vendor says which field (Close).
    * ``ServerError`` — 5xx; retryable with backoff.
    * ``MalformedResponse`` — the answer is unusable: not JSON, truncated or the wrong shape,
      including a successful status whose body cannot be read (``.status`` 2xx: the request
      *was* processed, so recover a create with ``find_created``).
    * ``Unsupported`` — the vendor has no such operation (e.g. Pipedrive has no call update).

Messages never contain a secret: adapters build them from the status, the path (without query
string secrets) and the vendor's own error text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict, Unpack

__all__ = [
    "AuthError",
    "CertificateError",
    "CrmError",
    "ErrorContext",
    "MalformedResponse",
    "NotFound",
    "RateLimited",
    "Rejected",
    "ServerError",
    "TransportError",
    "Unsupported",
]


class ErrorContext(TypedDict, total=False):
    """The request facts every error carries (all optional)."""

    status: int | None
    vendor_message: str
    method: str
    path: str


class CrmError(Exception):
    """Base of every adapter error; ``str(err)`` is a message a rep can read."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        vendor_message: str = "",
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.vendor_message = vendor_message
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"method={self.method!r}, path={self.path!r})"
        )


class TransportError(CrmError):
    """The network failed or timed out before a full answer arrived."""

    retryable = True

    def __init__(
        self, message: str, *, maybe_delivered: bool, **kwargs: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **kwargs)
        self.maybe_delivered = maybe_delivered


class CertificateError(TransportError):
    """The server's TLS certificate was refused, so nothing was sent (the network is up)."""

    def __init__(self, message: str, **kwargs: Unpack[ErrorContext]) -> None:
        super().__init__(message, maybe_delivered=False, **kwargs)


class RateLimited(CrmError):
    """The CRM asked us to slow down; wait ``retry_after`` seconds before the next request."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: Unpack[ErrorContext]) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AuthError(CrmError):
    """The key is wrong, expired or lacks the needed permission."""


class NotFound(CrmError):
    """The record does not exist (404) or no longer exists (410, ``gone``)."""

    def __init__(self, message: str, *, gone: bool = False, **kwargs: Unpack[ErrorContext]) -> None:
        super().__init__(message, **kwargs)
        self.gone = gone


class Rejected(CrmError):
    """The CRM refused what was sent; ``field_errors`` maps API field names to messages."""

    def __init__(
        self,
        message: str,
        *,
        field_errors: Mapping[str, str] | None = None,
        **kwargs: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **kwargs)
        self.field_errors: dict[str, str] = dict(field_errors or {})


class ServerError(CrmError):
    """The CRM failed (5xx); worth retrying later."""

    retryable = True


class MalformedResponse(CrmError):
    """The CRM's answer could not be used (not JSON, truncated, unexpected shape)."""


class Unsupported(CrmError):
    """The vendor's API has no such operation."""
