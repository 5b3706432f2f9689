"""Unsaved edits: what the rep typed but did not save, kept in the store while they type.

``DraftKeeper`` stores the open editor's texts a moment after each change (``DRAFT_DELAY_MS``)
under one draft id per editing session. When the rep leaves a record with unsaved edits (another
row, a new call), they are stored at once and kept by local id (a new call's by account), so the
record opens with them again; ``marks_changed`` lists the calls that have some (the list marks
them). A draft goes once its call is saved, or when the rep leaves with the form back as it
was. At start they are all read back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from calldesk.store.drafts import Draft

if TYPE_CHECKING:
    from calldesk.ui.context import WindowContext

DRAFT_DELAY_MS = 600
Editing = tuple[str, "str | None"]
"""The open call: ``(account, local_id)``, ``local_id`` None for a new call."""


def new_draft_id() -> str:
    """A fresh key for the unsaved draft (32 random hex digits; no ``uuid`` import at start-up)."""
    return os.urandom(16).hex()


class DraftKeeper(QObject):
    """Keeps the open record's unsaved edits (see the module docstring)."""

    marks_changed = Signal(object)  # frozenset of the local ids with unsaved edits

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
        self._pending_id: str | None = None  # the record ``pending`` belongs to
        self._by_record: dict[str, Draft] = {}
        self._new_calls: dict[str, Draft] = {}  # account -> a new call left unsaved
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
        editing = self._editing()
        self._pending_id = editing[1] if editing is not None and editing[0] == account else None
        self.pending = (account, dict(raw))
        self.timer.start()

    def for_record(self, local_id: str) -> Draft | None:
        """The unsaved edits of a saved call, if any."""
        return self._by_record.get(local_id)

    def for_new_call(self, account: str) -> Draft | None:
        """A new call of ``account`` the rep left unsaved, if any (taken: asked once)."""
        return self._new_calls.pop(account, None)

    def marked(self) -> frozenset[str]:
        """The calls with unsaved edits kept."""
        return frozenset(self._by_record)

    def leave(self, *, dirty: bool) -> None:
        """The rep leaves the open record: keep its unsaved edits (stored now), or, when the
        form is back as it was (``dirty`` False), forget them."""
        from datetime import UTC, datetime

        editing = self._editing()
        self.timer.stop()
        if editing is None:
            return
        account, local_id = editing
        pending = self.pending if self._pending_id == local_id else None
        self.pending = None
        if not dirty or pending is None or pending[0] != account:
            if local_id is not None and local_id in self._by_record:
                gone = self._by_record.pop(local_id)
                self._context.spawn(self._context.service.drop_draft(gone.draft_id))
                self.marks_changed.emit(self.marked())
            elif local_id is None and not dirty:
                self._context.spawn(self._context.service.drop_draft(self.draft_id))
            return
        draft = Draft(self.draft_id, account, local_id, dict(pending[1]), datetime.now(UTC))
        self._context.spawn(
            self._context.service.save_draft(draft.draft_id, account, draft.form, local_id)
        )
        if local_id is None:
            self._new_calls[account] = draft
        else:
            self._by_record[local_id] = draft
            self.marks_changed.emit(self.marked())

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
        await self._context.service.save_draft(self.draft_id, account, raw, self._pending_id)

    async def saved(self, local_id: str | None) -> None:
        """The open record was saved: its draft goes."""
        self.timer.stop()
        await self._context.service.drop_draft(self.draft_id)
        if local_id is not None and self._by_record.pop(local_id, None) is not None:
            self.marks_changed.emit(self.marked())
        self.pending = None

    def stop(self) -> None:
        """Save is under way: no store of the texts being saved."""
        self.timer.stop()

    async def load(self) -> list[Draft]:
        """Every stored draft of a connected account, newest first (saved calls' kept by id)."""
        accounts = self._context.service.accounts()
        drafts = [d for d in await self._context.service.drafts() if d.account in accounts]
        self._by_record = {d.local_id: d for d in reversed(drafts) if d.local_id is not None}
        self.marks_changed.emit(self.marked())
        return drafts
