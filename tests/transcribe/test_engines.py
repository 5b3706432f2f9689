"""Both engines in their worker process on real speech: text, times, cancel, bad files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from calldesk.transcribe import EngineSpec, transcript_text
from calldesk.transcribe.audio import SAMPLE_RATE, duration_s, pcm_chunks
from calldesk.transcribe.worker import (
    Event,
    Failed,
    Finished,
    Progress,
    SegmentFound,
    TranscriptionProcess,
)
from tests.helpers.speech import KEY_WORDS, SENTENCE, wer, words
from tests.transcribe.conftest import TINY_WHISPER


def run(path: Path, spec: EngineSpec) -> list[Event]:
    process = TranscriptionProcess(path, spec)
    return list(process.events())


def segments_of(events: list[Event]) -> list[SegmentFound]:
    return [e for e in events if isinstance(e, SegmentFound)]


def test_the_built_in_engine_hears_the_sentence(sentence_wav: Path) -> None:
    events = run(sentence_wav, EngineSpec("pocketsphinx"))
    assert isinstance(events[-1], Finished), events[-1]
    assert events[-1].engine == "pocketsphinx"
    text = transcript_text(e.segment for e in segments_of(events))
    rate = wer(SENTENCE, text)
    print(f"\npocketsphinx heard {text!r}; WER {rate:.2f} against {SENTENCE!r}")
    heard = set(words(text))
    assert [w for w in KEY_WORDS if w not in heard] == []
    assert rate <= 0.5
    length = duration_s(sentence_wav)
    assert length is not None
    for found in segments_of(events):
        assert 0 <= found.segment.start < found.segment.end <= length + 0.05


def test_a_long_recording_is_read_in_bounded_chunks_with_steady_progress(long_wav: Path) -> None:
    chunks = list(pcm_chunks(long_wav, 10.0))
    assert [round(start) for start, _ in chunks] == [0, 10, 20, 30, 40][: len(chunks)]
    assert len(chunks) >= 4
    assert all(samples.shape[0] == 10 * SAMPLE_RATE for _, samples in chunks[:-1])
    total = sum(samples.shape[0] for _, samples in chunks) / SAMPLE_RATE
    assert total == pytest.approx(duration_s(long_wav), abs=0.05)


def test_cancel_stops_the_worker_mid_way(long_wav: Path) -> None:
    process = TranscriptionProcess(long_wav, EngineSpec("pocketsphinx"))
    seen: list[Event] = []
    for event in process.events():
        seen.append(event)
        if isinstance(event, SegmentFound):
            process.cancel()
            cancelled_at = time.monotonic()
    final = seen[-1]
    assert isinstance(final, Failed) and final.kind == "cancelled", final
    assert time.monotonic() - cancelled_at < 5
    done = max((e.done_s for e in seen if isinstance(e, Progress)), default=0.0)
    assert done <= 30  # it stopped well before the end of the 40-second file
    assert not any(isinstance(e, Finished) for e in seen)
    assert process.ended is final


def test_a_file_that_is_not_audio_says_so(tmp_path: Path) -> None:
    notes = tmp_path / "call.mp3"
    notes.write_text("these are my notes, not a recording\n" * 50)
    final = run(notes, EngineSpec("pocketsphinx"))[-1]
    assert isinstance(final, Failed) and final.kind == "unreadable"
    assert "call.mp3" in final.message and "can't read" in final.message


def test_the_built_in_engine_refuses_other_languages_plainly(sentence_wav: Path) -> None:
    final = run(sentence_wav, EngineSpec("pocketsphinx", language="de"))[-1]
    assert isinstance(final, Failed) and final.kind == "unavailable"
    assert "English only" in final.message and "Whisper" in final.message


def test_whisper_runs_its_whole_path_on_a_locally_made_model(sentence_wav: Path) -> None:
    events = run(sentence_wav, EngineSpec("whisper", model_dir=str(TINY_WHISPER), language="en"))
    assert isinstance(events[-1], Finished), events[-1]
    assert events[-1].engine == "whisper"
    found = segments_of(events)
    assert found, "the tiny model produced no segment"
    length = duration_s(sentence_wav)
    assert length is not None
    assert all(0 <= f.segment.start <= f.segment.end <= length + 0.05 for f in found)
    assert [f.segment.start for f in found] == sorted(f.segment.start for f in found)
    assert any(isinstance(e, Progress) for e in events)


def test_whisper_without_a_model_says_how_to_get_one(sentence_wav: Path, tmp_path: Path) -> None:
    final = run(sentence_wav, EngineSpec("whisper"))[-1]
    assert isinstance(final, Failed) and final.kind == "unavailable"
    assert "Settings" in final.message
    final = run(sentence_wav, EngineSpec("whisper", model_dir=str(tmp_path)))[-1]
    assert isinstance(final, Failed) and "not a Whisper model folder" in final.message


def test_an_unknown_engine_is_named(sentence_wav: Path) -> None:
    final = run(sentence_wav, EngineSpec("vosk"))[-1]
    assert isinstance(final, Failed) and "unknown engine 'vosk'" in final.message


def test_speech_that_runs_to_the_last_frame_of_the_file_is_kept(
    sentence_wav: Path, tmp_path: Path
) -> None:
    # 16 kHz, cut to a whole number of the endpointer's 30 ms frames, mid-word
    import wave

    samples = b"".join(s.tobytes() for _, s in pcm_chunks(sentence_wav, 60.0))
    cut = tmp_path / "cut.wav"
    with wave.open(str(cut), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples[: 480 * 2 * 140])  # 4.2 s: "... monday" is still being said
    events = run(cut, EngineSpec("pocketsphinx"))
    assert isinstance(events[-1], Finished), events[-1]
    assert "john" in words(transcript_text(e.segment for e in segments_of(events)))


def test_long_speech_without_pauses_is_cut_with_the_right_times(
    sentence_wav: Path, tmp_path: Path
) -> None:
    from tests.helpers.speech import loop_wav

    unbroken = loop_wav(sentence_wav, tmp_path / "unbroken.wav", 20, pause_s=0.0)
    events = run(unbroken, EngineSpec("pocketsphinx"))
    assert isinstance(events[-1], Finished), events[-1]
    found = [e.segment for e in segments_of(events)]
    starts = [s.start for s in found]
    assert starts == sorted(starts)  # the pieces of a long utterance keep their own times
    length = duration_s(unbroken)
    assert length is not None and found[-1].end > length - 6
