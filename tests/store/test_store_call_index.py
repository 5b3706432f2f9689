"""List indexes (on ``call_rows``) and the time-ordered search index: plans, order and counts.

Every query the call list runs is checked with ``EXPLAIN QUERY PLAN`` (captured as the store runs
it), and search results are compared with a plain Python evaluation over the same records,
including deleted ones, calls within the same second and calls without a time.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calldesk.domain.model import RemoteCall, SyncState
from calldesk.store.call_counts import CallCounter
from calldesk.store.calls import CallQuery, CallSummary
from calldesk.store.local import LocalStore

from .conftest import row_of, text_of

T0 = datetime(2024, 5, 1, tzinfo=UTC)
WEEK_START = 1_700_000_000.0
WORDS = ("pricing", "renewal", "forklift", "invoice", "warehouse")


def _fields(i: int, rng: random.Random) -> dict[str, object]:
    when: float | None = WEEK_START - 3600 * 24 * 30 + rng.randrange(40) * 86400 / 4
    if i % 7 == 0:
        when = float(int(when or 0) + rng.random())  # several calls share a second
    if i % 53 == 0:
        when = None
    return {
        "who": f"Caller {i}",
        "phone": f"+1 555-{i:04d}",
        "note": f"{rng.choice(WORDS)} {rng.choice(WORDS)} call {i}",
        "outcome": rng.choice(("won", "lost")),
        "when": when,
        "duration": i % 300,
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    local = LocalStore.open(tmp_path_factory.mktemp("index") / "calldesk.sqlite3")
    rng = random.Random(3)
    items = []
    for i in range(600):
        fields = _fields(i, rng)
        items.append((RemoteCall(f"r{i}", fields, T0), row_of(fields), text_of(fields)))
    local.calls.upsert_remote_many("acc", items[:400])
    local.calls.upsert_remote_many("other", items[400:])
    # a few local changes: unsynced records, and deleted ones that must never be found
    for i in (5, 6, 7):
        fields = _fields(1000 + i, rng)
        local.outbox.save_new("acc", fields, row_of(fields), text_of(fields))
    for record in local.calls.list_calls(CallQuery(text="pricing", limit=10)):
        local.outbox.save_delete(record.account, record.local_id)
    yield local
    local.close()


def _plans(store: LocalStore, query: CallQuery) -> list[str]:
    """The query plans of every statement list_calls + count_calls run for ``query``."""
    conn = store.db.connection
    store.search_index.flush()  # the indexing after the last save is not the query's own work
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        store.calls.list_calls(query)
        CallCounter(store.db, store.search_index).count_calls(query)  # not from a cache
    finally:
        conn.set_trace_callback(None)
    assert statements
    plans = []
    for sql in statements:
        if sql.startswith("--"):
            continue  # a statement FTS5 runs on its own tables
        if sql == "PRAGMA data_version":
            continue  # the search index's check for another connection's saves
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        plans.append(" / ".join(str(row[3]) for row in rows))
    return plans


LIST_QUERIES = {
    "all calls": CallQuery(),
    "one account": CallQuery(accounts=("acc",)),
    "not synced": CallQuery(not_synced=True),
    "failed": CallQuery(states=(SyncState.FAILED,)),
    "this week": CallQuery(since=WEEK_START),
    "an outcome": CallQuery(outcomes=("won",)),
    **{
        f"all calls by {sort}": CallQuery(sort=sort, descending=False)  # type: ignore[arg-type]
        for sort in ("who", "phone", "direction", "duration", "outcome", "note", "state", "account")
    },
    "one account by who": CallQuery(accounts=("acc",), sort="who"),
}


@pytest.mark.parametrize("name", list(LIST_QUERIES))
def test_list_and_count_use_an_index(store: LocalStore, name: str) -> None:
    for plan in _plans(store, LIST_QUERIES[name]):
        assert re.search(
            r"USING (COVERING )?INDEX call_rows_live_\w+|call_counts USING PRIMARY KEY", plan
        ), plan
        assert "SCAN" not in plan  # no window query walks a whole table


@pytest.mark.parametrize("name", ["all calls", "one account", "failed", "this week", "an outcome"])
def test_time_ordered_lists_need_no_sort_and_counts_no_table(store: LocalStore, name: str) -> None:
    list_plan, count_plan = _plans(store, LIST_QUERIES[name])
    assert "TEMP B-TREE" not in list_plan
    # kept (a few rows of call_counts) or counted off an index alone
    assert "USING COVERING INDEX" in count_plan or "call_counts USING PRIMARY KEY" in count_plan


def test_search_walks_the_search_index_and_counts_in_it(store: LocalStore) -> None:
    *list_plans, count_plan = _plans(store, CallQuery(text="forkl", limit=20))
    for list_plan in list_plans:  # the page (and the rest of its last second, if shared)
        assert "VIRTUAL TABLE" in list_plan and "TEMP B-TREE" not in list_plan
        assert "INTEGER PRIMARY KEY" in list_plan  # only the page's rows are looked up
    assert count_plan.startswith("SCAN calls_fts VIRTUAL TABLE") and "calls " not in count_plan


# -- exact results --------------------------------------------------------------------------


def _all_rows(store: LocalStore) -> list[sqlite3.Row]:
    return store.db.query("SELECT * FROM calls")


def _expected(
    store: LocalStore, word: str, query: CallQuery, *, sort: str = "when_ts"
) -> list[str]:
    """local_ids matching ``word`` (a whole word or prefix) under ``query``'s filters, in order."""
    pattern = re.compile(rf"\b{re.escape(word)}", re.IGNORECASE)
    rows = [
        row
        for row in _all_rows(store)
        if not row["deleted"]
        and pattern.search(row["search_text"])
        and (not query.accounts or row["account"] in query.accounts)
        and (query.since is None or (row["when_ts"] is not None and row["when_ts"] >= query.since))
        and (query.until is None or (row["when_ts"] is not None and row["when_ts"] < query.until))
        and (not query.not_synced or row["state"] != SyncState.SYNCED.value)
    ]

    def key(row: sqlite3.Row) -> tuple[object, ...]:
        when = row["when_ts"]
        time_key = (when is not None, when or 0.0, row["rid"])
        return time_key if sort == "when_ts" else (row[sort], *time_key)

    rows.sort(key=key, reverse=query.descending)
    return [str(row["local_id"]) for row in rows]


