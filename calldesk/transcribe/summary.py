"""A short summary of a transcript, made locally from its own words (no model, no network).

Extractive only: the opening and closing lines, the numbers and dates mentioned (digits, number
words such as "seven hundred", weekdays, months, "tomorrow") and the few segments whose words
recur most in the call. Every word in a summary was said in the call.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from calldesk.domain.transcript import Segment


def _words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NUMBER_WORDS = _words_of(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
    "eighty ninety hundred thousand million half quarter"
)
_DATE_WORDS = _words_of(
    "monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight "
    "yesterday week weekend month january february march april may june july august "
    "september october november december morning afternoon evening noon"
)
_STOP = _words_of(
    "a an and are as at be but by can do for from have he her his i i'm if in is it its "
    "just me my no not of oh ok okay on or our so that the their them then there they this "
    "to uh um us was we well were what when will with would yeah yes you your ah hello hi "
    "bye thanks thank"
)
_WORD = re.compile(r"[$€£]?\d[\d.,:/-]*%?|[\w']+", re.UNICODE)
_DIGITS = re.compile(r"[$€£]?\d[\d.,:/-]*%?")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def numbers_and_dates(text: str) -> list[str]:
    """The numbers (digits or runs of number words) and date words said, in order, once each."""
    found: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run and run not in (["one"], ["half"], ["quarter"]):  # "one of them", "half of it"
            found.append(" ".join(run))
        run.clear()

    for word in _words(text):
        if word in _NUMBER_WORDS or _DIGITS.fullmatch(word):
            run.append(word)
            continue
        flush()
        if word in _DATE_WORDS:
            found.append(word)
    flush()
    return list(dict.fromkeys(found))


def key_segments(segments: Sequence[Segment], count: int = 3) -> list[Segment]:
    """The ``count`` segments whose content words recur most in the call, in spoken order."""
    counts = Counter(w for s in segments for w in _words(s.text) if w not in _STOP)
    scored = []
    for index, segment in enumerate(segments):
        content = [w for w in _words(segment.text) if w not in _STOP]
        if content:
            scored.append((sum(counts[w] for w in content) / len(content) ** 0.5, index))
    best = sorted(scored, reverse=True)[:count]
    return [segments[index] for _, index in sorted(best, key=lambda pair: pair[1])]


def summarize(segments: Sequence[Segment], key_points: int = 3) -> str:
    """A few lines to start a note from: opening, key points, numbers and dates, closing."""
    spoken = [s for s in segments if s.text.strip()]
    if not spoken:
        return ""
    lines = [f"Opening: {spoken[0].text.strip()}"]
    middle = spoken[1:-1]
    for segment in key_segments(middle, key_points):
        lines.append(f"- {segment.text.strip()}")
    mentioned = numbers_and_dates(" ".join(s.text for s in spoken))
    if mentioned:
        lines.append(f"Numbers and dates: {', '.join(mentioned)}")
    if len(spoken) > 1:
        lines.append(f"Closing: {spoken[-1].text.strip()}")
    return "\n".join(lines)
