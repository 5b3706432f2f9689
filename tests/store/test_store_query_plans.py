"""Size-independent list reads: keyset pages, the last page, kept counts, and their plans.

Keyset pages (``after``/``before``/``from_end``) must list exactly what one big page lists, in
every sort order and direction, with ties, NULL times and NULL durations; the counts kept in
``call_counts`` must equal a recount after any mix of writes; and every statement a rep's action
runs (a deep page, the oldest page, a count, the index update after a save) must be served by an
index: its ``EXPLAIN QUERY PLAN`` is checked, captured as the store runs it.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calldesk.domain.model import RemoteCall, SyncState
from calldesk.store.call_counts import CallCounter
from calldesk.store.calls import CallQuery, CallSummary
from calldesk.store.local import LocalStore
from calldesk.store.search import _APPLY

from .conftest import build, row_of, text_of

T0 = datetime(2024, 5, 1, tzinfo=UTC)
SORTS = ("when", "who", "phone", "direction", "duration", "outcome", "note", "state", "account")


def _fields(i: int, rng: random.Random) -> dict[str, object]:
    when: float | None = 1_700_000_000.0 - rng.randrange(60) * 3600.0
    if i % 5 == 0:
        when = float(int(when or 0)) + rng.random()  # several calls within one second
    if i % 17 == 0:
        when = None
    return {
        "who": f"Caller {i % 23}",  # ties on every text column
        "phone": f"+1 555-{i % 7:04d}",
        "direction": rng.choice(("in", "out")),
        "note": f"{rng.choice(('pricing', 'renewal', 'forklift'))} call {i}",
        "outcome": rng.choice(("won", "lost", "")),
        "when": when,
        **({"duration": i % 40} if i % 9 else {}),  # some without a duration (NULL)
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    local = LocalStore.open(tmp_path_factory.mktemp("keyset") / "calldesk.sqlite3", build)
    rng = random.Random(5)
    items = [
        (RemoteCall(f"r{i}", fields, T0), row_of(fields), text_of(fields))
        for i, fields in ((i, _fields(i, rng)) for i in range(300))
    ]
    local.calls.upsert_remote_many("acc", items[:200])
    local.calls.upsert_remote_many("other", items[200:])
    for i in range(14):  # unsynced calls, and deleted ones
        fields = _fields(1000 + i, rng)
        local.outbox.save_new("acc", fields, row_of(fields), text_of(fields))
    for record in local.calls.list_calls(CallQuery(text="renewal", limit=8)):
        local.outbox.save_delete(record.account, record.local_id)
    yield local
    local.close()


def _name(query: CallQuery) -> str:
    """A short test id: the fields that differ from the default query."""
    default = CallQuery()
    return (
        ",".join(
            f"{name}={getattr(query, name)!r}"
            for name in CallQuery.__dataclass_fields__
            if getattr(query, name) != getattr(default, name)
        )
        or "all"
    )


def _ids(rows: list[CallSummary]) -> list[str]:
    return [row.local_id for row in rows]


QUERIES = [
    *(CallQuery(sort=sort) for sort in SORTS),  # type: ignore[arg-type]
    *(CallQuery(sort=sort, descending=False) for sort in SORTS),  # type: ignore[arg-type]
    CallQuery(accounts=("other",), sort="who"),
    CallQuery(not_synced=True),
    CallQuery(include_deleted=True, sort="duration", descending=False),
    CallQuery(outcomes=("won",), since=1_700_000_000.0 - 30 * 3600),
    CallQuery(text="pricing"),
    CallQuery(text="pricing", descending=False),
    CallQuery(text="call", accounts=("acc",)),
    CallQuery(text="forkl", sort="who", descending=False),
]


@pytest.mark.parametrize("query", QUERIES, ids=_name)
def test_keyset_pages_forward_and_backward_list_exactly_the_whole_list(
    store: LocalStore, query: CallQuery
) -> None:
    whole = _ids(store.calls.list_calls(replace(query, limit=10_000)))
    assert len(whole) > 10
    forward: list[str] = []
    page = store.calls.list_calls(replace(query, limit=7))
    while page:
        forward.extend(_ids(page))
        page = store.calls.list_calls(replace(query, limit=7, after=page[-1].local_id))
    assert forward == whole
    last = store.calls.list_calls(replace(query, limit=7, from_end=True))
    assert _ids(last) == whole[-7:]
    skipped = store.calls.list_calls(replace(query, limit=7, from_end=True, offset=3))
    assert _ids(skipped) == whole[-10:-3]
    backward: list[str] = []
    page = last
    while page:
        backward = _ids(page) + backward
        page = store.calls.list_calls(replace(query, limit=7, before=page[0].local_id))
    assert backward == whole


def test_a_page_after_a_call_no_longer_listed_is_empty_and_cursors_exclude_each_other(
    store: LocalStore,
) -> None:
    assert store.calls.list_calls(CallQuery(after="loc_gone")) == []
    with pytest.raises(Exception, match="exclude each other"):
        store.calls.list_calls(CallQuery(after="a", from_end=True))


#: Statistics to plan with: none (a new store), as ``ANALYZE`` finds them (a small store), or
#: scaled to ~1,000,000 calls. The planner's choices differ (e.g. a Bloom filter of every call
#: is worth it to SQLite only while the calls seem fewer than the notes might be).
STATISTICS = {"none": 0, "small": 1, "large": 3000}


@contextmanager
def _statistics(store: LocalStore, scale: int) -> Iterator[None]:
    """Plans as a rep's store has them: ``PRAGMA optimize`` (at every close) keeps statistics
    of the tables it has read, ``scale`` times the calls of the test store (0: none)."""
    conn = store.db.connection
    store.search_index.flush()
    large = scale > 0
    if large:
        conn.execute("ANALYZE")
        rows = conn.execute("SELECT tbl, idx, stat FROM sqlite_stat1").fetchall()
        conn.execute("DELETE FROM sqlite_stat1")
        for table, index, stat in rows:
            first, *rest = str(stat).split()
            conn.execute(
                "INSERT INTO sqlite_stat1 VALUES (?, ?, ?)",
                (table, index, " ".join([str(int(first) * scale), *rest])),
            )
        conn.execute("ANALYZE sqlite_schema")
    try:
        yield
    finally:
        if large:
            conn.execute("DELETE FROM sqlite_stat1")
            conn.execute("ANALYZE sqlite_schema")


def _statements(store: LocalStore, action: Callable[[], object]) -> list[str]:
    """The query plans of every statement ``action`` runs (``--`` lines: FTS5's own)."""
    conn = store.db.connection
    store.search_index.flush()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    plans = []
    for sql in statements:
        if sql.startswith(("--", "PRAGMA")):
            continue
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
        plans.append(" / ".join(str(row[3]) for row in rows))
    return plans


_CURSOR_LINE = re.compile(
    r"SEARCH c USING (COVERING )?INDEX sqlite_autoindex_calls_1 \(local_id=\?\)"
)


@pytest.mark.parametrize(
    "query",
    [
        CallQuery(),
        CallQuery(sort="who"),
        CallQuery(sort="duration", descending=False),
        CallQuery(accounts=("acc",)),
        CallQuery(outcomes=("won", "lost")),
        CallQuery(not_synced=True),
    ],
    ids=_name,
)
@pytest.mark.parametrize("statistics", list(STATISTICS))
def test_deep_and_oldest_pages_seek_an_index(
    store: LocalStore, query: CallQuery, statistics: str
) -> None:
    middle = store.calls.list_calls(replace(query, limit=12))[-1].local_id
    with _statistics(store, STATISTICS[statistics]):
        _check_pages(store, query, middle)


def _check_pages(store: LocalStore, query: CallQuery, middle: str) -> None:
    for action in (
        lambda: store.calls.list_calls(replace(query, after=middle)),
        lambda: store.calls.list_calls(replace(query, before=middle)),
        lambda: store.calls.list_calls(replace(query, from_end=True)),
    ):
        for plan in _statements(store, action):
            if _CURSOR_LINE.match(plan):
                continue  # the cursor's own line, by its local_id
            assert "USING INDEX call_rows_live_" in plan or "COVERING INDEX" in plan, plan
            assert "SCAN" not in plan, plan
            if not query.not_synced and len(query.outcomes) < 2:
                # (several states or outcomes: their few lines are merged by a sort, as the
                # first page's are)
                assert "TEMP B-TREE" not in plan, plan


def test_the_cursor_is_read_by_its_id(store: LocalStore) -> None:
    after = store.calls.list_calls(CallQuery(limit=3))[-1].local_id
    plans = _statements(store, lambda: store.calls.list_calls(CallQuery(after=after)))
    assert _CURSOR_LINE.match(plans[0]), plans[0]
    assert "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)" in plans[0]


def test_deep_search_pages_seek_the_search_index(store: LocalStore) -> None:
    hits = store.calls.list_calls(CallQuery(text="call", limit=200))
    for plan in _statements(
        store, lambda: store.calls.list_calls(CallQuery(text="call", after=hits[-1].local_id))
    ):
        if _CURSOR_LINE.match(plan):
            continue
        assert "VIRTUAL TABLE" in plan and "TEMP B-TREE" not in plan, plan
        assert "SCAN c" not in plan, plan


@pytest.mark.parametrize("statistics", list(STATISTICS))
def test_the_index_update_is_driven_by_the_notes_not_by_every_call(
    store: LocalStore, statistics: str
) -> None:
    with _statistics(store, STATISTICS[statistics]):
        _check_index_update(store)


def _check_index_update(store: LocalStore) -> None:
    conn = store.db.connection
    for statement in _APPLY:
        plan = " / ".join(
            str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + statement).fetchall()
        )
        # the notes are walked; every call and list line is looked up by its key
        for step in plan.split(" / "):
            if step.startswith(("SCAN c", "SEARCH c ", "SCAN r", "SEARCH r ", "SCAN call_rows")):
                assert "(rowid=?)" in step, plan
            if "call_rows" in step:
                assert "(rowid=?)" in step, plan
            assert "BLOOM FILTER" not in step, plan  # built by reading every call


