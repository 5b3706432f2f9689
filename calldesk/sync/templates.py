"""Note templates as the window and the command line use them: listed, saved, deleted, the
default for an outcome, and filled in for the local time (through the store's worker thread)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from calldesk.domain.templates import NoteTemplate, render_template
from calldesk.store.worker import DbWorker


class Templates:
    """The rep's note templates per account and outcome."""

    def __init__(self, worker: DbWorker, now: Callable[[], datetime] | None = None) -> None:
        self._worker = worker
        self._now = now or (lambda: datetime.now().astimezone())

    async def list(self, account: str) -> list[NoteTemplate]:
        return await self._worker.run(lambda s: s.templates.list(account))

    async def save(self, template: NoteTemplate) -> NoteTemplate:
        if not template.name.strip() or not template.body.strip():
            raise ValueError("A template needs a name and some text")
        return await self._worker.run(lambda s: s.templates.save(template))

    async def delete(self, template_id: int) -> None:
        await self._worker.run(lambda s: s.templates.delete(template_id))

    async def default_for(self, account: str, outcome: str) -> NoteTemplate | None:
        return await self._worker.run(lambda s: s.templates.default_for(account, outcome))

    def render(self, template: NoteTemplate, values: Mapping[str, str] | None = None) -> str:
        """The template's text for now (local time), placeholders filled in."""
        return render_template(template.body, self._now(), values)
