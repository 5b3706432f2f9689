"""The accounts config file: which CRM logins calldesk knows, and where each one's key lives.

Accounts are kept in ``config_dir/accounts.toml``, one ``[[account]]`` table each::

    [[account]]
    name = "close-main"
    vendor = "close"
    base_url = "https://api.close.com"
    key_source = "keyring"          # or "env", with key_env = "CLOSE_API_KEY"

The file never holds a key. It is read with ``tomllib`` and written atomically (a temporary file
in the same directory, fsynced, then ``os.replace``) by the small TOML writer below, which only has
to write strings.

Base URL rules (``validate_base_url``): the vendor's origin — scheme, host, optional port and
optional path prefix, nothing else; plain ``http`` only for loopback hosts. ``calldesk.crm``
has the same rules (``validate_base_url``, ``DEFAULT_BASE_URLS``), but the store sits below it in
the layer order, so it keeps this copy; ``tests/cli`` checks that the two agree.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from calldesk.domain.model import Account, KeySource, Vendor
from calldesk.store.paths import Paths

ACCOUNTS_FILE = "accounts.toml"
FILE_VERSION = 1
MAX_NAME_LENGTH = 64
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FILE_MODE = 0o600


class AccountError(Exception):
    """An account could not be added, found, read or saved; the message says why."""


class AccountNotFoundError(AccountError):
    """No account has the requested name."""


class DuplicateAccountError(AccountError):
    """An account with that name already exists."""


class InvalidAccountError(AccountError):
    """An account's name, base URL or key source breaks the rules."""


class AccountsFileError(AccountError):
    """``accounts.toml`` exists but cannot be read or understood."""


@dataclass(frozen=True, slots=True)
class VendorUrlRule:
    """What a vendor's base URL must look like: its default (if any) and the form to suggest."""

    default: str | None
    form: str
    host_suffix: str | None = None


# Data, not code paths: each vendor's URL facts (see the vendor notes in shared/vendors/).
VENDOR_URL_RULES: Mapping[Vendor, VendorUrlRule] = {
    Vendor.APOLLO: VendorUrlRule(default="https://api.apollo.io", form="https://api.apollo.io"),
    Vendor.CLOSE: VendorUrlRule(default="https://api.close.com", form="https://api.close.com"),
    Vendor.PIPEDRIVE: VendorUrlRule(
        default=None, form="https://COMPANY.pipedrive.com", host_suffix=".pipedrive.com"
    ),
    Vendor.BUILDR: VendorUrlRule(default="https://api.buildr.com", form="https://api.buildr.com"),
}


def vendor_label(vendor: Vendor) -> str:
    """Return the vendor's name as people write it (``Close``, ``Pipedrive``)."""
    return vendor.value.capitalize()


def default_base_url(vendor: Vendor) -> str:
    """Return the vendor's default API origin; raise when the vendor has none (Pipedrive)."""
    rule = VENDOR_URL_RULES[vendor]
    if rule.default is None:
        raise InvalidAccountError(
            f"{vendor_label(vendor)} has no default base URL; "
            f"give your company's, of the form {rule.form}"
        )
    return rule.default


