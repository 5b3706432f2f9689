"""The command line: calldesk's scripting face (``calldesk --help`` lists the commands).

Flow: ``run(argv)`` parses the arguments, asks the composition root (``calldesk.app``) for a
``CliContext`` (paths, accounts, secrets, schemas, streams — and later the services), and calls one
handler per command with that context. Handlers raise ``CliError`` for expected failures, which
``run`` prints as one line on stderr with the error's exit code:

* 0 — done; 1 — something failed (reason on stderr); 2 — invalid input (one line per field error,
  nothing stored); 3 — the feature's engine is not built yet (the message names it).

This module never imports Qt: the window, ``--version`` and the context come from the composition
root, which is looked up at run time (it sits above the layer contract).
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TextIO

from calldesk.domain.model import Account, CallRecord, FieldError, Operation, Vendor
from calldesk.store.accounts import (
    VENDOR_URL_RULES,
    AccountError,
    AccountsConfig,
    make_account,
    vendor_label,
)
from calldesk.store.paths import Paths
from calldesk.store.secrets import SecretError, Secrets, check_key_shape

if TYPE_CHECKING:
    from calldesk.runtime import Runtime, RuntimeOpener
    from calldesk.schema import VendorSchema
    from calldesk.store.calls import CallSummary

PROG = "calldesk"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_NOT_BUILT = 3
SYNC_ENGINE = "the sync engine (Step 3)"

_log = logging.getLogger(__name__)

USAGE_SUMMARY = """\
usage summary:
  calldesk                         the window
  calldesk --demo                  the window, against the built-in sandbox CRMs with sample calls
  calldesk --version
  calldesk accounts add NAME --vendor {apollo,close,pipedrive,buildr} [--base-url URL]
                                   [--api-key-env VAR]
  calldesk accounts list [--json]
  calldesk accounts remove NAME
  calldesk calls list --account NAME [--refresh] [--json]
  calldesk calls show --account NAME ID [--json]
  calldesk calls log --account NAME FIELD=VALUE ... [--json]
  calldesk calls update --account NAME ID FIELD=VALUE ... [--json]
  calldesk calls delete --account NAME ID
  calldesk calls attach --account NAME ID FILE
  calldesk sync [--account NAME] [--timeout SECONDS]
  calldesk queue [--json]
  calldesk sandbox [--host 127.0.0.1] [--port N]

