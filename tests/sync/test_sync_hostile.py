"""The engine, the services and the command line against a hostile CRM on 127.0.0.1: a 429 met
by the outbox holds every other request of the account, garbage ``Retry-After`` values keep a
call queued within sane waits, and a key echoed in an error body is stored and printed nowhere."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from calldesk.cli import run
from calldesk.crm import RateLimited
from calldesk.domain import Account, KeySource, OpState, Vendor, utcnow
from calldesk.runtime import Runtime
from tests.helpers.hostile import Conn, HostileServer, Request, hostile, http_answer
from tests.sync.sync_support import close_values, sync_runtime, wait_until

KEY = "ck_live_0a1b2c3d4e5f60718293"


def close_account(server: HostileServer) -> Account:
    return Account("c", Vendor.CLOSE, server.base_url, KeySource("env", "K"))


def limiting(retry_after: str) -> Any:
    """Creates meet a 429 with ``retry_after``; every read would succeed."""

    def respond(request: Request, conn: Conn) -> None:
        if request.method == "POST":
            conn.send(http_answer(429, {"error": "slow down"}, {"Retry-After": retry_after}))
        else:
            conn.send(http_answer(200, {"data": [], "has_more": False}))

    return respond


async def first_op_error(rt: Runtime) -> str:
    ops = await rt.service.queue("c")
    return (ops[0].last_error or "") if ops else ""


@pytest.mark.asyncio
async def test_a_429_met_by_the_outbox_holds_refresh_and_lookups_too(tmp_path: Path) -> None:
    with hostile(limiting("300")) as server:
        async with sync_runtime(tmp_path, [close_account(server)], secret_for=lambda _a: KEY) as rt:
            await rt.service.log_call("c", close_values(1))
            syncer = rt.engine.syncers["c"]
            await wait_until(lambda: syncer.pacer.blocked_until > 0, timeout=10, what="the 429")
            with pytest.raises(RateLimited) as caught:
                await rt.service.refresh("c")  # F5 / the five-minute fetch
            assert await rt.service.refresh_lookups("c") == {}  # nothing fetched, nothing sent
        methods = [r.method for r in server.requests]
    assert methods == ["POST"]  # the reads never went out
    assert "not sent" in str(caught.value) and caught.value.retry_after > 200


@pytest.mark.asyncio
@pytest.mark.parametrize("header", ["inf", "1e999", "nan", "-50", "1000000000", "garbage"])
async def test_a_garbage_retry_after_keeps_the_call_queued_within_sane_waits(
    tmp_path: Path, header: str
) -> None:
    with hostile(limiting(header)) as server:
        async with sync_runtime(tmp_path, [close_account(server)], secret_for=lambda _a: KEY) as rt:
            record = await rt.service.log_call("c", close_values(2))

            async def limited() -> bool:
                return "slow down" in await first_op_error(rt)

            await wait_until(limited, timeout=10, what="the 429 to be recorded")
            (op,) = await rt.service.queue("c")
            posts = sum(r.method == "POST" for r in server.requests)
    assert op.local_id == record.local_id and op.state is OpState.PENDING  # never failed
    assert op.next_attempt_at is not None
    wait = op.next_attempt_at - utcnow()
    assert timedelta(seconds=0.5) < wait <= timedelta(hours=1)  # not 2058, not a busy loop
    assert posts == 1


ECHO_BASIC = base64.b64encode(f"{KEY}:".encode()).decode()


def echoing(request: Request, conn: Conn) -> None:
    """Every answer is an error that echoes the credentials it was sent, as some proxies do."""
    said = f"invalid key {KEY}; header was {request.headers.get('authorization')} ({ECHO_BASIC})"
    status = 400 if request.method == "POST" else 500
    conn.send(http_answer(status, {"error": said}))


def test_an_echoed_key_is_in_no_stored_or_printed_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], calldesk_home: Path
) -> None:
    monkeypatch.setenv("K", KEY)
    with hostile(echoing) as server:
        add = ["accounts", "add", "c", "--vendor", "close", "--base-url", server.base_url]
        assert run([*add, "--api-key-env", "K"]) == 0
        assert run(["calls", "log", "--account", "c", "duration=2", "note_html=<p>n</p>"]) == 0
        assert run(["sync", "--account", "c", "--timeout", "10"]) == 1
        assert run(["queue", "--json"]) == 0
        run(["calls", "list", "--account", "c", "--refresh"])
    printed = capsys.readouterr()
    queued = json.loads(_last_json(printed.out))
    assert "[REDACTED]" in json.dumps(queued)  # the CRM's message is kept, the key is not
    forms = [KEY, ECHO_BASIC, ECHO_BASIC.rstrip("=")]
    texts = {"stdout": printed.out, "stderr": printed.err}
    for path in calldesk_home.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("latin-1")
    assert any(name.endswith(".log") for name in texts), sorted(texts)
    leaks = [(name, form) for name, text in texts.items() for form in forms if form in text]
    assert leaks == []


def _last_json(out: str) -> str:
    """The JSON document ``queue --json`` printed (the last ``[`` … ``]`` block)."""
    start = out.rindex("\n[") + 1 if "\n[" in out else out.index("[")
    end = out.rindex("]") + 1
    return out[start:end]
