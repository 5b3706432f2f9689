"""The engine interface: ``transcribe(path) -> segments`` with progress and cancel.

An engine reads a recording in chunks (see :mod:`calldesk.transcribe.audio`), so memory stays
bounded for an hour-long call, reports how many seconds of audio it has done, checks
``cancelled()`` between chunks and yields :class:`Segment` values as it goes. Engines are named
by an :class:`EngineSpec` (plain data, so it crosses into the worker process) and built there by
:func:`open_engine`, which imports the engine's library only then.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from calldesk.domain.transcript import Segment, transcript_text

__all__ = ["Segment", "transcript_text"]  # re-exported: the engines' output type

#: What the rep runs to get the engines.
INSTALL_HINT = 'pip install "calldesk[transcribe]"'

#: The engines calldesk knows, in the order it prefers them.
ENGINE_NAMES: tuple[str, ...] = ("whisper", "pocketsphinx")

_LIBRARY = {"whisper": "faster_whisper", "pocketsphinx": "pocketsphinx"}


class TranscriptionError(Exception):
    """Transcription could not be done; the message says why in a rep's words."""


class EngineUnavailable(TranscriptionError):
    """The engine's library (or its model) is not installed."""


class UnreadableAudio(TranscriptionError):
    """The recording is not in a format the engine can read."""


class TranscriptionCancelled(TranscriptionError):
    """The rep cancelled."""


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """Which engine to build, with what: picklable, sent to the worker process.

    ``model_dir`` is the Whisper model folder (downloaded or the rep's own); ``language`` an
    ISO 639-1 code or ``None`` for the engine's default; ``threads`` 0 lets the engine choose.
    """

    name: str
    model_dir: str | None = None
    language: str | None = None
    threads: int = 0
    options: tuple[tuple[str, str], ...] = field(default=())


#: Reports progress: seconds of audio done, total seconds (``None`` when unknown).
ProgressFn = Callable[[float, float | None], None]
CancelledFn = Callable[[], bool]


class Engine(Protocol):
    """What every engine offers (built in the worker process by :func:`open_engine`)."""

    name: str

    def transcribe(
        self, path: Path, *, on_progress: ProgressFn, cancelled: CancelledFn
    ) -> Iterator[Segment]:
        """Yield the recording's segments in order; raise :class:`TranscriptionCancelled`
        once ``cancelled()`` is true, :class:`UnreadableAudio` for a file it can't decode."""
        ...


def engine_available(name: str) -> bool:
    """Whether the engine's library is installed (without importing it)."""
    library = _LIBRARY.get(name)
    return library is not None and importlib.util.find_spec(library) is not None


def open_engine(spec: EngineSpec) -> Engine:
    """Build the engine ``spec`` names (imports its library; slow: call in the worker)."""
    if spec.name not in _LIBRARY:
        raise EngineUnavailable(
            f"unknown engine {spec.name!r} (choose one of {', '.join(ENGINE_NAMES)})"
        )
    if not engine_available(spec.name):
        raise EngineUnavailable(
            f"the {spec.name} engine is not installed; install it with: {INSTALL_HINT}"
        )
    if spec.name == "pocketsphinx":
        from calldesk.transcribe.sphinx import SphinxEngine

        return SphinxEngine(spec)
    from calldesk.transcribe.whisper import WhisperEngine

    return WhisperEngine(spec)
