"""The recording drop zone shown under the editor form: drop or choose an audio file to attach.

What the zone offers comes from the vendor schema: ``capabilities.recording`` is ``"upload"``
(a file can be attached), ``"url"`` (the CRM takes only a link, typed into
``capabilities.recording_field``) or ``None`` (no recordings). Where there is no upload the zone
says so plainly and refuses drags.

The zone never talks to a service directly. It is given two callables:

- ``check(path) -> Awaitable[RecordingInfo]`` checks the file (audio by its bytes, size, length;
  the service does it off the GUI thread) and raises ``RecordingRejected`` or the service's
  ``NotAllowed`` with a rep-readable reason (the zone shows the message of whatever it raises;
  it cannot import the service's error types, which live above the store's SQLite);
- ``attach(info) -> Awaitable[Operation]`` queues the upload of the checked file (the service
  keeps its own copy and does not inspect it again; the rep's file is never modified).

Upload progress comes from outside through the slots :meth:`RecordingDropZone.set_progress`,
:meth:`~RecordingDropZone.set_done` and :meth:`~RecordingDropZone.set_failed`; the cancel and
retry buttons only emit :attr:`~RecordingDropZone.cancel_requested` /
:attr:`~RecordingDropZone.retry_requested` with the operation id.

One zone serves every call of an account, so opening another call resets it;
:meth:`RecordingDropZone.track` shows an upload that is still queued for the call opened again
(the zone remembers what it learned about the files it queued itself).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain.model import Operation
from calldesk.schema import VendorSchema
from calldesk.sync.recordings import RecordingInfo, RecordingRejected
from calldesk.ui.form.base import Spawner, show_error, spawn_on_running_loop

LOG = logging.getLogger(__name__)

CheckRecording = Callable[[Path], Awaitable[RecordingInfo]]
"""``path -> info``: checks a file can be attached; raises with the reason when not."""

AttachRecording = Callable[[RecordingInfo], Awaitable[Operation]]
"""``path -> operation``: queues the upload of (a copy of) the file."""

_PROGRESS_STEPS = 1000
_AUDIO_FILTER = "Audio files (*.mp3 *.wav *.ogg *.oga *.opus *.m4a *.aac *.flac *.amr *.webm)"


def format_length(seconds: int) -> str:
    """Return a recording length as ``m:ss`` (``h:mm:ss`` from an hour on)."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _size_text(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def _log_unexpected(exc: Exception) -> None:
    if not isinstance(exc, RecordingRejected):
        LOG.info("recording refused: %s: %s", type(exc).__name__, exc)


def local_file_of(urls: list[QUrl]) -> Path | None:
    """Return the one local file a drag carries, or ``None`` (several files, or not local)."""
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    return Path(urls[0].toLocalFile())


