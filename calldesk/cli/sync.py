"""``calldesk sync`` (send the outbox now and say what is left) and ``calldesk queue`` (list the
pending, failed and conflicted operations)."""

from __future__ import annotations

import argparse

from calldesk.cli.base import EXIT_FAILED, EXIT_OK, CliContext, one_line
from calldesk.cli.helpers import dump, op_json, run_async, seconds_arg


def configure_sync(parser: argparse.ArgumentParser) -> None:
    """Add ``sync``'s options to its parser."""
    parser.add_argument("--account", metavar="NAME")
    parser.add_argument("--timeout", type=seconds_arg, metavar="SECONDS")
    parser.set_defaults(handler=handle_sync)


def configure_queue(parser: argparse.ArgumentParser) -> None:
    """Add ``queue``'s options to its parser."""
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=handle_queue)


def handle_sync(args: argparse.Namespace, context: CliContext) -> int:
    accounts = (
        [context.account(args.account)] if args.account is not None else context.accounts.load()
    )
    name = args.account

    async def go() -> int:
        async with context.runtime(accounts, start_engine=True) as rt:
            for missing, reason in rt.unavailable.items():
                context.warn(f"{missing}: {one_line(reason)}")

            async def settled() -> bool:
                counts = await rt.service.counts(name)
                return counts.pending + counts.in_flight == 0

            await rt.engine.drain(name, timeout=args.timeout, settle=settled)
            await rt.engine.stop()
            counts = await rt.service.counts(name)
            ops = await rt.service.queue(name)
        for op in ops:
            reason = f": {one_line(op.last_error)}" if op.last_error else ""
            context.warn(f"{op.account} {op.kind.value} {op.local_id} {op.state.value}{reason}")
        if counts.total == 0:
            context.print("everything is synced")
            return EXIT_OK
        context.print(
            f"{counts.pending} pending, {counts.failed} failed, {counts.conflict} in conflict, "
            f"{counts.needs_auth} need auth"
        )
        return EXIT_FAILED

    return run_async(go())


def handle_queue(args: argparse.Namespace, context: CliContext) -> int:
    accounts = context.accounts.load()

    async def go() -> int:
        async with context.runtime(accounts) as rt:
            ops = await rt.service.queue()
        if args.json:
            dump(context, [op_json(op) for op in ops])
        elif not ops:
            context.print("nothing queued")
        else:
            for op in ops:
                reason = f"  {one_line(op.last_error)}" if op.last_error else ""
                context.print(
                    f"{op.state.value:<10} {op.kind.value:<7} {op.account}\t"
                    f"{op.remote_id or op.local_id}{reason}"
                )
        return EXIT_OK

    return run_async(go())