def _ids(summaries: list[CallSummary]) -> list[str]:
    return [summary.local_id for summary in summaries]


@pytest.mark.parametrize("word", ["pricing", "forkl", "invoice", "caller", "555", "nothing"])
@pytest.mark.parametrize(
    "query",
    [
        CallQuery(),
        CallQuery(descending=False),
        CallQuery(accounts=("other",)),
        CallQuery(since=WEEK_START - 10 * 86400, until=WEEK_START - 5 * 86400),
        CallQuery(not_synced=True),
        CallQuery(sort="who"),
    ],
)
def test_search_pages_and_counts_match_a_plain_evaluation(
    store: LocalStore, word: str, query: CallQuery
) -> None:
    column = "who" if query.sort == "who" else "when_ts"
    expected = _expected(store, word, query, sort=column)
    query = CallQuery(**{**_as_dict(query), "text": word, "limit": 37})
    assert store.calls.count_calls(query) == len(expected)
    pages: list[str] = []
    for offset in range(0, len(expected) + 37, 37):
        page = store.calls.list_calls(CallQuery(**{**_as_dict(query), "offset": offset}))
        assert len(page) <= 37
        pages.extend(_ids(page))
    assert pages == expected
    whole = store.calls.list_calls(CallQuery(**{**_as_dict(query), "limit": 10_000}))
    assert _ids(whole) == expected


def _as_dict(query: CallQuery) -> dict[str, object]:
    return {name: getattr(query, name) for name in CallQuery.__dataclass_fields__}


