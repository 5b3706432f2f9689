"""Shared fixtures: an isolated CALLDESK_HOME, an in-memory keyring, and Qt kept offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest

pytest_plugins = ["tests.helpers.sandbox_fixtures"]


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that keeps secrets in a dict, for tests only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Swap the OS keyring for an in-memory one in every test."""
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def calldesk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put every calldesk directory under a fresh temporary CALLDESK_HOME."""
    home = tmp_path / "calldesk-home"
    home.mkdir()
    monkeypatch.setenv("CALLDESK_HOME", str(home))
    return home


@pytest.fixture(autouse=True, scope="session")
def screenshot_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots taken by tests go under pytest's temporary tree, never a fixed /tmp folder."""
    from tests.helpers.shots import ENV

    folder = tmp_path_factory.mktemp("shots")
    os.environ[ENV] = str(folder)
    return folder
