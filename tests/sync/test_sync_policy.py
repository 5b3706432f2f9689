"""The retry timing rules: backoff with jitter, and pacing from rate-limit headers (fake clock)."""

from __future__ import annotations

import random

import pytest

from calldesk.sync.policy import PACE_MARGIN, BackoffPolicy, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_backoff_grows_within_bounds_and_is_replayable() -> None:
    policy = BackoffPolicy(base=1.0, factor=2.0, cap=30.0)
    first = [policy.delay(n, random.Random(7)) for n in range(1, 12)]
    again = [policy.delay(n, random.Random(7)) for n in range(1, 12)]
    assert first == again
    assert all(0.5 <= d <= 30.0 for d in first)
    rng = random.Random(1)
    assert max(policy.delay(10, rng) for _ in range(200)) > 10  # it really grows


def test_pacer_goes_at_once_while_the_window_has_room() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    assert pacer.wait_time() == 0 and pacer.allowance(5) == 5  # nothing known yet
    pacer.note(limit=100, remaining=3, reset_after=1.0)
    assert pacer.wait_time() == 0
    assert pacer.allowance(5) == 3
    pacer.started()
    pacer.started()
    assert pacer.allowance(5) == 1


def test_spent_short_window_paces_at_the_vendor_rate() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    pacer.note(limit=20, remaining=0, reset_after=1.0)
    pacer.started()
    pacer.finished()
    assert pacer.allowance(3) == 1  # one paced request at a time, never a burst
    assert pacer.wait_time() == pytest.approx(PACE_MARGIN / 20)
    clock.now += PACE_MARGIN / 20
    assert pacer.wait_time() == 0


def test_spent_long_window_probes_just_before_the_stated_reset() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    pacer.note(limit=100, remaining=0, reset_after=10.0)
    assert pacer.wait_time() == pytest.approx(9.0)  # whole seconds, rounded up: probe 1 s early
    pacer.started()
    assert pacer.wait_time() == pytest.approx(10.0)  # a request is out: wait for its answer
    clock.now += 10.0
    assert pacer.wait_time() == 0


def test_a_429_blocks_everything_for_exactly_the_vendor_wait() -> None:
    clock = Clock()
    pacer = Pacer(clock)
    pacer.block_for(2.5)
    assert pacer.blocked_until == pytest.approx(102.5)
    assert pacer.wait_time() == pytest.approx(2.5)
    clock.now += 2.5
    assert pacer.wait_time() == 0
