"""Unsaved edits: what the rep typed but did not save, kept in the store while they type.

``DraftKeeper`` stores the open editor's texts a moment after each change (``DRAFT_DELAY_MS``)
under one draft id per editing session, keeps the drafts of saved calls by local id (so a call
opens with them), drops a draft once its call is saved, and reads them all back at start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

if TYPE_CHECKING:
    from calldesk.store.drafts import Draft
    from calldesk.ui.context import WindowContext

DRAFT_DELAY_MS = 600
Editing = tuple[str, "str | None"]
"""The open call: ``(account, local_id)``, ``local_id`` None for a new call."""


def new_draft_id() -> str:
    """A fresh key for the unsaved draft (32 random hex digits; no ``uuid`` import at start-up)."""
    return os.urandom(16).hex()


class DraftKeeper(QObject):
    """Keeps the open record's unsaved edits (see the module docstring)."""

    def __init__(
        self,
        context: WindowContext,
        editing: Callable[[], Editing | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._editing = editing
        self.draft_id = new_draft_id()
        self.pending: tuple[str, dict[str, str]] | None = None  # (account, raw texts)
        self._by_record: dict[str, Draft] = {}
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DRAFT_DELAY_MS)
        self.timer.timeout.connect(lambda: context.spawn(self.store()))

    def begin(self, draft: Draft | None = None) -> None:
        """A record was opened: a fresh draft id, or carry on with ``draft`` (its texts)."""
        if draft is None:
            self.draft_id = new_draft_id()
            self.pending = None
        else:
            self.draft_id = draft.draft_id
            self.pending = (draft.account, dict(draft.form))

    def changed(self, account: str, raw: dict[str, str]) -> None:
        """The editor's texts changed: store them a moment later."""
        self.pending = (account, dict(raw))
        self.timer.start()

    def for_record(self, local_id: str) -> Draft | None:
        """The unsaved edits of a saved call, if any."""
        return self._by_record.get(local_id)

    async def flush(self) -> None:
        """Store now what waits for the timer (before closing or switching backends)."""
        if self.timer.isActive():
            self.timer.stop()
            await self.store()

    async def store(self) -> None:
        editing = self._editing()
        if self.pending is None or editing is None:
            return
        account, raw = self.pending
        local_id = editing[1] if editing[0] == account else None
        await self._context.service.save_draft(self.draft_id, account, raw, local_id)

    async def saved(self, local_id: str | None) -> None:
        """The open record was saved: its draft goes."""
        self.timer.stop()
        await self._context.service.drop_draft(self.draft_id)
        if local_id is not None:
            self._by_record.pop(local_id, None)
        self.pending = None

    def stop(self) -> None:
        """Save is under way: no store of the texts being saved."""
        self.timer.stop()

    async def load(self) -> list[Draft]:
        """Every stored draft of a connected account, newest first (saved calls' kept by id)."""
        accounts = self._context.service.accounts()
        drafts = [d for d in await self._context.service.drafts() if d.account in accounts]
        self._by_record = {d.local_id: d for d in reversed(drafts) if d.local_id is not None}
        return drafts
