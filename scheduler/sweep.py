"""One sweep: queue what time has made due, then claim, send and record outbox rows.

Any number of processes may sweep at once. Planning is idempotent (dedupe keys); claiming takes
disjoint rows under a lease; a send is recorded only while the lease is still ours. A send whose
outcome is unknown (timeout, or a crash between the send and its record) leaves the row marked
`maybe_sent`, and the next attempt first asks the platform whether it already arrived.
"""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.engine import Engine

from core.clock import Clock
from core.messages import Delivery, DeliveryOutcome, Notifier
from core.services.digests import plan_due_messages
from core.services.notifications import decide
from scheduler.ratelimit import RateLimiter
from storage import outbox
from storage.db import session_scope
from storage.outbox import Claimed

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SweepConfig:
    """Knobs of the sweep; the defaults suit production."""

    batch: int = 50
    max_batches: int = 20
    lease_seconds: float = 60.0
    # Stop sending from a batch this long before its lease ends, so a slow send cannot
    # outlive the lease and race a process that reclaimed the row.
    lease_margin_seconds: float = 5.0
    max_attempts: int = 8
    backoff_base_seconds: float = 10.0
    backoff_cap_seconds: float = 3600.0
    default_retry_after: float = 1.0
    missing_notifier_retry_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class Sent:
    """One message that went out during a sweep (what `pmbot tick --json` prints)."""

    kind: str
    to: str
    task: str | None
    text: str
    key: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: kind, to, task, text."""
        data = asdict(self)
        data.pop("key")
        return data


@dataclass
class SweepResult:
    """What one sweep did."""

    planned: list[str] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    reconciled: int = 0
    deferred: int = 0
    retried: int = 0
    dead: int = 0
    cancelled: int = 0
    lost_lease: int = 0


def new_owner() -> str:
    """A lease owner id unique to this process and sweeper."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int, config: SweepConfig, rng: random.Random) -> float:
    """Seconds before retry number `attempts`: exponential, capped, with jitter (half to full)."""
    exponent = min(max(attempts - 1, 0), 30)
    delay = min(config.backoff_cap_seconds, config.backoff_base_seconds * float(2**exponent))
    return float(delay / 2 + rng.random() * delay / 2)


