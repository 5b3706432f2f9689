"""Peak memory of the transcription worker on a 60-minute recording (bounded: chunked reading).

A 60-minute 16 kHz WAV (110 MB: each minute a spoken sentence, then silence) is transcribed by the
built-in engine through calldesk's worker process; the worker reports its own peak RSS
(``ru_maxrss``) when it finishes. The baseline is the same worker on a 60-second file, in the
same run: with chunked reading the hour should need about what the minute needs.

Run: ``python benchmarks/bench_transcribe_rss.py``. The last line: peak RSS in MiB for the hour,
the minute as baseline; goal ≤ 1.5×.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench_transcribe_common import bench_line, sparse_wav

from calldesk.transcribe.engine import EngineSpec
from calldesk.transcribe.worker import Failed, Finished, Progress, TranscriptionProcess

GOAL = 1.5


def peak_mib(path: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    reports = 0
    final = None
    for event in TranscriptionProcess(path, EngineSpec("pocketsphinx", language="en")).events():
        if isinstance(event, Progress):
            reports += 1
        final = event
    if isinstance(final, Failed) or not isinstance(final, Finished):
        raise RuntimeError(f"transcription failed: {final}")
    return final.peak_rss_kib / 1024, time.perf_counter() - started, reports


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as tmp:
        minute = sparse_wav(Path(tmp) / "minute.wav", 1)
        hour = sparse_wav(Path(tmp) / "hour.wav", 60)
        print(f"files: {minute.stat().st_size >> 20} MiB, {hour.stat().st_size >> 20} MiB")
        small, small_s, _ = peak_mib(minute)
        print(f"60 s file: worker peak RSS {small:.1f} MiB ({small_s:.1f} s)", flush=True)
        big, big_s, reports = peak_mib(hour)
        print(
            f"60 min file: worker peak RSS {big:.1f} MiB ({big_s:.1f} s, "
            f"{reports} progress reports)"
        )
    print(bench_line("transcribe_worker_rss_60min_mib", big, small, GOAL, ".1f"))


if __name__ == "__main__":
    main()