FIELD is the CRM's own API field name; VALUE is text, read by the field's type.
Exit codes: 0 done, 1 failed, 2 invalid input, 3 not built yet.
"""


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
        super().__init__(f"{command} needs {missing}, which is not built yet", exit_code=3)


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


def _default_root() -> CompositionRoot:
    # Looked up at run time: calldesk.app builds the Qt window, which this module must not import.
    module: CompositionRoot = importlib.import_module("calldesk.app")
    return module


# -- argument parsing -----------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace, CliContext], int]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the timeout must be more than 0 seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Log sales calls into Apollo, Close, Pipedrive and Buildr. "
        "With no command, opens the window.",
        epilog=USAGE_SUMMARY,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the window against the built-in sandbox CRMs"
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    accounts = commands.add_parser("accounts", help="add, list and remove CRM accounts")
    accounts_cmds = accounts.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = accounts_cmds.add_parser("add", help="add an account (the key goes to the keyring)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--vendor", required=True, choices=[v.value for v in Vendor])
    add.add_argument("--base-url", metavar="URL", help="the CRM's API origin")
    add.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="read the API key from environment variable VAR instead of the keyring",
    )
    add.set_defaults(handler=handle_accounts_add)
    listing = accounts_cmds.add_parser("list", help="list accounts (never the keys)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=handle_accounts_list)
    remove = accounts_cmds.add_parser("remove", help="remove an account and its stored key")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=handle_accounts_remove)

    calls = commands.add_parser("calls", help="list, show, log, update, delete calls")
    calls_cmds = calls.add_subparsers(dest="action", metavar="ACTION", required=True)

    def call_command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        sub = calls_cmds.add_parser(name, help=help_text)
        sub.add_argument("--account", required=True, metavar="NAME")
        sub.set_defaults(handler=handler)
        return sub

    sub = call_command("list", "list an account's calls", handle_calls_list)
    sub.add_argument("--refresh", action="store_true", help="fetch from the CRM first")
    sub.add_argument("--json", action="store_true")
    sub = call_command("show", "show one call", handle_calls_show)
    sub.add_argument("id", metavar="ID")
    sub.add_argument("--json", action="store_true")
    sub = call_command("log", "queue a new call; prints its local id", handle_calls_log)
    sub.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    sub.add_argument("--json", action="store_true")
    sub = call_command("update", "queue a change to a call", handle_calls_update)
    sub.add_argument("id", metavar="ID", help="the CRM's id or a local id")
    sub.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    sub.add_argument("--json", action="store_true")
    sub = call_command("delete", "queue a call's deletion", handle_calls_delete)
    sub.add_argument("id", metavar="ID")
    sub = call_command("attach", "queue a recording upload", handle_calls_attach)
    sub.add_argument("id", metavar="ID")
    sub.add_argument("file", metavar="FILE", type=Path)

    sync = commands.add_parser("sync", help="send queued changes now")
    sync.add_argument("--account", metavar="NAME")
    sync.add_argument("--timeout", type=_seconds, metavar="SECONDS")
    sync.set_defaults(handler=handle_sync)

    queue = commands.add_parser("queue", help="show pending, failed and conflicted operations")
    queue.add_argument("--json", action="store_true")
    queue.set_defaults(handler=handle_queue)

    sandbox = commands.add_parser("sandbox", help="serve the sandbox CRMs")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=_port, default=0, metavar="N")
    sandbox.set_defaults(handler=handle_sandbox)
    return parser


# -- entry point ----------------------------------------------------------------------------------


def run(
    argv: Sequence[str], *, root: CompositionRoot | None = None, streams: Streams | None = None
) -> int:
    """Run one command line; returns the process exit code."""
    io = Streams.system() if streams is None else streams
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    handler: Handler | None = getattr(args, "handler", None)
    try:
        app = _default_root() if root is None else root
        if args.version:
            io.stdout.write(app.version_text().rstrip("\n") + "\n")
            return EXIT_OK
        if handler is None:
            return app.run_window(demo=args.demo)
        if args.demo:
            raise CliError("--demo only applies to the window (no command)", exit_code=2)
        with app.cli_context(io) as context:
            return handler(args, context)
    except BaseException as exc:
        code = exit_for(exc, io)
        if code is None:
            raise
        return code


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
    if isinstance(exc, AccountError | SecretError | OSError) or (
        isinstance(exc, Exception) and _is_schema_error(exc)
    ):
        io.stderr.write(f"{PROG}: {_one_line(str(exc))}\n")
        return EXIT_FAILED
    if isinstance(exc, KeyboardInterrupt):
        io.stderr.write(f"{PROG}: interrupted\n")
        return 130
    return None


def _is_schema_error(exc: Exception) -> bool:
    # The window path never loads the schema package; only a command that did can raise this.
    schema = sys.modules.get("calldesk.schema.errors")
    return schema is not None and isinstance(exc, schema.SchemaError)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "failed"


# -- accounts -------------------------------------------------------------------------------------


def _read_key(context: CliContext, name: str) -> str:
    stdin = context.streams.stdin
    if stdin.isatty():
        key = getpass.getpass(f"API key for {name}: ", stream=context.streams.stderr)
    else:
        key = stdin.read()
    return key.strip()


def handle_accounts_add(args: argparse.Namespace, context: CliContext) -> int:
    vendor = Vendor(args.vendor)
    rule = VENDOR_URL_RULES[vendor]
    if args.base_url is None and rule.default is None:
        raise CliError(
            f"{vendor_label(vendor)} has no default base URL: pass --base-url {rule.form}",
            exit_code=EXIT_INVALID,
        )
    try:
        account = make_account(args.name, vendor, args.base_url, args.api_key_env)
    except AccountError as exc:
        raise CliError(str(exc), exit_code=EXIT_INVALID) from None
    if any(a.name.casefold() == account.name.casefold() for a in context.accounts.load()):
        raise CliError(f"an account named {account.name!r} already exists")
    if account.key.kind == "env":
        try:
            check_key_shape(vendor, context.secrets.from_env(account.key.name))
        except SecretError as exc:
            context.warn(f"note: {exc}")
        context.accounts.add(account)
    else:
        context.secrets.check_available()
        key = _read_key(context, account.name)
        check_key_shape(vendor, key)
        context.secrets.set(account.name, key)
        try:
            context.accounts.add(account)
        except BaseException:
            context.secrets.delete(account.name)
            raise
    _log.info("added account %r (%s, %s)", account.name, vendor.value, account.base_url)
    context.print(f"added {account.name} ({vendor_label(vendor)}, {account.base_url})")
    return EXIT_OK


def _key_source_text(account: Account) -> str:
    return "keyring" if account.key.kind == "keyring" else f"env:{account.key.name}"


def handle_accounts_list(args: argparse.Namespace, context: CliContext) -> int:
    accounts = context.accounts.load()
    if args.json:
        rows = [
            {
                "name": a.name,
                "vendor": a.vendor.value,
                "base_url": a.base_url,
                "key_source": a.key.kind,
                "key_env": a.key.name if a.key.kind == "env" else None,
            }
            for a in accounts
        ]
        context.print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not accounts:
        context.warn("no accounts yet; add one with: calldesk accounts add NAME --vendor VENDOR")
        return EXIT_OK
    table = [("NAME", "VENDOR", "BASE URL", "KEY")] + [
        (a.name, a.vendor.value, a.base_url, _key_source_text(a)) for a in accounts
    ]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        context.print("  ".join([*cells, row[3]]))
    return EXIT_OK


def handle_accounts_remove(args: argparse.Namespace, context: CliContext) -> int:
    account = context.accounts.get(args.name)
    if account.key.kind == "keyring":
        try:
            context.secrets.delete(account.name)
        except SecretError as exc:
            context.warn(f"note: the key could not be removed from the keyring: {exc}")
    context.accounts.remove(account.name)
    _log.info("removed account %r", account.name)
    context.print(f"removed {account.name}")
    return EXIT_OK


# -- calls ----------------------------------------------------------------------------------------


def parse_assignments(assignments: Sequence[str]) -> dict[str, str]:
    """Split ``FIELD=VALUE`` arguments; raise ``CliError`` (exit 2) on bad or repeated ones."""
    raw: dict[str, str] = {}
    problems: list[str] = []
    for item in assignments:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(f"{item!r} is not FIELD=VALUE")
        elif name in raw:
            problems.append(f"{name}: given more than once")
        else:
            raw[name] = value
    if problems:
        raise InvalidInputError(*problems)
    return raw


def _error_lines(errors: Sequence[FieldError]) -> list[str]:
    lines: list[str] = []
    for error in errors:
        line = f"{error.field}: {error.message}" if error.field else error.message
        if line not in lines:
            lines.append(line)
    return lines


def parse_and_validate(
    schema: VendorSchema,
    assignments: Sequence[str],
    op: Literal["create", "update"],
) -> dict[str, object]:
    """Turn ``FIELD=VALUE`` text into checked values; raise ``CliError`` (exit 2) listing errors."""
    values, errors = schema.parse_inputs(parse_assignments(assignments))
    unreadable = {e.field for e in errors}
    errors += [e for e in schema.validate(values, op=op) if e.field not in unreadable]
    if errors:
        raise InvalidInputError(*_error_lines(errors))
    return values


def _calls_runtime(context: CliContext, name: str) -> tuple[Account, VendorSchema]:
    account = context.account(name)
    return account, context.schema(account.vendor)


def _run_async(coro: Coroutine[Any, Any, int]) -> int:
    # Imported here, not at module level: the window path (no command) must not load httpx
    # or asyncio before its first paint.
    import asyncio

    from calldesk.crm import CrmError
    from calldesk.store.db import StoreError
    from calldesk.sync.recordings import RecordingRejected
    from calldesk.sync.services import ServiceError, ValidationFailed

    try:
        return asyncio.run(coro)
    except ValidationFailed as exc:
        raise InvalidInputError(*_error_lines(exc.errors)) from None
    except (ServiceError, RecordingRejected) as exc:
        raise CliError(_one_line(str(exc))) from None
    except CrmError as exc:
        raise CliError(_one_line(str(exc) or type(exc).__name__)) from None
    except StoreError as exc:
        raise CliError(_one_line(str(exc))) from None


def _record_json(record: CallRecord) -> dict[str, object]:
    return {
        "local_id": record.local_id,
        "account": record.account,
        "remote_id": record.remote_id,
        "state": record.state.value,
        "deleted": record.deleted,
        "remote_updated_at": record.remote_updated_at.isoformat()
        if record.remote_updated_at
        else None,
        "fields": dict(record.fields),
    }


def _summary_json(summary: CallSummary) -> dict[str, object]:
    return {
        "local_id": summary.local_id,
        "account": summary.account,
        "remote_id": summary.remote_id,
        "state": summary.state.value,
        "when": datetime.fromtimestamp(summary.when_ts, UTC).isoformat()
        if summary.when_ts is not None
        else None,
        "who": summary.who,
        "phone": summary.phone,
        "direction": summary.direction,
        "duration_s": summary.duration_s,
        "outcome": summary.outcome,
        "note_preview": summary.note_preview,
    }


def _op_json(op: Operation) -> dict[str, object]:
    return {
        "op_id": op.op_id,
        "account": op.account,
        "local_id": op.local_id,
        "remote_id": op.remote_id,
        "kind": op.kind.value,
        "state": op.state.value,
        "attempts": op.attempts,
        "next_attempt_at": op.next_attempt_at.isoformat() if op.next_attempt_at else None,
        "last_error": op.last_error,
        "payload": dict(op.payload),
    }


def _dump(context: CliContext, data: object) -> None:
    context.print(json.dumps(data, indent=2, sort_keys=True, default=str))


def handle_calls_list(args: argparse.Namespace, context: CliContext) -> int:
    from calldesk.store.calls import CallQuery

    account, _schema = _calls_runtime(context, args.account)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            if args.refresh:
                if account.name in rt.unavailable:
                    raise CliError(rt.unavailable[account.name])
                await rt.service.refresh_lookups(account.name)
                await rt.service.refresh(account.name)
            query = CallQuery(accounts=(account.name,), limit=1_000_000)
            calls = await rt.service.list_calls(query)
        if args.json:
            _dump(context, [_summary_json(c) for c in calls])
        else:
            for c in calls:
                when = (
                    datetime.fromtimestamp(c.when_ts, UTC).strftime("%Y-%m-%d %H:%M")
                    if c.when_ts is not None
                    else "-"
                )
                ident = c.remote_id or c.local_id
                context.print(
                    f"{ident}\t{when}\t{c.state.value}\t{c.who or c.phone or '-'}\t"
                    f"{c.outcome or '-'}\t{c.note_preview}"
                )
        return EXIT_OK

    return _run_async(go())


def handle_calls_show(args: argparse.Namespace, context: CliContext) -> int:
    account, _schema = _calls_runtime(context, args.account)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            record = await rt.service.find(account.name, args.id)
            ops = await rt.service.queue(account.name)
        mine = [_op_json(op) for op in ops if op.local_id == record.local_id]
        if args.json:
            _dump(context, {**_record_json(record), "operations": mine})
        else:
            context.print(f"{record.remote_id or record.local_id} ({record.state.value})")
            for name, value in sorted(record.fields.items()):
                context.print(f"  {name}: {value}")
            for op in mine:
                context.print(f"  queued {op['kind']}: {op['state']} {op['last_error'] or ''}")
        return EXIT_OK

    return _run_async(go())


def handle_calls_log(args: argparse.Namespace, context: CliContext) -> int:
    account, schema = _calls_runtime(context, args.account)
    values = parse_and_validate(schema, args.assignments, "create")
    for notice in schema.notices(values):
        context.warn(notice.message)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            record = await rt.service.log_call(account.name, values)
        if args.json:
            _dump(context, _record_json(record))
        else:
            context.print(record.local_id)
        return EXIT_OK

    return _run_async(go())


def handle_calls_update(args: argparse.Namespace, context: CliContext) -> int:
    account, schema = _calls_runtime(context, args.account)
    values, errors = schema.parse_inputs(parse_assignments(args.assignments))
    if errors:
        raise InvalidInputError(*_error_lines(errors))

    async def go() -> int:
        async with context.runtime([account]) as rt:
            record = await rt.service.update_call(account.name, args.id, values)
        if args.json:
            _dump(context, _record_json(record))
        else:
            context.print(record.local_id)
        return EXIT_OK

    return _run_async(go())


def handle_calls_delete(args: argparse.Namespace, context: CliContext) -> int:
    account, _schema = _calls_runtime(context, args.account)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            op = await rt.service.delete_call(account.name, args.id)
        context.print("deleted locally; nothing to send" if op is None else f"queued {op.op_id}")
        return EXIT_OK

    return _run_async(go())


def handle_calls_attach(args: argparse.Namespace, context: CliContext) -> int:
    account, _schema = _calls_runtime(context, args.account)
    path: Path = args.file
    if not path.is_file():
        raise CliError(f"{path}: no such file", exit_code=EXIT_INVALID)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            op = await rt.service.attach_recording(account.name, args.id, path)
        context.print(f"queued {op.op_id}")
        return EXIT_OK

    return _run_async(go())


# -- sync, queue, sandbox -------------------------------------------------------------------------


def handle_sync(args: argparse.Namespace, context: CliContext) -> int:
    accounts = (
        [context.account(args.account)] if args.account is not None else context.accounts.load()
    )
    name = args.account

    async def go() -> int:
        async with context.runtime(accounts, start_engine=True) as rt:
            for missing, reason in rt.unavailable.items():
                context.warn(f"{missing}: {_one_line(reason)}")

            async def settled() -> bool:
                counts = await rt.service.counts(name)
                return counts.pending + counts.in_flight == 0

            await rt.engine.drain(name, timeout=args.timeout, settle=settled)
            await rt.engine.stop()
            counts = await rt.service.counts(name)
            ops = await rt.service.queue(name)
        for op in ops:
            reason = f": {_one_line(op.last_error)}" if op.last_error else ""
            context.warn(f"{op.account} {op.kind.value} {op.local_id} {op.state.value}{reason}")
        if counts.total == 0:
            context.print("everything is synced")
            return EXIT_OK
        context.print(
            f"{counts.pending} pending, {counts.failed} failed, {counts.conflict} in conflict, "
            f"{counts.needs_auth} need auth"
        )
        return EXIT_FAILED

    return _run_async(go())


def handle_queue(args: argparse.Namespace, context: CliContext) -> int:
    accounts = context.accounts.load()

    async def go() -> int:
        async with context.runtime(accounts) as rt:
            ops = await rt.service.queue()
        if args.json:
            _dump(context, [_op_json(op) for op in ops])
        elif not ops:
            context.print("nothing queued")
        else:
            for op in ops:
                reason = f"  {_one_line(op.last_error)}" if op.last_error else ""
                context.print(
                    f"{op.state.value:<10} {op.kind.value:<7} {op.account}\t"
                    f"{op.remote_id or op.local_id}{reason}"
                )
        return EXIT_OK

    return _run_async(go())


def handle_sandbox(args: argparse.Namespace, context: CliContext) -> int:
    try:
        server = importlib.import_module("calldesk.sandbox.server")
    except ModuleNotFoundError as exc:
        if exc.name != "calldesk.sandbox.server":
            raise
        raise NotBuiltError("sandbox", "the sandbox CRMs (calldesk.sandbox.server)") from None
    serve: Callable[[str, int], object] | None = getattr(server, "serve", None)
    if serve is None:
        raise NotBuiltError("sandbox", "calldesk.sandbox.server.serve")
    serve(args.host, args.port)
    return EXIT_OK
