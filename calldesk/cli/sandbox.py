"""``calldesk sandbox``: serve the sandbox CRMs (all four vendors) on a host and port."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable

from calldesk.cli.base import EXIT_OK, CliContext, NotBuiltError


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is between 0 and 65535")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``sandbox``'s options to its parser."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_port, default=0, metavar="N")
    parser.set_defaults(handler=handle_sandbox)


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
