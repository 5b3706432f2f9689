"""Helpers the command handlers share: ``FIELD=VALUE`` parsing and checking, running a handler's
coroutine with the engine's errors turned into ``CliError``, and the JSON forms of records,
summaries and queued operations.

Loaded by a command module only when its command runs; asyncio, httpx and the services load
later still, inside ``run_async``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from calldesk.cli.base import CliContext, CliError, InvalidInputError, one_line

if TYPE_CHECKING:
    from calldesk.domain.model import Account, CallRecord, FieldError, Operation
    from calldesk.schema import VendorSchema
    from calldesk.store.calls import CallSummary


def seconds_arg(text: str) -> float:
    """argparse type: a number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the timeout must be more than 0 seconds")
    return value


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
        elif (bad := _undecodable(item)) is not None:
            problems.append(f"{_printable(name)}: {bad}")
        else:
            raw[name] = value
    if problems:
        raise InvalidInputError(*problems)
    return raw


def _undecodable(text: str) -> str | None:
    """Why an argument is not valid UTF-8 text (Python keeps such bytes as lone surrogates)."""
    for at, char in enumerate(text):
        if "\udc80" <= char <= "\udcff":
            byte = ord(char) - 0xDC00
            return f"is not valid UTF-8 text (byte 0x{byte:02x} at character {at + 1})"
    return None


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def error_lines(errors: Sequence[FieldError]) -> list[str]:
    """One ``field: message`` line per distinct error."""
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
    *,
    region: str | None = None,
) -> dict[str, object]:
    """Turn ``FIELD=VALUE`` text into checked values; raise ``CliError`` (exit 2) listing errors.

    ``region`` is the country national phone numbers are read in (the account's)."""
    values, errors = schema.parse_inputs(parse_assignments(assignments), region=region)
    unreadable = {e.field for e in errors}
    errors += [e for e in schema.validate(values, op=op) if e.field not in unreadable]
    if errors:
        raise InvalidInputError(*error_lines(errors))
    return values


def account_and_schema(context: CliContext, name: str) -> tuple[Account, VendorSchema]:
    """The named account and its vendor's schema (``AccountError`` when there is no such one)."""
    account = context.account(name)
    return account, context.schema(account.vendor)


def run_async(coro: Coroutine[Any, Any, int]) -> int:
    """Run a handler's coroutine; the services' expected errors become ``CliError``."""
    import asyncio

    from calldesk.crm import CrmError
    from calldesk.store.db import StoreError
    from calldesk.sync.recordings import RecordingRejected
    from calldesk.sync.services import ServiceError, ValidationFailed

    try:
        return asyncio.run(coro)
    except ValidationFailed as exc:
        raise InvalidInputError(*error_lines(exc.errors)) from None
    except (ServiceError, RecordingRejected) as exc:
        raise CliError(one_line(str(exc))) from None
    except CrmError as exc:
        raise CliError(one_line(str(exc) or type(exc).__name__)) from None
    except StoreError as exc:
        raise CliError(one_line(str(exc))) from None


def record_json(record: CallRecord) -> dict[str, object]:
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


def summary_json(summary: CallSummary) -> dict[str, object]:
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


def op_json(op: Operation) -> dict[str, object]:
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


def dump(context: CliContext, data: object) -> None:
    """Print ``data`` as indented JSON with sorted keys."""
    context.print(json.dumps(data, indent=2, sort_keys=True, default=str))
