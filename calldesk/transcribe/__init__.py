"""Private transcription: a recording becomes timed text on the rep's own machine.

Nothing here sends audio anywhere. The engines (``pocketsphinx``, built in through the
``calldesk[transcribe]`` extra, and ``faster-whisper`` with a model the rep chose) run in a
worker process (:mod:`calldesk.transcribe.worker`) so that their CPU-heavy, GIL-holding work
never stalls the window. The only network use is :mod:`calldesk.transcribe.models`, which
downloads a Whisper model once, when the rep asks for it.

Layer: beside ``calldesk.crm`` (it may use ``domain``, ``schema`` and ``store``; ``sync``, the
CLI and ``ui`` use it). It never imports Qt.
"""

from calldesk.transcribe.engine import (
    ENGINE_NAMES,
    INSTALL_HINT,
    EngineSpec,
    EngineUnavailable,
    Segment,
    TranscriptionCancelled,
    TranscriptionError,
    UnreadableAudio,
    engine_available,
    transcript_text,
)

__all__ = [
    "ENGINE_NAMES",
    "INSTALL_HINT",
    "EngineSpec",
    "EngineUnavailable",
    "Segment",
    "TranscriptionCancelled",
    "TranscriptionError",
    "UnreadableAudio",
    "engine_available",
    "transcript_text",
]
