"""Where calldesk keeps its files: config, data, cache and logs.

By default the directories come from ``platformdirs`` (app name ``calldesk``). Setting the
environment variable ``CALLDESK_HOME=DIR`` puts all of them under ``DIR`` instead
(``DIR/config``, ``DIR/data``, ``DIR/cache``, ``DIR/logs``), which tests and portable installs use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

APP_NAME = "calldesk"
#: The local database, in ``data_dir``.
DB_FILENAME = "calldesk.sqlite3"
HOME_ENV = "CALLDESK_HOME"
_DIR_MODE = 0o700


class Paths(NamedTuple):
    """The four directories calldesk writes to (a named tuple: no ``dataclasses`` import on the
    window's start-up path)."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @classmethod
    def under(cls, home: Path) -> Paths:
        """Return the layout that keeps everything below one directory."""
        return cls(
            config_dir=home / "config",
            data_dir=home / "data",
            cache_dir=home / "cache",
            log_dir=home / "logs",
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Paths:
        """Return ``CALLDESK_HOME``'s layout when it is set, else the platform's directories."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            return cls.under(Path(home).expanduser().absolute())
        import platformdirs

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME)),
        )

    @property
    def all(self) -> tuple[Path, ...]:
        """Every directory, in a stable order."""
        return (self.config_dir, self.data_dir, self.cache_dir, self.log_dir)

    def ensure(self) -> Paths:
        """Create the directories (private to the user, mode 0700) and return ``self``."""
        for directory in self.all:
            directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
            if os.name == "posix":
                directory.chmod(_DIR_MODE)
        return self