def test_deleted_records_never_appear_in_search_and_come_back_on_undo(store: LocalStore) -> None:
    deleted = {row["local_id"] for row in _all_rows(store) if row["deleted"]}
    assert len(deleted) == 10
    everything = CallQuery(text="pricing", limit=10_000)
    assert not deleted & set(_ids(store.calls.list_calls(everything)))
    assert not deleted & {s.local_id for s in store.calls.search("pricing", limit=10_000)}
    with_deleted = CallQuery(text="pricing", limit=10_000, include_deleted=True)
    assert not deleted & set(_ids(store.calls.list_calls(with_deleted)))
    live = store.calls.count_calls(CallQuery(text="pricing"))
    assert live == len(_expected(store, "pricing", CallQuery()))
    # undo one delete (discard its queued operation): found again, counted again
    local_id = sorted(deleted)[0]
    (op,) = store.outbox.ops_for(local_id)
    store.outbox.discard(op.op_id)
    assert local_id in _ids(store.calls.list_calls(everything))
    assert store.calls.count_calls(CallQuery(text="pricing")) == live + 1
    # and delete it again: gone again
    record = store.calls.get(local_id)
    assert record is not None
    store.outbox.save_delete(record.account, local_id)
    assert local_id not in _ids(store.calls.list_calls(everything))
    assert store.calls.count_calls(CallQuery(text="pricing")) == live


def test_counts_are_exact_for_every_filter(store: LocalStore) -> None:
    rows = _all_rows(store)
    live = [row for row in rows if not row["deleted"]]
    assert store.calls.count_calls() == len(live)
    assert store.calls.count_calls(CallQuery(include_deleted=True)) == len(rows)
    assert store.calls.count_calls(CallQuery(accounts=("acc",))) == sum(
        row["account"] == "acc" for row in live
    )
    assert store.calls.count_calls(CallQuery(not_synced=True)) == sum(
        row["state"] != "synced" for row in live
    )
    assert store.calls.count_calls(CallQuery(not_synced=True)) == 3
    assert store.calls.count_calls(CallQuery(since=WEEK_START)) == sum(
        row["when_ts"] is not None and row["when_ts"] >= WEEK_START for row in live
    )
    assert store.calls.count_calls(CallQuery(text="caller", accounts=("other",))) == len(
        _expected(store, "caller", CallQuery(accounts=("other",)))
    )


def test_unsearchable_text_matches_nothing(store: LocalStore) -> None:
    for text in ('"', "*", "(", "AND", '" OR "'):
        query = CallQuery(text=text)
        listed = store.calls.list_calls(query)
        count = store.calls.count_calls(query)
        assert len(listed) == count  # the few hits (AND/OR words) or none, never an error


def test_calls_within_one_second_are_paged_in_exact_time_order(db_path: Path) -> None:
    local = LocalStore.open(db_path)
    try:
        # inserted (rid order) oldest fraction last: index order within the second is wrong
        times = [500.9, 500.7, 500.5, 500.3, 500.1, 499.0, 501.2]
        items = []
        for i, when in enumerate(times):
            fields = {"who": f"Same second {i}", "when": when}
            items.append((RemoteCall(f"s{i}", fields, T0), row_of(fields), text_of(fields)))
        local.calls.upsert_remote_many("acc", items)
        conn = local.db.connection
        local.search_index.flush()  # indexing the refresh is not the query's own work
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        try:
            first = local.calls.list_calls(CallQuery(text="same", limit=3))
        finally:
            conn.set_trace_callback(None)
        assert [s.when_ts for s in first] == [501.2, 500.9, 500.7]
        queries = [sql for sql in statements if not sql.startswith(("--", "PRAGMA"))]
        assert len(queries) == 2  # + the rest of the second
        second = local.calls.list_calls(CallQuery(text="same", limit=3, offset=3))
        assert [s.when_ts for s in second] == [500.5, 500.3, 500.1]
        oldest = local.calls.list_calls(CallQuery(text="same", limit=2, descending=False))
        assert [s.when_ts for s in oldest] == [499.0, 500.1]
        assert local.calls.count_calls(CallQuery(text="same")) == len(times)
    finally:
        local.close()