def is_loopback_host(host: str) -> bool:
    """Return True for ``localhost``, 127.0.0.0/8 and ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(vendor: Vendor, url: str) -> str:
    """Check a base URL against the rules and return it normalised (no trailing slash).

    Raises ``InvalidAccountError`` naming the problem.
    """
    text = url.strip()
    rule = VENDOR_URL_RULES[vendor]
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidAccountError(f"base URL {text!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise InvalidAccountError(
            f"base URL {text!r} must start with https:// and name a host, e.g. {rule.form}"
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidAccountError("base URL must not contain a user name or password")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise InvalidAccountError(
            f"base URL {text!r} must be an origin with an optional path, "
            "without ?query or #fragment"
        )
    loopback = is_loopback_host(host)
    if scheme == "http" and not loopback:
        raise InvalidAccountError(
            f"base URL {text!r} uses plain http; only https is allowed "
            "(http only for this computer: localhost, 127.0.0.1, ::1)"
        )
    if rule.host_suffix and not loopback and not host.endswith(rule.host_suffix):
        raise InvalidAccountError(
            f"{vendor_label(vendor)} base URL must be of the form {rule.form}, not {text!r}"
        )
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, "", ""))


def validate_account_name(name: str) -> str:
    """Return the name if it is usable as an account name; raise ``InvalidAccountError`` if not."""
    if not name or not name.strip():
        raise InvalidAccountError("account name must not be empty")
    if name != name.strip():
        raise InvalidAccountError("account name must not start or end with spaces")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidAccountError(f"account name must be at most {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise InvalidAccountError("account name must not contain control characters")
    return name


def validate_env_name(name: str) -> str:
    """Return an environment variable name if well-formed (letters, digits, ``_``)."""
    if not _ENV_NAME.match(name):
        raise InvalidAccountError(
            f"{name!r} is not an environment variable name (letters, digits and _, "
            "not starting with a digit)"
        )
    return name


def validate_country(code: str) -> str:
    """Return a country code (``us`` -> ``US``) phone numbers know; refuse anything else."""
    from calldesk.schema.phones import known_country

    wanted = code.strip().upper()
    if not known_country(wanted):
        raise InvalidAccountError(
            f"{code!r} is not a country code phone numbers know: use two letters, e.g. US, GB, DE"
        )
    return wanted


def system_country(environ: Mapping[str, str] | None = None) -> str | None:
    """The computer's country from its locale (``LC_ALL``/``LC_CTYPE``/``LANG``: ``en_GB.UTF-8``
    -> ``GB``), or ``None`` when the locale names none (``C``, ``POSIX``)."""
    import locale

    env = os.environ if environ is None else environ
    candidates = [env.get(key, "") for key in ("LC_ALL", "LC_TELEPHONE", "LC_CTYPE", "LANG")]
    if environ is None:
        candidates.append(locale.getlocale()[0] or "")
    for text in candidates:
        language = text.split(".")[0].split("@")[0]
        if "_" in language:
            try:
                return validate_country(language.split("_")[1])
            except InvalidAccountError:
                continue
    return None


def phone_region(account: Account) -> str | None:
    """The country national phone numbers of ``account`` are read in: its own, else the
    computer's (``None`` when neither is known: then only ``+`` numbers are read)."""
    return account.country or system_country()


def make_account(
    name: str,
    vendor: Vendor,
    base_url: str | None,
    key_env: str | None = None,
    country: str | None = None,
) -> Account:
    """Build a checked ``Account``: the default base URL when none is given, keyring by default;
    ``country`` (two letters) reads the account's national phone numbers."""
    validate_account_name(name)
    url = validate_base_url(vendor, base_url if base_url is not None else default_base_url(vendor))
    key = (
        KeySource(kind="env", name=validate_env_name(key_env))
        if key_env is not None
        else KeySource(kind="keyring", name=name)
    )
    region = validate_country(country) if country else None
    return Account(name=name, vendor=vendor, base_url=url, key=key, country=region)


