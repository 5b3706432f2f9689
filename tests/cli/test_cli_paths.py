from __future__ import annotations

import stat
from pathlib import Path

import platformdirs

from calldesk.store.paths import Paths


def test_calldesk_home_puts_every_directory_under_it(calldesk_home: Path) -> None:
    paths = Paths.from_env()
    assert paths.config_dir == calldesk_home / "config"
    assert paths.data_dir == calldesk_home / "data"
    assert paths.cache_dir == calldesk_home / "cache"
    assert paths.log_dir == calldesk_home / "logs"


def test_without_calldesk_home_platformdirs_decide() -> None:
    paths = Paths.from_env({})
    assert paths.config_dir == Path(platformdirs.user_config_dir("calldesk"))
    assert paths.data_dir == Path(platformdirs.user_data_dir("calldesk"))
    assert paths.cache_dir == Path(platformdirs.user_cache_dir("calldesk"))
    assert paths.log_dir == Path(platformdirs.user_log_dir("calldesk"))


def test_blank_calldesk_home_is_ignored() -> None:
    assert Paths.from_env({"CALLDESK_HOME": "  "}) == Paths.from_env({})


def test_ensure_creates_private_directories(tmp_path: Path) -> None:
    paths = Paths.under(tmp_path / "deep" / "home").ensure()
    for directory in paths.all:
        assert directory.is_dir()
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_ensure_tightens_existing_directories(tmp_path: Path) -> None:
    paths = Paths.under(tmp_path)
    paths.config_dir.mkdir(mode=0o755)
    paths.config_dir.chmod(0o755)
    paths.ensure()
    assert stat.S_IMODE(paths.config_dir.stat().st_mode) == 0o700
