"""The command line's parser and dispatch: ``run(argv)`` parses the arguments, asks the
composition root (``calldesk.app``) for a ``CliContext`` and calls the command's handler.

Commands are registered in ``COMMANDS``: a name, the ``module:function`` that configures its
parser (adds its arguments and ``set_defaults(handler=...)``), a help line and its usage lines.
Only the module of the command being run is imported: the others appear in ``--help`` from their
registration alone. Adding a command is a new module under ``calldesk/cli/`` plus one entry here.

Handlers raise ``CliError`` for expected failures, which ``run`` prints as one line on stderr with
the error's exit code: 0 done; 1 failed (reason on stderr); 2 invalid input (one line per field
error, nothing stored); 3 the feature's engine is not built yet (the message names it).

This module imports only the standard library and ``calldesk.cli.base``; never Qt.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from calldesk.cli.base import (
    EXIT_INVALID,
    EXIT_OK,
    PROG,
    CliContext,
    CliError,
    CompositionRoot,
    Streams,
    default_root,
    exit_for,
)

Handler = Callable[[argparse.Namespace, CliContext], int]


@dataclass(frozen=True, slots=True)
class Command:
    """One top-level command: ``configure`` is ``"module:function"``, called with the command's
    own ``ArgumentParser``; ``usage`` lines follow ``calldesk`` in the help's usage summary."""

    name: str
    configure: str
    help: str
    usage: tuple[str, ...]


COMMANDS: tuple[Command, ...] = (
    Command(
        "accounts",
        "calldesk.cli.accounts:configure",
        "add, list and remove CRM accounts",
        (
            "accounts add NAME --vendor {apollo,close,pipedrive,buildr} [--base-url URL]\n"
            "                                   [--api-key-env VAR]",
            "accounts list [--json]",
            "accounts remove NAME",
        ),
    ),
    Command(
        "calls",
        "calldesk.cli.calls:configure",
        "list, show, log, update, delete calls",
        (
            "calls list --account NAME [--refresh] [--json]",
            "calls show --account NAME ID [--json]",
            "calls log --account NAME FIELD=VALUE ... [--json]",
            "calls log --account NAME --from-jsonl FILE|- [--json]",
            "calls update --account NAME ID FIELD=VALUE ... [--json]",
            "calls delete --account NAME ID",
            "calls attach --account NAME ID FILE",
        ),
    ),
    Command(
        "sync",
        "calldesk.cli.sync:configure_sync",
        "send queued changes now",
        ("sync [--account NAME] [--timeout SECONDS]",),
    ),
    Command(
        "queue",
        "calldesk.cli.sync:configure_queue",
        "show pending, failed and conflicted operations",
        ("queue [--json]",),
    ),
    Command(
        "transcribe",
        "calldesk.cli.transcribe:configure",
        "transcribe a recording on this machine",
        ("transcribe FILE [--engine NAME] [--model NAME|DIR] [--language CODE] [--json]",),
    ),
    Command(
        "match",
        "calldesk.cli.match:configure",
        "find who has a phone number in an account's CRM (caller ID)",
        ("match --account NAME NUMBER [--json] [--refresh]",),
    ),
    Command(
        "sandbox",
        "calldesk.cli.sandbox:configure",
        "serve the sandbox CRMs",
        ("sandbox [--host 127.0.0.1] [--port N]",),
    ),
)


def usage_summary(commands: Sequence[Command] = COMMANDS) -> str:
    """The help's epilog: every command form, one per line."""
    lines = [
        "usage summary:",
        f"  {PROG}                         the window",
        f"  {PROG} --demo                  the window, against the built-in sandbox CRMs with "
        "sample calls",
        f"  {PROG} --version",
    ]
    lines += [f"  {PROG} {usage}" for command in commands for usage in command.usage]
    lines += [
        "",
        "FIELD is the CRM's own API field name; VALUE is text, read by the field's type.",
        "Exit codes: 0 done, 1 failed, 2 invalid input, 3 not built yet (match: nobody has it).",
    ]
    return "\n".join(lines) + "\n"


def _configurer(command: Command) -> Callable[[argparse.ArgumentParser], None]:
    module_name, _, function = command.configure.partition(":")
    configure: Callable[[argparse.ArgumentParser], None] = getattr(
        importlib.import_module(module_name), function
    )
    return configure


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. Every command is listed; with ``only``, just that command's module is
    imported and its arguments added (``""``: none; ``None``: all of them)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Log sales calls into Apollo, Close, Pipedrive and Buildr. "
        "With no command, opens the window.",
        epilog=usage_summary(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the window against the built-in sandbox CRMs"
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    subparsers = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        if only is None or only == command.name:
            _configurer(command)(sub)
    return parser


def command_name(argv: Sequence[str]) -> str:
    """The command ``argv`` asks for ("" for none): its first word that is not an option (the
    top-level options take no values)."""
    return next((arg for arg in argv if not arg.startswith("-")), "")


def run(
    argv: Sequence[str], *, root: CompositionRoot | None = None, streams: Streams | None = None
) -> int:
    """Run one command line; returns the process exit code."""
    io = Streams.system() if streams is None else streams
    args_list = list(argv)
    parser = build_parser(only=command_name(args_list))
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else EXIT_INVALID
    handler: Handler | None = getattr(args, "handler", None)
    try:
        app = default_root() if root is None else root
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
