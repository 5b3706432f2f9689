"""Recordings of the open call: its drop zone under the editor, uploads and their progress.

``RecordingCoordinator`` builds one ``RecordingDropZone`` per account (from its vendor schema),
shows the open call's (or a "save first" hint while the call is new), attaches what is dropped
on it or on a line of the list, follows the queued uploads (progress from the backend's
``ProgressRelay``, done when they leave the queue, failed with the CRM's words) and offers a
recording's length as the call's duration.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from calldesk.ui.chrome import WindowChrome

if TYPE_CHECKING:
    from calldesk.domain import Operation
    from calldesk.sync.recordings import RecordingInfo
    from calldesk.ui.context import WindowContext
    from calldesk.ui.drafts import Editing
    from calldesk.ui.form import EditorForm
    from calldesk.ui.listing import CallListController
    from calldesk.ui.recording import RecordingDropZone

FAILED_UPLOAD = {"failed", "conflict", "needs-auth"}  # OpState values


class RecordingCoordinator(QObject):
    """The drop zones and the uploads they started (see the module docstring)."""

    save_and_attach = Signal()  # the "Save and attach…" button of a new call

    def __init__(
        self,
        context: WindowContext,
        chrome: WindowChrome,
        editing: Callable[[], Editing | None],
        open_form: Callable[[str], EditorForm | None],
        open_record: Callable[[str, str], Awaitable[None]],
    ) -> None:
        """``editing``: the open call; ``open_form(account)``: its form when it is the one
        shown; ``open_record``: opens a call in the editor."""
        super().__init__(chrome.zone_stack)
        from PySide6.QtWidgets import QSizePolicy

        self._context = context
        self._editing = editing
        self._open_form = open_form
        self._open_record = open_record
        self.zone_stack = chrome.zone_stack
        self.drop_hint = chrome.drop_hint
        self.zone_stack.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        from PySide6.QtWidgets import QPushButton

        self.save_attach_button = QPushButton(self.tr("Save and attach a recording…"))
        self.save_attach_button.setObjectName("save_and_attach")
        self.save_attach_button.setToolTip(
            self.tr("Save this call, then choose its recording file (Ctrl+Shift+A)")
        )
        self.save_attach_button.clicked.connect(self.save_and_attach)
        self.save_attach_button.hide()
        column = chrome.editor_column
        from PySide6.QtCore import Qt

        column.insertWidget(
            column.indexOf(self.drop_hint) + 1,
            self.save_attach_button,
            0,
            Qt.AlignmentFlag.AlignLeft,
        )
        self._zones: dict[str, RecordingDropZone] = {}
        self._unsubscribe_progress: Callable[[], None] = lambda: None
        self.listen_progress()
        from calldesk.ui.transcripts import TranscriptCoordinator

        # the open call's recording transcribed on this computer, under its zone
        self.transcripts = TranscriptCoordinator(context, chrome, editing, open_form)

    def zone_for(self, account: str) -> RecordingDropZone:
        """The recording drop zone of ``account`` (built once, from its vendor schema)."""
        zone = self._zones.get(account)
        if zone is None:
            context = self._context
            from calldesk.ui.recording import RecordingDropZone

            zone = RecordingDropZone(
                context.service.schema_for(account),
                check=lambda path: context.service.inspect_recording(account, path),
                attach=lambda info: self._attach(account, info),
                spawn=context.spawn,
                parent=self.zone_stack,
            )
            zone.cancel_requested.connect(
                lambda op_id: context.spawn(context.service.discard(op_id))
            )
            zone.retry_requested.connect(lambda op_id: context.spawn(self._retry_upload(op_id)))
            zone.duration_offered.connect(partial(self._use_duration, account))
            zone.queued.connect(lambda _op: context.spawn(self.track_uploads()))
            zone.queued.connect(lambda _op: self._transcribe_attached(zone))
            self.zone_stack.addWidget(zone)
            self._zones[account] = zone
        return zone

    @property
    def drop_zone(self) -> RecordingDropZone | None:
        """The drop zone under the editor, when one is shown."""
        current = self.zone_stack.currentWidget()
        zone = next((zone for zone in self._zones.values() if zone is current), None)
        window = self.zone_stack.window()
        return zone if zone is not None and self.zone_stack.isVisibleTo(window) else None

    def show_zone(self, account: str | None, *, saved: bool = False) -> None:
        """The zone for ``account``'s open call; a hint instead while the call is not saved."""
        self.transcripts.show_call(account)
        if account is None:
            self.zone_stack.hide()
            self.drop_hint.hide()
            self.save_attach_button.hide()
            return
        zone = self.zone_for(account)
        zone.reset()
        self.zone_stack.setCurrentWidget(zone)
        takes_files = zone.accepts_files()
        self.zone_stack.setVisible(saved or not takes_files)
        self.drop_hint.setVisible(takes_files and not saved)
        self.save_attach_button.setVisible(takes_files and not saved)

    def forget(self) -> None:
        """The backend changed: every zone goes (they are built again from the new schemas)."""
        self._unsubscribe_progress()
        self.transcripts.forget()
        for zone in self._zones.values():
            self.zone_stack.removeWidget(zone)
            zone.deleteLater()
        self._zones.clear()

    def close(self) -> None:
        self._unsubscribe_progress()

    async def _attach(self, account: str, info: RecordingInfo) -> Operation:
        editing = self._editing()
        if editing is None or editing[1] is None or editing[0] != account:
            raise self._context.backend.service_error(self.tr("Save the call first, then attach."))
        return await self._context.service.attach_recording(account, editing[1], info)

    def _transcribe_attached(self, zone: RecordingDropZone) -> None:
        info = zone.info()
        if info is not None:
            self.transcripts.start(info.path)

    async def _retry_upload(self, op_id: str) -> None:
        await self._context.service.retry(op_id)
        self._context.backend.engine.sync_now()

    def _use_duration(self, account: str, seconds: int) -> None:
        from calldesk.ui.recording import format_length

        form = self._open_form(account)
        if form is None:
            return
        names = [n for n in form.schema.list_view.duration if n in form.fields]
        editable = [n for n in names if form.fields[n].is_editable()]
        if not editable or not form.set_field_text(editable[0], format_length(seconds)):
            self._context.say(self.tr("This call's duration can't be changed."), 5000)

    async def restore_upload(self, account: str, local_id: str) -> None:
        """Show an upload of this call that is still queued (the zone forgot it on a switch)."""
        from calldesk.domain import OpKind

        ops = [
            op
            for op in await self._context.service.queue(account)
            if op.local_id == local_id and op.kind == OpKind.UPLOAD
        ]
        zone = self._zones.get(account)
        if not ops or zone is None or self._editing() != (account, local_id):
            return  # nothing queued, or the rep moved on meanwhile
        op = ops[-1]
        if zone.op_id() == op.op_id:
            return
        failed = op.last_error or self.tr("The CRM refused the upload.")
        zone.track(op.op_id, failed=failed if op.state in FAILED_UPLOAD else None)

    def listen_progress(self) -> None:
        """Follow the upload progress of the backend of the moment."""
        relay = self._context.backend.progress
        self._unsubscribe_progress = (
            relay.subscribe(self._on_progress) if relay is not None else (lambda: None)
        )

    def _on_progress(self, op_id: str, sent: int, total: int) -> None:
        for zone in self._zones.values():
            zone.set_progress(op_id, sent, total)

    async def track_uploads(self) -> None:
        """Tell the zones whose upload finished (left the queue) or failed."""
        waiting = {z.op_id(): z for z in self._zones.values() if z.op_id() is not None}
        if not waiting:
            return
        ops = {op.op_id: op for op in await self._context.service.queue()}
        for op_id, zone in waiting.items():
            if op_id is None or zone.op_id() != op_id:
                continue
            op = ops.get(op_id)
            if op is None:
                zone.set_done(op_id)
            elif op.state in FAILED_UPLOAD:
                zone.set_failed(op_id, op.last_error or self.tr("The CRM refused the upload."))

    def row_refusal(self, account: str, path: Path) -> str | None:
        """Why a file dropped on a line of ``account`` cannot be attached (None: it can)."""
        if account not in self._context.service.accounts():
            return self.tr("This call's account is not connected.")
        try:
            if not self.zone_for(account).accepts_files():
                self._context.service.check_recording(account, path)  # raises with the reason
        except Exception as exc:  # the service's refusal, in words for the rep
            return str(exc)
        return None

    def drop_on_row(self, listing: CallListController, row: int, path: str) -> None:
        """A file dropped on a line of the list: open that call and attach it."""
        summary = listing.model.row_at(row)
        if summary is None:  # refused while dragging (the window's row refusal)
            return
        listing.select_silently(row)
        self._context.spawn(self._attach_to_row(summary.account, summary.local_id, Path(path)))

    async def _attach_to_row(self, account: str, local_id: str, path: Path) -> None:
        await self._open_record(account, local_id)
        zone = self.drop_zone
        if zone is not None:
            zone.take_file(path)
