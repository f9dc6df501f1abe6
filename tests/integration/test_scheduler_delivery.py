"""Delivery through a chat that fails: rate limits, back-off, dead letters, reconciliation, races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from core.messages import Delivery, DeliveryOutcome
from scheduler.ratelimit import RateLimiter
from scheduler.sweep import SweepConfig, Sweeper
from storage import outbox
from storage.db import session_scope
from tests.support.notify import RecordingChat, World

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _queue(engine: Engine, n: int, *, platform: str = "console", target: str = "general") -> None:
    rows: list[dict[str, Any]] = [
        {
            "dedupe_key": f"digest:{target}:{i}",
            "kind": "digest",
            "platform": platform,
            "target": target,
            "payload": {"text": f"message {i}"},
            "due_at": NOW - timedelta(seconds=n - i),
        }
        for i in range(n)
    ]
    with session_scope(engine) as session:
        outbox.enqueue(session, rows)


def _sweeper(engine: Engine, chat: RecordingChat, clock: FixedClock, **config: Any) -> Sweeper:
    return Sweeper(
        engine, {"console": chat, "slack": chat}, clock, config=SweepConfig(**config), plan=False
    )


def _statuses(w: World) -> list[str]:
    return [r.status for r in w.rows()]


@pytest.fixture
def world(engine: Engine) -> World:
    return World(engine, NOW)


def test_a_rate_limit_waits_for_retry_after_and_costs_no_attempt(world: World) -> None:
    _queue(world.engine, 1)
    world.chat.script = [Delivery(DeliveryOutcome.RATE_LIMITED, retry_after=30, error="429")]
    sweeper = _sweeper(world.engine, world.chat, world.clock)
    assert sweeper.sweep().sent == []
    world.clock.advance(seconds=29)
    assert sweeper.sweep().sent == []
    assert world.chat.attempts == 1  # nothing was tried before Retry-After elapsed
    world.clock.advance(seconds=2)
    assert [s.text for s in sweeper.sweep().sent] == ["message 0"]
    assert [r.attempts for r in world.rows()] == [1]


def test_transient_errors_back_off_then_go_dead_and_an_operator_retries(world: World) -> None:
    _queue(world.engine, 1)
    world.chat.script = [Delivery(DeliveryOutcome.TRANSIENT, error="500")] * 3
    sweeper = _sweeper(
        world.engine, world.chat, world.clock, max_attempts=3, backoff_base_seconds=10
    )
    waits = []
    for _ in range(3):
        sweeper.sweep()
        (row,) = world.rows()
        waits.append((row.next_attempt_at - world.clock.now()).total_seconds())
        world.clock.set(row.next_attempt_at)
    assert 5 <= waits[0] <= 10
    assert 10 <= waits[1] <= 20
    assert _statuses(world) == ["dead"]
    assert "gave up after 3 attempts: 500" in (world.rows()[0].last_error or "")
    world.user("admin")
    from core.services import notifications as notify

    with world.ctx("admin") as ctx:
        notify.retry_notification(ctx, "digest:general:0")
    assert [s.text for s in sweeper.sweep().sent] == ["message 0"]


def test_a_permanent_error_goes_dead_at_once(world: World) -> None:
    _queue(world.engine, 1)
    world.chat.script = [Delivery(DeliveryOutcome.PERMANENT, error="channel_not_found")]
    _sweeper(world.engine, world.chat, world.clock).sweep()
    (row,) = world.rows()
    assert (row.status, row.last_error) == ("dead", "channel_not_found")


def test_a_timeout_after_delivery_is_reconciled_not_sent_again(world: World) -> None:
    _queue(world.engine, 1)
    world.chat.script = [Delivery(DeliveryOutcome.UNKNOWN, error="arrived, then timed out")]
    sweeper = _sweeper(world.engine, world.chat, world.clock)
    sweeper.sweep()
    world.clock.advance(hours=1)
    result = sweeper.sweep()
    assert result.reconciled == 1
    assert world.chat.texts() == ["message 0"]
    assert world.chat.attempts == 1
    assert _statuses(world) == ["sent"]


def test_a_crash_between_send_and_record_is_reconciled_after_the_lease(world: World) -> None:
    _queue(world.engine, 2)
    claimed = outbox.claim(world.engine, "crashed-process", NOW, lease_seconds=60)
    from core.services.notifications import outgoing

    world.chat.send(outgoing(claimed[0]))  # the first went out, then the process died
    sweeper = _sweeper(world.engine, world.chat, world.clock)
    assert sweeper.sweep().sent == []  # still leased
    world.clock.advance(seconds=61)
    result = sweeper.sweep()
    assert result.reconciled == 1
    assert [s.text for s in result.sent] == ["message 1"]
    assert world.chat.texts() == ["message 0", "message 1"]


def test_a_notifier_that_raises_is_retried_as_maybe_sent(world: World) -> None:
    _queue(world.engine, 1)

    class Broken(RecordingChat):
        def send(self, message: Any) -> Delivery:
            raise ConnectionError("reset by peer")

    sweeper = Sweeper(world.engine, {"console": Broken()}, world.clock, plan=False)
    sweeper.sweep()
    (row,) = world.rows()
    assert (row.status, row.maybe_sent) == ("pending", True)
    assert "ConnectionError" in (row.last_error or "")


def test_one_message_a_second_per_slack_channel(world: World) -> None:
    _queue(world.engine, 3, platform="slack", target="C1")
    _queue(world.engine, 1, platform="slack", target="C2")
    sweeper = Sweeper(
        world.engine, {"slack": world.chat}, world.clock, plan=False, limiter=RateLimiter()
    )
    first = sweeper.sweep().sent
    assert sorted(s.to for s in first) == ["C1", "C2"]
    world.clock.advance(seconds=1)
    assert [s.to for s in sweeper.sweep().sent] == ["C1"]
    world.clock.advance(seconds=1)
    assert [s.to for s in sweeper.sweep().sent] == ["C1"]
    assert len(world.chat.texts(to="C1")) == 3


def test_twenty_a_minute_per_dingtalk_robot(world: World) -> None:
    _queue(world.engine, 25, platform="dingtalk", target="robot")
    sweeper = Sweeper(world.engine, {"dingtalk": world.chat}, world.clock, plan=False)
    assert len(sweeper.sweep().sent) == 20
    world.clock.advance(seconds=10)
    assert len(sweeper.sweep().sent) == 3
    world.clock.advance(seconds=50)
    assert len(sweeper.sweep().sent) == 2


def test_two_sweeps_at_once_send_everything_exactly_once(world: World) -> None:
    _queue(world.engine, 200)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            Sweeper(
                world.engine,
                {"console": world.chat},
                world.clock,
                config=SweepConfig(batch=9, max_batches=100),
                plan=False,
                owner=f"s{i}",
            ).sweep()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    keys = [m.dedupe_key for m in world.chat.messages]
    assert len(keys) == 200
    assert len(set(keys)) == 200
    assert set(_statuses(world)) == {"sent"}
