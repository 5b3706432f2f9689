"""The transcript panel under the recording: progress and cancel while a recording is
transcribed on this computer, then the transcript as a suggestion for the note.

Nothing reaches the note without the rep: **Insert all**, **Insert selection** (the lines
selected in the transcript) and **Insert summary** (a short extractive summary made locally,
``calldesk.transcribe.summary``) emit :attr:`TranscriptPanel.insert_requested` with the text;
the coordinator puts it into the note field. Without the ``calldesk[transcribe]`` extra the
panel says how to get it. The panel never talks to a service: it shows what it is told.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from calldesk.domain.transcript import Segment, transcript_text
from calldesk.transcribe.summary import summarize

_STEPS = 1000


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class TranscriptPanel(QFrame):
    """Transcription state of the open call, and its transcript to insert from."""

    #: The rep asked to put this text into the note.
    insert_requested = Signal(str)
    #: The rep pressed Cancel while transcribing.
    cancel_requested = Signal()
    #: The rep asked to transcribe a recording file of their choice.
    choose_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript_panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._segments: list[Segment] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        top = QHBoxLayout()
        self.heading = QLabel(self.tr("Transcript"), self)
        self.heading.setObjectName("transcript_heading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        top.addWidget(self.heading)
        top.addStretch(1)
        self.choose_button = QPushButton(self.tr("Transcribe a recording…"), self)
        self.choose_button.setObjectName("transcribe_choose")
        self.choose_button.clicked.connect(self.choose_requested.emit)
        top.addWidget(self.choose_button)
        layout.addLayout(top)
        self.status = QLabel(self)
        self.status.setObjectName("transcript_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            self.status.textInteractionFlags().TextSelectableByMouse
        )
        layout.addWidget(self.status)
        running = QHBoxLayout()
        self.progress = QProgressBar(self)
        self.progress.setObjectName("transcript_progress")
        self.progress.setRange(0, _STEPS)
        running.addWidget(self.progress, 1)
        self.cancel_button = QPushButton(self.tr("Cancel"), self)
        self.cancel_button.setObjectName("transcript_cancel")
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        running.addWidget(self.cancel_button)
        layout.addLayout(running)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("transcript_text")
        self.text.setReadOnly(True)
        self.text.setMaximumHeight(140)
        self.text.setAccessibleName(self.tr("Transcript"))
        layout.addWidget(self.text)
        actions = QHBoxLayout()
        self.insert_all = QPushButton(self.tr("Insert all"), self)
        self.insert_all.setObjectName("transcript_insert_all")
        self.insert_all.clicked.connect(lambda: self.insert_requested.emit(self.all_text()))
        self.insert_selection = QPushButton(self.tr("Insert selection"), self)
        self.insert_selection.setObjectName("transcript_insert_selection")
        self.insert_selection.clicked.connect(
            lambda: self.insert_requested.emit(self.selected_text())
        )
        self.insert_summary = QPushButton(self.tr("Insert summary"), self)
        self.insert_summary.setObjectName("transcript_insert_summary")
        self.insert_summary.clicked.connect(lambda: self.insert_requested.emit(self.summary()))
        for button in (self.insert_all, self.insert_selection, self.insert_summary):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.text.selectionChanged.connect(self._update_actions)
        self.show_idle(self.tr("Attach a recording to transcribe it on this computer."))

    # -- what the coordinator tells it ------------------------------------------------------

    def show_unavailable(self, message: str) -> None:
        """Transcription can't run here (no engine, no model): say how to get it."""
        self._set_running(False)
        self.status.setText(message)
        self.choose_button.setEnabled(False)
        self.text.hide()
        self._segments = []
        self._update_actions()

    def show_idle(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(message)
        self.choose_button.setEnabled(True)
        self._segments = []
        self.text.clear()
        self.text.hide()
        self._update_actions()

    def show_started(self, name: str) -> None:
        self._segments = []
        self.text.clear()
        self.text.show()
        self.choose_button.setEnabled(False)
        self._set_running(True)
        self.progress.setValue(0)
        self.status.setText(self.tr("Transcribing %1 on this computer…").replace("%1", name))
        self._update_actions()

    def set_progress(self, fraction: float | None) -> None:
        if fraction is None:
            self.progress.setRange(0, 0)  # busy: the length is unknown
        else:
            self.progress.setRange(0, _STEPS)
            self.progress.setValue(round(fraction * _STEPS))

    def add_segment(self, segment: Segment) -> None:
        self._segments.append(segment)
        self.text.appendPlainText(self._line(segment))

    def show_transcript(self, segments: Sequence[Segment], note: str) -> None:
        """A finished transcript (``note``: how it was made)."""
        self._set_running(False)
        self.choose_button.setEnabled(True)
        self._segments = list(segments)
        self.text.setPlainText("\n".join(self._line(s) for s in self._segments))
        self.text.show()
        self.status.setText(note if self._segments else self.tr("No speech was recognised."))
        self._update_actions()

    def show_failed(self, message: str) -> None:
        self._set_running(False)
        self.choose_button.setEnabled(True)
        self.status.setText(message)
        self._update_actions()

    # -- what the rep inserts ---------------------------------------------------------------

    def all_text(self) -> str:
        return transcript_text(self._segments)

    def selected_text(self) -> str:
        """The selected part of the transcript, without the time stamps."""
        chosen = self.text.textCursor().selection().toPlainText()
        lines = [
            line.split("  ", 1)[-1] if line[:1].isdigit() else line for line in chosen.splitlines()
        ]
        return "\n".join(line.strip() for line in lines if line.strip())

    def summary(self) -> str:
        return summarize(self._segments)

    @property
    def running(self) -> bool:
        return (
            self.cancel_button.isVisible()
            if self.isVisible()
            else not self.cancel_button.isHidden()
        )

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _line(segment: Segment) -> str:
        return f"{_clock(segment.start)}  {segment.text.strip()}"

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)

    def _update_actions(self) -> None:
        has_text = bool(self.all_text()) and self.cancel_button.isHidden()
        self.insert_all.setEnabled(has_text)
        self.insert_summary.setEnabled(has_text)
        self.insert_selection.setEnabled(has_text and self.text.textCursor().hasSelection())
