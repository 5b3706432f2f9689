"""API keys: kept in the OS keyring (service ``calldesk``, user = account name) or read from env.

``Secrets`` wraps the ``keyring`` library. When no usable keyring exists (keyring's own
``NoKeyringError``, or its ``fail``/``null`` backends, the default on a headless machine) it raises
this module's ``NoKeyringError`` with a message that says so and suggests ``--api-key-env VAR``.
Messages and logs never contain a secret; every secret this class hands out or stores is passed
to an optional ``on_secret`` callback so the log filter can redact it.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from calldesk.domain.model import Account, KeySource, Vendor

if TYPE_CHECKING:
    import keyring.backend

# keyring (~17 ms to import) is imported where a key is read or written, so the window can paint
# before it loads.

SERVICE = "calldesk"
_log = logging.getLogger(__name__)


class SecretError(Exception):
    """A key could not be stored, found or accepted; the message says why (never the key)."""


class NoKeyringError(SecretError):
    """No system keyring is available to store or read keys."""

    def __init__(self, detail: str = "") -> None:
        reason = f" ({detail})" if detail else ""
        super().__init__(
            f"no system keyring is available{reason}; keep the key in an environment variable "
            "instead: --api-key-env VAR"
        )


class SecretNotFoundError(SecretError):
    """The keyring has no key for the account, or the key's environment variable is unset."""


class InvalidKeyError(SecretError):
    """A key does not have the shape its vendor uses."""


@dataclass(frozen=True, slots=True)
class KeyShape:
    """What a vendor's key looks like: a pattern and words for the person typing it."""

    pattern: re.Pattern[str]
    description: str


_TOKEN = KeyShape(re.compile(r"\S+\Z"), "one word without spaces")

# Data, not code paths: the key shape of each vendor (see the vendor notes in shared/vendors/).
KEY_SHAPES: Mapping[Vendor, KeyShape] = {
    Vendor.APOLLO: _TOKEN,
    Vendor.CLOSE: _TOKEN,
    Vendor.PIPEDRIVE: _TOKEN,
    Vendor.BUILDR: KeyShape(
        re.compile(r"[^\s:]+:[^\s:]+\Z"), "CLIENT_ID:CLIENT_SECRET (two parts joined by a colon)"
    ),
}


def check_key_shape(vendor: Vendor, key: str) -> None:
    """Raise ``InvalidKeyError`` when ``key`` is not shaped like a ``vendor`` key."""
    shape = KEY_SHAPES[vendor]
    if not key:
        raise InvalidKeyError("the API key is empty")
    if not shape.pattern.match(key):
        label = vendor.value.capitalize()
        raise InvalidKeyError(f"a {label} API key must be {shape.description}")


def _is_unusable(backend: keyring.backend.KeyringBackend) -> bool:
    import keyring.backends.chainer
    import keyring.backends.fail
    import keyring.backends.null

    if isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring):
        return True
    if isinstance(backend, keyring.backends.chainer.ChainerBackend):
        return all(_is_unusable(b) for b in backend.backends)
    return False


class Secrets:
    """Gets, sets and deletes account keys in the keyring; resolves env-var key sources."""

    def __init__(
        self,
        *,
        service: str = SERVICE,
        environ: Mapping[str, str] | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        self._service = service
        self._environ = environ
        self._on_secret = on_secret

    def _backend(self) -> keyring.backend.KeyringBackend:
        import keyring

        backend = keyring.get_keyring()
        if _is_unusable(backend):
            raise NoKeyringError(f"keyring backend: {type(backend).__module__}")
        return backend

    def _seen(self, secret: str) -> str:
        if self._on_secret is not None:
            self._on_secret(secret)
        return secret

    def check_available(self) -> None:
        """Raise ``NoKeyringError`` now if no keyring can hold a key (before asking for one)."""
        self._backend()

    def get(self, account: str) -> str:
        """Return the keyring's key for ``account``."""
        import keyring.errors

        try:
            secret = self._backend().get_password(self._service, account)
        except keyring.errors.NoKeyringError:
            raise NoKeyringError() from None
        except keyring.errors.KeyringError as exc:
            raise SecretError(
                f"the keyring refused to read the key for {account!r}: {type(exc).__name__}"
            ) from None
        if secret is None:
            raise SecretNotFoundError(
                f"the keyring has no API key for account {account!r}; remove and add the account "
                "again to store one"
            )
        return self._seen(secret)

    def set(self, account: str, secret: str) -> None:
        """Store ``secret`` as the key of ``account``."""
        if not secret:
            raise InvalidKeyError("the API key is empty")
        self._seen(secret)
        import keyring.errors

        try:
            self._backend().set_password(self._service, account, secret)
        except keyring.errors.NoKeyringError:
            raise NoKeyringError() from None
        except keyring.errors.KeyringError as exc:
            raise SecretError(
                f"the keyring refused to store the key for {account!r}: {type(exc).__name__}"
            ) from None
        _log.info("stored the API key of account %r in the keyring", account)

    def delete(self, account: str) -> bool:
        """Delete the key of ``account``; return False when there was none."""
        import keyring.errors

        try:
            self._backend().delete_password(self._service, account)
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.NoKeyringError:
            raise NoKeyringError() from None
        except keyring.errors.KeyringError as exc:
            raise SecretError(
                f"the keyring refused to delete the key for {account!r}: {type(exc).__name__}"
            ) from None
        _log.info("deleted the API key of account %r from the keyring", account)
        return True

    def from_env(self, variable: str) -> str:
        """Return the key held in environment variable ``variable``."""
        environ = os.environ if self._environ is None else self._environ
        secret = environ.get(variable, "")
        if not secret:
            raise SecretNotFoundError(
                f"environment variable {variable} is not set (it should hold the API key)"
            )
        return self._seen(secret)

    def resolve(self, source: KeySource) -> str:
        """Return the key a ``KeySource`` points at."""
        if source.kind == "env":
            return self.from_env(source.name)
        return self.get(source.name)

    def for_account(self, account: Account) -> str:
        """Return ``account``'s key, wherever it lives."""
        return self.resolve(account.key)


class MemorySecrets(Secrets):
    """Keys kept in this process only, never in the OS keyring (the ``--demo`` window's store).

    Same interface as :class:`Secrets`; keys from environment variables are still read from the
    environment.
    """

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        on_secret: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(environ=environ, on_secret=on_secret)
        self._keys: dict[str, str] = {}

    def check_available(self) -> None:
        """An in-memory store is always available."""

    def get(self, account: str) -> str:
        secret = self._keys.get(account)
        if secret is None:
            raise SecretNotFoundError(f"no API key for account {account!r} in this session")
        return self._seen(secret)

    def set(self, account: str, secret: str) -> None:
        if not secret:
            raise InvalidKeyError("the API key is empty")
        self._keys[account] = self._seen(secret)

    def delete(self, account: str) -> bool:
        return self._keys.pop(account, None) is not None