class Sweeper:
    """Plans, claims and delivers outbox rows through a notifier per platform."""

    def __init__(
        self,
        engine: Engine,
        notifiers: Mapping[str, Notifier],
        clock: Clock,
        *,
        config: SweepConfig | None = None,
        limiter: RateLimiter | None = None,
        owner: str | None = None,
        plan: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.notifiers = notifiers
        self.clock = clock
        self.config = config or SweepConfig()
        self.limiter = limiter or RateLimiter()
        self.owner = owner or new_owner()
        self.plan = plan
        self.rng = rng or random.Random()

    def plan_due(self, now: datetime) -> list[str]:
        """Queue digests and summaries whose time has come; return the new keys."""
        with session_scope(self.engine, immediate=True) as session:
            return plan_due_messages(session, now, outbox.enqueue)

    def sweep(self) -> SweepResult:
        """Run one sweep as of the clock's now."""
        result = SweepResult()
        now = self.clock.now()
        if self.plan:
            result.planned = self.plan_due(now)
        for _ in range(self.config.max_batches):
            rows = outbox.claim(
                self.engine,
                self.owner,
                self.clock.now(),
                limit=self.config.batch,
                lease_seconds=self.config.lease_seconds,
            )
            if not rows:
                break
            self._deliver(rows, result)
            if len(rows) < self.config.batch:
                break
        if result.sent or result.dead or result.retried:
            log.info(
                "sweep_done",
                sent=len(result.sent),
                planned=len(result.planned),
                retried=result.retried,
                deferred=result.deferred,
                dead=result.dead,
                cancelled=result.cancelled,
            )
        return result

    def _deliver(self, rows: list[Claimed], result: SweepResult) -> None:
        with session_scope(self.engine) as session:
            decisions = decide(session, rows, self.clock.now())
        for i, row in enumerate(rows):
            now = self.clock.now()
            if now >= row.lease_until - timedelta(seconds=self.config.lease_margin_seconds):
                # Hand the rest back now rather than let their lease run out.
                for rest in rows[i:]:
                    outbox.reschedule(self.engine, rest, now, count_attempt=False)
                return
            decision = decisions[row.id]
            if decision.cancel is not None:
                outbox.mark_cancelled(self.engine, row, decision.cancel)
                result.cancelled += 1
                continue
            if decision.defer_until is not None:
                outbox.reschedule(self.engine, row, decision.defer_until, count_attempt=False)
                result.deferred += 1
                continue
            message = decision.message
            assert message is not None
            notifier = self.notifiers.get(row.platform)
            if notifier is None:
                # Another process may run this platform's adapter; try again later.
                self._retry(
                    row,
                    now,
                    f"no notifier for platform {row.platform!r}",
                    result,
                    delay=self.config.missing_notifier_retry_seconds,
                )
                continue
            if row.maybe_sent:
                try:
                    ref = notifier.find_sent(message)
                except Exception as exc:  # a failed lookup is a transient failure
                    self._retry(row, now, f"reconcile failed: {exc}", result, maybe_sent=True)
                    continue
                if ref is not None:
                    if outbox.mark_sent(self.engine, row, self.clock.now(), ref):
                        result.reconciled += 1
                        log.info("notification_reconciled", key=row.dedupe_key)
                    else:
                        result.lost_lease += 1
                    continue
            wait = self.limiter.acquire(row.platform, row.target, now)
            if wait > 0:
                outbox.reschedule(
                    self.engine, row, now + timedelta(seconds=wait), count_attempt=False
                )
                result.deferred += 1
                continue
            try:
                delivery = notifier.send(message)
            except Exception as exc:  # a notifier bug must not stop the sweep
                log.exception("notifier_raised", key=row.dedupe_key, platform=row.platform)
                delivery = Delivery(DeliveryOutcome.UNKNOWN, error=f"{type(exc).__name__}: {exc}")
            self._record(row, message.reply.text, delivery, result)

    def _retry(
        self,
        row: Claimed,
        now: datetime,
        error: str,
        result: SweepResult,
        *,
        maybe_sent: bool | None = None,
        delay: float | None = None,
    ) -> None:
        if row.attempts >= self.config.max_attempts:
            outbox.mark_dead(self.engine, row, f"gave up after {row.attempts} attempts: {error}")
            result.dead += 1
            log.warning("notification_dead", key=row.dedupe_key, error=error)
            return
        wait = delay if delay is not None else backoff(row.attempts, self.config, self.rng)
        outbox.reschedule(
            self.engine, row, now + timedelta(seconds=wait), error=error, maybe_sent=maybe_sent
        )
        result.retried += 1

    def _record(self, row: Claimed, text: str, delivery: Delivery, result: SweepResult) -> None:
        now = self.clock.now()
        outcome = delivery.outcome
        if outcome is DeliveryOutcome.SENT:
            if outbox.mark_sent(self.engine, row, now, delivery.external_ref):
                result.sent.append(
                    Sent(
                        row.kind if row.kind != "snooze" else "reminder",
                        row.target,
                        row.payload.get("task_key"),
                        text,
                        row.dedupe_key,
                    )
                )
                log.info("notification_sent", key=row.dedupe_key, platform=row.platform)
            else:
                result.lost_lease += 1
                log.warning("notification_lease_lost", key=row.dedupe_key)
        elif outcome is DeliveryOutcome.RATE_LIMITED:
            wait = (
                delivery.retry_after
                if delivery.retry_after is not None
                else (self.config.default_retry_after)
            )
            until = now + timedelta(seconds=wait + self.rng.random() * 0.2)
            self.limiter.block(row.platform, row.target, until)
            outbox.reschedule(
                self.engine,
                row,
                until,
                error=delivery.error or "rate limited",
                count_attempt=False,
            )
            result.deferred += 1
        elif outcome is DeliveryOutcome.PERMANENT:
            outbox.mark_dead(self.engine, row, delivery.error or "permanent error")
            result.dead += 1
            log.warning("notification_dead", key=row.dedupe_key, error=delivery.error)
        elif outcome is DeliveryOutcome.UNKNOWN:
            self._retry(row, now, delivery.error or "outcome unknown", result, maybe_sent=True)
        else:
            self._retry(row, now, delivery.error or "transient error", result)


def sweep_once(
    engine: Engine, notifiers: Mapping[str, Notifier], clock: Clock, **kwargs: Any
) -> SweepResult:
    """Run one sweep with a fresh sweeper (for `pmbot tick`)."""
    return Sweeper(engine, notifiers, clock, **kwargs).sweep()
