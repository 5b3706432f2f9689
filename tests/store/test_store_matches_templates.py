"""The caller-ID cache and the note templates in a real SQLite file: kept across a reopen,
bounded, one default per outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calldesk.domain import PhoneMatch
from calldesk.domain.templates import NoteTemplate, next_working_day, render_template
from calldesk.store import matches as matches_module
from calldesk.store.local import LocalStore
from calldesk.store.templates import TemplateLimitError

ADA = PhoneMatch("contact", "cont_1", "Ada Lovelace", "+16505551234", "Acme", (("lead", "l1"),))


def test_answers_survive_a_reopen_and_none_is_an_answer(store: LocalStore, db_path: Path) -> None:
    at = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    store.matches.put("close", "+16505551234", [ADA], at)
    store.matches.put("close", "+16505550000", [], at)
    store.close()
    again = LocalStore.open(db_path)
    try:
        found = again.matches.get("close", "+16505551234")
        assert found is not None and found.matches == (ADA,) and found.searched_at == at
        none = again.matches.get("close", "+16505550000")
        assert none is not None and none.matches == ()
        assert again.matches.get("close", "+442079460018") is None
        assert again.matches.get("other", "+16505551234") is None  # per account
    finally:
        again.close()


def test_answers_are_bounded_per_account_oldest_first(
    store: LocalStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matches_module, "MAX_NUMBERS", 3)
    start = datetime(2026, 12, 3, tzinfo=UTC)
    for i in range(5):
        store.matches.put("a", f"+1650555000{i}", [], start + timedelta(minutes=i))
    kept = [n for n in (f"+1650555000{i}" for i in range(5)) if store.matches.get("a", n)]
    assert kept == ["+16505550002", "+16505550003", "+16505550004"]


def test_templates_keep_one_default_per_outcome(store: LocalStore) -> None:
    first = store.templates.save(
        NoteTemplate("close", "VM", "Left voicemail, will call back {weekday}", "vm", True)
    )
    second = store.templates.save(NoteTemplate("close", "VM short", "Left VM", "vm", True))
    store.templates.save(NoteTemplate("close", "Any", "Spoke to {contact}"))
    assert store.templates.default_for("close", "vm") == second
    names = [(t.name, t.is_default) for t in store.templates.list("close")]
    assert names == [("VM", False), ("VM short", True), ("Any", False)]
    assert first.template_id is not None
    store.templates.delete(first.template_id)
    assert [t.name for t in store.templates.list("close")] == ["VM short", "Any"]
    assert store.templates.list("pipedrive") == []


def test_templates_are_bounded(store: LocalStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import calldesk.store.templates as templates_module

    monkeypatch.setattr(templates_module, "MAX_TEMPLATES", 2)
    store.templates.save(NoteTemplate("a", "1", "x"))
    store.templates.save(NoteTemplate("a", "2", "y"))
    with pytest.raises(TemplateLimitError, match="already keeps 2 templates"):
        store.templates.save(NoteTemplate("a", "3", "z"))


def test_placeholders_are_filled_for_the_local_time() -> None:
    thursday = datetime(2026, 12, 3, 10, 42)
    text = render_template(
        "Left voicemail for {contact} {today} {time}, will call back {weekday}. {unknown}",
        thursday,
        {"contact": "Ada"},
    )
    assert text == "Left voicemail for Ada Thursday 10:42, will call back Friday. {unknown}"
    friday = thursday + timedelta(days=1)
    assert next_working_day(friday).strftime("%A") == "Monday"
    assert render_template("{date}", thursday) == "2026-12-03"
