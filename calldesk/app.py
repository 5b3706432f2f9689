"""The composition root: builds calldesk's parts and hands them to the command line or the window.

It sits outside the layer contract. Qt is imported only inside the functions that need it
(``version_text``, ``run_window``) so that the command line starts without loading Qt.

* ``version_text()`` — what ``calldesk --version`` prints.
* ``run_window(demo=...)`` — opens the window (not built yet: exits 3 naming what is missing).
* ``cli_context(streams)`` — the ``CliContext`` every command handler receives.
* ``open_runtime(...)`` — the running engine: store worker, one httpx client and adapter per
  account, the sync engine and the ``CallService``; the CLI and the window both use it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from calldesk import __version__
from calldesk.cli import CliContext, Streams
from calldesk.domain.model import Vendor
from calldesk.logsetup import configure_logging
from calldesk.runtime import open_runtime
from calldesk.schema import VendorSchema, load_schema
from calldesk.store.accounts import AccountsConfig
from calldesk.store.paths import Paths
from calldesk.store.secrets import Secrets

EXIT_NOT_BUILT = 3


def version_text() -> str:
    """Return calldesk's version with the Qt and PySide6 versions it runs on, one per line."""
    lines = [f"calldesk {__version__}"]
    try:
        import PySide6
        from PySide6.QtCore import qVersion
    except ImportError as exc:
        lines.append(f"Qt unavailable ({exc})")
    else:
        lines.append(f"Qt {qVersion()}")
        lines.append(f"PySide6 {PySide6.__version__}")
    return "\n".join(lines)


def run_window(*, demo: bool) -> int:
    """Open the main window (against the sandbox CRMs when ``demo``); return the exit code."""
    what = "calldesk --demo" if demo else "the window"
    sys.stderr.write(f"calldesk: {what} needs the user interface (calldesk.ui), not built yet\n")
    return EXIT_NOT_BUILT


def _load_schema(vendor: Vendor) -> VendorSchema:
    return load_schema(vendor)


@contextmanager
def cli_context(streams: Streams) -> Iterator[CliContext]:
    """Build what command handlers need, with logging into the log dir; tear it down after."""
    paths = Paths.from_env().ensure()
    logs = configure_logging(paths)
    try:
        yield CliContext(
            paths=paths,
            accounts=AccountsConfig.for_paths(paths),
            secrets=Secrets(on_secret=logs.redactor.register),
            schema_loader=_load_schema,
            streams=streams,
            runtime_opener=open_runtime,
            redact=logs.redactor.register,
        )
    finally:
        logs.close()
