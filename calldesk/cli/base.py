"""What every command shares: exit codes, the errors handlers raise, the streams, the
``CliContext`` the composition root builds, and ``exit_for``, which explains an error.

Imports only the standard library (and types for the checker): the dispatch module and the
window's error path both load it, and neither may pay for the store, httpx or asyncio.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from calldesk.domain.model import Account, Vendor
    from calldesk.runtime import Runtime, RuntimeOpener
    from calldesk.schema import VendorSchema
    from calldesk.store.accounts import AccountsConfig
    from calldesk.store.paths import Paths
    from calldesk.store.secrets import Secrets
    from calldesk.sync.logbook import Logbook, LogbookOpener

PROG = "calldesk"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_NOT_BUILT = 3
SYNC_ENGINE = "the sync engine (Step 3)"


class CliError(Exception):
    """An expected failure: ``run`` prints ``lines`` on stderr and exits with ``exit_code``."""

    def __init__(self, *lines: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = lines
        self.exit_code = exit_code


class InvalidInputError(CliError):
    """Input was refused (exit 2); each line (``field: reason``) is printed as is."""

    def __init__(self, *lines: str) -> None:
        super().__init__(*lines, exit_code=EXIT_INVALID)


class NotBuiltError(CliError):
    """The command is understood but its engine does not exist yet (exit 3)."""

    def __init__(self, command: str, missing: str) -> None:
        super().__init__(
            f"{command} needs {missing}, which is not built yet", exit_code=EXIT_NOT_BUILT
        )


@dataclass(frozen=True, slots=True)
class Streams:
    """Where a command reads and writes."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO

    @classmethod
    def system(cls) -> Streams:
        return cls(stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)


@dataclass(slots=True)
class CliContext:
    """Everything a command handler may use, built by the composition root.

    ``schema_loader`` loads a vendor's schema; ``schema()`` caches it for this run.
    """

    paths: Paths
    accounts: AccountsConfig
    secrets: Secrets
    schema_loader: Callable[[Vendor], VendorSchema]
    streams: Streams
    runtime_opener: RuntimeOpener | None = None
    redact: Callable[[str], None] | None = None
    logbook_opener: LogbookOpener | None = None
    _schemas: dict[Vendor, VendorSchema] = field(default_factory=dict)

    def runtime(
        self, accounts: Sequence[Account], *, start_engine: bool = False
    ) -> AbstractAsyncContextManager[Runtime]:
        """Open the engine for ``accounts`` (keys from the keyring or the environment)."""
        if self.runtime_opener is None:
            raise NotBuiltError("this command", SYNC_ENGINE)
        return self.runtime_opener(
            self.paths,
            accounts,
            self.secrets.for_account,
            start_engine=start_engine,
            redact=self.redact,
        )

    def logbook(self, account: Account, schema: VendorSchema) -> AbstractContextManager[Logbook]:
        """Open the store to log ``account``'s calls (no engine, no network, no key)."""
        if self.logbook_opener is None:
            raise NotBuiltError("this command", "the local store")
        return self.logbook_opener(self.paths, account, schema)

    def schema(self, vendor: Vendor) -> VendorSchema:
        if vendor not in self._schemas:
            self._schemas[vendor] = self.schema_loader(vendor)
        return self._schemas[vendor]

    def account(self, name: str) -> Account:
        return self.accounts.get(name)

    def print(self, text: str = "") -> None:
        self.streams.stdout.write(text + "\n")

    def warn(self, text: str) -> None:
        self.streams.stderr.write(f"{PROG}: {text}\n")


class CompositionRoot(Protocol):
    """What the command line needs from ``calldesk.app`` (a module satisfies this)."""

    def version_text(self) -> str: ...

    def run_window(self, *, demo: bool) -> int: ...

    def cli_context(self, streams: Streams) -> AbstractContextManager[CliContext]: ...


def default_root() -> CompositionRoot:
    """The composition root, looked up at run time: it builds the Qt window, which the command
    line must not import."""
    module: CompositionRoot = importlib.import_module("calldesk.app")
    return module


def one_line(text: str) -> str:
    """``text`` on one line (whitespace runs collapsed); "failed" when empty."""
    return " ".join(text.split()) or "failed"


def exit_for(exc: BaseException, io: Streams) -> int | None:
    """Write what went wrong for an error a command (or the window) raised, and return the exit
    code; None for an error the command line does not explain (the caller re-raises it)."""
    if isinstance(exc, InvalidInputError):
        for line in exc.lines:
            io.stderr.write(f"{line}\n")
        return exc.exit_code
    if isinstance(exc, CliError):
        for line in exc.lines:
            io.stderr.write(f"{PROG}: {line}\n")
        return exc.exit_code
    if isinstance(exc, OSError) or _is_loaded_error(exc):
        io.stderr.write(f"{PROG}: {one_line(str(exc))}\n")
        return EXIT_FAILED
    if isinstance(exc, KeyboardInterrupt):
        io.stderr.write(f"{PROG}: interrupted\n")
        return 130
    return None


#: Expected errors of lower layers, by module and class name. Only a module that was imported can
#: have raised its error, so looking them up in ``sys.modules`` imports nothing.
_EXPLAINED_ERRORS = (
    ("calldesk.store.accounts", "AccountError"),
    ("calldesk.store.secrets", "SecretError"),
    ("calldesk.schema.errors", "SchemaError"),
)


def _is_loaded_error(exc: BaseException) -> bool:
    for module_name, class_name in _EXPLAINED_ERRORS:
        module = sys.modules.get(module_name)
        error_class = getattr(module, class_name, None)
        if isinstance(error_class, type) and isinstance(exc, error_class):
            return True
    return False
