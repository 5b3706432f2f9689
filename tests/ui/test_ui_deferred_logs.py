"""Deferred logging for the window's start-up: early records reach the log file, redacted."""

from __future__ import annotations

import logging
import subprocess
import sys

from calldesk.logsetup import LOG_FILE, REDACTED, defer_logging
from calldesk.store.paths import Paths


def test_records_before_attach_are_written_redacted_when_the_file_opens() -> None:
    paths = Paths.from_env()
    logs = defer_logging(paths)
    try:
        logs.redactor.register("s3cr3t-key-value")
        logging.getLogger("calldesk.test").info("early %s", "using s3cr3t-key-value")
        assert not (paths.log_dir / LOG_FILE).exists()
        handle = logs.attach()
        assert logs.attach() is handle  # idempotent
        logging.getLogger("calldesk.test").warning("late Authorization: Bearer abcdef123456")
        handle.handler.flush()
        text = (paths.log_dir / LOG_FILE).read_text(encoding="utf-8")
    finally:
        logs.close()
    assert "s3cr3t-key-value" not in text and "abcdef123456" not in text
    lines = text.splitlines()
    assert len(lines) == 2
    assert f"early using {REDACTED}" in lines[0]
    assert "late Authorization: Bearer " + REDACTED in lines[1]


def test_close_without_attach_still_writes_the_kept_records() -> None:
    paths = Paths.from_env()
    root = logging.getLogger()
    handlers_before = list(root.handlers)
    logs = defer_logging(paths)
    logging.getLogger("calldesk.test").info("before any paint")
    logging.getLogger("calldesk.test").debug("below the level")
    logs.close()
    assert root.handlers == handlers_before
    text = (paths.log_dir / LOG_FILE).read_text(encoding="utf-8")
    assert "before any paint" in text
    assert "below the level" not in text


def test_deferring_imports_neither_logging_handlers_nor_opens_the_file() -> None:
    code = (
        "import sys\n"
        "from calldesk.logsetup import defer_logging\n"
        "from calldesk.store.paths import Paths\n"
        "logs = defer_logging(Paths.from_env())\n"
        "print('logging.handlers' in sys.modules)\n"
        "logs.attach()\n"
        "print('logging.handlers' in sys.modules)\n"
        "logs.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]
