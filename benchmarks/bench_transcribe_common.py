"""Shared set-up of the transcription benchmarks: espeak-ng speech as a 16 kHz mono WAV.

``speech_wav(path, seconds)`` speaks a short sales call (names, numbers, dates) with espeak-ng,
resamples it once to 16 kHz mono (so the bare engines can read the very same file) and repeats
it, with a pause between, to ``seconds``; ``sparse_wav`` makes a long file of one spoken minute
pattern (a sentence, then silence to the minute's end). Set-up is never timed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

CALL = (
    "Hello John, this is Dana from Acme. Thanks for taking my call. "
    "We talked last week about the licences for your sales team. "
    "You need seven hundred seats by Monday morning. "
    "The price is forty two dollars per seat per month. "
    "I will send the contract on Tuesday and call you back on Friday at three thirty."
)
RATE = 16_000
TINY_WHISPER = Path(__file__).resolve().parents[1] / "tests" / "data" / "tiny-whisper"


GREETING = "Hello John. We need seven hundred dollars by Monday morning."


def _spoken_pcm(text: str = CALL) -> bytes:
    import av
    import numpy as np

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "call.wav"
        subprocess.run([espeak, "-v", "en-us+f2", "-s", "140", "-w", str(raw), text], check=True)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        parts = []
        with av.open(str(raw)) as container:
            for frame in container.decode(audio=0):
                parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        return bytes(np.concatenate(parts).astype(np.int16).tobytes())


def _writer(path: Path) -> wave.Wave_write:
    out = wave.open(str(path), "wb")  # noqa: SIM115 (the callers close it with ``with``)
    out.setnchannels(1)
    out.setsampwidth(2)
    out.setframerate(RATE)
    return out


def speech_wav(path: Path, seconds: float, pause_s: float = 0.8) -> Path:
    """``seconds`` of the call spoken over and over, 16 kHz mono."""
    pcm = _spoken_pcm() + bytes(int(pause_s * RATE) * 2)
    total = int(seconds * RATE) * 2
    with _writer(path) as out:
        written = 0
        while written < total:
            piece = pcm[: total - written]
            out.writeframes(piece)
            written += len(piece)
    return path


def sparse_wav(path: Path, minutes: int) -> Path:
    """``minutes`` minutes: each starts with a spoken sentence (~5 s), then silence to the
    minute's end (a call with long pauses; keeps an hour's run to minutes on a slow machine)."""
    pcm = _spoken_pcm(GREETING)[: 60 * RATE * 2]
    minute = pcm + bytes(60 * RATE * 2 - len(pcm))
    with _writer(path) as out:
        for _ in range(minutes):
            out.writeframes(minute)
    return path


def bench_line(name: str, value: float, baseline: float, goal: float, fmt: str = ".3f") -> str:
    ratio = value / baseline if baseline else float("inf")
    return (
        f"BENCH {name} value={value:{fmt}} baseline={baseline:{fmt}} ratio={ratio:.2f} goal={goal}"
    )
