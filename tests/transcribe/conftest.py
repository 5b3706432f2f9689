"""Speech files shared by the transcription tests (rendered once per run with espeak-ng)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.speech import SENTENCE, loop_wav, pad_wav, speak

TINY_WHISPER = Path(__file__).parents[1] / "data" / "tiny-whisper"


@pytest.fixture(scope="session")
def sentence_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(SENTENCE, tmp_path_factory.mktemp("speech") / "sentence.wav")


@pytest.fixture(scope="session")
def long_wav(sentence_wav: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 seconds of the sentence, over and over (four chunks for the built-in engine)."""
    return loop_wav(sentence_wav, tmp_path_factory.mktemp("speech") / "long.wav", 40)


@pytest.fixture(scope="session")
def quiet_long_wav(sentence_wav: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 seconds: 35 of silence, then the sentence."""
    return pad_wav(sentence_wav, tmp_path_factory.mktemp("speech") / "quiet.wav", 35)
