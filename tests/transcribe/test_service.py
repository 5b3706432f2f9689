"""The window's transcription service: a worker process per call, progress and segments on the
loop, the transcript kept with the call in the real store, cancel, and plain failures."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from calldesk.domain.transcript import Segment
from calldesk.store.paths import DB_FILENAME, Paths
from calldesk.store.worker import DbWorker
from calldesk.sync.transcription import TranscriptionService
from calldesk.transcribe import TranscriptionCancelled, UnreadableAudio
from calldesk.transcribe.settings import TranscriptionSettings
from tests.helpers.speech import KEY_WORDS, words
from tests.store.conftest import build, row_of, text_of


async def open_service(home: Path) -> tuple[TranscriptionService, DbWorker, str]:
    paths = Paths.under(home)
    worker = await DbWorker.open(paths.data_dir / DB_FILENAME, build)
    fields = {"who": "John"}
    record = await worker.run(
        lambda store: store.outbox.save_new("acc", fields, row_of(fields), text_of(fields))
    )
    return TranscriptionService(worker, paths), worker, record.local_id


@pytest.mark.asyncio
async def test_a_transcript_is_made_in_the_background_and_kept_with_the_call(
    tmp_path: Path, sentence_wav: Path
) -> None:
    service, worker, local_id = await open_service(tmp_path)
    try:
        assert service.availability().available
        assert "built-in engine" in service.availability().message
        progress: list[float | None] = []
        seen: list[Segment] = []
        task = asyncio.ensure_future(
            service.transcribe(
                local_id, sentence_wav, on_progress=progress.append, on_segment=seen.append
            )
        )
        await asyncio.sleep(0)
        assert service.running(local_id)
        transcript = await asyncio.wait_for(task, 120)
        assert not service.running(local_id)
        assert set(KEY_WORDS) <= set(words(transcript.text))
        assert list(transcript.segments) == seen
        assert progress and progress[-1] is not None
        assert await service.transcript(local_id) == transcript
        assert await service.search("monday") == [local_id]
    finally:
        await worker.aclose()


@pytest.mark.asyncio
async def test_cancel_and_bad_files_raise_plainly_and_keep_nothing(
    tmp_path: Path, long_wav: Path
) -> None:
    service, worker, local_id = await open_service(tmp_path)
    try:
        started = asyncio.Event()
        task = asyncio.ensure_future(
            service.transcribe(local_id, long_wav, on_segment=lambda s: started.set())
        )
        await asyncio.wait_for(started.wait(), 120)
        assert service.cancel(local_id)
        with pytest.raises(TranscriptionCancelled):
            await asyncio.wait_for(task, 10)
        assert not service.cancel(local_id)
        assert await service.transcript(local_id) is None

        notes = tmp_path / "notes.mp3"
        notes.write_text("not audio\n" * 100)
        with pytest.raises(UnreadableAudio, match=r"can.t read notes\.mp3"):
            await service.transcribe(local_id, notes)
        assert await service.transcript(local_id) is None
    finally:
        await worker.aclose()


@pytest.mark.asyncio
async def test_a_whisper_choice_without_its_model_says_so(tmp_path: Path) -> None:
    service, worker, _ = await open_service(tmp_path)
    try:
        TranscriptionSettings(engine="whisper", model="base").save(Paths.under(tmp_path))
        availability = service.availability()
        assert not availability.available
        assert "'base' is not downloaded yet" in availability.message
    finally:
        await worker.aclose()
