"""The window's step-4 features over the real engine and the sandbox CRMs on a real socket.

Recordings dropped on the editor's zone and on a list row, drafts restored after a restart,
conflicts resolved field by field, the accounts dialog reopening the backend, focus keys.
"""

from __future__ import annotations

import asyncio
import struct
import time
import wave
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from calldesk.app import account_tools, open_backend
from calldesk.domain import Account, KeySource, SyncState, Vendor
from calldesk.sandbox import SANDBOX_KEYS, SandboxServer
from calldesk.sandbox.base import iso_offset
from calldesk.store.accounts import AccountsConfig
from calldesk.store.paths import Paths
from calldesk.store.secrets import Secrets
from calldesk.ui.qtapp import BackendSession
from calldesk.ui.window import MainWindow
from tests.helpers.waiting import until as wait_until


async def until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """``tests.helpers.waiting.until``, with this file's deadline."""
    await wait_until(condition, timeout)


def _accounts(server: SandboxServer, *vendors: Vendor) -> list[Account]:
    return [
        Account(v.value, v, server.base_url(v), KeySource("env", f"K_{v.name}")) for v in vendors
    ]


@asynccontextmanager
async def running_window(
    qtbot: QtBot,
    home: Path,
    accounts: Sequence[Account],
    *,
    with_tools: bool = False,
    secret_for: Callable[[Account], str] | None = None,
) -> AsyncIterator[MainWindow]:
    paths = Paths.under(home)
    tools = account_tools(AccountsConfig.for_paths(paths), Secrets()) if with_tools else None
    config = AccountsConfig.for_paths(paths)

    def sandbox_secret(account: Account) -> str:
        return SANDBOX_KEYS[account.vendor]

    secret_for = secret_for or sandbox_secret

    session = BackendSession(
        lambda: open_backend(
            paths, [*accounts, *config.load()] if with_tools else accounts, secret_for, tools=tools
        )
    )
    backend = await session.open()
    try:
        window = MainWindow(
            backend, settings_path=paths.config_dir / "window.ini", reopen=session.reopen
        )
        qtbot.addWidget(window)
        window.show()
        window.start()
        try:
            yield window
        finally:
            window.close()
            await window.shutdown()
    finally:
        await session.close()


def _wav(path: Path, seconds: float = 2.0, rate: int = 8000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = int(seconds * rate)
        out.writeframes(b"".join(struct.pack("<h", (i * 37) % 2000 - 1000) for i in range(frames)))
    return path


def _drop(target: QWidget, path: Path, at: QPoint | None = None) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    point = QPointF(at if at is not None else target.rect().center())
    event = QDropEvent(
        point,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dropEvent(event)  # what Qt calls when the rep lets go of the file
    return event


async def _first_row(window: MainWindow, account: str) -> int:
    await window.refresh_all()
    await until(lambda: any(r.account == account for r in window.model.rows()))
    return next(n for n, r in enumerate(window.model.rows()) if r.account == account)


@pytest.mark.asyncio
async def test_drop_a_wav_on_a_pipedrive_call_uploads_it_with_progress(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, tmp_path: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as window:
        # A new, unsaved call has no zone: the rep is told to save first.
        assert window.drop_zone is None and window.drop_hint.isVisibleTo(window)
        row = await _first_row(window, "pipedrive")
        summary = window.model.row_at(row)
        assert summary.remote_id is not None
        seen: list[tuple[str, int, int]] = []
        assert window.backend.progress is not None
        unsubscribe = window.backend.progress.subscribe(lambda *a: seen.append(a))
        await window.open_record("pipedrive", summary.local_id)
        zone = window.drop_zone
        assert zone is not None and zone.accepts_files()
        assert not window.drop_hint.isVisibleTo(window)
        before = len(api.recordings())

        event = _drop(zone, _wav(tmp_path / "call.wav"))
        assert event.isAccepted()
        await until(lambda: zone.op_id() is not None)
        op_id = zone.op_id()
        await until(lambda: zone.status_label.text() == "Uploaded")
        unsubscribe()

        assert zone.progress.value() == zone.progress.maximum()
        assert seen and seen[-1][0] == op_id and seen[-1][1] == seen[-1][2] > 0
        assert len(api.recordings()) == before + 1
        assert api.recording_files[summary.remote_id][1] == (tmp_path / "call.wav").stat().st_size
        # A logged Pipedrive call can't change, so its length is not offered as the duration.
        form = window.form
        assert form is not None and form.locked_reason()
        assert not zone.use_duration_button.isEnabled()
        duration = form.fields["duration"].text()
        zone.use_duration_button.click()
        assert form.fields["duration"].text() == duration


@pytest.mark.asyncio
async def test_close_refuses_recording_files_plainly_in_zone_and_on_list_rows(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, tmp_path: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE, Vendor.PIPEDRIVE)
    ) as window:
        row = await _first_row(window, "close")
        summary = window.model.row_at(row)
        await window.open_record("close", summary.local_id)
        zone = window.drop_zone
        assert zone is not None and not zone.accepts_files()
        assert "link" in zone.message.text() and not zone.acceptDrops()

        wav = _wav(tmp_path / "call.wav")
        refusals: list[str] = []
        window.table.drag_refused.connect(refusals.append)
        point = window.table.visualRect(window.model.index(row, 2)).center()
        event = _drop(window.table, wav, point)
        assert not event.isAccepted()
        assert refusals and "link" in refusals[-1]
        assert "Close" in refusals[-1]


@pytest.mark.asyncio
async def test_drop_on_a_pipedrive_list_row_attaches_to_that_call(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path, tmp_path: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.PIPEDRIVE]
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.PIPEDRIVE)
    ) as window:
        row = await _first_row(window, "pipedrive")
        await until(lambda: window.table.visualRect(window.model.index(row, 2)).isValid())
        summary = window.model.row_at(row)
        point = window.table.visualRect(window.model.index(row, 2)).center()
        event = _drop(window.table, _wav(tmp_path / "row.wav"), point)
        assert event.isAccepted()
        await until(lambda: window.editing == ("pipedrive", summary.local_id))
        await until(lambda: summary.remote_id in api.recording_files)


