"""A recording is inspected once: the window's check (off the loop's thread) hands what it found
to ``attach_recording``, which does not read the file's type and length again, unless the file
changed since; a path alone is still inspected."""

from __future__ import annotations

import threading
import wave
from pathlib import Path

import pytest

import calldesk.sync.services as services
from calldesk.domain import OpKind, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.sync.recordings import MAX_RECORDING_BYTES, RecordingInfo, RecordingRejected
from tests.sync.sync_support import pipedrive_values, sandbox_account, sync_runtime


def _wav(path: Path, seconds: int = 2) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * 8000 * seconds)
    return path


@pytest.mark.asyncio
async def test_the_inspection_runs_once_off_the_loop_thread(
    sandbox_server: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = services.inspect_recording
    threads: list[threading.Thread] = []

    def counted(path: Path, max_bytes: int = MAX_RECORDING_BYTES) -> RecordingInfo:
        threads.append(threading.current_thread())
        return real(path, max_bytes)

    monkeypatch.setattr(services, "inspect_recording", counted)
    account = sandbox_account(sandbox_server, Vendor.PIPEDRIVE)
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        record = await rt.service.log_call(account.name, pipedrive_values(1))
        wav = _wav(tmp_path / "call.wav")
        info = await rt.service.inspect_recording(account.name, wav)
        assert info.duration_s == 2 and threads and threads[0] is not threading.main_thread()
        op = await rt.service.attach_recording(account.name, record.local_id, info)
        assert op.kind == OpKind.UPLOAD
        assert len(threads) == 1  # not inspected again

        # the file changed after it was checked: it is read again (and refused if it must be)
        wav.write_text("not audio any more, and longer than before" * 100, encoding="utf-8")
        with pytest.raises(RecordingRejected, match="not an audio file"):
            await rt.service.attach_recording(account.name, record.local_id, info)
        assert len(threads) == 2
        # a path alone (the command line) is inspected as before
        with pytest.raises(RecordingRejected):
            await rt.service.attach_recording(account.name, record.local_id, wav)
        assert len(threads) == 3
