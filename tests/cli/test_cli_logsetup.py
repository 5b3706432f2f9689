from __future__ import annotations

import logging
import stat
from collections.abc import Iterator

import pytest

from calldesk.logsetup import LOG_FILE, REDACTED, LogHandle, SecretRedactor, configure_logging
from calldesk.store.paths import Paths


@pytest.fixture
def logs() -> Iterator[LogHandle]:
    handle = configure_logging(Paths.from_env())
    yield handle
    handle.close()


def _flush(handle: LogHandle) -> str:
    handle.handler.flush()
    return handle.path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("headers={'Authorization': 'Basic YXBpX2tleTo='}", "YXBpX2tleTo="),
        ("Authorization: Bearer eyJhbGciOi.xyz", "eyJhbGciOi.xyz"),
        ("authorization=Token abcdef123", "abcdef123"),
        ("{'x-api-key': 'apollo-key-777'}", "apollo-key-777"),
        ("X-Api-Token: pd-tok-888", "pd-tok-888"),
        ("GET /v1/calls?api_token=pdtoken999&limit=5", "pdtoken999"),
        ('{"client_id": "cid", "client_secret": "cs-000-111"}', "cs-000-111"),
        ("sent Basic dXNlcjpwYXNzd29yZA== to server", "dXNlcjpwYXNzd29yZA=="),
        ("proxy https://bob:hunter22@proxy.local:3128", "hunter22"),
        ('{"access_token": "at-123456", "refresh_token": "rt-654321"}', "at-123456"),
    ],
)
def test_common_credential_patterns_are_redacted(text: str, secret: str) -> None:
    redacted = SecretRedactor().redact(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_plain_text_is_left_alone() -> None:
    text = "synced 3 calls for account 'work' in 0.2 s (basic plan)"
    assert SecretRedactor().redact(text) == text


def test_registered_secrets_and_their_parts_are_redacted() -> None:
    redactor = SecretRedactor()
    redactor.register("client-abc:secret-def")
    redactor.register("xy")  # too short to redact safely; must not blank out every "xy"
    out = redactor.redact("id client-abc, secret secret-def, both client-abc:secret-def, xylophone")
    assert "client-abc" not in out
    assert "secret-def" not in out
    assert "xylophone" in out


def test_log_file_never_contains_a_registered_secret(logs: LogHandle) -> None:
    logs.redactor.register("sk_live_TOPSECRET42")
    log = logging.getLogger("calldesk.test")
    log.info("request failed for key %s", "sk_live_TOPSECRET42")
    log.warning("plain %r", {"x-api-key": "apollo-9876543"})
    try:
        raise ValueError("bad key sk_live_TOPSECRET42")
    except ValueError:
        log.exception("while saving")
    text = _flush(logs)
    assert logs.path.name == LOG_FILE
    assert "request failed for key [REDACTED]" in text
    assert "sk_live_TOPSECRET42" not in text
    assert "apollo-9876543" not in text
    assert "ValueError: bad key [REDACTED]" in text


def test_log_file_is_private_and_rotates(calldesk_home: object) -> None:
    handle = configure_logging(Paths.from_env(), max_bytes=2000, backup_count=2)
    try:
        log = logging.getLogger("calldesk.rotation")
        for number in range(100):
            log.info("line %03d %s", number, "x" * 60)
        handle.handler.flush()
        files = sorted(p.name for p in handle.path.parent.iterdir())
        assert files == ["calldesk.log", "calldesk.log.1", "calldesk.log.2"]
        for name in files:
            mode = (handle.path.parent / name).stat().st_mode
            assert stat.S_IMODE(mode) == 0o600
        assert "line 099" in handle.path.read_text()
    finally:
        handle.close()


def test_close_detaches_the_handler_and_restores_the_level() -> None:
    root = logging.getLogger()
    level = root.level
    handle = configure_logging(Paths.from_env(), level=logging.DEBUG)
    assert handle.handler in root.handlers
    handle.close()
    assert handle.handler not in root.handlers
    assert root.level == level
