"""``calldesk calls list|show|log|update|delete|attach``: one account's calls, read from the
cache and changed through the durable outbox (``calldesk sync`` sends the changes)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from calldesk.cli import calls_log
from calldesk.cli.base import EXIT_INVALID, EXIT_OK, CliContext, CliError, InvalidInputError
from calldesk.cli.helpers import (
    account_and_schema,
    dump,
    error_lines,
    op_json,
    parse_assignments,
    record_json,
    run_async,
    summary_json,
)
from calldesk.cli.main import Handler
from calldesk.store.accounts import phone_region


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``calls`` actions to its parser."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument("--account", required=True, metavar="NAME")
        sub.set_defaults(handler=handler)
        return sub

    sub = action("list", "list an account's calls", handle_list)
    sub.add_argument("--refresh", action="store_true", help="fetch from the CRM first")
    sub.add_argument("--json", action="store_true")
    sub = action("show", "show one call", handle_show)
    sub.add_argument("id", metavar="ID")
    sub.add_argument("--json", action="store_true")
    sub = action("log", "queue new calls (FIELD=VALUE, or --from-jsonl); prints local ids", log)
    calls_log.configure(sub)
    sub.add_argument("--json", action="store_true")
    sub = action("update", "queue a change to a call", handle_update)
    sub.add_argument("id", metavar="ID", help="the CRM's id or a local id")
    sub.add_argument("assignments", nargs="+", metavar="FIELD=VALUE")
    sub.add_argument("--json", action="store_true")
    sub = action("delete", "queue a call's deletion", handle_delete)
    sub.add_argument("id", metavar="ID")
    sub = action("attach", "queue a recording upload", handle_attach)
    sub.add_argument("id", metavar="ID")
    sub.add_argument("file", metavar="FILE", type=Path)


def handle_list(args: argparse.Namespace, context: CliContext) -> int:
    from calldesk.store.calls import CallQuery

    account, _schema = account_and_schema(context, args.account)

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
            dump(context, [summary_json(c) for c in calls])
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

    return run_async(go())


def handle_show(args: argparse.Namespace, context: CliContext) -> int:
    account, _schema = account_and_schema(context, args.account)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            record = await rt.service.find(account.name, args.id)
            ops = await rt.service.queue(account.name)
        mine = [op_json(op) for op in ops if op.local_id == record.local_id]
        if args.json:
            dump(context, {**record_json(record), "operations": mine})
        else:
            context.print(f"{record.remote_id or record.local_id} ({record.state.value})")
            for name, value in sorted(record.fields.items()):
                context.print(f"  {name}: {value}")
            for op in mine:
                context.print(f"  queued {op['kind']}: {op['state']} {op['last_error'] or ''}")
        return EXIT_OK

    return run_async(go())


def log(args: argparse.Namespace, context: CliContext) -> int:
    """``calls log`` (``calldesk.cli.calls_log``)."""
    return calls_log.handle_log(args, context)


def handle_update(args: argparse.Namespace, context: CliContext) -> int:
    account, schema = account_and_schema(context, args.account)
    region = phone_region(account)
    raw = parse_assignments(args.assignments)
    values, errors = schema.parse_inputs(raw, region=region)
    if errors:
        raise InvalidInputError(*error_lines(errors))
    for notice in schema.phone_notices(raw, region=region):
        context.warn(f"warning: {notice.message}")

    async def go() -> int:
        async with context.runtime([account]) as rt:
            record = await rt.service.update_call(account.name, args.id, values)
        if args.json:
            dump(context, record_json(record))
        else:
            context.print(record.local_id)
        return EXIT_OK

    return run_async(go())


def handle_delete(args: argparse.Namespace, context: CliContext) -> int:
    account, _schema = account_and_schema(context, args.account)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            op = await rt.service.delete_call(account.name, args.id)
        context.print("deleted locally; nothing to send" if op is None else f"queued {op.op_id}")
        return EXIT_OK

    return run_async(go())


def handle_attach(args: argparse.Namespace, context: CliContext) -> int:
    account, _schema = account_and_schema(context, args.account)
    path: Path = args.file
    if not path.is_file():
        raise CliError(f"{path}: no such file", exit_code=EXIT_INVALID)

    async def go() -> int:
        async with context.runtime([account]) as rt:
            op = await rt.service.attach_recording(account.name, args.id, path)
        context.print(f"queued {op.op_id}")
        return EXIT_OK

    return run_async(go())
