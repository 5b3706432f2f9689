"""``calldesk transcribe FILE``: transcribe a recording on this machine and print the text.

The engine runs in a worker process (:mod:`calldesk.transcribe.worker`); progress goes to
stderr (a line every 10 % for files over half a minute), the transcript to stdout: one line per
segment, or with ``--json`` an object with the engine and the segments (start, end, text).
Ctrl+C cancels. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from calldesk.cli.base import EXIT_OK, CliContext, CliError

#: Files at least this long get progress lines on stderr.
PROGRESS_FROM_S = 30.0


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``transcribe``'s arguments to its parser."""
    parser.add_argument("file", type=Path, metavar="FILE", help="the recording")
    parser.add_argument(
        "--engine",
        metavar="NAME",
        default="",
        help="whisper or pocketsphinx (default: Whisper when a model is there, else built-in)",
    )
    parser.add_argument(
        "--model", default="", metavar="NAME|DIR", help="Whisper model: tiny/base/small or a folder"
    )
    parser.add_argument(
        "--language", default="", metavar="CODE", help="e.g. en, de (default: the system's)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON segments")
    parser.set_defaults(handler=handle_transcribe)


def handle_transcribe(args: argparse.Namespace, context: CliContext) -> int:
    from calldesk.transcribe import EngineUnavailable, Segment
    from calldesk.transcribe.settings import TranscriptionSettings, resolve
    from calldesk.transcribe.worker import (
        Failed,
        Finished,
        Progress,
        SegmentFound,
        TranscriptionProcess,
    )

    path: Path = args.file
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        spec = resolve(
            TranscriptionSettings.load(context.paths),
            context.paths,
            engine=args.engine,
            model=args.model,
            language=args.language,
        )
    except EngineUnavailable as exc:
        raise CliError(str(exc)) from None
    process = TranscriptionProcess(path, spec)
    segments: list[Segment] = []
    next_report = 0.1
    final = None
    try:
        for event in process.events():
            if isinstance(event, SegmentFound):
                segments.append(event.segment)
                if not args.json:
                    context.print(event.segment.text)
            elif isinstance(event, Progress):
                fraction = event.fraction
                long_file = (event.total_s or 0) >= PROGRESS_FROM_S
                if long_file and fraction is not None and fraction >= next_report:
                    context.warn(
                        f"transcribing {path.name}: {fraction:.0%} "
                        f"({event.done_s:.0f} of {event.total_s:.0f} s)"
                    )
                    while next_report <= fraction:
                        next_report += 0.1
            else:
                final = event
    except KeyboardInterrupt:
        process.cancel()
        process.close()
        raise CliError("transcription cancelled") from None
    if isinstance(final, Failed):
        raise CliError(final.message)
    assert isinstance(final, Finished)
    if args.json:
        payload = {
            "file": str(path),
            "engine": final.engine,
            "language": spec.language,
            "duration": round(final.audio_s, 2),
            "segments": [s.as_json() for s in segments],
        }
        context.print(json.dumps(payload, ensure_ascii=False, indent=2))
    return EXIT_OK
