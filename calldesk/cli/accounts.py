"""``calldesk accounts add|list|remove``: the CRM accounts in ``accounts.toml`` and their keys
(the OS keyring, or an environment variable the account names)."""

from __future__ import annotations

import argparse
import getpass
import json
import logging

from calldesk.cli.base import EXIT_INVALID, EXIT_OK, CliContext, CliError
from calldesk.domain.model import Account, Vendor
from calldesk.store.accounts import VENDOR_URL_RULES, AccountError, make_account, vendor_label
from calldesk.store.secrets import SecretError, check_key_shape

_log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``accounts`` actions to its parser."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add an account (the key goes to the keyring)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--vendor", required=True, choices=[v.value for v in Vendor])
    add.add_argument("--base-url", metavar="URL", help="the CRM's API origin")
    add.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="read the API key from environment variable VAR instead of the keyring",
    )
    add.add_argument(
        "--country",
        metavar="CC",
        help="the country national phone numbers are read in (two letters, e.g. US; "
        "default: this computer's locale)",
    )
    add.set_defaults(handler=handle_add)
    listing = actions.add_parser("list", help="list accounts (never the keys)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(handler=handle_list)
    remove = actions.add_parser("remove", help="remove an account and its stored key")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=handle_remove)


def _read_key(context: CliContext, name: str) -> str:
    stdin = context.streams.stdin
    if stdin.isatty():
        key = getpass.getpass(f"API key for {name}: ", stream=context.streams.stderr)
    else:
        key = stdin.read()
    return key.strip()


def handle_add(args: argparse.Namespace, context: CliContext) -> int:
    vendor = Vendor(args.vendor)
    rule = VENDOR_URL_RULES[vendor]
    if args.base_url is None and rule.default is None:
        raise CliError(
            f"{vendor_label(vendor)} has no default base URL: pass --base-url {rule.form}",
            exit_code=EXIT_INVALID,
        )
    try:
        account = make_account(args.name, vendor, args.base_url, args.api_key_env, args.country)
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


def handle_list(args: argparse.Namespace, context: CliContext) -> int:
    accounts = context.accounts.load()
    if args.json:
        rows = [
            {
                "name": a.name,
                "vendor": a.vendor.value,
                "base_url": a.base_url,
                "key_source": a.key.kind,
                "key_env": a.key.name if a.key.kind == "env" else None,
                "country": a.country,
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


def handle_remove(args: argparse.Namespace, context: CliContext) -> int:
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
