from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calldesk.domain.model import Account, KeySource, Vendor
from calldesk.store.accounts import (
    VENDOR_URL_RULES,
    AccountNotFoundError,
    AccountsConfig,
    AccountsFileError,
    DuplicateAccountError,
    InvalidAccountError,
    accounts_to_toml,
    default_base_url,
    make_account,
    toml_string,
    validate_base_url,
)
from calldesk.store.paths import Paths


@pytest.fixture
def config() -> AccountsConfig:
    return AccountsConfig.for_paths(Paths.from_env())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.close.com", "https://api.close.com"),
        ("https://api.close.com/", "https://api.close.com"),
        ("HTTPS://API.Close.com:8443/prefix/", "https://api.close.com:8443/prefix"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://127.8.9.10/close", "http://127.8.9.10/close"),
        ("http://localhost:1234/x", "http://localhost:1234/x"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_valid_base_urls_are_normalised(url: str, expected: str) -> None:
    assert validate_base_url(Vendor.CLOSE, url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://api.close.com", "plain http"),
        ("http://10.0.0.1:8000", "plain http"),
        ("http://localhost.evil.com", "plain http"),
        ("ftp://api.close.com", "https://"),
        ("api.close.com", "https://"),
        ("https://", "https://"),
        ("https://user:pw@api.close.com", "user name or password"),
        ("https://api.close.com/?x=1", "query"),
        ("https://api.close.com/#frag", "fragment"),
        ("https://api.close.com:99999", "not a valid URL"),
    ],
)
def test_invalid_base_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(InvalidAccountError, match=reason):
        validate_base_url(Vendor.CLOSE, url)


def test_pipedrive_needs_a_company_domain() -> None:
    assert (
        validate_base_url(Vendor.PIPEDRIVE, "https://acme.pipedrive.com/")
        == "https://acme.pipedrive.com"
    )
    assert validate_base_url(Vendor.PIPEDRIVE, "http://127.0.0.1:9/pd") == "http://127.0.0.1:9/pd"
    with pytest.raises(InvalidAccountError, match=r"https://COMPANY\.pipedrive\.com"):
        validate_base_url(Vendor.PIPEDRIVE, "https://pipedrive.example.com")
    with pytest.raises(InvalidAccountError, match=r"no default base URL.*COMPANY\.pipedrive"):
        default_base_url(Vendor.PIPEDRIVE)


def test_vendor_defaults() -> None:
    assert default_base_url(Vendor.APOLLO) == "https://api.apollo.io"
    assert default_base_url(Vendor.CLOSE) == "https://api.close.com"
    assert default_base_url(Vendor.BUILDR) == "https://api.buildr.com"


@pytest.mark.parametrize("name", ["", " ", " lead", "trail ", "a\tb", "x" * 65])
def test_bad_account_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidAccountError):
        make_account(name, Vendor.CLOSE, None)


def test_bad_env_names_are_refused() -> None:
    with pytest.raises(InvalidAccountError, match="environment variable name"):
        make_account("a", Vendor.CLOSE, None, key_env="1BAD-NAME")


def test_add_load_remove_round_trip(config: AccountsConfig) -> None:
    assert config.load() == []
    close = make_account("Close main", Vendor.CLOSE, None)
    buildr = make_account("b", Vendor.BUILDR, None, key_env="BUILDR_KEY")
    config.add(close)
    config.add(buildr)
    assert config.load() == [close, buildr]
    assert close.key == KeySource(kind="keyring", name="Close main")
    assert config.get("close MAIN") == close
    assert config.remove("Close main") == close
    assert config.load() == [buildr]


def test_names_are_unique_ignoring_case(config: AccountsConfig) -> None:
    config.add(make_account("Work", Vendor.CLOSE, None))
    with pytest.raises(DuplicateAccountError, match="'work' already exists"):
        config.add(make_account("work", Vendor.APOLLO, None))
    assert [a.name for a in config.load()] == ["Work"]


def test_unknown_account_names_the_known_ones(config: AccountsConfig) -> None:
    config.add(make_account("one", Vendor.CLOSE, None))
    with pytest.raises(AccountNotFoundError, match=r"no account named 'two' \(accounts: one\)"):
        config.get("two")


