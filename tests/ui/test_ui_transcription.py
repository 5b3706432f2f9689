"""Journeys: a recording is transcribed on this computer in the real window (offscreen, sandbox
CRMs, the built-in engine in its worker process), shown beside the note as a suggestion, and
inserted only when the rep asks; cancel mid-way; a CRM that takes no files; no engine installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from calldesk.domain import Vendor
from calldesk.sandbox import SandboxServer
from calldesk.ui.window import MainWindow
from tests.helpers.speech import KEY_WORDS, SENTENCE, loop_wav, speak, wer, words
from tests.ui.test_ui_window_step4 import _accounts, _drop, _first_row, running_window, until


@pytest.fixture(scope="module")
def sentence_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(SENTENCE, tmp_path_factory.mktemp("speech") / "sentence.wav")


@pytest.fixture(scope="module")
def long_wav(sentence_wav: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loop_wav(sentence_wav, tmp_path_factory.mktemp("speech") / "long.wav", 40)


def note_text(window: MainWindow) -> str:
    form = window.form
    assert form is not None
    name = next(n for n in form.schema.list_view.note if n in form.fields)
    widget = form.fields[name]
    edit = getattr(widget, "edit", None)
    return edit.toPlainText() if edit is not None else widget.text()


def click(button) -> None:  # type: ignore[no-untyped-def]
    assert button.isVisible() and button.isEnabled(), button.text()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.mark.asyncio
async def test_a_dropped_recording_becomes_a_transcript_to_insert_from(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, sentence_wav: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as window:
        row = await _first_row(window, "pipedrive")
        first = window.model.row_at(row)
        await window.open_record("pipedrive", first.local_id)
        panel = window.editor.recordings.transcripts.panel
        assert panel.isVisible() and panel.heading.text() == "Transcript"
        assert "Attach a recording" in panel.status.text()
        note_before = note_text(window)

        zone = window.drop_zone
        assert zone is not None
        assert _drop(zone, sentence_wav).isAccepted()
        # transcription starts by itself, in the background, with progress and Cancel
        await until(lambda: panel.running)
        assert "Transcribing sentence.wav on this computer" in panel.status.text()
        assert panel.progress.isVisible() and panel.cancel_button.isVisible()
        assert not panel.insert_all.isEnabled()

        await until(lambda: not panel.running, 120)
        heard = panel.all_text()
        rate = wer(SENTENCE, heard)
        print(f"\nthe window's transcript: {heard!r}; WER {rate:.2f}")
        assert set(KEY_WORDS) <= set(words(heard))
        assert "Made on this computer with the built-in engine" in panel.status.text()
        assert "0:00  " in panel.text.toPlainText()
        # a suggestion only: nothing reached the note yet
        assert note_text(window) == note_before
        assert panel.insert_all.isEnabled() and panel.insert_summary.isEnabled()
        assert not panel.insert_selection.isEnabled()  # nothing selected yet

        # switching rows and back: the transcript was kept with the call
        other = next(
            r
            for r in window.model.rows()
            if r.account == "pipedrive" and r.local_id != first.local_id
        )
        await window.open_record("pipedrive", other.local_id)
        await until(lambda: "Attach a recording" in panel.status.text())
        assert panel.text.isHidden()
        await window.open_record("pipedrive", first.local_id)
        await until(lambda: panel.all_text() == heard)

        # the rep inserts the summary; a Pipedrive call is logged, so its note is locked
        click(panel.insert_summary)
        await until(lambda: bool(window.statusBar().currentMessage()))
        assert "can't be changed" in window.statusBar().currentMessage()


@pytest.mark.asyncio
async def test_a_close_call_transcribes_a_chosen_file_and_inserts_into_the_note(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, sentence_wav: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)
    ) as window:
        row = await _first_row(window, "close")
        await window.open_record("close", window.model.row_at(row).local_id)
        panel = window.editor.recordings.transcripts.panel
        coordinator = window.editor.recordings.transcripts
        click(panel.choose_button)  # Close takes no files, but transcription works for any CRM
        dialog = coordinator.file_dialog
        assert dialog is not None and dialog.isVisible()
        dialog.selectFile(str(sentence_wav))
        dialog.accept()  # what choosing the file and pressing Open does
        assert coordinator.file_dialog is None
        await until(lambda: panel.running)
        await until(lambda: not panel.running, 120)
        assert set(KEY_WORDS) <= set(words(panel.all_text()))

        before = note_text(window)
        click(panel.insert_summary)
        await until(lambda: note_text(window) != before)
        inserted = note_text(window)
        assert inserted.startswith(before.rstrip()) if before.strip() else True
        assert "Opening:" in inserted and "seven hundred" in inserted
        # select the first line of the transcript and insert just that
        cursor = panel.text.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        cursor.movePosition(cursor.MoveOperation.EndOfBlock, cursor.MoveMode.KeepAnchor)
        panel.text.setTextCursor(cursor)
        assert panel.insert_selection.isEnabled()
        chosen = panel.selected_text()
        assert chosen and not chosen[0].isdigit()  # the time stamp is left out
        click(panel.insert_selection)
        await until(lambda: note_text(window).rstrip().endswith(chosen))
        form = window.form
        assert form is not None and form.is_dirty()  # saved only when the rep saves


@pytest.mark.asyncio
async def test_cancel_stops_the_transcription_mid_way(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, long_wav: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)
    ) as window:
        row = await _first_row(window, "close")
        await window.open_record("close", window.model.row_at(row).local_id)
        coordinator = window.editor.recordings.transcripts
        panel = coordinator.panel
        assert coordinator.start(long_wav)
        await until(lambda: bool(panel.all_text()), 120)  # the first words are in
        click(panel.cancel_button)
        await until(lambda: not panel.running, 10)
        assert panel.status.text() == "Transcription cancelled."
        assert panel.choose_button.isEnabled()


@pytest.mark.asyncio
async def test_without_the_engines_the_panel_says_how_to_get_them(
    qtbot: QtBot,
    sandbox_server: SandboxServer,
    calldesk_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import calldesk.sync.transcription as transcription

    monkeypatch.setattr(transcription, "engine_available", lambda name: False)
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)
    ) as window:
        row = await _first_row(window, "close")
        await window.open_record("close", window.model.row_at(row).local_id)
        panel = window.editor.recordings.transcripts.panel
        assert panel.isVisible()
        assert 'pip install "calldesk[transcribe]"' in panel.status.text()
        assert not panel.choose_button.isEnabled()
        assert not panel.insert_all.isEnabled()
