"""Transcribing the open call's recording on this computer, and inserting from the transcript.

``TranscriptCoordinator`` owns the :class:`~calldesk.ui.transcript_panel.TranscriptPanel`
under the recording zone. A recording attached to the open call (or chosen with "Transcribe a
recording…", which works for every CRM, also those that take no files) is transcribed in the
background by the backend's transcription service (a worker process; progress and Cancel on the
panel). The transcript is kept with the call and shown again when the call is opened; it goes
into the note only when the rep presses one of the panel's Insert buttons. Switching calls
leaves a running transcription running; coming back shows its progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QPlainTextEdit, QTextEdit

from calldesk.domain.transcript import Segment
from calldesk.transcribe.engine import TranscriptionCancelled, TranscriptionError
from calldesk.ui.transcript_panel import TranscriptPanel

if TYPE_CHECKING:
    from calldesk.ui.chrome import WindowChrome
    from calldesk.ui.context import WindowContext
    from calldesk.ui.drafts import Editing
    from calldesk.ui.form import EditorForm

_AUDIO_FILTER = "Audio (*.mp3 *.wav *.ogg *.oga *.opus *.m4a *.aac *.flac *.amr *.webm *.mp4)"


@dataclass
class _Job:
    """A transcription running for one call (``key``: its local id, or the file for a call
    not saved yet)."""

    key: str
    name: str
    service_key: str  # what the service runs it under: the local id, else the file's path
    fraction: float | None = 0.0
    segments: list[Segment] = field(default_factory=list)


class TranscriptCoordinator(QObject):
    """The transcript panel of the open call (see the module docstring)."""

    def __init__(
        self,
        context: WindowContext,
        chrome: WindowChrome,
        editing: Callable[[], Editing | None],
        open_form: Callable[[str], EditorForm | None],
    ) -> None:
        super().__init__(chrome.zone_stack)
        self._context = context
        self._editing = editing
        self._open_form = open_form
        self._jobs: dict[str, _Job] = {}
        self._dialog: QFileDialog | None = None
        self.panel = TranscriptPanel(chrome.zone_stack.parentWidget())
        column = chrome.editor_column
        column.insertWidget(column.indexOf(chrome.zone_stack) + 1, self.panel)
        self.panel.hide()
        self.panel.insert_requested.connect(self.insert_into_note)
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.choose_requested.connect(self.choose_file)

    # -- following the open call ------------------------------------------------------------

    def _key(self) -> str | None:
        editing = self._editing()
        if editing is None:
            return None
        return editing[1] or f"new:{editing[0]}"

    def show_call(self, account: str | None) -> None:
        """The open call changed (``None``: none is open)."""
        key = self._key()
        if account is None or key is None:
            self.panel.hide()
            return
        self.panel.show()
        job = self._jobs.get(key)
        if job is not None:
            self.panel.show_started(job.name)
            for segment in job.segments:
                self.panel.add_segment(segment)
            self.panel.set_progress(job.fraction)
            return
        port = self._context.backend.transcription
        if port is None:
            self.panel.show_unavailable(self.tr("Transcription is not available yet."))
            return
        availability = port.availability()
        if not availability.available:
            self.panel.show_unavailable(availability.message)
            return
        self.panel.show_idle(self.tr("Attach a recording to transcribe it on this computer."))
        editing = self._editing()
        if editing is not None and editing[1] is not None:
            self._context.spawn(self._show_kept(key, editing[1]))

    async def _show_kept(self, key: str, local_id: str) -> None:
        port = self._context.backend.transcription
        if port is None:
            return
        transcript = await port.transcript(local_id)
        if transcript is not None and self._key() == key and key not in self._jobs:
            self.panel.show_transcript(transcript.segments, self._made_with(transcript.engine))

    def _made_with(self, engine: str) -> str:
        label = self.tr("Whisper") if engine == "whisper" else self.tr("the built-in engine")
        return self.tr(
            "Made on this computer with %1. Nothing goes into the note until you insert it."
        ).replace("%1", label)

    # -- transcribing -----------------------------------------------------------------------

    def start(self, path: Path) -> bool:
        """Transcribe ``path`` for the open call; False when it can't start."""
        port = self._context.backend.transcription
        editing = self._editing()
        key = self._key()
        if port is None or editing is None or key is None or key in self._jobs:
            return False
        availability = port.availability()
        if not availability.available:
            self.panel.show_unavailable(availability.message)
            return False
        job = _Job(key, path.name, editing[1] or str(path))
        self._jobs[key] = job
        self.panel.show_started(job.name)
        self._context.spawn(self._run(job, editing[1], path))
        return True

    async def _run(self, job: _Job, local_id: str | None, path: Path) -> None:
        port = self._context.backend.transcription
        assert port is not None

        def progress(fraction: float | None) -> None:
            job.fraction = fraction
            if self._key() == job.key:
                self.panel.set_progress(fraction)

        def segment(found: Segment) -> None:
            job.segments.append(found)
            if self._key() == job.key:
                self.panel.add_segment(found)

        try:
            transcript = await port.transcribe(
                local_id, path, on_progress=progress, on_segment=segment
            )
        except TranscriptionCancelled:
            self._jobs.pop(job.key, None)
            if self._key() == job.key:
                self.panel.show_failed(self.tr("Transcription cancelled."))
            return
        except TranscriptionError as exc:
            self._jobs.pop(job.key, None)
            if self._key() == job.key:
                self.panel.show_failed(str(exc))
            return
        self._jobs.pop(job.key, None)
        if self._key() == job.key:
            self.panel.show_transcript(transcript.segments, self._made_with(transcript.engine))

    def cancel(self) -> None:
        key = self._key()
        job = self._jobs.get(key) if key is not None else None
        port = self._context.backend.transcription
        if job is not None and port is not None:
            port.cancel(job.service_key)

    def choose_file(self) -> None:
        """Let the rep pick a recording to transcribe (any CRM; nothing is uploaded)."""
        dialog = QFileDialog(self.panel, self.tr("Transcribe a recording"))
        dialog.setNameFilter(self.tr(_AUDIO_FILTER))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda chosen: self.start(Path(chosen)))
        dialog.finished.connect(self._drop_dialog)
        self._dialog = dialog
        dialog.open()

    def _drop_dialog(self) -> None:
        if self._dialog is not None:
            self._dialog.deleteLater()
            self._dialog = None

    @property
    def file_dialog(self) -> QFileDialog | None:
        """The open file chooser (for tests)."""
        return self._dialog

    def forget(self) -> None:
        """The backend changes: stop what runs on the old one."""
        port = self._context.backend.transcription
        for job in self._jobs.values():
            if port is not None:
                port.cancel(job.service_key)
        self._jobs.clear()

    # -- inserting --------------------------------------------------------------------------

    def insert_into_note(self, text: str) -> None:
        """Put ``text`` at the end of the open call's note (the rep pressed Insert)."""
        editing = self._editing()
        form = self._open_form(editing[0]) if editing is not None else None
        if form is None or not text.strip():
            return
        names = [
            name
            for name in form.schema.list_view.note
            if name in form.fields and form.fields[name].is_editable()
        ]
        if not names:
            self._context.say(self.tr("This call's note can't be changed."), 5000)
            return
        widget = form.fields[names[0]]
        edit = getattr(widget, "edit", None)
        if isinstance(edit, QTextEdit | QPlainTextEdit):
            cursor = edit.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            if not edit.document().isEmpty():
                cursor.insertBlock()
            cursor.insertText(text)
            edit.setTextCursor(cursor)
            form.set_field_text(names[0], widget.text())  # the form notes the change
        else:
            current = widget.text().rstrip()
            form.set_field_text(names[0], f"{current}\n{text}" if current else text)
        self._context.say(self.tr("Inserted into the note; save to keep it."), 4000)
