"""The accounts' defaults for new call logs, kept in the window's layout file.

What the rep made an account's defaults with "Use as defaults": the raw text of each of the
schema's ``account_default`` fields (ids for lookups), as drafts keep text. Stored as one JSON
value (account → field → text) under ``KEY``, so account names need no escaping as settings
keys; an unreadable value counts as no defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from PySide6.QtCore import QSettings

KEY = "editor/account_defaults"


class AccountDefaults:
    """Reads and writes the defaults in ``settings``."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def _all(self) -> dict[str, object]:
        try:
            stored = json.loads(str(self._settings.value(KEY, "{}")))
        except ValueError:
            return {}
        return stored if isinstance(stored, dict) else {}

    def get(self, account: str) -> dict[str, str]:
        """The account's defaults (empty texts left out)."""
        found = self._all().get(account)
        if not isinstance(found, dict):
            return {}
        return {str(k): str(v) for k, v in found.items() if isinstance(v, str) and v}

    def put(self, account: str, texts: Mapping[str, str]) -> dict[str, str]:
        """Make ``texts`` (non-empty ones) the account's defaults; return what was kept."""
        stored = self._all()
        kept = {name: text for name, text in texts.items() if text}
        if kept:
            stored[account] = kept
        else:
            stored.pop(account, None)
        self._settings.setValue(KEY, json.dumps(stored, sort_keys=True))
        self._settings.sync()
        return kept
