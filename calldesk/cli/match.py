"""``calldesk match --account NAME NUMBER [--json]``: who has this number in the account's CRM
(caller ID for scripts and softphones). Prints one line per candidate (kind, id, name, matched
number, what it belongs to) or a JSON array; exit 0 with one or more, 3 with none, 2 when the
number is impossible, 1 when the CRM can't be asked and nothing is cached. National numbers are
read with the account's country; a possible but unknown number is searched with a warning."""

from __future__ import annotations

import argparse

from calldesk.cli.base import EXIT_INVALID, EXIT_OK, CliContext, CliError
from calldesk.cli.helpers import dump, run_async
from calldesk.domain import PhoneMatch
from calldesk.schema import FieldValueError
from calldesk.schema.phones import pretty_phone

#: ``match``'s exit code when nobody in the CRM has the number.
EXIT_NO_MATCH = 3


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``match``'s arguments to its parser."""
    parser.add_argument("--account", required=True, metavar="NAME")
    parser.add_argument("number", metavar="NUMBER", help="as typed: +1 650 555 1234, 650-555-1234")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument(
        "--refresh", action="store_true", help="ask the CRM even when a fresh answer is cached"
    )
    parser.set_defaults(handler=handle_match)


def match_json(match: PhoneMatch) -> dict[str, object]:
    return {
        "kind": match.kind,
        "id": match.id,
        "name": match.name,
        "number": match.number,
        "detail": match.detail,
        "related": [{"kind": kind, "id": ident} for kind, ident in match.related],
    }


def handle_match(args: argparse.Namespace, context: CliContext) -> int:
    from calldesk.sync.callerid import CallerIdError

    account = context.account(args.account)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            try:
                reading = rt.callerid.read(account.name, args.number)
            except FieldValueError as exc:
                raise CliError(f"{args.number}: {exc.message}", exit_code=EXIT_INVALID) from None
            for note in reading.notes():
                context.warn(f"warning: {note}")
            try:
                result = await rt.callerid.match(account.name, args.number, refresh=args.refresh)
            except CallerIdError as exc:
                raise CliError(str(exc)) from None
        if not result.answered:
            raise CliError(f"{result.problem}; no earlier answer for {reading.pretty} is cached")
        if result.problem and result.searched_at is not None:
            when = result.searched_at.astimezone().strftime("%Y-%m-%d %H:%M")
            context.warn(f"warning: {result.problem}; this is its answer of {when}")
        if args.json:
            dump(context, [match_json(m) for m in result.matches])
        else:
            for m in result.matches:
                line = "\t".join([m.kind, m.id, m.name, pretty_phone(m.number), m.detail])
                context.print(line.rstrip("\t"))
        if not result.matches:
            context.warn(f"nobody in {account.name} has {reading.pretty}")
            return EXIT_NO_MATCH
        return EXIT_OK

    return run_async(go())
