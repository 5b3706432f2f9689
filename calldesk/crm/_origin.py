"""Where requests go and what of them may be recorded: API origins and redacted targets.

``validate_base_url`` accepts an account's API origin (https, or http on this computer only);
``redact_target`` is the form of a request's address kept in audit entries: secret parameters
removed and every other query value left out (Apollo sends a call's note and phone in the query
string), except the paging parameters that tell one page from the next.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, urlsplit

from calldesk.domain import Vendor

#: Where each vendor's API lives when the account does not say otherwise. Pipedrive has no
#: default: it needs the company domain (``https://COMPANY.pipedrive.com``).
DEFAULT_BASE_URLS: Mapping[Vendor, str] = MappingProxyType(
    {
        Vendor.APOLLO: "https://api.apollo.io",
        Vendor.CLOSE: "https://api.close.com",
        Vendor.BUILDR: "https://api.buildr.com",
    }
)

#: Query parameter names whose values are secrets and never reach an audit entry.
SECRET_PARAMS = frozenset(
    {"api_token", "api_key", "apikey", "access_token", "token", "client_secret", "password"}
)
#: Query parameters whose values are kept in audit entries (paging only, never content).
PAGING_PARAMS = frozenset({"page", "per_page", "_skip", "_limit", "start", "limit", "cursor"})

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def validate_base_url(url: str) -> str:
    """Check an API origin and return it without a trailing slash.

    The origin is scheme, host, optional port and optional path prefix. ``https`` is required,
    except that plain ``http`` is allowed for loopback hosts (local sandboxes and tests).
    Raises ``ValueError`` with a message a person can act on.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{url!r} is not a web address; expected e.g. https://api.example.com")
    if parts.username or parts.password:
        raise ValueError("the API address must not contain a user name or password")
    if parts.query or parts.fragment:
        raise ValueError("the API address must not contain '?' or '#' parts")
    try:
        _ = parts.port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"{url!r} uses plain http; use https (http is only allowed for this computer, "
            "e.g. http://127.0.0.1)"
        )
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redact_target(path: str, query: str) -> str:
    """``path?query`` with secret values replaced and content values left out (``…``)."""
    if not query:
        return path
    pairs = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        shown = value
        if key.lower() in SECRET_PARAMS:
            shown = "REDACTED"
        elif key not in PAGING_PARAMS:
            shown = "…"
        pairs.append(f"{quote(key, safe='[]')}={shown if shown == '…' else quote(shown)}")
    return f"{path}?{'&'.join(pairs)}"
