"""The recording drop zone: refused drags without upload, a real WAV dropped, progress."""

from __future__ import annotations

import asyncio
import threading
import wave
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from calldesk.domain.model import Operation, OpKind, OpState, Vendor
from calldesk.schema import load_schema
from calldesk.sync.recordings import RecordingInfo, RecordingRejected, inspect_recording
from calldesk.ui.recording import RecordingDropZone, format_length
from tests.helpers.shots import shots_dir
from tests.helpers.waiting import until as wait_until


def shot(widget: QWidget, name: str) -> None:
    assert widget.grab().save(str(shots_dir() / f"recording-{name}.png"))


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """``tests.helpers.waiting.until``, with this file's deadline."""
    await wait_until(condition, timeout)


def silent_wav(path: Path, seconds: int = 2, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * rate * seconds)
    return path


class FakeAttach:
    """Records the paths it was asked to attach and answers with a pending upload operation."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    async def __call__(self, info: RecordingInfo) -> Operation:
        self.paths.append(info.path)
        await asyncio.sleep(0)
        return Operation(
            op_id=f"op-{len(self.paths)}",
            account="work",
            local_id="call-1",
            remote_id="42",
            kind=OpKind.UPLOAD,
            payload={},
            state=OpState.PENDING,
            created_at=datetime.now(UTC),
        )


async def check_off_thread(path: Path) -> RecordingInfo:
    """The service's check: the file is read on a worker thread, never on the GUI thread."""
    gui = threading.current_thread()

    def inspect() -> RecordingInfo:
        assert threading.current_thread() is not gui
        return inspect_recording(path)

    return await asyncio.to_thread(inspect)


def make_zone(qtbot: QtBot, vendor: Vendor, attach: FakeAttach | None = None) -> RecordingDropZone:
    zone = RecordingDropZone(
        load_schema(vendor), check=check_off_thread, attach=attach or FakeAttach()
    )
    qtbot.addWidget(zone)
    zone.resize(640, zone.sizeHint().height())
    zone.show()
    return zone


