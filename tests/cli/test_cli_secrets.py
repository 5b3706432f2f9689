from __future__ import annotations

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest

from calldesk.domain.model import Account, KeySource, Vendor
from calldesk.store.secrets import (
    SERVICE,
    InvalidKeyError,
    NoKeyringError,
    SecretNotFoundError,
    Secrets,
    check_key_shape,
)
from tests.conftest import MemoryKeyring


class EmptyChainer(keyring.backends.chainer.ChainerBackend):
    """A chainer that found no usable backend (what a bare headless machine has)."""

    backends = ()  # type: ignore[assignment]


def test_set_get_delete_use_service_calldesk_and_the_account_name(
    memory_keyring: MemoryKeyring,
) -> None:
    secrets = Secrets()
    secrets.set("work", "k-123456")
    assert memory_keyring.store == {(SERVICE, "work"): "k-123456"}
    assert secrets.get("work") == "k-123456"
    assert secrets.delete("work") is True
    assert secrets.delete("work") is False
    with pytest.raises(SecretNotFoundError, match="no API key for account 'work'"):
        secrets.get("work")


@pytest.mark.parametrize(
    "backend",
    [
        keyring.backends.fail.Keyring(),
        keyring.backends.null.Keyring(),
        EmptyChainer(),
    ],
    ids=["fail", "null", "empty-chainer"],
)
def test_no_keyring_backend_says_so_and_suggests_env(
    backend: keyring.backend.KeyringBackend,
) -> None:
    keyring.set_keyring(backend)
    secrets = Secrets()
    for action in (
        secrets.check_available,
        lambda: secrets.set("a", "s3cr3t-value"),
        lambda: secrets.get("a"),
        lambda: secrets.delete("a"),
    ):
        with pytest.raises(NoKeyringError) as info:
            action()
        message = str(info.value)
        assert "no system keyring is available" in message
        assert "--api-key-env VAR" in message
        assert "s3cr3t-value" not in message


def test_keyring_library_no_keyring_error_is_translated(memory_keyring: MemoryKeyring) -> None:
    def refuse(service: str, username: str, password: str) -> None:
        raise keyring.errors.NoKeyringError("nothing here")

    memory_keyring.set_password = refuse  # type: ignore[method-assign]
    with pytest.raises(NoKeyringError, match="--api-key-env"):
        Secrets().set("a", "value-1234")


def test_env_source_resolves_and_explains_when_unset() -> None:
    secrets = Secrets(environ={"CLOSE_KEY": "api_abc"})
    assert secrets.resolve(KeySource(kind="env", name="CLOSE_KEY")) == "api_abc"
    with pytest.raises(SecretNotFoundError, match="environment variable OTHER is not set"):
        secrets.resolve(KeySource(kind="env", name="OTHER"))


def test_env_source_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CD_TEST_KEY", "from-env-999")
    account = Account("a", Vendor.CLOSE, "https://api.close.com", KeySource("env", "CD_TEST_KEY"))
    assert Secrets().for_account(account) == "from-env-999"


def test_every_secret_handed_out_or_stored_is_reported() -> None:
    seen: list[str] = []
    secrets = Secrets(environ={"K": "env-secret"}, on_secret=seen.append)
    secrets.set("a", "ring-secret")
    secrets.get("a")
    secrets.resolve(KeySource(kind="env", name="K"))
    assert seen == ["ring-secret", "ring-secret", "env-secret"]


def test_buildr_keys_must_be_client_id_colon_secret() -> None:
    check_key_shape(Vendor.BUILDR, "client-1:secret-2")
    for bad in ("justonepart", "a:b:c", ":secret", "id:", "id: secret"):
        with pytest.raises(InvalidKeyError, match="CLIENT_ID:CLIENT_SECRET") as info:
            check_key_shape(Vendor.BUILDR, bad)
        assert bad not in str(info.value)


def test_other_keys_must_be_one_word() -> None:
    check_key_shape(Vendor.CLOSE, "api_1234.abcd")
    with pytest.raises(InvalidKeyError, match="one word"):
        check_key_shape(Vendor.APOLLO, "two words")
    with pytest.raises(InvalidKeyError, match="empty"):
        check_key_shape(Vendor.PIPEDRIVE, "")
