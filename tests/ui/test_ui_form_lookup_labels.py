"""Lookup fields of a loaded record show names, not ids: with a small fake label resolver for
the widgets, and with the real ``CallService`` (cached lookups over a real store) behind the form,
as the window wires it."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from calldesk.domain.model import LookupItem, Vendor
from calldesk.sandbox import SandboxServer
from calldesk.schema import load_schema
from calldesk.store.calls import CallQuery
from calldesk.ui.form import EditorForm
from calldesk.ui.form.choice_widgets import OutcomeLookupWidget, SearchLookupWidget
from tests.helpers.waiting import until as wait_until
from tests.sync.sync_support import sandbox_account, sync_runtime

NAMES = {
    ("leads", "lead_1"): "Acme Corp",
    ("contacts", "cont_1"): "Dana Ruiz",
    ("users", "user_1"): "Sam Rep",
    ("outcomes", "out_z"): "Gatekeeper",
}


class FakeLabels:
    """Names ids from a dict after yielding to the loop; records what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, source: str, item_id: str) -> str | None:
        self.asked.append((source, item_id))
        await asyncio.sleep(0)
        return NAMES.get((source, item_id))


async def no_choices(source: str, query: str) -> list[LookupItem]:
    await asyncio.sleep(0)
    return []


def search(form: EditorForm, name: str) -> SearchLookupWidget:
    widget = form.fields[name]
    assert isinstance(widget, SearchLookupWidget)
    return widget


@pytest.mark.asyncio
async def test_stored_ids_show_their_labels_and_unknown_ids_show_muted(qtbot: QtBot) -> None:
    labels = FakeLabels()
    form = EditorForm(
        load_schema(Vendor.CLOSE),
        account_name="work",
        lookups=no_choices,
        labels=labels,
        search_delay_ms=0,
    )
    qtbot.addWidget(form)
    form.show()
    form.load_record(
        {"id": "acti_1", "lead_id": "lead_1", "contact_id": "cont_1", "user_id": "user_gone"},
        existing=True,
    )
    lead, contact, user = (
        search(form, "lead_id"),
        search(form, "contact_id"),
        search(form, "user_id"),
    )
    await wait_until(
        lambda: lead.shown_text() == "Acme Corp" and contact.shown_text() == "Dana Ruiz"
    )
    await wait_until(lambda: ("users", "user_gone") in labels.asked)
    assert not lead.is_muted() and not contact.is_muted()
    # Unknown: the id stays, drawn in the placeholder colour, with a tooltip saying why.
    assert user.shown_text() == "user_gone" and user.is_muted()
    assert "user_gone" in user.edit.toolTip()
    muted = user.edit.palette().color(user.edit.foregroundRole())
    assert muted != lead.edit.palette().color(lead.edit.foregroundRole())
    # The ids are still what the form holds: nothing changed, nothing to save.
    assert (lead.text(), contact.text(), user.text()) == ("lead_1", "cont_1", "user_gone")
    assert not form.is_dirty()
    assert lead.local_error() is None and user.local_error() is None


@pytest.mark.asyncio
async def test_a_late_label_does_not_overwrite_the_next_record(qtbot: QtBot) -> None:
    gates = {"lead_1": asyncio.Event(), "lead_other": asyncio.Event()}
    settled: list[str] = []  # lookups that returned or were cancelled

    async def slow_labels(source: str, item_id: str) -> str | None:
        try:
            await gates[item_id].wait()
            return NAMES.get((source, item_id))
        finally:
            settled.append(item_id)

    form = EditorForm(
        load_schema(Vendor.CLOSE), account_name="work", lookups=no_choices, labels=slow_labels
    )
    qtbot.addWidget(form)
    form.load_record({"id": "acti_1", "lead_id": "lead_1"}, existing=True)
    form.load_record({"id": "acti_2", "lead_id": "lead_other"}, existing=True)
    lead = search(form, "lead_id")
    # The second record's lookup answers first (an unknown id: shown muted) ...
    gates["lead_other"].set()
    await wait_until(lambda: "lead_other" in settled and lead.is_muted())
    # ... then the first record's late answer arrives, and is dropped.
    gates["lead_1"].set()
    await wait_until(lambda: "lead_1" in settled)
    QApplication.processEvents()
    assert lead.shown_text() == "lead_other" and lead.text() == "lead_other"
    assert lead.is_muted()


@pytest.mark.asyncio
async def test_outcome_picker_names_a_stored_outcome_outside_its_choices(qtbot: QtBot) -> None:
    form = EditorForm(
        load_schema(Vendor.CLOSE),
        account_name="work",
        lookups=no_choices,
        labels=FakeLabels(),
    )
    qtbot.addWidget(form)
    form.load_record({"id": "acti_1", "outcome_id": "out_z"}, existing=True)
    outcome = form.fields["outcome_id"]
    assert isinstance(outcome, OutcomeLookupWidget)
    await wait_until(lambda: outcome.current_label() == "Gatekeeper")
    assert outcome.text() == "out_z" and not outcome.is_muted()
    form.load_record({"id": "acti_2", "outcome_id": "out_unknown"}, existing=True)
    await wait_until(lambda: outcome.text() == "out_unknown")
    for _ in range(10):
        await asyncio.sleep(0.01)
        QApplication.processEvents()
    assert outcome.current_label() == "out_unknown" and outcome.is_muted()


@pytest.mark.asyncio
@pytest.mark.parametrize("with_resolver", [True, False], ids=["labels", "lookups-only"])
async def test_form_over_the_real_service_shows_names_of_a_loaded_call(
    qtbot: QtBot, sandbox_server: SandboxServer, tmp_path: Path, with_resolver: bool
) -> None:
    account = sandbox_account(sandbox_server, Vendor.CLOSE)
    api = sandbox_server.sandbox.apis[Vendor.CLOSE]
    async with sync_runtime(tmp_path, [account], start_engine=False) as rt:
        await rt.service.refresh_lookups("c")
        await rt.service.refresh("c")
        summary = (await rt.service.list_calls(CallQuery(accounts=("c",), limit=1)))[0]
        record = await rt.service.find("c", summary.local_id)
        assert record.remote_id is not None
        remote = api.calls[record.remote_id]
        form = EditorForm(
            rt.service.schema_for("c"),
            account_name="c",
            lookups=partial(rt.service.lookup, "c"),
            labels=partial(rt.service.lookup_label, "c") if with_resolver else None,
        )
        qtbot.addWidget(form)
        form.load_record(record.fields, existing=True)
        expected = {
            "lead_id": next(x["display_name"] for x in api.leads if x["id"] == remote["lead_id"]),
            "contact_id": next(x["name"] for x in api.contacts if x["id"] == remote["contact_id"]),
            "user_id": next(
                f"{x['first_name']} {x['last_name']}"
                for x in api.users
                if x["id"] == remote["user_id"]
            ),
        }
        widgets = {name: search(form, name) for name in expected}
        await wait_until(lambda: {name: w.shown_text() for name, w in widgets.items()} == expected)
        assert not any(w.is_muted() for w in widgets.values())
        assert {name: w.text() for name, w in widgets.items()} == {
            name: remote[name] for name in expected
        }
        outcome = form.fields["outcome_id"]
        assert isinstance(outcome, OutcomeLookupWidget)
        if remote.get("outcome_id"):
            wanted = next(o["name"] for o in api.outcomes if o["id"] == remote["outcome_id"])
            await wait_until(lambda: outcome.current_label() == wanted)
        form.close()
