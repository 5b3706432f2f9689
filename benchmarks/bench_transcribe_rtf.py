"""Real-time factor of each transcription engine through calldesk vs the engine's bare API.

On a 60 s espeak-ng recording (16 kHz mono WAV, so the bare engines read the very same file),
each engine is timed twice per round, alternating: through calldesk (``TranscriptionProcess``:
a spawned worker process that decodes the file in chunks, runs the engine and sends its segments
back) and bare (a fresh ``python -c`` process that calls the engine's own API on the file:
PocketSphinx's ``Segmenter`` + ``Decoder`` as its documentation shows, plus the speech that
runs to the file's end, which ``Segmenter.segment`` drops, so both decode the same audio;
faster-whisper's
``WhisperModel(...).transcribe(path)``). Both clocks run from spawning the process to the last
segment, so both include interpreter start, imports and model load. RTF = time / audio length;
the median of the rounds is reported. The Whisper model is the tiny random one the tests use
(``tests/data/tiny-whisper``; no real model can be fetched here): its RTF says nothing about
Whisper's speed, only about calldesk's overhead around it.

Run: ``python benchmarks/bench_transcribe_rtf.py [rounds]`` (default 3). The last line is the
worse of the two engines' ratios; goal ≤ 1.15.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_transcribe_common import TINY_WHISPER, bench_line, speech_wav

from calldesk.transcribe.engine import EngineSpec
from calldesk.transcribe.worker import Finished, SegmentFound, TranscriptionProcess

SECONDS = 60.0
GOAL = 1.15

BARE = {
    "pocketsphinx": """
import sys, wave
from pocketsphinx import Decoder, Segmenter, set_loglevel
set_loglevel("FATAL")
decoder = Decoder(samprate=16000, loglevel="FATAL")
words = 0
def decode(pcm):
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    return len(decoder.hyp().hypstr.split()) if decoder.hyp() else 0
segmenter = Segmenter(sample_rate=16000)
with wave.open(sys.argv[1], "rb") as audio:
    for speech in segmenter.segment(audio.getfp()):
        words += decode(speech.pcm)
if segmenter.in_speech:  # speech running to the file's end (segment() drops it)
    words += decode(b"".join(segmenter.speech_frames) + (segmenter.end_stream(bytes(2)) or b""))
print(words)
""",
    "whisper": """
import sys
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[2], device="cpu", compute_type="int8", local_files_only=True)
segments, _ = model.transcribe(sys.argv[1], language="en")
print(sum(1 for _ in segments))
""",
}


def calldesk_run(path: Path, spec: EngineSpec) -> tuple[float, int]:
    started = time.perf_counter()
    count = 0
    for event in TranscriptionProcess(path, spec).events():
        if isinstance(event, SegmentFound):
            count += 1
        elif not isinstance(event, Finished) and hasattr(event, "kind"):
            raise RuntimeError(f"calldesk failed: {event}")
    return time.perf_counter() - started, count


def bare_run(path: Path, engine: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", BARE[engine], str(path), str(TINY_WHISPER)],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return time.perf_counter() - started, done.stdout.strip()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    specs = {
        "pocketsphinx": EngineSpec("pocketsphinx", language="en"),
        "whisper": EngineSpec("whisper", str(TINY_WHISPER), "en"),
    }
    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        path = speech_wav(Path(tmp) / "call-60s.wav", SECONDS)
        for engine, spec in specs.items():
            ours: list[float] = []
            bare: list[float] = []
            for _ in range(rounds):
                elapsed, segments = calldesk_run(path, spec)
                ours.append(elapsed)
                elapsed_bare, said = bare_run(path, engine)
                bare.append(elapsed_bare)
                print(
                    f"{engine}: calldesk {elapsed:.2f} s ({segments} segments), "
                    f"bare {elapsed_bare:.2f} s ({said})",
                    flush=True,
                )
            value, base = statistics.median(ours), statistics.median(bare)
            ratios[engine] = value / base
            print(
                f"{engine}: RTF calldesk {value / SECONDS:.3f}, bare {base / SECONDS:.3f}, "
                f"ratio {value / base:.2f}"
            )
            print(bench_line(f"transcribe_rtf_{engine}", value / SECONDS, base / SECONDS, GOAL))
    worst = max(ratios, key=lambda name: ratios[name])
    print(
        f"BENCH transcribe_rtf value={ratios[worst]:.2f} baseline=1.00 "
        f"ratio={ratios[worst]:.2f} goal={GOAL}"
    )


if __name__ == "__main__":
    main()
