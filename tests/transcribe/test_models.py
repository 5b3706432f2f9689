"""Downloading a Whisper model from a hub on 127.0.0.1: verified, resumable, cancellable; then
loading and running it (the tiny model made by tests/data/make_tiny_whisper.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from calldesk.transcribe import EngineSpec, TranscriptionCancelled
from calldesk.transcribe.models import (
    CATALOGUE,
    ChecksumMismatch,
    DownloadInterrupted,
    ModelDownloadError,
    ModelStore,
    download_model,
)
from calldesk.transcribe.worker import Finished, SegmentFound, TranscriptionProcess
from tests.helpers.model_hub import serve_hub
from tests.transcribe.conftest import TINY_WHISPER


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


@pytest.fixture
def client() -> httpx.Client:
    with httpx.Client(timeout=10) as c:
        yield c


def test_download_verifies_installs_and_the_model_transcribes(
    store: ModelStore, client: httpx.Client, sentence_wav: Path
) -> None:
    progress: list[tuple[int, int]] = []
    with serve_hub(TINY_WHISPER) as (hub, state):
        folder = download_model(
            store, "tiny", client=client, hub=hub, on_progress=lambda d, t: progress.append((d, t))
        )
    assert state.requests[0] == f"/api/models/{CATALOGUE['tiny'].repo}/tree/main"
    assert folder == store.folder("tiny") and store.installed("tiny")
    assert store.installed_names() == ["tiny"]
    assert not (store.root / "tiny.partial").exists()
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.json"):
        assert (folder / name).read_bytes() == (TINY_WHISPER / name).read_bytes()
    total = sum(p.stat().st_size for p in TINY_WHISPER.iterdir())
    assert progress[-1] == (total, total)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)

    events = list(TranscriptionProcess(sentence_wav, EngineSpec("whisper", str(folder))).events())
    assert isinstance(events[-1], Finished)
    assert any(isinstance(e, SegmentFound) for e in events)


def test_a_checksum_failure_deletes_the_file_and_installs_nothing(
    store: ModelStore, client: httpx.Client
) -> None:
    with serve_hub(TINY_WHISPER) as (hub, state):
        state.corrupt = True
        with pytest.raises(ChecksumMismatch, match=r"model\.bin did not match its checksum"):
            download_model(store, "tiny", client=client, hub=hub)
    assert not store.installed("tiny")
    assert not store.folder("tiny").exists()
    assert not (store.root / "tiny.partial" / "model.bin.part").exists()


def test_an_interrupted_download_resumes_where_it_stopped(
    store: ModelStore, client: httpx.Client
) -> None:
    with serve_hub(TINY_WHISPER) as (hub, state):
        state.cut_after = 300_000
        with pytest.raises(DownloadInterrupted, match="resumes from there next time"):
            download_model(store, "tiny", client=client, hub=hub)
        part = store.root / "tiny.partial" / "model.bin.part"
        assert part.stat().st_size == 300_000
        assert not store.installed("tiny")

        download_model(store, "tiny", client=client, hub=hub)
    assert state.ranges == ["model.bin:bytes=300000-"]
    assert (store.folder("tiny") / "model.bin").read_bytes() == (
        TINY_WHISPER / "model.bin"
    ).read_bytes()


def test_a_server_that_ignores_the_range_starts_the_file_over(
    store: ModelStore, client: httpx.Client
) -> None:
    with serve_hub(TINY_WHISPER) as (hub, state):
        state.cut_after = 200_000
        with pytest.raises(DownloadInterrupted):
            download_model(store, "tiny", client=client, hub=hub)
        state.ignore_range = True
        download_model(store, "tiny", client=client, hub=hub)
    assert state.ranges == ["model.bin:bytes=200000-"]
    assert (store.folder("tiny") / "model.bin").read_bytes() == (
        TINY_WHISPER / "model.bin"
    ).read_bytes()


def test_a_model_changed_on_the_server_discards_the_partial_download(
    store: ModelStore, client: httpx.Client, tmp_path: Path
) -> None:
    changed = tmp_path / "changed"
    shutil.copytree(TINY_WHISPER, changed)
    with serve_hub(changed) as (hub, state):
        state.cut_after = 200_000
        with pytest.raises(DownloadInterrupted):
            download_model(store, "tiny", client=client, hub=hub)
        (changed / "config.json").write_text('{"changed": true}\n')
        download_model(store, "tiny", client=client, hub=hub)
    assert state.ranges == []  # nothing of the old model was reused
    assert (store.folder("tiny") / "config.json").read_text() == '{"changed": true}\n'


def test_cancel_keeps_the_part_for_later(store: ModelStore, client: httpx.Client) -> None:
    calls = 0

    def cancelled() -> bool:
        nonlocal calls
        calls += 1
        return calls > 1

    with serve_hub(TINY_WHISPER) as (hub, _state), pytest.raises(TranscriptionCancelled):
        download_model(store, "tiny", client=client, hub=hub, cancelled=cancelled)
    assert not store.installed("tiny")
    assert (store.root / "tiny.partial").is_dir()


def test_unknown_models_and_broken_hubs_are_refused_plainly(
    store: ModelStore, client: httpx.Client, tmp_path: Path
) -> None:
    with pytest.raises(ModelDownloadError, match="unknown model 'huge'"):
        download_model(store, "huge", client=client)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("no model here\n")
    with (
        serve_hub(empty) as (hub, _state),
        pytest.raises(ModelDownloadError, match="not a faster-whisper model"),
    ):
        download_model(store, "tiny", client=client, hub=hub)
    with pytest.raises(ModelDownloadError, match="can't reach"):
        download_model(store, "tiny", client=client, hub="http://127.0.0.1:9")
