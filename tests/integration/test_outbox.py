"""The outbox on SQLite and PostgreSQL: once-only enqueue, leased claims, fenced outcomes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from core.models import NotificationStatus
from storage import outbox
from storage.db import session_scope

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def _row(key: str, due: datetime = NOW, **extra: Any) -> dict[str, Any]:
    return {
        "dedupe_key": key,
        "kind": "reminder",
        "platform": "console",
        "target": "bob",
        "target_type": "user",
        "payload": {"text": f"hello {key}"},
        "due_at": due,
    } | extra


def _status(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        return outbox.count_by_status(session)


def test_enqueue_keeps_the_first_row_of_a_key(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert outbox.enqueue(session, [_row("a"), _row("b")]) == ["a", "b"]
    with session_scope(engine) as session:
        assert outbox.enqueue(session, [_row("a", payload={"text": "other"}), _row("c")]) == ["c"]
    rows = outbox.claim(engine, "me", NOW, limit=10)
    assert sorted(r.dedupe_key for r in rows) == ["a", "b", "c"]
    assert next(r for r in rows if r.dedupe_key == "a").payload == {"text": "hello a"}


def test_claim_takes_only_due_rows_in_due_order(engine: Engine) -> None:
    with session_scope(engine) as session:
        outbox.enqueue(
            session,
            [
                _row("later", NOW + timedelta(minutes=5)),
                _row("second", NOW - timedelta(minutes=1)),
                _row("first", NOW - timedelta(minutes=2)),
            ],
        )
    rows = outbox.claim(engine, "me", NOW, limit=10)
    assert [r.dedupe_key for r in rows] == ["first", "second"]
    assert all(r.attempts == 1 and not r.maybe_sent for r in rows)
    assert outbox.claim(engine, "other", NOW, limit=10) == []


def test_a_lost_lease_cannot_record_and_the_row_is_reclaimed_as_maybe_sent(engine: Engine) -> None:
    with session_scope(engine) as session:
        outbox.enqueue(session, [_row("k")])
    (mine,) = outbox.claim(engine, "dead-process", NOW, lease_seconds=30)
    assert outbox.claim(engine, "other", NOW + timedelta(seconds=29)) == []
    (theirs,) = outbox.claim(engine, "other", NOW + timedelta(seconds=31))
    assert theirs.maybe_sent
    assert theirs.attempts == 2
    assert not outbox.mark_sent(engine, mine, NOW, "ref-1")
    assert outbox.mark_sent(engine, theirs, NOW, "ref-2")
    assert _status(engine) == {"sent": 1}


def test_reschedule_returns_the_row_to_pending_until_its_time(engine: Engine) -> None:
    with session_scope(engine) as session:
        outbox.enqueue(session, [_row("k")])
    (row,) = outbox.claim(engine, "me", NOW)
    assert outbox.reschedule(
        engine, row, NOW + timedelta(seconds=30), error="429", count_attempt=False
    )
    assert outbox.claim(engine, "me", NOW + timedelta(seconds=29)) == []
    (again,) = outbox.claim(engine, "me", NOW + timedelta(seconds=30))
    assert again.attempts == 1  # a rate limit is not a failed attempt
    assert outbox.mark_dead(engine, again, "channel_not_found")
    assert _status(engine) == {"dead": 1}
    assert outbox.claim(engine, "me", NOW + timedelta(days=1)) == []


def test_concurrent_claims_never_share_a_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        outbox.enqueue(session, [_row(f"k{i}", NOW - timedelta(seconds=i)) for i in range(300)])
    taken: list[list[str]] = [[] for _ in range(4)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            while rows := outbox.claim(engine, f"w{i}", NOW, limit=7):
                taken[i].extend(r.dedupe_key for r in rows)
                for r in rows:
                    outbox.mark_sent(engine, r, NOW, None)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = [k for keys in taken for k in keys]
    assert len(everything) == 300
    assert len(set(everything)) == 300
    assert _status(engine) == {NotificationStatus.SENT.value: 300}
