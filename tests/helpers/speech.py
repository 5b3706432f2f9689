"""Speech for the transcription tests and benchmarks: espeak-ng renders a known sentence (a name
and a number) to a WAV file, and :func:`loop_wav` repeats one to any length; :func:`wer`
measures a transcript against the sentence (jiwer)."""

from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

#: The sentence the tests speak: a name (John) and a number (seven hundred).
SENTENCE = "Hello John. We need seven hundred dollars by Monday morning."
KEY_WORDS = ("john", "seven", "hundred", "monday")
# the voice and speed at which the built-in engine understands espeak-ng best (measured)
VOICE = ("-v", "en-us+f2", "-s", "140")


def speak(text: str, out: Path) -> Path:
    """Render ``text`` with espeak-ng into the WAV file ``out``."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng; see README)")
    subprocess.run([espeak, *VOICE, "-w", str(out), text], check=True, timeout=60)
    return out


def loop_wav(source: Path, out: Path, seconds: float, pause_s: float = 0.5) -> Path:
    """Write ``out``: ``source`` repeated, with a pause between, until it lasts ``seconds``."""
    with wave.open(str(source), "rb") as src:
        params = src.getparams()
        silence = b"\0" * (int(pause_s * params.framerate) * params.sampwidth * params.nchannels)
        frames = src.readframes(src.getnframes()) + silence
    per_repeat = params.nframes + int(pause_s * params.framerate)
    repeats = max(1, int(seconds * params.framerate / per_repeat) + 1)
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        for _ in range(repeats):
            dst.writeframes(frames)
    return out


def pad_wav(source: Path, out: Path, lead_s: float) -> Path:
    """Write ``out``: ``lead_s`` seconds of silence, then ``source`` (a long file that a
    voice-activity detector gets through quickly)."""
    with wave.open(str(source), "rb") as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    with wave.open(str(out), "wb") as dst:
        dst.setparams(params)
        dst.writeframes(b"\0" * (int(lead_s * params.framerate) * params.sampwidth))
        dst.writeframes(frames)
    return out


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of ``hypothesis`` against ``reference`` (case and punctuation ignored)."""
    import jiwer

    return float(jiwer.wer(" ".join(words(reference)), " ".join(words(hypothesis)) or "-"))
