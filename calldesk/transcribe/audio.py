"""Reading a recording as 16 kHz mono PCM, a bounded chunk at a time (PyAV, FFmpeg's decoders).

Both engines take 16 kHz mono audio. :func:`pcm_chunks` decodes and resamples the file as a
stream and yields it in chunks of a fixed length, so an hour-long recording never sits in memory
whole: at most one chunk plus one decoded frame does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.transcribe.engine import UnreadableAudio

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SAMPLE_RATE = 16_000


def _open(path: Path):  # type: ignore[no-untyped-def]
    import av

    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise UnreadableAudio(
            f"calldesk can't read {path.name}: it is not audio in a format it knows ({reason})"
        ) from None
    if not container.streams.audio:
        container.close()
        raise UnreadableAudio(f"{path.name} has no audio track")
    return container


def duration_s(path: Path) -> float | None:
    """The recording's length in seconds from its container, or ``None`` when it doesn't say."""
    container = _open(path)
    try:
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        if container.duration is not None:
            return float(container.duration) / 1_000_000
        return None
    finally:
        container.close()


def pcm_chunks(path: Path, chunk_s: float) -> Iterator[tuple[float, npt.NDArray[np.int16]]]:
    """Yield ``(start seconds, int16 samples)`` of at most ``chunk_s`` seconds each, in order."""
    import av
    import numpy as np

    size = int(chunk_s * SAMPLE_RATE)
    container = _open(path)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    parts: list[npt.NDArray[np.int16]] = []
    held = 0
    start = 0.0

    def frames() -> Iterator[npt.NDArray[np.int16]]:
        try:
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    yield (
                        out.to_ndarray()
                        .reshape(-1)
                        .astype(np.int16, copy=False)
                        .astype(np.int16, copy=False)
                    )
            for out in resampler.resample(None):
                yield out.to_ndarray().reshape(-1).astype(np.int16, copy=False)
        except av.error.FFmpegError as exc:
            raise UnreadableAudio(
                f"calldesk can't read {path.name}: its audio is damaged ({exc.strerror})"
            ) from None

    try:
        for samples in frames():
            parts.append(samples)
            held += samples.shape[0]
            while held >= size:
                joined = np.concatenate(parts)
                yield start, joined[:size]
                start += size / SAMPLE_RATE
                rest = joined[size:]
                parts, held = ([rest] if rest.shape[0] else []), rest.shape[0]
        if held:
            yield start, np.concatenate(parts)
    finally:
        container.close()
