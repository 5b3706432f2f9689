"""Transcripts kept with their call in the real SQLite file: saved, replaced, searched, and
gone with the call (removed, or marked deleted); an older database gains the table."""

from __future__ import annotations

from pathlib import Path

from calldesk.domain.transcript import Segment
from calldesk.store.db import Database
from calldesk.store.local import LocalStore
from calldesk.store.migrations import migrate, user_version

from .conftest import build, row_of, text_of

SEGMENTS = (
    Segment(0.0, 2.5, "Hello John, this is Dana from Acme"),
    Segment(3.0, 6.0, "we need seven hundred licences by Monday"),
)


def new_call(store: LocalStore, who: str = "Ann") -> str:
    fields = {"who": who}
    return store.outbox.save_new("acc", fields, row_of(fields), text_of(fields)).local_id


def test_a_transcript_is_saved_read_back_and_replaced(store: LocalStore, db_path: Path) -> None:
    local_id = new_call(store)
    assert store.transcripts.get(local_id) is None
    saved = store.transcripts.save(
        local_id, engine="pocketsphinx", language="en", audio_s=6.2, segments=SEGMENTS
    )
    store.close()
    reopened = LocalStore.open(db_path, build)
    try:
        got = reopened.transcripts.get(local_id)
        assert got == saved
        assert got is not None and got.text.splitlines()[1] == SEGMENTS[1].text
        reopened.transcripts.save(
            local_id, engine="whisper", language="de", audio_s=6.2, segments=SEGMENTS[:1]
        )
        again = reopened.transcripts.get(local_id)
        assert again is not None and (again.engine, again.segments) == ("whisper", SEGMENTS[:1])
        assert reopened.transcripts.search("licences") == []  # the old text left the index
        assert reopened.transcripts.search("acme") == [local_id]
    finally:
        reopened.close()


def test_transcripts_are_searchable_as_typed(store: LocalStore) -> None:
    first, second = new_call(store, "Ann"), new_call(store, "Bob")
    store.transcripts.save(first, engine="e", language=None, audio_s=6, segments=SEGMENTS)
    store.transcripts.save(
        second, engine="e", language=None, audio_s=3, segments=(Segment(0, 3, "call me Monday"),)
    )
    assert sorted(store.transcripts.search("monday")) == sorted([first, second])
    assert store.transcripts.search("seven hund") == [first]  # the last word as a prefix
    assert store.transcripts.search('"licences" (') == [first]  # operators are plain text
    assert store.transcripts.search("  ") == []


def test_a_transcript_goes_with_its_call(store: LocalStore) -> None:
    # a call never sent: deleting it removes the row (and its transcript, by cascade)
    unsent = new_call(store)
    store.transcripts.save(unsent, engine="e", language=None, audio_s=6, segments=SEGMENTS)
    assert store.outbox.save_delete("acc", unsent) is None
    assert store.calls.get(unsent) is None
    assert store.transcripts.get(unsent) is None
    assert store.transcripts.search("monday") == []

    # a call marked deleted (its delete still to be sent): the transcript goes at once
    kept = new_call(store)
    store.transcripts.save(kept, engine="e", language=None, audio_s=6, segments=SEGMENTS)
    store.db.connection.execute("UPDATE calls SET deleted = 1 WHERE local_id = ?", (kept,))
    assert store.transcripts.get(kept) is None
    assert store.transcripts.delete(kept) is False


def test_an_older_database_gains_the_transcripts_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    database = Database(path, migrate=False)
    try:
        assert migrate(database, target=7) == 7
        database.connection.execute(
            "INSERT INTO calls (local_id, account, fields, state) "
            "VALUES ('loc_1', 'acc', '{}', 'synced')"
        )
        assert migrate(database, target=8) == 8 == user_version(database.connection)
    finally:
        database.close()
    store = LocalStore.open(path, build)
    try:
        store.transcripts.save("loc_1", engine="e", language=None, audio_s=6, segments=SEGMENTS)
        assert store.transcripts.search("acme") == ["loc_1"]
    finally:
        store.close()
