"""Transcribing a call's recording in the background and keeping the transcript with the call.

:class:`TranscriptionService` is what the window uses: ``transcribe(local_id, path)`` runs the
engine the rep's settings choose in a worker process (:mod:`calldesk.transcribe.worker`),
reports progress and segments through callbacks on the event loop, and stores the finished
transcript with the call (never inserted into the note or sent anywhere: that is the rep's
action). One transcription per call at a time; ``cancel(local_id)`` stops it. Waiting for the
worker happens on a helper thread, so the loop never blocks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from calldesk.domain.model import utcnow
from calldesk.domain.transcript import Segment, Transcript
from calldesk.store.local import LocalStore
from calldesk.store.paths import Paths
from calldesk.store.worker import DbWorker
from calldesk.transcribe.engine import (
    INSTALL_HINT,
    EngineSpec,
    EngineUnavailable,
    TranscriptionCancelled,
    TranscriptionError,
    UnreadableAudio,
    engine_available,
)
from calldesk.transcribe.settings import TranscriptionSettings, resolve
from calldesk.transcribe.worker import (
    Failed,
    Finished,
    Progress,
    SegmentFound,
    TranscriptionProcess,
)

#: How long one wait for the worker's next event lasts (bounds how late a cancel is seen).
POLL_S = 0.1

_FAILURES: dict[str, type[TranscriptionError]] = {
    "cancelled": TranscriptionCancelled,
    "unavailable": EngineUnavailable,
    "unreadable": UnreadableAudio,
}


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether transcription can run here; ``message`` says why not, or which engine runs."""

    available: bool
    message: str


ProcessFactory = Callable[[Path, EngineSpec], TranscriptionProcess]


class TranscriptionService:
    """Background transcription for the window (one worker process per running call)."""

    def __init__(
        self,
        worker: DbWorker,
        paths: Paths,
        *,
        process_factory: ProcessFactory = TranscriptionProcess,
    ) -> None:
        self._worker = worker
        self._paths = paths
        self._factory = process_factory
        self._running: dict[str, TranscriptionProcess] = {}

    def settings(self) -> TranscriptionSettings:
        return TranscriptionSettings.load(self._paths)

    def availability(self) -> Availability:
        """Whether an engine is installed and which one a transcription would use."""
        if not any(engine_available(name) for name in ("pocketsphinx", "whisper")):
            return Availability(
                False,
                "Transcription runs on this computer once its engines are installed: "
                f"{INSTALL_HINT}",
            )
        try:
            spec = resolve(self.settings(), self._paths)
        except EngineUnavailable as exc:
            return Availability(False, str(exc))
        label = "Whisper" if spec.name == "whisper" else "the built-in engine"
        return Availability(True, f"Transcribed on this computer with {label}")

    def running(self, key: str) -> bool:
        """Whether call ``key`` (or, for a call not saved yet, the file ``key``) is running."""
        return key in self._running

    def cancel(self, key: str) -> bool:
        """Stop the transcription of call (or file) ``key``; returns whether one was running."""
        process = self._running.get(key)
        if process is None:
            return False
        process.cancel()
        return True

    async def transcript(self, local_id: str) -> Transcript | None:
        return await self._worker.run(lambda store: store.transcripts.get(local_id))

    async def search(self, text: str) -> list[str]:
        """The calls whose transcript matches ``text``."""
        return await self._worker.run(lambda store: store.transcripts.search(text))

    async def transcribe(
        self,
        local_id: str | None,
        path: Path,
        *,
        on_progress: Callable[[float | None], None] = lambda fraction: None,
        on_segment: Callable[[Segment], None] = lambda segment: None,
    ) -> Transcript:
        """Transcribe ``path`` for call ``local_id`` and keep the result with the call (a call
        not saved yet, ``None``, or deleted meanwhile keeps nothing: the transcript is returned).

        Raises :class:`TranscriptionCancelled`, :class:`EngineUnavailable`,
        :class:`UnreadableAudio` or :class:`TranscriptionError` with a message for the rep.
        """
        key = local_id or str(path)
        if key in self._running:
            raise TranscriptionError("this recording is already being transcribed")
        spec = resolve(self.settings(), self._paths)
        loop = asyncio.get_running_loop()
        process = self._factory(path, spec)
        self._running[key] = process
        segments: list[Segment] = []
        try:
            while True:
                event = await loop.run_in_executor(None, process.next_event, POLL_S)
                if isinstance(event, Progress):
                    on_progress(event.fraction)
                elif isinstance(event, SegmentFound):
                    segments.append(event.segment)
                    on_segment(event.segment)
                elif isinstance(event, Failed):
                    raise _FAILURES.get(event.kind, TranscriptionError)(event.message)
                elif isinstance(event, Finished):
                    finished = event
                    break
        except asyncio.CancelledError:
            process.cancel()
            raise
        finally:
            self._running.pop(key, None)
            if process.ended is None:
                process.cancel()
                await loop.run_in_executor(None, process.close)

        made = Transcript(
            local_id or "",
            finished.engine,
            spec.language,
            finished.audio_s,
            tuple(segments),
            utcnow(),
        )
        if local_id is None:
            return made

        def keep(store: LocalStore) -> Transcript | None:
            return store.transcripts.save(
                local_id,
                engine=made.engine,
                language=made.language,
                audio_s=made.audio_s,
                segments=made.segments,
            )

        return await self._worker.run(keep) or made