def _recount(conn: sqlite3.Connection) -> dict[tuple[int, str, str], int]:
    rows = conn.execute(
        "SELECT deleted, account, state, COUNT(*) FROM call_rows GROUP BY 1, 2, 3"
    ).fetchall()
    return {(int(r[0]), str(r[1]), str(r[2])): int(r[3]) for r in rows}


def _kept(conn: sqlite3.Connection) -> dict[tuple[int, str, str], int]:
    rows = conn.execute("SELECT deleted, account, state, n FROM call_counts WHERE n != 0")
    return {(int(r[0]), str(r[1]), str(r[2])): int(r[3]) for r in rows.fetchall()}


def test_kept_counts_follow_every_kind_of_write(tmp_path: Path) -> None:
    local = LocalStore.open(tmp_path / "counts.sqlite3", build)
    rng = random.Random(9)
    try:
        conn = local.db.connection
        items = [
            (RemoteCall(f"r{i}", f, T0), row_of(f), text_of(f))
            for i, f in ((i, _fields(i, rng)) for i in range(40))
        ]
        local.calls.upsert_remote_many("a", items[:30])
        local.calls.upsert_remote_many("b", items[30:])
        assert local.calls.count_calls() == 40
        saved = []
        for i in range(60):
            saved = [local_id for local_id in saved if local.calls.exists(local_id)]
            step = rng.randrange(4)
            if step == 0 or not saved:
                fields = _fields(100 + i, rng)
                op = local.outbox.save_new("a", fields, row_of(fields), text_of(fields))
                saved.append(op.local_id)
            elif step == 1:
                local_id = rng.choice(saved)
                fields = {**_fields(200 + i, rng)}
                local.outbox.save_edit(
                    "a", local_id, fields, fields, row=row_of(fields), search_text=text_of(fields)
                )
            elif step == 2:
                local.outbox.save_delete("a", saved.pop(rng.randrange(len(saved))))
            else:
                for op in local.outbox.list_ops(account="a")[:2]:
                    local.outbox.discard(op.op_id)
            local.search_index.flush()
            assert _kept(conn) == _recount(conn), f"after step {i} ({step})"
        live = sum(n for (deleted, _a, _s), n in _recount(conn).items() if not deleted)
        assert local.calls.count_calls() == live
        assert local.calls.count_calls(CallQuery(accounts=("b",))) == 10
        unsynced = sum(
            n for (d, _a, s), n in _recount(conn).items() if not d and s != SyncState.SYNCED.value
        )
        assert local.calls.count_calls(CallQuery(not_synced=True)) == unsynced
        local.calls.forget_account("a")
        local.search_index.flush()
        assert _kept(conn) == _recount(conn)
        assert local.calls.count_calls() == 10
    finally:
        local.close()


def test_a_cached_count_is_dropped_by_the_next_save(store: LocalStore) -> None:
    query = CallQuery(text="zebracorn")
    assert store.calls.count_calls(query) == 0
    assert _statements(store, lambda: store.calls.count_calls(query)) == []  # kept: no query
    fields = {"who": "Zebracorn Ltd", "when": 1_700_000_000.0}
    store.outbox.save_new("acc", fields, row_of(fields), text_of(fields))
    assert store.calls.count_calls(query) == 1
    assert CallCounter(store.db, store.search_index).count_calls(query) == 1
