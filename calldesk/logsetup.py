"""Logging set-up: a rotating ``calldesk.log`` in the log dir, with secrets redacted.

``configure_logging(paths)`` attaches one rotating file handler to the root logger and returns a
``LogHandle`` (``.redactor`` to register secrets, ``.close()`` to detach). Every record passing the
handler goes through ``SecretRedactor``, which replaces registered secrets and common credential
patterns (Authorization headers, ``x-api-key``, ``x-api-token``, ``api_token=``, ``client_secret``,
Basic/Bearer credentials, ``user:password@`` in URLs) with ``[REDACTED]`` — in the message, its
arguments, exception text and stack text — and leaves out the query string of every web address
(httpx logs each request line, and Apollo sends a call's note and phone in the query).
A registered secret is redacted in every form it takes on the wire (``domain.secrets``).

``defer_logging(paths)`` is the window's start-up variant: records are kept (redacted, bounded)
in memory until ``DeferredLogs.attach()`` opens the file and writes them there, so the window
paints before ``logging.handlers`` and the log file are opened; ``close()`` attaches first when
it has not been done, so no early record is lost.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from calldesk.store.paths import Paths

if TYPE_CHECKING:  # imported when the file handler is opened (after the window's first paint)
    import logging.handlers

LOG_FILE = "calldesk.log"
REDACTED = "[REDACTED]"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 3
MIN_SECRET_LENGTH = 4
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: The most records ``defer_logging`` keeps before the file is attached (the oldest go first).
EARLY_RECORDS = 10_000

_VALUE = r"""[^\s'",;&}\]]+"""
_Replacement = str | Callable[[re.Match[str]], str]


@functools.cache
def _patterns() -> tuple[tuple[re.Pattern[str], _Replacement], ...]:
    """The credential patterns, compiled on first use (not at import: the window's start-up)."""
    return (
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
        # https://host/path?query: the query's values are content (an Apollo note), not logged
        (re.compile(r"(?i)(\bhttps?://[^\s?#\"']*)\?[^\s#\"']*"), r"\1?…"),
    )


class SecretRedactor(logging.Filter):
    """A logging filter that removes secrets from records before any handler writes them."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def register(self, secret: str) -> None:
        """Redact ``secret`` from now on, in every form (each part of an ``ID:SECRET`` pair,
        the base64 of a Basic credential, URL-encoded)."""
        from calldesk.domain.secrets import secret_forms

        for candidate in (secret, *secret.split(":"), *secret_forms(secret)):
            if len(candidate) >= MIN_SECRET_LENGTH:
                self._secrets.add(candidate)

    def redact(self, text: str) -> str:
        """Return ``text`` with registered secrets and credential patterns replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern, replacement in _patterns():
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


@functools.cache
def _private_rotating_handler() -> type[logging.handlers.RotatingFileHandler]:
    """``PrivateRotatingFileHandler``, defined when first needed (``logging.handlers``)."""
    import logging.handlers

    class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
        """A rotating file handler whose files only the user can read (mode 0600)."""

        def _open(self) -> logging.FileHandler:  # type: ignore[override]
            stream = super()._open()
            if os.name == "posix":
                os.chmod(self.baseFilename, 0o600)
            return stream  # type: ignore[return-value]

    return PrivateRotatingFileHandler


class LogHandle(NamedTuple):
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
    handler = _private_rotating_handler()(
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


class _EarlyRecords(logging.Handler):
    """Keeps records (the newest ``EARLY_RECORDS``) in memory until a file handler takes them."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: deque[logging.LogRecord] = deque(maxlen=EARLY_RECORDS)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class DeferredLogs:
    """Logging whose file is opened later: ``attach()`` → the ``LogHandle``; ``close()``.

    Until ``attach()``, records at ``level`` and above are redacted and kept in memory (the
    root logger's level is set at once, as ``configure_logging`` does).
    """

    def __init__(
        self,
        paths: Paths,
        *,
        level: int = logging.INFO,
        logger: logging.Logger | None = None,
    ) -> None:
        self.paths = paths
        self.level = level
        self.redactor = SecretRedactor()
        self.logger = logging.getLogger() if logger is None else logger
        self._previous_level = self.logger.level
        self._early: _EarlyRecords | None = _EarlyRecords(level)
        self._early.addFilter(self.redactor)
        self._handle: LogHandle | None = None
        self.logger.addHandler(self._early)
        if self.logger.level == logging.NOTSET or self.logger.level > level:
            self.logger.setLevel(level)

    def attach(self) -> LogHandle:
        """Open the log file, write the records kept so far to it; idempotent."""
        if self._handle is None:
            handle = configure_logging(
                self.paths, level=self.level, redactor=self.redactor, logger=self.logger
            )
            self._handle = LogHandle(
                path=handle.path,
                handler=handle.handler,
                redactor=handle.redactor,
                logger=handle.logger,
                previous_level=self._previous_level,
            )
            early, self._early = self._early, None
            if early is not None:
                self.logger.removeHandler(early)
                for record in early.records:
                    handle.handler.handle(record)
                early.close()
        return self._handle

    def close(self) -> None:
        """Detach and close the file handler (attaching first, so kept records are written)."""
        self.attach().close()


def defer_logging(paths: Paths, *, level: int = logging.INFO) -> DeferredLogs:
    """Start logging to memory now; ``attach()`` (after the first paint) opens the log file."""
    return DeferredLogs(paths, level=level)
