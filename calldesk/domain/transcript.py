"""What a transcript is: timed segments of a recording, made on the rep's machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech: ``start``/``end`` in seconds from the recording's start."""

    start: float
    end: float
    text: str

    def as_json(self) -> dict[str, float | str]:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "text": self.text}


@dataclass(frozen=True, slots=True)
class Transcript:
    """A call's transcript as kept with the call (``engine``: which engine made it)."""

    local_id: str
    engine: str
    language: str | None
    audio_s: float
    segments: tuple[Segment, ...]
    created_at: datetime

    @property
    def text(self) -> str:
        return transcript_text(self.segments)


def transcript_text(segments: tuple[Segment, ...] | list[Segment]) -> str:
    """The segments as plain text, one per line."""
    return "\n".join(s.text.strip() for s in segments if s.text.strip())
