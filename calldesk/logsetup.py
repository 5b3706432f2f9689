"""Logging set-up: a rotating ``calldesk.log`` in the log dir, with secrets redacted.

``configure_logging(paths)`` attaches one rotating file handler to the root logger and returns a
``LogHandle`` (``.redactor`` to register secrets, ``.close()`` to detach). Every record passing the
handler goes through ``SecretRedactor``, which replaces registered secrets and common credential
patterns (Authorization headers, ``x-api-key``, ``x-api-token``, ``api_token=``, ``client_secret``,
Basic/Bearer credentials, ``user:password@`` in URLs) with ``[REDACTED]`` — in the message, its
arguments, exception text and stack text.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from calldesk.store.paths import Paths

LOG_FILE = "calldesk.log"
REDACTED = "[REDACTED]"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 3
MIN_SECRET_LENGTH = 4
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_VALUE = r"""[^\s'",;&}\]]+"""
_Replacement = str | Callable[[re.Match[str]], str]
_PATTERNS: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    # Authorization: Basic abc / 'authorization': 'Bearer xyz' / Authorization=token
    (
        re.compile(
            r"""(?i)(\b(?:proxy-)?authorization['"]?\s*[:=]\s*['"]?)"""
            r"""(?:(basic|bearer|token)\s+)?""" + _VALUE
        ),
        lambda m: m.group(1) + (f"{m.group(2)} " if m.group(2) else "") + REDACTED,
    ),
    # x-api-key: k / "x-api-token": "t" / api_token=t / client_secret=s / "password": "p"
    (
        re.compile(
            r"""(?i)(\b(?:x-api-key|x-api-token|api[_-]?token|api[_-]?key|client[_-]?secret|"""
            r"""access[_-]?token|refresh[_-]?token|password|passwd|secret)['"]?\s*[:=]\s*['"]?)"""
            + _VALUE
        ),
        r"\1" + REDACTED,
    ),
    # Basic/Bearer credentials anywhere else
    (re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9+/=._~-]{6,}"), r"\1 " + REDACTED),
    # https://user:password@host
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1" + REDACTED + "@"),
)


class SecretRedactor(logging.Filter):
    """A logging filter that removes secrets from records before any handler writes them."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def register(self, secret: str) -> None:
        """Redact ``secret`` (and each part of a ``ID:SECRET`` pair) from now on."""
        for candidate in (secret, *secret.split(":")):
            if len(candidate) >= MIN_SECRET_LENGTH:
                self._secrets.add(candidate)

    def redact(self, text: str) -> str:
        """Return ``text`` with registered secrets and credential patterns replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            exc_text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(exc_text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files only the user can read (mode 0600)."""

    def _open(self) -> logging.FileHandler:  # type: ignore[override]
        stream = super()._open()
        if os.name == "posix":
            os.chmod(self.baseFilename, 0o600)
        return stream  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class LogHandle:
    """What ``configure_logging`` set up; ``close()`` detaches and closes it."""

    path: Path
    handler: logging.Handler
    redactor: SecretRedactor
    logger: logging.Logger
    previous_level: int

    def close(self) -> None:
        self.logger.removeHandler(self.handler)
        self.handler.close()
        self.logger.setLevel(self.previous_level)


def configure_logging(
    paths: Paths,
    *,
    level: int = logging.INFO,
    redactor: SecretRedactor | None = None,
    max_bytes: int = MAX_BYTES,
    backup_count: int = BACKUP_COUNT,
    logger: logging.Logger | None = None,
) -> LogHandle:
    """Send log records (root logger by default) to ``log_dir/calldesk.log``, secrets redacted."""
    paths.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = logging.getLogger() if logger is None else logger
    path = paths.log_dir / LOG_FILE
    handler = PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
    )
    filter_ = SecretRedactor() if redactor is None else redactor
    handler.addFilter(filter_)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    target.addHandler(handler)
    previous_level = target.level
    if target.level == logging.NOTSET or target.level > level:
        target.setLevel(level)
    return LogHandle(
        path=path, handler=handler, redactor=filter_, logger=target, previous_level=previous_level
    )