def mime_for(path: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


def drag_enter(zone: QWidget, mime: QMimeData) -> bool:
    event = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(zone, event)
    return event.isAccepted()


def drop(zone: QWidget, mime: QMimeData) -> bool:
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(zone, event)
    return event.isAccepted()


def test_close_takes_a_link_and_refuses_file_drags(qtbot: QtBot, tmp_path: Path) -> None:
    attach = FakeAttach()
    zone = make_zone(qtbot, Vendor.CLOSE, attach)
    wav = silent_wav(tmp_path / "call.wav")

    assert zone.message.text() == (
        "Close takes a link to the recording, not a file — paste an https:// link in Recording URL."
    )
    assert not zone.acceptDrops()
    assert not drag_enter(zone, mime_for(wav))
    assert not drop(zone, mime_for(wav))
    assert not zone.choose_button.isVisible()
    assert attach.paths == []
    assert zone.info() is None
    shot(zone, "close-url-only")


@pytest.mark.parametrize("vendor", [Vendor.APOLLO, Vendor.BUILDR])
def test_vendors_without_recordings_refuse_drags(
    qtbot: QtBot, tmp_path: Path, vendor: Vendor
) -> None:
    zone = make_zone(qtbot, vendor)
    label = load_schema(vendor).label
    assert zone.message.text() == (
        f"{label} does not take call recordings, so there is nothing to attach."
    )
    assert not drag_enter(zone, mime_for(silent_wav(tmp_path / "call.wav")))
    assert not zone.choose_button.isVisible()
    if vendor is Vendor.APOLLO:
        shot(zone, "apollo-none")


def test_pipedrive_refuses_several_files_or_remote_urls(qtbot: QtBot, tmp_path: Path) -> None:
    zone = make_zone(qtbot, Vendor.PIPEDRIVE)
    both = QMimeData()
    both.setUrls(
        [
            QUrl.fromLocalFile(str(silent_wav(tmp_path / "a.wav"))),
            QUrl.fromLocalFile(str(silent_wav(tmp_path / "b.wav"))),
        ]
    )
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.com/call.mp3")])
    assert not drag_enter(zone, both)
    assert not drag_enter(zone, remote)
    assert drag_enter(zone, mime_for(tmp_path / "a.wav"))


@pytest.mark.asyncio
async def test_dropping_a_wav_shows_it_offers_its_length_and_queues_the_upload(
    qtbot: QtBot, tmp_path: Path
) -> None:
    attach = FakeAttach()
    zone = make_zone(qtbot, Vendor.PIPEDRIVE, attach)
    assert "calldesk keeps a copy until the CRM confirms" in zone.copy_note.text()
    shot(zone, "pipedrive-empty")
    wav = silent_wav(tmp_path / "Call with Dana.wav")
    before = wav.read_bytes()
    offered: list[int] = []
    queued: list[str] = []
    zone.duration_offered.connect(offered.append)
    zone.queued.connect(queued.append)

    assert drag_enter(zone, mime_for(wav))
    assert drop(zone, mime_for(wav))
    assert zone.status_label.text() == "Checking Call with Dana.wav…"  # read off the GUI thread
    assert not drag_enter(zone, mime_for(wav))  # one file at a time, already while checking

    await until(lambda: zone.name_label.text() == "Call with Dana.wav")
    assert zone.size_label.text() == inspect_recording(wav).size_text
    assert zone.length_label.text() == "0:02"
    assert zone.error() is None
    await until(lambda: zone.op_id() == "op-1")
    assert attach.paths == [wav]
    assert queued == ["op-1"]
    assert zone.progress.isVisible()
    assert zone.status_label.text() == "Waiting to upload"

    assert zone.use_duration_button.text() == "Use 0:02 as duration"
    zone.use_duration_button.click()
    assert offered == [2]

    # While one upload is held, a second drop is refused (one recording per call).
    assert not drag_enter(zone, mime_for(wav))
    assert wav.read_bytes() == before  # the rep's file is never touched
    shot(zone, "pipedrive-queued")


@pytest.mark.asyncio
async def test_a_text_file_named_mp3_is_refused_by_its_bytes(qtbot: QtBot, tmp_path: Path) -> None:
    attach = FakeAttach()
    zone = make_zone(qtbot, Vendor.PIPEDRIVE, attach)
    fake = tmp_path / "notes.mp3"
    fake.write_text("these are meeting notes, not audio\n" * 20, encoding="utf-8")

    assert drag_enter(zone, mime_for(fake))
    drop(zone, mime_for(fake))
    await until(lambda: zone.error() is not None)

    error = zone.error()
    assert error is not None
    assert "notes.mp3 is not an audio file" in error
    assert zone.accessibleDescription() == error
    assert "#" in zone.error_label.styleSheet()  # shown in the palette-aware error red
    assert not zone.attachment.isVisible()
    assert not zone.upload.isVisible()
    assert zone.info() is None
    await asyncio.sleep(0)
    assert attach.paths == []
    shot(zone, "pipedrive-not-audio")

    # A good file afterwards clears the error.
    wav = silent_wav(tmp_path / "good.wav")
    assert drag_enter(zone, mime_for(wav))
    assert drop(zone, mime_for(wav))
    assert zone.error() is None
    await until(lambda: zone.op_id() is not None)


@pytest.mark.asyncio
async def test_progress_done_failed_cancel_and_retry(qtbot: QtBot, tmp_path: Path) -> None:
    zone = make_zone(qtbot, Vendor.PIPEDRIVE)
    assert zone.take_file(silent_wav(tmp_path / "call.wav"))
    await until(lambda: zone.op_id() == "op-1")
    cancels: list[str] = []
    retries: list[str] = []
    zone.cancel_requested.connect(cancels.append)
    zone.retry_requested.connect(retries.append)

    zone.set_progress("someone-else", 9, 10)
    assert zone.progress.value() == 0
    zone.set_progress("op-1", 250_000, 1_000_000)
    assert zone.progress.value() == zone.progress.maximum() // 4
    assert zone.status_label.text() == "Uploading 250.0 KB of 1.0 MB"
    shot(zone, "pipedrive-uploading")

    zone.set_failed("op-1", "Pipedrive answered 503: try again later")
    assert zone.error() == "Pipedrive answered 503: try again later"
    assert zone.retry_button.isVisible()
    shot(zone, "pipedrive-failed")
    zone.retry_button.click()
    assert retries == ["op-1"]
    assert zone.error() is None
    assert zone.progress.value() == 0
    assert not zone.retry_button.isVisible()

    zone.set_progress("op-1", 10, 10)
    zone.set_done("op-1")
    assert zone.progress.value() == zone.progress.maximum()
    assert zone.status_label.text() == "Uploaded"
    assert not zone.cancel_button.isVisible()
    shot(zone, "pipedrive-done")


@pytest.mark.asyncio
async def test_cancel_emits_the_op_and_frees_the_zone(qtbot: QtBot, tmp_path: Path) -> None:
    zone = make_zone(qtbot, Vendor.PIPEDRIVE)
    wav = silent_wav(tmp_path / "call.wav")
    zone.take_file(wav)
    await until(lambda: zone.op_id() == "op-1")
    cancels: list[str] = []
    zone.cancel_requested.connect(cancels.append)

    zone.cancel_button.click()

    assert cancels == ["op-1"]
    assert zone.op_id() is None
    assert not zone.attachment.isVisible()
    assert drag_enter(zone, mime_for(wav))  # a new file may be dropped again


@pytest.mark.asyncio
async def test_a_refusal_from_attach_is_shown_and_nothing_is_kept(
    qtbot: QtBot, tmp_path: Path
) -> None:
    async def deleted(info: RecordingInfo) -> Operation:
        await asyncio.sleep(0)
        raise RecordingRejected("this call is deleted")

    zone = RecordingDropZone(load_schema(Vendor.PIPEDRIVE), check=check_off_thread, attach=deleted)
    qtbot.addWidget(zone)
    zone.show()
    zone.take_file(silent_wav(tmp_path / "call.wav"))
    await until(lambda: zone.error() is not None)
    assert zone.error() == "this call is deleted"
    assert zone.op_id() is None
    assert not zone.attachment.isVisible()


@pytest.mark.asyncio
async def test_choose_file_opens_a_dialog_without_blocking(qtbot: QtBot, tmp_path: Path) -> None:
    attach = FakeAttach()
    zone = make_zone(qtbot, Vendor.PIPEDRIVE, attach)
    wav = silent_wav(tmp_path / "picked.wav")

    zone.choose_button.click()
    dialog = zone.file_dialog()
    assert dialog is not None
    assert dialog.isVisible()  # opened with open(): this test is still running
    dialog.fileSelected.emit(str(wav))
    dialog.close()

    await until(lambda: zone.name_label.text() == "picked.wav")
    await until(lambda: attach.paths == [wav])


def test_lengths_read_as_minutes_and_seconds() -> None:
    assert format_length(2) == "0:02"
    assert format_length(252) == "4:12"
    assert format_length(3725) == "1:02:05"


@pytest.mark.asyncio
async def test_track_brings_a_queued_upload_back_after_a_reset(
    qtbot: QtBot, tmp_path: Path
) -> None:
    zone = make_zone(qtbot, Vendor.PIPEDRIVE)
    assert zone.take_file(silent_wav(tmp_path / "call.wav"))
    await until(lambda: zone.op_id() == "op-1")
    zone.reset()  # the rep opened another call
    assert zone.op_id() is None and not zone.attachment.isVisible()

    zone.track("op-1")  # and came back while the upload is still queued
    assert zone.op_id() == "op-1"
    assert zone.name_label.text() == "call.wav"
    assert zone.length_label.text() == "0:02"
    assert zone.upload.isVisible() and zone.cancel_button.isEnabled()
    assert not zone.choose_button.isEnabled()
    assert not drag_enter(zone, mime_for(tmp_path / "call.wav"))  # one upload at a time
    zone.set_progress("op-1", 5, 10)
    assert zone.progress.value() == zone.progress.maximum() // 2

    zone.reset()
    zone.track("op-9", failed="Pipedrive answered 503")  # queued before a restart
    assert zone.name_label.text() == "Queued recording"
    assert zone.error() == "Pipedrive answered 503"
    assert zone.retry_button.isVisible()


@pytest.mark.asyncio
async def test_duration_offer_can_be_blocked_with_a_reason(qtbot: QtBot, tmp_path: Path) -> None:
    zone = make_zone(qtbot, Vendor.PIPEDRIVE)
    zone.set_duration_blocked("Pipedrive doesn't allow changes to a logged call")
    assert zone.take_file(silent_wav(tmp_path / "call.wav"))
    await until(lambda: zone.use_duration_button.isVisible())
    assert not zone.use_duration_button.isEnabled()
    assert zone.use_duration_button.toolTip().startswith("Pipedrive doesn't allow")
    zone.set_duration_blocked(None)
    assert zone.use_duration_button.isEnabled()
    with qtbot.waitSignal(zone.duration_offered) as offered:
        zone.use_duration_button.click()
    assert offered.args == [2]
    await until(lambda: zone.op_id() == "op-1")
