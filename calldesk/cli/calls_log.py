"""``calldesk calls log``: queue new calls straight into the store, for people and scripts.

One call from ``FIELD=VALUE`` arguments, or every line of a JSON Lines file (``--from-jsonl
FILE``; ``-`` reads stdin), one call per line as ``{"field": "value", ...}`` with the values as
they would be typed. No engine, network or keyring is opened (``calldesk sync`` sends the calls):
the store and the schema are all a log costs. Each line is validated on its own: the valid ones
are logged (one transaction per batch) and their local ids printed in line order; every refused
line is reported on stderr as ``line N: field: reason``, and the exit code is then 2.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.cli.base import (
    EXIT_INVALID,
    EXIT_OK,
    CliContext,
    CliError,
    InvalidInputError,
    one_line,
)
from calldesk.cli.helpers import (
    account_and_schema,
    dump,
    parse_and_validate,
    parse_assignments,
    record_json,
)
from calldesk.store.accounts import phone_region

if TYPE_CHECKING:
    from calldesk.sync.logbook import LineResult


def configure(sub: argparse.ArgumentParser) -> None:
    """The ``log`` action's own arguments (``--account`` and ``--json`` are added by the caller)."""
    sub.add_argument("assignments", nargs="*", metavar="FIELD=VALUE")
    sub.add_argument(
        "--from-jsonl",
        metavar="FILE",
        help="log every line of a JSON Lines file (- for stdin), one call per line",
    )


def handle_log(args: argparse.Namespace, context: CliContext) -> int:
    from calldesk.store.db import StoreError

    try:
        return _handle_log(args, context)
    except StoreError as exc:
        raise CliError(one_line(str(exc))) from None


def _handle_log(args: argparse.Namespace, context: CliContext) -> int:
    account, schema = account_and_schema(context, args.account)
    if args.from_jsonl is not None:
        if args.assignments:
            raise InvalidInputError("give the fields as FIELD=VALUE or --from-jsonl FILE, not both")
        return _log_file(args, context)
    if not args.assignments:
        raise InvalidInputError("give the call's fields as FIELD=VALUE, or --from-jsonl FILE")
    region = phone_region(account)
    values = parse_and_validate(schema, args.assignments, "create", region=region)
    raw = parse_assignments(args.assignments)
    for notice in [*schema.phone_notices(raw, region=region), *schema.notices(values)]:
        context.warn(f"warning: {notice.message}")
    with context.logbook(account, schema) as book:
        (local_id,) = book.log([values])
        record = book.record(local_id)
    if args.json and record is not None:
        dump(context, record_json(record))
    else:
        context.print(local_id)
    return EXIT_OK


def _log_file(args: argparse.Namespace, context: CliContext) -> int:
    account, schema = account_and_schema(context, args.account)  # cached: no second load
    results: list[dict[str, object]] = []
    logged = refused = 0
    with ExitStack() as stack:
        if args.from_jsonl == "-":
            stream = context.streams.stdin
        else:
            path = Path(args.from_jsonl)
            try:
                stream = stack.enter_context(path.open(encoding="utf-8", errors="replace"))
            except OSError as exc:
                raise CliError(f"{path}: {exc.strerror or exc}", exit_code=EXIT_INVALID) from None
        book = stack.enter_context(context.logbook(account, schema))
        for result in book.log_lines(stream):
            if result.local_id is not None:
                logged += 1
            else:
                refused += 1
                for reason in result.errors:
                    context.streams.stderr.write(f"line {result.line}: {reason}\n")
            if args.json:
                results.append(_result_json(result))
            elif result.local_id is not None:
                context.print(result.local_id)
    if args.json:
        dump(context, sorted(results, key=lambda result: int(str(result["line"]))))
    context.warn(
        f"logged {logged} call{'s' * (logged != 1)}"
        + (f"; {refused} line{'s' * (refused != 1)} refused" if refused else "")
    )
    return EXIT_INVALID if refused else EXIT_OK


def _result_json(result: LineResult) -> dict[str, object]:
    if result.local_id is not None:
        return {"line": result.line, "local_id": result.local_id}
    return {"line": result.line, "errors": list(result.errors)}
