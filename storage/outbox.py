"""The notification outbox's SQL: enqueue once, claim with a lease, and record the outcome.

Rows are claimed in their own short transaction and the chat API is called outside it, so no
row lock is held across HTTP. A claimed row is `sending` with `next_attempt_at = lease_until`;
one index, `(status, next_attempt_at)`, finds both pending rows that are due and `sending` rows
whose lease ran out (their sender died). Every outcome is written only while the lease is still
the writer's own (`lease_owner` fences it), so a sender that lost its lease changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.models import Notification, NotificationStatus
from storage.db import is_sqlite, session_scope

T = Notification.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ at class creation
_LIVE = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for sending: what the sender needs, detached from any session."""

    id: int
    dedupe_key: str
    kind: str
    platform: str
    tenant: str
    target: str
    target_type: str
    user_id: int | None
    task_id: int | None
    project_id: int | None
    payload: dict[str, Any]
    attempts: int
    due_at: datetime
    lease_owner: str
    lease_until: datetime
    maybe_sent: bool


def _values(row: Notification | dict[str, Any]) -> dict[str, Any]:
    if isinstance(row, dict):
        data = dict(row)
    else:
        data = {c.name: getattr(row, c.name) for c in T.columns if c.name != "id"}
    data.pop("id", None)
    data.setdefault("status", NotificationStatus.PENDING.value)
    data.setdefault("attempts", 0)
    data.setdefault("maybe_sent", False)
    data.setdefault("tenant", "")
    data.setdefault("target_type", "channel")
    data.setdefault("payload", {})
    if "next_attempt_at" not in data or data["next_attempt_at"] is None:
        data["next_attempt_at"] = data["due_at"]
    if data.get("created_at") is None:
        data["created_at"] = data["due_at"]
    return data


def enqueue(session: Session, rows: Iterable[Notification | dict[str, Any]]) -> list[str]:
    """Insert rows whose dedupe key is new (INSERT ... ON CONFLICT DO NOTHING); return those keys.

    Runs in the caller's transaction, so a notification is queued exactly when the change that
    causes it commits.
    """
    values = [_values(r) for r in rows]
    if not values:
        return []
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert(T) if dialect == "postgresql" else sqlite.insert(T)
    stmt = insert.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(T.c.dedupe_key)
    inserted: list[str] = []
    # One statement per row: RETURNING with executemany is not portable across our drivers.
    for value in values:
        key = session.execute(stmt.values(**value)).scalar_one_or_none()
        if key is not None:
            inserted.append(key)
    return inserted


_FAIR_PICK_PG = sa.text(
    """
    WITH dest AS (
        SELECT platform, tenant, target, min(next_attempt_at) AS first_due
        FROM notification
        WHERE status IN :live AND next_attempt_at <= :now
        GROUP BY platform, tenant, target
        ORDER BY first_due
        LIMIT :limit
    )
    SELECT picked.id
    FROM dest CROSS JOIN LATERAL (
        SELECT n.id, n.next_attempt_at
        FROM notification AS n
        WHERE n.platform = dest.platform AND n.tenant = dest.tenant AND n.target = dest.target
          AND n.status IN :live AND n.next_attempt_at <= :now
        ORDER BY n.next_attempt_at, n.id
        LIMIT :per
        FOR UPDATE SKIP LOCKED
    ) AS picked
    ORDER BY picked.next_attempt_at, picked.id
    LIMIT :limit
    """
).bindparams(sa.bindparam("live", expanding=True))