@pytest.mark.asyncio
async def test_a_typed_draft_survives_a_restart(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    accounts = _accounts(sandbox_server, Vendor.CLOSE)
    async with running_window(qtbot, calldesk_home, accounts) as window:
        form = window.form
        assert form is not None
        phone = form.fields["phone"].focus_widget()
        phone.setFocus()
        QTest.keyClicks(phone, "+1 650 555 0199")
        await until(lambda: window.editor.drafts.pending is not None)
        deadline = time.monotonic() + 10
        while not (drafts := await window.service.drafts()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            QApplication.processEvents()  # the draft is kept by a debounce timer
        assert drafts and drafts[0].form["phone"] == "+1 650 555 0199"

    async with running_window(qtbot, calldesk_home, accounts) as again:

        def digits(text: str) -> str:
            return "".join(c for c in text if c.isdigit())

        # Back as typed (the phone field tidies its spacing once it is shown).
        await until(
            lambda: (
                again.form is not None
                and digits(again.form.fields["phone"].text()) == "16505550199"
            )
        )
        assert again.editing == ("close", None)


@pytest.mark.asyncio
async def test_a_conflict_opens_the_resolution_view_and_applies_the_chosen_fields(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)
    ) as window:
        row = await _first_row(window, "close")
        summary = window.model.row_at(row)
        assert summary.remote_id is not None
        window.set_offline(True)
        await window.service.update_call(
            "close", summary.local_id, {"note": "mine", "phone": "+16505550101"}
        )
        crm = api.calls[summary.remote_id]
        crm["note"] = "theirs"
        crm["phone"] = "+16505550202"
        crm["date_updated"] = iso_offset(datetime.now(UTC) + timedelta(hours=1))
        await window.service.refresh("close")
        record = await window.service.find("close", summary.local_id)
        assert record.state == SyncState.CONFLICT

        await window.open_record("close", summary.local_id)
        view = window.conflict_view
        assert window.editor_stack.currentWidget() is view
        assert set(view.differing_fields()) >= {"note", "phone"}
        view.choose("note", mine=True)
        view.choose("phone", mine=False)
        view.apply_button.click()
        await until(lambda: window.form is not None)
        record = await window.service.find("close", summary.local_id)
        assert record.fields["note"] == "mine"
        assert record.fields["phone"] == "+16505550202"
        assert record.state == SyncState.PENDING

        window.set_offline(False)
        window.sync_now()
        await until(lambda: crm["note"] == "mine", timeout=20)
        assert crm["phone"] == "+16505550202"


@pytest.mark.asyncio
async def test_accounts_dialog_adds_an_account_without_restarting(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(qtbot, calldesk_home, [], with_tools=True) as window:
        # No accounts: a calm invitation, not an error.
        assert window.editor_stack.currentWidget() is window.empty_page
        assert window.accounts_action.isVisible()
        window.add_account_button.click()
        dialog = window.accounts_dialog
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        assert window.isEnabled()

        dialog.vendor_combo.setCurrentIndex(dialog.vendor_combo.findData(Vendor.CLOSE.value))
        dialog.name_edit.setText("work")
        dialog.url_edit.setText(sandbox_server.base_url(Vendor.CLOSE))
        dialog.keyring_radio.setChecked(True)
        dialog.key_edit.setText(SANDBOX_KEYS[Vendor.CLOSE])
        assert dialog.save(), dialog.error()
        await until(lambda: window.sidebar_accounts() == ["work"], timeout=20)
        await until(lambda: window.form is not None and window.form.account_name == "work")
        await until(lambda: window.model.total() > 0, timeout=20)


@pytest.mark.asyncio
async def test_keys_move_focus_between_list_and_editor(
    qtbot: QtBot, sandbox_server: SandboxServer, calldesk_home: Path
) -> None:
    async with running_window(
        qtbot, calldesk_home, _accounts(sandbox_server, Vendor.CLOSE)
    ) as window:
        window.activateWindow()
        await _first_row(window, "close")
        window.focus_list()
        await until(window.table.hasFocus)
        QTest.keyClick(window.table, Qt.Key.Key_Tab)
        form = window.form
        assert form is not None
        await until(lambda: form.isAncestorOf(QApplication.focusWidget()))
        focused = QApplication.focusWidget()
        assert focused is not None
        QTest.keyClick(focused, Qt.Key.Key_Escape)
        await until(window.table.hasFocus)
        QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        await until(window.search.hasFocus)
        assert (
            window.sync_action.shortcut().matches(QKeySequence(Qt.Key.Key_F5))
            == QKeySequence.SequenceMatch.ExactMatch
        )
