"""The forms a secret takes on the wire, and removing them from text (pure, no I/O).

A key can come back in a CRM's or a proxy's error text as itself, as the base64 of a Basic
``key:`` pair, or as the token of a ``Bearer`` header. ``secret_forms`` lists every such form
of a secret (or of an ``Authorization`` header value); ``redact`` replaces them in text, longest
first, so no stored or printed message carries one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "[REDACTED]"
#: Shorter strings are not treated as secrets (they would blank ordinary words).
MIN_SECRET_LENGTH = 6
_SCHEMES = ("basic ", "bearer ", "token ")


def secret_forms(secret: str) -> frozenset[str]:
    """Every form of ``secret`` worth removing from text.

    ``secret`` may be a raw key, an ``ID:SECRET`` pair or an ``Authorization`` header value
    (``Basic …``, ``Bearer …``): the raw value, its ``:`` parts, its URL-encoded form, and the
    base64 (standard and URL-safe, with and without padding) of ``key``, ``key:`` and ``:key``;
    a Basic credential is also decoded.
    """
    text = secret.strip()
    found: set[str] = set()
    lowered = text.lower()
    for scheme in _SCHEMES:
        if lowered.startswith(scheme):
            token = text[len(scheme) :].strip()
            found |= _raw_forms(token)
            decoded = _b64decode(token) if scheme == "basic " else None
            if decoded:
                found |= _raw_forms(decoded)
            return frozenset(f for f in found if len(f) >= MIN_SECRET_LENGTH)
    found |= _raw_forms(text)
    for variant in (text, f"{text}:", f":{text}"):
        raw = variant.encode()
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            value = encoded.decode("ascii")
            found.update((value, value.rstrip("=")))
    return frozenset(f for f in found if len(f) >= MIN_SECRET_LENGTH)


def _raw_forms(text: str) -> set[str]:
    forms = {text, quote(text, safe="")}
    forms.update(part for part in text.split(":") if part)
    return forms


def _b64decode(token: str) -> str | None:
    try:
        return base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def redact(text: str, forms: Iterable[str]) -> str:
    """``text`` with each of ``forms`` (see ``secret_forms``) replaced by ``[REDACTED]``."""
    for form in sorted(set(forms), key=len, reverse=True):
        if form and form in text:
            text = text.replace(form, REDACTED)
    return text