def _same_name(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


class AccountsConfig:
    """Reads and writes ``accounts.toml``; account names are unique (ignoring case)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_paths(cls, paths: Paths) -> AccountsConfig:
        """Return the accounts file in ``paths.config_dir``."""
        return cls(paths.config_dir / ACCOUNTS_FILE)

    def load(self) -> list[Account]:
        """Return every account, in file order (empty when the file does not exist yet)."""
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise AccountsFileError(f"cannot read {self.path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise AccountsFileError(f"{self.path} is not valid TOML: {exc}") from None
        return _accounts_from_toml(data, self.path)

    def get(self, name: str) -> Account:
        """Return the account called ``name``; raise ``AccountNotFoundError`` otherwise."""
        accounts = self.load()
        for account in accounts:
            if account.name == name:
                return account
        for account in accounts:
            if _same_name(account.name, name):
                return account
        known = ", ".join(a.name for a in accounts) or "none yet"
        raise AccountNotFoundError(f"no account named {name!r} (accounts: {known})")

    def add(self, account: Account) -> None:
        """Append a new account; raise ``DuplicateAccountError`` when the name is taken."""
        accounts = self.load()
        _check_account(account)
        if any(_same_name(a.name, account.name) for a in accounts):
            raise DuplicateAccountError(f"an account named {account.name!r} already exists")
        self.save([*accounts, account])

    def remove(self, name: str) -> Account:
        """Remove the account called ``name`` and return it."""
        account = self.get(name)
        self.save([a for a in self.load() if a.name != account.name])
        return account

    def save(self, accounts: Sequence[Account]) -> None:
        """Replace the file's contents with ``accounts``, atomically."""
        seen: list[str] = []
        for account in accounts:
            _check_account(account)
            if any(_same_name(n, account.name) for n in seen):
                raise DuplicateAccountError(f"an account named {account.name!r} already exists")
            seen.append(account.name)
        write_text_atomically(self.path, accounts_to_toml(accounts))


def _check_account(account: Account) -> None:
    validate_account_name(account.name)
    validate_base_url(account.vendor, account.base_url)
    if account.key.kind == "env":
        validate_env_name(account.key.name)
    elif account.key.name != account.name:
        raise InvalidAccountError(f"account {account.name!r}: keyring entry must use its own name")


def _accounts_from_toml(data: Mapping[str, object], path: Path) -> list[Account]:
    entries = data.get("account", [])
    if not isinstance(entries, list):
        raise AccountsFileError(f"{path}: 'account' must be an array of tables ([[account]])")
    accounts: list[Account] = []
    for index, entry in enumerate(entries, start=1):
        where = f"{path}: account #{index}"
        if not isinstance(entry, dict):
            raise AccountsFileError(f"{where} must be a table")
        try:
            account = _account_from_table(entry)
        except (AccountError, KeyError, ValueError) as exc:
            message = exc.args[0] if exc.args else str(exc)
            raise AccountsFileError(f"{where}: {message}") from None
        if any(_same_name(a.name, account.name) for a in accounts):
            raise AccountsFileError(f"{where}: the name {account.name!r} is used twice")
        accounts.append(account)
    return accounts


def _string(entry: Mapping[str, object], key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        raise InvalidAccountError(f"'{key}' must be a string")
    return value


def _account_from_table(entry: Mapping[str, object]) -> Account:
    name = _string(entry, "name")
    vendor_text = _string(entry, "vendor")
    try:
        vendor = Vendor(vendor_text)
    except ValueError:
        choices = ", ".join(v.value for v in Vendor)
        raise InvalidAccountError(f"unknown vendor {vendor_text!r} (one of {choices})") from None
    source = _string(entry, "key_source")
    if source == "env":
        key_env: str | None = _string(entry, "key_env")
    elif source == "keyring":
        key_env = None
    else:
        raise InvalidAccountError(f'\'key_source\' must be "keyring" or "env", not {source!r}')
    country = _string(entry, "country") if "country" in entry else None
    return make_account(name, vendor, _string(entry, "base_url"), key_env, country)


# -- a tiny TOML writer: accounts only ever hold strings ------------------------------------------

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(value: str) -> str:
    """Return ``value`` as a TOML basic string (quoted, with escapes)."""
    out: list[str] = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _account_table(account: Account) -> Iterable[str]:
    yield "[[account]]"
    yield f"name = {toml_string(account.name)}"
    yield f"vendor = {toml_string(account.vendor.value)}"
    yield f"base_url = {toml_string(account.base_url)}"
    yield f"key_source = {toml_string(account.key.kind)}"
    if account.key.kind == "env":
        yield f"key_env = {toml_string(account.key.name)}"
    if account.country:
        yield f"country = {toml_string(account.country)}"


def accounts_to_toml(accounts: Sequence[Account]) -> str:
    """Return the text of ``accounts.toml`` for ``accounts``."""
    lines = [
        "# calldesk accounts: one [[account]] table per CRM login.",
        "# API keys are never written here: they live in the system keyring or in an",
        '# environment variable (key_source = "env", key_env = NAME).',
        f"version = {FILE_VERSION}",
    ]
    for account in accounts:
        lines.append("")
        lines.extend(_account_table(account))
    return "\n".join(lines) + "\n"


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old or the new file, never a torn one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(_FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
