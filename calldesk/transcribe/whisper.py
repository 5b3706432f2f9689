"""The quality engine: faster-whisper (CTranslate2, int8 on the CPU) with a local model folder.

The model folder is one calldesk downloaded (:mod:`calldesk.transcribe.models`) or one the rep
pointed at; this engine never fetches anything (``local_files_only``). Long recordings are fed
in chunks of :data:`CHUNK_S` seconds, so memory stays bounded; Whisper itself works through each
chunk in 30-second windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from calldesk.transcribe.audio import SAMPLE_RATE, duration_s, pcm_chunks
from calldesk.transcribe.engine import (
    CancelledFn,
    EngineSpec,
    EngineUnavailable,
    ProgressFn,
    Segment,
    TranscriptionCancelled,
)

#: Seconds of audio handed to Whisper at once (10 minutes: ~40 MB of float samples).
CHUNK_S = 600.0
#: Files a CTranslate2 Whisper model folder must hold.
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


def check_model_dir(path: Path) -> None:
    """Raise :class:`EngineUnavailable` unless ``path`` holds a CTranslate2 Whisper model."""
    missing = [name for name in MODEL_FILES if not (path / name).is_file()]
    if missing:
        raise EngineUnavailable(
            f"{path} is not a Whisper model folder (missing {', '.join(missing)}); "
            "download a model in Settings or point calldesk at a faster-whisper model folder"
        )


class WhisperEngine:
    """faster-whisper on the CPU with int8 weights."""

    name = "whisper"

    def __init__(self, spec: EngineSpec) -> None:
        if not spec.model_dir:
            raise EngineUnavailable(
                "no Whisper model chosen yet: download one in Settings (tiny, base or small) "
                "or point calldesk at a model folder"
            )
        model_dir = Path(spec.model_dir)
        check_model_dir(model_dir)
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type="int8",
                cpu_threads=spec.threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise EngineUnavailable(
                f"the Whisper model in {model_dir} can't be loaded: {exc}"
            ) from None
        self._language = spec.language

    def transcribe(
        self, path: Path, *, on_progress: ProgressFn, cancelled: CancelledFn
    ) -> Iterator[Segment]:
        import numpy as np

        total = duration_s(path)
        on_progress(0.0, total)
        for start, samples in pcm_chunks(path, CHUNK_S):
            if cancelled():
                raise TranscriptionCancelled("transcription cancelled")
            length = samples.shape[0] / SAMPLE_RATE
            audio = samples.astype(np.float32) / 32768.0
            segments, _info = self._model.transcribe(audio, language=self._language)
            for piece in segments:
                if cancelled():
                    raise TranscriptionCancelled("transcription cancelled")
                end = min(float(piece.end), length)
                begin = min(float(piece.start), end)
                yield Segment(start + begin, start + end, piece.text.strip())
                on_progress(start + end, total)
            on_progress(start + length, total)