def claim(
    engine: Engine,
    owner: str,
    now: datetime,
    *,
    limit: int = 50,
    lease_seconds: float = 60.0,
    per_destination: int = 25,
) -> list[Claimed]:
    """Claim up to `limit` due rows for `owner` until `now + lease_seconds`, in one transaction.

    PostgreSQL: a CTE selecting with `FOR UPDATE SKIP LOCKED`, so concurrent sweepers take
    disjoint rows without waiting. SQLite: `BEGIN IMMEDIATE` serialises writers, and one
    `UPDATE ... WHERE id IN (SELECT ... LIMIT n) RETURNING` claims atomically (SQLAlchemy drops
    `skip_locked` on SQLite silently, so the PostgreSQL form would not be safe there).
    A row reclaimed from an expired lease may already have been sent: it is marked `maybe_sent`.
    """
    until = now + timedelta(seconds=lease_seconds)
    due = sa.and_(T.c.status.in_(_LIVE), T.c.next_attempt_at <= now)
    changes = {
        "status": NotificationStatus.SENDING.value,
        "lease_owner": owner,
        "lease_until": until,
        "next_attempt_at": until,
        "attempts": T.c.attempts + 1,
        "maybe_sent": sa.or_(T.c.maybe_sent, T.c.status == NotificationStatus.SENDING.value),
    }
    # Fairness: at most `per_destination` rows of one destination per claim, earliest due first,
    # so a channel with 100k rows waiting never holds back another's reminder due now.
    with session_scope(engine, immediate=True) as session:
        if is_sqlite(engine):
            # BEGIN IMMEDIATE serialises claimers: rank every due row, take the fair share.
            rank = (
                sa.func.row_number()
                .over(
                    partition_by=(T.c.platform, T.c.tenant, T.c.target),
                    order_by=(T.c.next_attempt_at, T.c.id),
                )
                .label("rank")
            )
            ranked = sa.select(T.c.id, T.c.next_attempt_at, rank).where(due).subquery("ranked")
            fair = (
                sa.select(ranked.c.id)
                .where(ranked.c.rank <= per_destination)
                .order_by(ranked.c.next_attempt_at, ranked.c.id)
                .limit(limit)
            )
            stmt = sa.update(T).where(T.c.id.in_(fair.scalar_subquery())).values(**changes)
        else:
            # The earliest destinations, then each one's earliest rows that no other claimer
            # holds (SKIP LOCKED per destination, in a LATERAL join): concurrent claimers take
            # disjoint rows and neither runs dry while rows are left.
            ids = [
                row[0]
                for row in session.execute(
                    _FAIR_PICK_PG,
                    {"live": list(_LIVE), "now": now, "limit": limit, "per": per_destination},
                )
            ]
            if not ids:
                return []
            stmt = sa.update(T).where(T.c.id.in_(ids)).values(**changes)
        rows = session.execute(stmt.returning(*T.columns)).mappings().all()
    return [
        Claimed(
            id=r["id"],
            dedupe_key=r["dedupe_key"],
            kind=r["kind"],
            platform=r["platform"],
            tenant=r["tenant"],
            target=r["target"],
            target_type=r["target_type"],
            user_id=r["user_id"],
            task_id=r["task_id"],
            project_id=r["project_id"],
            payload=dict(r["payload"] or {}),
            attempts=r["attempts"],
            due_at=r["due_at"],
            lease_owner=owner,
            lease_until=until,
            maybe_sent=bool(r["maybe_sent"]),
        )
        for r in sorted(rows, key=lambda r: (r["due_at"], r["id"]))
    ]


def _fenced(row: Claimed) -> Any:
    return sa.and_(
        T.c.id == row.id,
        T.c.lease_owner == row.lease_owner,
        T.c.status == NotificationStatus.SENDING.value,
    )


def _update(engine: Engine, row: Claimed, values: dict[str, Any]) -> bool:
    with session_scope(engine) as session:
        result = session.execute(sa.update(T).where(_fenced(row)).values(**values))
        return bool(getattr(result, "rowcount", 0) == 1)


def mark_sent(engine: Engine, row: Claimed, now: datetime, external_ref: str | None) -> bool:
    """Record a delivery; False when the lease was lost (someone else owns the row now)."""
    return _update(
        engine,
        row,
        {
            "status": NotificationStatus.SENT.value,
            "sent_at": now,
            "external_ref": external_ref,
            "lease_owner": None,
            "lease_until": None,
            "last_error": None,
        },
    )


def reschedule(
    engine: Engine,
    row: Claimed,
    at: datetime,
    *,
    error: str | None = None,
    maybe_sent: bool | None = None,
    count_attempt: bool = True,
) -> bool:
    """Put a claimed row back to pending until `at` (a rate limit, a failure, quiet hours)."""
    values: dict[str, Any] = {
        "status": NotificationStatus.PENDING.value,
        "next_attempt_at": at,
        "lease_owner": None,
        "lease_until": None,
    }
    if error is not None:
        values["last_error"] = error[:2000]
    if maybe_sent is not None:
        values["maybe_sent"] = maybe_sent
    if not count_attempt:
        values["attempts"] = T.c.attempts - 1
    return _update(engine, row, values)


def mark_dead(engine: Engine, row: Claimed, error: str) -> bool:
    """Give up on a claimed row: it stays for operators to list and retry."""
    return _update(
        engine,
        row,
        {
            "status": NotificationStatus.DEAD.value,
            "last_error": error[:2000],
            "lease_owner": None,
            "lease_until": None,
        },
    )


def mark_cancelled(engine: Engine, row: Claimed, reason: str) -> bool:
    """Drop a claimed row that should no longer go out (superseded, or its task changed)."""
    return _update(
        engine,
        row,
        {
            "status": NotificationStatus.CANCELLED.value,
            "last_error": reason[:2000],
            "lease_owner": None,
            "lease_until": None,
        },
    )


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of `keys` are already in the outbox (in any state)."""
    if not keys:
        return set()
    rows = session.execute(sa.select(T.c.dedupe_key).where(T.c.dedupe_key.in_(list(keys))))
    return {r[0] for r in rows}


def count_by_status(session: Session) -> dict[str, int]:
    """How many rows are in each state."""
    rows = session.execute(sa.select(T.c.status, sa.func.count()).group_by(T.c.status)).all()
    return {str(status): int(n) for status, n in rows}
