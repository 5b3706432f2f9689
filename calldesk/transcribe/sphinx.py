"""The built-in engine: PocketSphinx with the US English model its PyPI package ships.

Works with nothing downloaded; lower quality than Whisper. The audio is read in chunks of
:data:`CHUNK_S` seconds, cut into utterances at pauses by PocketSphinx's own voice-activity
endpointer (as its command line does; at most :data:`MAX_UTTERANCE_S` each), and every utterance
is decoded whole; the recognised words are grouped into segments at pauses.
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

#: Seconds of audio read at once (bounds memory and the time between progress reports).
CHUNK_S = 10.0
#: Speech longer than this (seconds) without a pause is decoded in pieces of this length:
#: PocketSphinx slows down sharply on long utterances.
MAX_UTTERANCE_S = 12.0
MAX_UTTERANCE_BYTES = int(MAX_UTTERANCE_S * 2 * 16_000)
#: A pause at least this long starts a new segment.
PAUSE_S = 0.6
#: A segment holds at most this many words.
MAX_WORDS = 24
_FRAMES_PER_S = 100  # pocketsphinx's default frame rate


class SphinxEngine:
    """PocketSphinx, English only (its shipped model); ``spec.language`` must be en or None."""

    name = "pocketsphinx"

    def __init__(self, spec: EngineSpec) -> None:
        language = (spec.language or "en").split("-")[0].lower()
        if language != "en":
            raise EngineUnavailable(
                f"the built-in engine understands English only, not {spec.language!r}; "
                "choose the Whisper engine for other languages"
            )
        import pocketsphinx

        pocketsphinx.set_loglevel("FATAL")
        self._decoder = pocketsphinx.Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
        self._endpointer = pocketsphinx.Endpointer(sample_rate=SAMPLE_RATE)

    def transcribe(
        self, path: Path, *, on_progress: ProgressFn, cancelled: CancelledFn
    ) -> Iterator[Segment]:
        total = duration_s(path)
        on_progress(0.0, total)
        endpointer = self._endpointer
        frame = endpointer.frame_bytes
        utterance = bytearray()
        utterance_start = 0.0
        rest = b""
        for start, samples in pcm_chunks(path, CHUNK_S):
            if cancelled():
                raise TranscriptionCancelled("transcription cancelled")
            data = rest + samples.tobytes()
            whole = len(data) - len(data) % frame
            rest = data[whole:]
            for offset in range(0, whole, frame):
                was_in_speech = endpointer.in_speech
                speech = endpointer.process(data[offset : offset + frame])
                if speech is None:
                    continue
                if not was_in_speech:  # a new stretch of speech (not the rest of a long one)
                    utterance_start = endpointer.speech_start
                utterance += speech
                if not endpointer.in_speech or len(utterance) >= MAX_UTTERANCE_BYTES:
                    if cancelled():
                        raise TranscriptionCancelled("transcription cancelled")
                    yield from self._decode(bytes(utterance), utterance_start)
                    utterance_start += len(utterance) / (2 * SAMPLE_RATE)
                    utterance.clear()
            on_progress(start + samples.shape[0] / SAMPLE_RATE, total)
        if endpointer.in_speech:
            # end_stream needs at least one sample (the file may end on a frame boundary)
            utterance += endpointer.end_stream(rest or bytes(2)) or b""
        if utterance:
            yield from self._decode(bytes(utterance), utterance_start)

    def _decode(self, pcm: bytes, at: float) -> Iterator[Segment]:
        decoder = self._decoder
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        words = [
            (at + s.start_frame / _FRAMES_PER_S, at + (s.end_frame + 1) / _FRAMES_PER_S, s.word)
            for s in decoder.seg()
        ]
        yield from _group(words)


def _clean(word: str) -> str | None:
    if word.startswith(("<", "[")) or not word:
        return None  # <s>, </s>, <sil>, [NOISE]
    return word.split("(", maxsplit=1)[0]  # alternate pronunciations: word(2)


def _group(words: list[tuple[float, float, str]]) -> Iterator[Segment]:
    current: list[tuple[float, float, str]] = []
    for begin, end, raw in words:
        word = _clean(raw)
        if word is None:
            if current and end - begin >= PAUSE_S:
                yield _segment(current)
                current = []
            continue
        current.append((begin, end, word))
        if len(current) >= MAX_WORDS:
            yield _segment(current)
            current = []
    if current:
        yield _segment(current)


def _segment(words: list[tuple[float, float, str]]) -> Segment:
    return Segment(words[0][0], words[-1][1], " ".join(w for _, _, w in words))
