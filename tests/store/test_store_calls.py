"""The call cache: list paging/sorting/filters, full-text search, drafts, audit and lookups."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calldesk.domain.model import AuditEntry, LookupItem, RemoteCall, SyncState
from calldesk.store.audit import AuditLog
from calldesk.store.calls import CallQuery, fts_query
from calldesk.store.local import LocalStore

from .conftest import row_of, text_of

T0 = datetime(2024, 5, 1, tzinfo=UTC)
N = 20_000
OUTCOMES = ("won", "lost", "voicemail", "no-answer")
NAMES = ("Dana Scully", "Fox Mulder", "Walter Skinner", "Danielle Rousseau", "Jeffrey Spender")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> LocalStore:
    path: Path = tmp_path_factory.mktemp("big") / "calldesk.sqlite3"
    store = LocalStore.open(path)
    items = []
    for i in range(N):
        fields = {
            "who": f"{NAMES[i % len(NAMES)]} {i}",
            "phone": f"+1 555-{i:04d}",
            "note": f"note number {i}" + (" pricing objection" if i % 97 == 0 else ""),
            "outcome": OUTCOMES[i % len(OUTCOMES)],
            "when": 1_700_000_000 + i * 60,
            "duration": i % 600,
        }
        items.append((RemoteCall(f"r{i}", fields, T0), row_of(fields), text_of(fields)))
    store.calls.upsert_remote_many("acc", items[: N // 2])
    store.calls.upsert_remote_many("other", items[N // 2 :])
    store.search_index.flush()  # as the database worker does right after a refresh
    yield store  # type: ignore[misc]
    store.close()


def test_list_pages_newest_first_and_fast(big: LocalStore) -> None:
    started = time.perf_counter()
    first = big.calls.list_calls(CallQuery(accounts=("acc",), limit=100))
    second = big.calls.list_calls(CallQuery(accounts=("acc",), limit=100, offset=100))
    deep = big.calls.list_calls(CallQuery(accounts=("acc",), limit=100, offset=9_900))
    elapsed = time.perf_counter() - started
    assert len(first) == len(second) == len(deep) == 100
    whens = [c.when_ts for c in first + second + deep]
    assert whens == sorted(whens, reverse=True)  # type: ignore[type-var]
    assert first[0].remote_id == f"r{N // 2 - 1}"
    assert {c.account for c in first} == {"acc"}
    assert not {c.local_id for c in first} & {c.local_id for c in second}
    assert elapsed < 1.0
    assert big.calls.count_calls(CallQuery(accounts=("acc",))) == N // 2
    assert big.calls.count_calls() == N


@pytest.mark.parametrize("sort", ["who", "phone", "duration", "outcome", "note", "when"])
def test_sort_by_any_column(big: LocalStore, sort: str) -> None:
    page = big.calls.list_calls(
        CallQuery(accounts=("acc", "other"), sort=sort, descending=False, limit=300)  # type: ignore[arg-type]
    )
    column = {"duration": "duration_s", "note": "note_preview", "when": "when_ts"}.get(sort, sort)
    values = [getattr(c, column) for c in page]
    assert values == sorted(values)
    assert len(page) == 300


def test_filters(big: LocalStore) -> None:
    won = big.calls.list_calls(CallQuery(outcomes=("won",), limit=50))
    assert won and {c.outcome for c in won} == {"won"}
    assert big.calls.count_calls(CallQuery(outcomes=("won", "lost"))) == N // 2
    since, until = 1_700_000_000 + 100 * 60, 1_700_000_000 + 110 * 60
    ranged = big.calls.list_calls(CallQuery(since=since, until=until))
    assert [c.remote_id for c in ranged] == [f"r{i}" for i in range(109, 99, -1)]
    assert big.calls.count_calls(CallQuery(not_synced=True)) == 0
    assert big.calls.count_calls(CallQuery(states=(SyncState.SYNCED,))) == N


def test_not_synced_and_failed_filters(store: LocalStore) -> None:
    a = store.outbox.save_new("acc", {"who": "A"}, row_of({"who": "A"}), "A")
    store.calls.upsert_remote("acc", RemoteCall("r1", {"who": "B"}, T0), row_of({"who": "B"}), "B")
    assert [c.local_id for c in store.calls.list_calls(CallQuery(not_synced=True))] == [a.local_id]
    assert store.calls.list_calls(CallQuery(states=(SyncState.FAILED,))) == []


def test_fts_prefix_search(big: LocalStore) -> None:
    started = time.perf_counter()
    hits = big.calls.search("dan", limit=20)
    elapsed = time.perf_counter() - started
    assert hits and all(c.who.startswith("Dan") for c in hits)
    assert elapsed < 0.5
    objections = big.calls.list_calls(CallQuery(text="pricing obj", limit=1000))
    assert len(objections) == len(range(0, N, 97))
    # phone digits typed without punctuation find the call
    assert [c.remote_id for c in big.calls.search("5550042")] == ["r42"]
    assert [c.remote_id for c in big.calls.search("15550042")] == ["r42"]
    prefixed = big.calls.search("Mulder 41", limit=100)
    assert prefixed and all(c.who.startswith("Fox Mulder 41") for c in prefixed)
    assert [c.remote_id for c in big.calls.search("Mulder 4101 ")] == ["r4101"]


@pytest.mark.parametrize(
    "text", ['"', "*", "AND", "(", 'dan" OR', "NEAR(a b)", "a:b", "-x", "^", "''", "   ", "NOT"]
)
def test_hostile_search_input_never_raises(big: LocalStore, text: str) -> None:
    hits = big.calls.search(text)
    listed = big.calls.list_calls(CallQuery(text=text, limit=5))
    assert isinstance(hits, list) and isinstance(listed, list)
    assert len(listed) <= 5


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('dan" AND (x') == '"dan" "AND" "x"*'
    assert fts_query("dan ") == '"dan"'
    assert fts_query("**") is None


def test_drafts_keep_text_exactly(store: LocalStore) -> None:
    store.drafts.save("d1", "acc", {"duration": "12 minutes-ish", "note": "  ünïcode  "})
    store.drafts.save("d2", "acc", {"note": "x"}, local_id="loc_1")
    draft = store.drafts.get("d1")
    assert draft is not None
    assert draft.form == {"duration": "12 minutes-ish", "note": "  ünïcode  "}
    store.drafts.save("d1", "acc", {"duration": "13"})
    assert store.drafts.get("d1").form == {"duration": "13"}  # type: ignore[union-attr]
    assert store.drafts.for_record("loc_1").draft_id == "d2"  # type: ignore[union-attr]
    assert {d.draft_id for d in store.drafts.list("acc")} == {"d1", "d2"}
    assert store.drafts.delete("d1") and not store.drafts.delete("d1")
    assert store.drafts.get("d1") is None


def test_saving_a_call_clears_its_draft(store: LocalStore) -> None:
    store.drafts.save("new-form", "acc", {"who": "A"}, local_id="loc_fixed")
    store.outbox.save_new("acc", {"who": "A"}, row_of({"who": "A"}), "A", local_id="loc_fixed")
    assert store.drafts.get("new-form") is None


def test_audit_newest_first_and_bounded(store: LocalStore) -> None:
    audit = AuditLog(store.db, keep_per_record=5)
    for i in range(8):
        audit.record(
            AuditEntry(T0, "acc", "PUT", f"/calls/{i}", 200, 1.5, local_id="loc_1", op_id="op")
        )
    audit.record(AuditEntry(T0, "acc", "GET", "/other", 500, 2.0, "boom", local_id="loc_2"))
    entries = audit.for_record("loc_1")
    assert [e.path for e in entries] == [f"/calls/{i}" for i in range(7, 2, -1)]
    assert entries[0].at == T0 and entries[0].status == 200
    assert audit.recent(limit=1)[0].message == "boom"
    assert len(audit.recent("acc")) == 6


def test_lookups_replace_and_search(store: LocalStore) -> None:
    store.lookups.replace(
        "acc",
        "users",
        [LookupItem("users", "1", "Dana Scully"), LookupItem("users", "2", "Adam Dana")],
    )
    store.lookups.replace("acc", "outcomes", [LookupItem("outcomes", "w", "Won", "closed")])
    assert [i.id for i in store.lookups.search("acc", "users", "dan")] == ["1", "2"]
    assert [i.id for i in store.lookups.search("acc", "users", "")] == ["2", "1"]
    assert store.lookups.search("acc", "users", "%") == []
    assert store.lookups.get("acc", "outcomes", "w") == LookupItem("outcomes", "w", "Won", "closed")
    assert store.lookups.fetched_at("acc", "users") is not None
    store.lookups.replace("acc", "users", [LookupItem("users", "3", "Fox")])
    assert [i.id for i in store.lookups.search("acc", "users")] == ["3"]
    assert store.lookups.fetched_at("acc", "nothing") is None
    assert len(store.lookups.search("acc", "outcomes")) == 1


def test_outcomes_lists_the_live_calls_outcomes_once_each(store: LocalStore) -> None:
    for number, outcome in enumerate(("No answer", "connected", "Connected", "", "busy")):
        fields = {"who": f"P{number}", "outcome": outcome, "when": 1_700_000_000 + number}
        store.calls.upsert_remote(
            "acc", RemoteCall(str(number), fields, None), row_of(fields), text_of(fields)
        )
    gone = {"who": "Gone", "outcome": "Wrong number", "when": 1_700_000_100}
    record = store.calls.upsert_remote(
        "acc", RemoteCall("gone", gone, None), row_of(gone), text_of(gone)
    )
    store.outbox.save_delete("acc", record.local_id)
    assert store.calls.outcomes() == ["busy", "Connected", "connected", "No answer"]
    assert store.calls.count_calls(CallQuery(outcomes=("Connected",))) == 1
