"""``calldesk transcribe FILE`` as a real process: text, JSON segments, progress on stderr,
the engine and model choices, and plain errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from calldesk.store.paths import Paths
from calldesk.transcribe.settings import TranscriptionSettings
from tests.helpers.speech import KEY_WORDS, SENTENCE, wer, words
from tests.transcribe.conftest import TINY_WHISPER

ROOT = Path(__file__).resolve().parents[2]


def calldesk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CALLDESK_HOME": str(home)},
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_transcribe_prints_timed_json_segments_with_the_built_in_engine(
    calldesk_home: Path, sentence_wav: Path
) -> None:
    result = calldesk(calldesk_home, "transcribe", str(sentence_wav), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # a 5-second file gets no progress lines
    payload = json.loads(result.stdout)
    assert payload["engine"] == "pocketsphinx"
    assert 4 < payload["duration"] < 7
    text = " ".join(segment["text"] for segment in payload["segments"])
    assert set(KEY_WORDS) <= set(words(text))
    assert wer(SENTENCE, text) <= 0.5
    for segment in payload["segments"]:
        assert set(segment) == {"start", "end", "text"}
        assert 0 <= segment["start"] < segment["end"] <= payload["duration"] + 0.05


def test_a_long_file_reports_progress_on_stderr_and_plain_text_on_stdout(
    calldesk_home: Path, quiet_long_wav: Path
) -> None:
    result = calldesk(calldesk_home, "transcribe", str(quiet_long_wav))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) >= 3, result.stderr
    assert all(line.startswith("calldesk: transcribing quiet.wav: ") for line in lines)
    assert "monday" in result.stdout


def test_whisper_with_a_model_folder_or_the_settings_model(
    calldesk_home: Path, sentence_wav: Path
) -> None:
    result = calldesk(calldesk_home, "transcribe", str(sentence_wav), "--model", str(TINY_WHISPER))
    assert result.returncode == 0, result.stderr
    result = calldesk(calldesk_home, "transcribe", str(sentence_wav), "--engine", "whisper")
    assert result.returncode == 1
    assert "no Whisper model chosen yet" in result.stderr
    TranscriptionSettings(engine="whisper", model_dir=str(TINY_WHISPER)).save(
        Paths.under(calldesk_home)
    )
    result = calldesk(calldesk_home, "transcribe", str(sentence_wav), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["engine"] == "whisper"


def test_errors_are_one_plain_line(calldesk_home: Path, tmp_path: Path) -> None:
    result = calldesk(calldesk_home, "transcribe", str(tmp_path / "missing.wav"))
    assert (result.returncode, result.stderr.strip()) == (
        1,
        f"calldesk: {tmp_path / 'missing.wav'}: no such file",
    )
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n" * 100)
    result = calldesk(calldesk_home, "transcribe", str(text))
    assert result.returncode == 1
    assert "can't read notes.wav" in result.stderr
    result = calldesk(calldesk_home, "transcribe", str(text), "--engine", "vosk")
    assert result.returncode == 1 and "unknown engine 'vosk'" in result.stderr


def test_transcribe_with_every_option_the_readme_lists(
    calldesk_home: Path, sentence_wav: Path
) -> None:
    result = calldesk(
        calldesk_home,
        "transcribe", str(sentence_wav),
        "--engine", "whisper", "--model", str(TINY_WHISPER), "--language", "en", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["engine"] == "whisper"  # the tiny local model's words are noise: not checked
    assert 4 < payload["duration"] < 7