def test_file_is_private_and_written_atomically(config: AccountsConfig) -> None:
    config.add(make_account("one", Vendor.CLOSE, None))
    assert stat.S_IMODE(config.path.stat().st_mode) == 0o600
    assert [p.name for p in config.path.parent.iterdir()] == ["accounts.toml"]


def test_failed_write_leaves_the_old_file(
    config: AccountsConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.add(make_account("one", Vendor.CLOSE, None))
    before = config.path.read_text()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("calldesk.store.accounts.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        config.add(make_account("two", Vendor.CLOSE, None))
    assert config.path.read_text() == before
    assert [p.name for p in config.path.parent.iterdir()] == ["accounts.toml"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("account = [", "not valid TOML"),
        ("account = 3", "array of tables"),
        (
            '[[account]]\nname = "a"\nvendor = "hubspot"\nbase_url = "https://x.io"\n'
            'key_source = "keyring"',
            "unknown vendor 'hubspot'",
        ),
        (
            '[[account]]\nname = "a"\nvendor = "close"\nbase_url = "http://x.io"\n'
            'key_source = "keyring"',
            "plain http",
        ),
        (
            '[[account]]\nname = "a"\nvendor = "close"\nbase_url = "https://x.io"\n'
            'key_source = "file"',
            "key_source",
        ),
        (
            '[[account]]\nvendor = "close"\nbase_url = "https://x.io"\nkey_source = "keyring"',
            "'name' must be a string",
        ),
        (
            '[[account]]\nname = "a"\nvendor = "close"\nbase_url = "https://x.io"\n'
            'key_source = "keyring"\n[[account]]\nname = "A"\nvendor = "close"\n'
            'base_url = "https://x.io"\nkey_source = "keyring"',
            "used twice",
        ),
    ],
)
def test_broken_files_are_reported_with_the_path(
    config: AccountsConfig, text: str, message: str
) -> None:
    config.path.parent.mkdir(parents=True)
    config.path.write_text(text)
    with pytest.raises(AccountsFileError, match=message) as info:
        config.load()
    assert str(config.path) in str(info.value)


def test_toml_written_is_read_back_by_tomllib(tmp_path: Path) -> None:
    accounts = [
        make_account('quote " back \\ slash', Vendor.CLOSE, None),
        make_account("ünïcødé ☎", Vendor.PIPEDRIVE, "https://x.pipedrive.com", key_env="PD"),
    ]
    data = tomllib.loads(accounts_to_toml(accounts))
    assert data["version"] == 1
    assert [entry["name"] for entry in data["account"]] == [a.name for a in accounts]
    assert data["account"][1] == {
        "name": "ünïcødé ☎",
        "vendor": "pipedrive",
        "base_url": "https://x.pipedrive.com",
        "key_source": "env",
        "key_env": "PD",
    }
    path = tmp_path / "accounts.toml"
    config = AccountsConfig(path)
    config.save(accounts)
    assert config.load() == accounts


@given(st.text())
def test_toml_string_round_trips_any_text(value: str) -> None:
    assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


def test_save_refuses_duplicates(config: AccountsConfig) -> None:
    one = make_account("x", Vendor.CLOSE, None)
    with pytest.raises(DuplicateAccountError):
        config.save(
            [one, Account("X", Vendor.APOLLO, "https://api.apollo.io", KeySource("env", "K"))]
        )
    assert not config.path.exists()


def test_store_rules_agree_with_the_crm_layer() -> None:
    # The store cannot import calldesk.crm (layer order), so it keeps its own copy of the rules.
    from calldesk.crm import DEFAULT_BASE_URLS
    from calldesk.crm import validate_base_url as crm_validate

    for vendor in Vendor:
        assert DEFAULT_BASE_URLS.get(vendor) == VENDOR_URL_RULES[vendor].default
    for url in ("https://api.close.com/", "http://127.0.0.1:81/x", "http://[::1]:9"):
        assert crm_validate(url) == validate_base_url(Vendor.CLOSE, url)
    for url in ("http://api.close.com", "https://u:p@api.close.com", "https://a.io/?q=1"):
        with pytest.raises(ValueError):
            crm_validate(url)
        with pytest.raises(InvalidAccountError):
            validate_base_url(Vendor.CLOSE, url)
