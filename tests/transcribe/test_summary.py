"""The local extractive summary: only words that were said, numbers and dates picked out."""

from __future__ import annotations

from calldesk.domain.transcript import Segment
from calldesk.transcribe.summary import key_segments, numbers_and_dates, summarize

CALL = [
    Segment(0, 3, "hello john this is dana from acme"),
    Segment(3, 6, "we talked about the licences last week"),
    Segment(6, 9, "you need seven hundred licences by monday"),
    Segment(9, 12, "the weather is nice"),
    Segment(12, 15, "the licences cost 42 dollars each on the 2027-01-15 invoice"),
    Segment(15, 18, "okay bye"),
]


def test_numbers_and_dates_are_found_in_words_and_digits() -> None:
    text = " ".join(s.text for s in CALL)
    assert numbers_and_dates(text) == ["week", "seven hundred", "monday", "42", "2027-01-15"]
    assert numbers_and_dates("call me at three thirty on Friday") == ["three thirty", "friday"]
    assert numbers_and_dates("") == []


def test_key_segments_favour_what_the_call_keeps_coming_back_to() -> None:
    picked = key_segments(CALL, 2)
    assert all("licences" in s.text for s in picked)
    assert picked == sorted(picked, key=lambda s: s.start)


def test_the_summary_is_made_only_of_what_was_said() -> None:
    summary = summarize(CALL, key_points=2)
    lines = summary.splitlines()
    assert lines[0] == "Opening: hello john this is dana from acme"
    assert lines[-1] == "Closing: okay bye"
    assert "Numbers and dates: week, seven hundred, monday, 42, 2027-01-15" in lines
    said = {w for s in CALL for w in s.text.split()}
    for line in lines:
        body = line.split(": ", 1)[-1].removeprefix("- ")
        if not line.startswith("Numbers"):
            assert set(body.split()) <= said
    assert "weather" not in summary
    assert summarize([]) == ""
    assert summarize([Segment(0, 1, "just one line")]) == "Opening: just one line"