class RecordingDropZone(QFrame):
    """A drop target for one call recording, with the attachment row and its upload progress."""

    duration_offered = Signal(int)
    """The rep chose to use the recording's length (seconds) as the call's duration."""
    cancel_requested = Signal(str)
    """The rep cancelled the upload operation with this id (the window discards it)."""
    retry_requested = Signal(str)
    """The rep asked to retry the failed upload operation with this id."""
    queued = Signal(str)
    """The upload operation with this id was queued."""

    def __init__(
        self,
        schema: VendorSchema,
        *,
        check: CheckRecording,
        attach: AttachRecording,
        spawn: Spawner = spawn_on_running_loop,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._schema = schema
        self._check = check
        self._attach = attach
        self._spawn = spawn
        self._info: RecordingInfo | None = None
        self._op_id: str | None = None
        self._known: dict[str, RecordingInfo] = {}  # op id -> the file queued by this zone
        self._duration_blocked: str | None = None
        self._busy = False
        self._dialog: QFileDialog | None = None
        self.setObjectName("recording_drop_zone")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Sunken)
        self.setAccessibleName(self.tr("Call recording"))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self._build()
        self.setAcceptDrops(self.accepts_files())
        self._show_empty()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)

        self.message = QLabel(self)
        self.message.setObjectName("recording_message")
        self.message.setWordWrap(True)
        self.message.setText(self._intro_text())
        self.message.setAccessibleName(self.tr("Recording"))

        self.choose_button = QPushButton(self.tr("Choose file…"), self)
        self.choose_button.setObjectName("recording_choose")
        self.choose_button.setAccessibleName(self.tr("Choose a recording file"))
        self.choose_button.clicked.connect(self.choose_file)
        self.choose_button.setVisible(self.accepts_files())
        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.choose_button)
        layout.addLayout(top)

        self.copy_note = QLabel(
            self.tr(
                "Your file is not changed: calldesk keeps a copy until the CRM confirms the upload."
            ),
            self,
        )
        self.copy_note.setObjectName("recording_copy_note")
        self.copy_note.setWordWrap(True)
        self.copy_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.copy_note.setVisible(self.accepts_files())
        layout.addWidget(self.copy_note)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("recording_error")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Recording problem"))
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.attachment = QWidget(self)
        self.attachment.setObjectName("recording_attachment")
        row = QHBoxLayout(self.attachment)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        self.name_label = QLabel(self.attachment)
        self.name_label.setObjectName("recording_name")
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.size_label = QLabel(self.attachment)
        self.size_label.setObjectName("recording_size")
        self.length_label = QLabel(self.attachment)
        self.length_label.setObjectName("recording_length")
        self.use_duration_button = QPushButton(self.attachment)
        self.use_duration_button.setObjectName("recording_use_duration")
        self.use_duration_button.clicked.connect(self._offer_duration)
        row.addWidget(self.name_label)
        row.addWidget(self.size_label)
        row.addWidget(self.length_label)
        row.addStretch(1)
        row.addWidget(self.use_duration_button)
        layout.addWidget(self.attachment)

        self.upload = QWidget(self)
        self.upload.setObjectName("recording_upload")
        up = QHBoxLayout(self.upload)
        up.setContentsMargins(0, 0, 0, 0)
        up.setSpacing(8)
        self.progress = QProgressBar(self.upload)
        self.progress.setObjectName("recording_progress")
        self.progress.setRange(0, _PROGRESS_STEPS)
        self.progress.setAccessibleName(self.tr("Upload progress"))
        self.status_label = QLabel(self.upload)
        self.status_label.setObjectName("recording_status")
        self.cancel_button = QPushButton(self.tr("Cancel upload"), self.upload)
        self.cancel_button.setObjectName("recording_cancel")
        self.cancel_button.clicked.connect(self._cancel)
        self.retry_button = QPushButton(self.tr("Retry"), self.upload)
        self.retry_button.setObjectName("recording_retry")
        self.retry_button.setAccessibleName(self.tr("Retry the upload"))
        self.retry_button.clicked.connect(self._retry)
        up.addWidget(self.progress, 1)
        up.addWidget(self.status_label)
        up.addWidget(self.cancel_button)
        up.addWidget(self.retry_button)
        layout.addWidget(self.upload)

    def _intro_text(self) -> str:
        caps = self._schema.capabilities
        label = self._schema.label
        if caps.recording == "upload":
            return self.tr("Drop a call recording here (one audio file), or choose one.")
        if caps.recording == "url":
            field = self._field_label(caps.recording_field) or self.tr("the recording link field")
            return self.tr(
                "{crm} takes a link to the recording, not a file — paste an https:// link in "
                "{field}."
            ).format(crm=label, field=field)
        return self.tr(
            "{crm} does not take call recordings, so there is nothing to attach."
        ).format(crm=label)

    def _field_label(self, name: str | None) -> str | None:
        if name is None:
            return None
        try:
            return self._schema.field(name).label
        except KeyError:
            return name

    # -- state ----------------------------------------------------------------------------------

    def accepts_files(self) -> bool:
        """Tell whether this vendor takes recording files at all."""
        return self._schema.capabilities.recording == "upload"

    def op_id(self) -> str | None:
        """Return the id of the queued upload operation, if any."""
        return self._op_id

    def info(self) -> RecordingInfo | None:
        """Return what was learned about the attached file, if one is attached."""
        return self._info

    def error(self) -> str | None:
        """Return the problem shown in the zone, if any."""
        return self.error_label.text() if self.error_label.isVisibleTo(self) else None

    def track(
        self, op_id: str, info: RecordingInfo | None = None, *, failed: str | None = None
    ) -> None:
        """Show the queued upload ``op_id`` again (after another call was open meanwhile).

        ``info`` describes the file (default: what the zone learned when it queued it; unknown
        files show as "Queued recording"); ``failed`` is the CRM's message of a failed upload.
        """
        self._busy = False
        self._op_id = op_id
        self._set_error(None)
        known = info or self._known.get(op_id)
        self._info = known
        if known is not None:
            self._show_attachment(known)
        else:
            self.name_label.setText(self.tr("Queued recording"))
            self.size_label.clear()
            self.length_label.clear()
            self.use_duration_button.hide()
            self.attachment.show()
        self.choose_button.setEnabled(False)
        self.progress.setValue(0)
        if failed is not None:
            self.set_failed(op_id, failed)
        else:
            self._show_upload_state(self.tr("Waiting to upload"), failed=False)

    def set_duration_blocked(self, reason: str | None) -> None:
        """Disable "Use … as duration" with ``reason`` on hover (the call's duration can't
        change), or enable it again (``None``)."""
        self._duration_blocked = reason
        self.use_duration_button.setEnabled(reason is None)
        self.use_duration_button.setToolTip(reason or "")

    def reset(self) -> None:
        """Forget the attachment (e.g. when another call is opened)."""
        self._info = None
        self._op_id = None
        self._busy = False
        self._show_empty()

    def _show_empty(self) -> None:
        self.attachment.hide()
        self.upload.hide()
        self._set_error(None)
        self.choose_button.setEnabled(self.accepts_files())

    def _set_error(self, message: str | None) -> None:
        show_error(self.error_label, message)
        self.setAccessibleDescription(message or "")

    def _holding(self) -> bool:
        return self._busy or self._op_id is not None

    # -- drag and drop --------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._can_take(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._can_take(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = local_file_of(event.mimeData().urls()) if self.accepts_files() else None
        if path is None or self._holding():
            event.ignore()
            return
        event.acceptProposedAction()
        self.take_file(path)

    def _can_take(self, urls: list[QUrl]) -> bool:
        return self.accepts_files() and not self._holding() and local_file_of(urls) is not None

    # -- choosing a file ------------------------------------------------------------------------

    @Slot()
    def choose_file(self) -> None:
        """Open a file dialog (without a nested event loop) to pick a recording."""
        if not self.accepts_files() or self._holding():
            return
        dialog = QFileDialog(self, self.tr("Choose a call recording"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([self.tr(_AUDIO_FILTER), self.tr("All files (*)")])
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.fileSelected.connect(lambda name: self.take_file(Path(name)))
        dialog.finished.connect(dialog.deleteLater)
        self._dialog = dialog
        dialog.open()

    def file_dialog(self) -> QFileDialog | None:
        """Return the file dialog last opened by :meth:`choose_file` (for tests and the window)."""
        return self._dialog

    # -- attaching ------------------------------------------------------------------------------

    def take_file(self, path: Path) -> bool:
        """Check ``path`` (off the GUI thread) and, when it is a usable recording, show it and
        queue its upload; False when the zone takes no file now."""
        if not self.accepts_files() or self._holding():
            return False
        self._set_error(None)
        self._busy = True
        self.choose_button.setEnabled(False)
        self.progress.setValue(0)
        self._show_upload_state(self.tr("Checking {name}…").format(name=path.name), failed=False)
        self._spawn(self._take(path))
        return True

    async def _take(self, path: Path) -> None:
        try:
            info = await self._check(path)
        except Exception as exc:  # the checker's errors carry a rep-readable reason
            _log_unexpected(exc)
            self._busy = False
            self._info = None
            self._show_empty()
            self._set_error(str(exc))
            return
        self._info = info
        self._show_attachment(info)
        self.progress.setValue(0)
        self._show_upload_state(self.tr("Queueing…"), failed=False)
        await self._queue(info)

    async def _queue(self, info: RecordingInfo) -> None:
        try:
            op = await self._attach(info)
        except Exception as exc:  # shown to the rep; the service's errors say why
            _log_unexpected(exc)
            self._busy = False
            self._info = None
            self._show_empty()
            self._set_error(str(exc))
            return
        self._busy = False
        self._op_id = op.op_id
        if self._info is not None:
            self._known[op.op_id] = self._info
        self._show_upload_state(self.tr("Waiting to upload"), failed=False)
        self.queued.emit(op.op_id)

    def _show_attachment(self, info: RecordingInfo) -> None:
        self.name_label.setText(info.path.name)
        self.size_label.setText(_size_text(info.size))
        if info.duration_s is not None:
            length = format_length(info.duration_s)
            self.length_label.setText(length)
            self.length_label.setAccessibleName(self.tr("Length {length}").format(length=length))
            self.use_duration_button.setText(
                self.tr("Use {length} as duration").format(length=length)
            )
            self.use_duration_button.show()
        else:
            self.length_label.setText(self.tr("length unknown"))
            self.use_duration_button.hide()
        self.attachment.setAccessibleName(
            self.tr("Attached recording {name}, {size}").format(
                name=info.path.name, size=_size_text(info.size)
            )
        )
        self.attachment.show()

    def _show_upload_state(self, status: str, *, failed: bool) -> None:
        self.status_label.setText(status)
        self.retry_button.setVisible(failed)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(self._op_id is not None)
        self.retry_button.setEnabled(self._op_id is not None)
        self.upload.show()

    @Slot()
    def _offer_duration(self) -> None:
        if self._info is not None and self._info.duration_s is not None:
            self.duration_offered.emit(self._info.duration_s)

    # -- progress from outside ------------------------------------------------------------------

    @Slot(str, int, int)
    def set_progress(self, op_id: str, sent: int, total: int) -> None:
        """Show ``sent`` of ``total`` bytes uploaded for operation ``op_id``."""
        if op_id != self._op_id:
            return
        fraction = min(max(sent / total, 0.0), 1.0) if total > 0 else 0.0
        self.progress.setValue(round(fraction * _PROGRESS_STEPS))
        self._set_error(None)
        self._show_upload_state(
            self.tr("Uploading {sent} of {total}").format(
                sent=_size_text(sent), total=_size_text(total)
            ),
            failed=False,
        )

    @Slot(str)
    def set_done(self, op_id: str) -> None:
        """The CRM confirmed the upload of operation ``op_id``."""
        if op_id != self._op_id:
            return
        self._known.pop(op_id, None)
        self.progress.setValue(_PROGRESS_STEPS)
        self._set_error(None)
        self.status_label.setText(self.tr("Uploaded"))
        self.cancel_button.hide()
        self.retry_button.hide()

    @Slot(str, str)
    def set_failed(self, op_id: str, message: str) -> None:
        """The upload of operation ``op_id`` failed with ``message`` (retry or cancel it)."""
        if op_id != self._op_id:
            return
        self._show_upload_state(self.tr("Upload failed"), failed=True)
        self._set_error(message)

    @Slot()
    def _cancel(self) -> None:
        op_id = self._op_id
        if op_id is None:
            return
        self._known.pop(op_id, None)
        self.cancel_requested.emit(op_id)
        self.reset()

    @Slot()
    def _retry(self) -> None:
        op_id = self._op_id
        if op_id is None:
            return
        self.progress.setValue(0)
        self._set_error(None)
        self._show_upload_state(self.tr("Waiting to upload"), failed=False)
        self.retry_requested.emit(op_id)
