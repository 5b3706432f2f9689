"""Running an engine in a worker process, with progress, segments and cancel over a pipe.

Speech recognition is CPU-heavy and holds the GIL, so it never runs in the window's process:
:class:`TranscriptionProcess` starts a fresh (``spawn``) Python process that builds the engine,
transcribes one file and sends :data:`Event` values back as it goes. The process only reads the
recording and writes nothing, so cancelling can end it outright once it has had a moment to stop
by itself. Its peak memory is reported when it finishes.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.transcribe.engine import (
    EngineSpec,
    EngineUnavailable,
    Segment,
    TranscriptionCancelled,
    UnreadableAudio,
    open_engine,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from multiprocessing.synchronize import Event as EventFlag

#: How often (seconds) the worker reports progress at most.
PROGRESS_EVERY_S = 0.2
#: How long a cancelled worker may take to stop by itself before it is ended.
CANCEL_GRACE_S = 0.5


@dataclass(frozen=True, slots=True)
class Progress:
    done_s: float
    total_s: float | None

    @property
    def fraction(self) -> float | None:
        if not self.total_s:
            return None
        return max(0.0, min(1.0, self.done_s / self.total_s))


@dataclass(frozen=True, slots=True)
class SegmentFound:
    segment: Segment


@dataclass(frozen=True, slots=True)
class Finished:
    engine: str
    audio_s: float
    elapsed_s: float
    peak_rss_kib: int


@dataclass(frozen=True, slots=True)
class Failed:
    """``kind``: ``unavailable``, ``unreadable``, ``cancelled`` or ``error``."""

    kind: str
    message: str


Event = Progress | SegmentFound | Finished | Failed


def _main(path: str, spec: EngineSpec, conn: Connection, cancel: EventFlag) -> None:
    """The worker process: transcribe ``path`` and report over ``conn``."""
    started = time.monotonic()
    last = 0.0
    sent = -1.0
    done = 0.0

    def on_progress(done_s: float, total_s: float | None) -> None:
        # at most every PROGRESS_EVERY_S, but never skipping a step of 5 %
        nonlocal last, sent, done
        done = done_s
        now = time.monotonic()
        step = 0.05 * total_s if total_s else float("inf")
        if now - last >= PROGRESS_EVERY_S or done_s - sent >= step:
            last, sent = now, done_s
            conn.send(Progress(done_s, total_s))

    try:
        engine = open_engine(spec)
        for segment in engine.transcribe(
            Path(path), on_progress=on_progress, cancelled=cancel.is_set
        ):
            conn.send(SegmentFound(segment))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        conn.send(Finished(engine.name, done, time.monotonic() - started, int(peak)))
    except TranscriptionCancelled as exc:
        conn.send(Failed("cancelled", str(exc)))
    except EngineUnavailable as exc:
        conn.send(Failed("unavailable", str(exc)))
    except UnreadableAudio as exc:
        conn.send(Failed("unreadable", str(exc)))
    except Exception as exc:  # the worker's last word: anything else is reported, not lost
        conn.send(Failed("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class TranscriptionProcess:
    """One transcription in its own process; read its events with :meth:`next_event`."""

    def __init__(self, path: Path, spec: EngineSpec) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe(duplex=False)
        self._cancel = ctx.Event()
        self._process = ctx.Process(
            target=_main,
            args=(str(path), spec, child, self._cancel),
            name="calldesk-transcribe",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._ended: Event | None = None
        self._cancelled_at: float | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def ended(self) -> Event | None:
        """The :class:`Finished` or :class:`Failed` event once the work is over."""
        return self._ended

    def next_event(self, timeout: float) -> Event | None:
        """The next event, or ``None`` if none came within ``timeout`` seconds."""
        if self._ended is not None:
            return None
        if self._cancelled_at is not None and (
            time.monotonic() - self._cancelled_at > CANCEL_GRACE_S
        ):
            return self._finish(Failed("cancelled", "transcription cancelled"))
        try:
            if not self._conn.poll(timeout):
                return None
            event: Event = self._conn.recv()
        except (EOFError, OSError):
            self._process.join(1.0)
            if self._cancelled_at is not None:
                return self._finish(Failed("cancelled", "transcription cancelled"))
            code = self._process.exitcode
            return self._finish(
                Failed("error", f"the transcription worker stopped unexpectedly (exit {code})")
            )
        if isinstance(event, Finished | Failed):
            return self._finish(event)
        return event

    def events(self, poll_s: float = 0.1) -> Iterator[Event]:
        """Every event until (and including) the final one; blocks."""
        while self._ended is None:
            event = self.next_event(poll_s)
            if event is not None:
                yield event

    def cancel(self) -> None:
        """Ask the worker to stop; it is ended if it hasn't within :data:`CANCEL_GRACE_S`."""
        if self._ended is None and self._cancelled_at is None:
            self._cancel.set()
            self._cancelled_at = time.monotonic()

    def _finish(self, event: Event) -> Event:
        self._ended = event
        self.close()
        return event

    def close(self) -> None:
        """End the worker (if still running) and release the pipe."""
        if self._process.is_alive():
            self._process.join(0.2 if self._cancelled_at is None else 0.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(2.0)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(2.0)
        self._conn.close()
