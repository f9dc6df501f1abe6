"""Reliability run: three sweeper processes on one PostgreSQL, `kill -9`, and a flaky chat API.

    python -m bench.reliability            # 10,000 notifications, 20 kills (make reliability)
    python -m bench.reliability --short    # 200 notifications, 3 kills (a test runs this)

A fresh database is created next to `PMBOT_TEST_POSTGRES_URL` (default
postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards. The fake chat endpoint answers
30% 429 (Retry-After 1 s), 5% 500, and 1% "delivered, but the answer comes too late" (the
sender's outcome is unknown). Every notification is queued twice (two producers) under the same
dedupe key. The run prints how many were lost and how many arrived twice; the target is 0 and 0.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Report:
    """The outcome of a run."""

    notifications: int
    kills: int
    lost: int
    duplicates: int
    seconds: float
    counts: dict[str, int]
    statuses: dict[str, int]

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        c = self.counts
        return [
            f"notifications: {self.notifications}  processes: 3  kill -9: {self.kills}",
            f"requests: {c['requests']}  429: {c['rate_limited']}  500: {c['server_errors']}  "
            f"slow-after-delivery: {c['slow']}",
            f"retries before Retry-After: same message {c['early_retries']}, same destination "
            f"from any process {c['early_destination_retries']}",
            f"outbox: {self.statuses}",
            f"time: {self.seconds:.1f} s",
            f"lost: {self.lost}",
            f"duplicates: {self.duplicates}",
        ]


def _admin_url() -> str:
    return os.environ.get("PMBOT_TEST_POSTGRES_URL", DEFAULT_PG)


def _queue(url: str, n: int, targets: int) -> set[str]:
    from storage import outbox
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = [
            {
                "dedupe_key": f"digest:{i % targets}:n{i}",
                "kind": "digest",
                "platform": "fake",
                "target": f"C{i % targets}",
                "payload": {"text": f"message {i}"},
                "due_at": now + timedelta(milliseconds=i % 2000),
            }
            for i in range(n)
        ]
        for producer in range(2):  # two producers queue the same keys; one row each survives
            for start in range(0, n, 1000):
                with session_scope(engine) as session:
                    outbox.enqueue(session, rows[start : start + 1000])
            if producer == 0:
                with session_scope(engine) as session:
                    assert sum(outbox.count_by_status(session).values()) == n
        return {r["dedupe_key"] for r in rows}
    finally:
        engine.dispose()


def _statuses(url: str) -> dict[str, int]:
    from storage import outbox
    from storage.db import make_engine, session_scope

    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return outbox.count_by_status(session)
    finally:
        engine.dispose()


def _spawn(url: str, endpoint: str, seed: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.reliability", "worker", url, endpoint, str(seed)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run(n: int, kills: int, *, kill_every: float, timeout: float = 900.0, seed: int = 1) -> Report:
    """Queue `n` notifications, sweep them with 3 processes while killing `kills` times."""
    from storage.scratch import scratch_database

    rng = random.Random(seed)
    with scratch_database(_admin_url(), "pmbot_rel") as url:
        return _run(url, n, kills, kill_every=kill_every, timeout=timeout, seed=seed, rng=rng)


def _run(
    url: str,
    n: int,
    kills: int,
    *,
    kill_every: float,
    timeout: float,
    seed: int,
    rng: random.Random,
) -> Report:
    from tests.fakes.chat_endpoint import ChatEndpoint, Faults

    endpoint = ChatEndpoint(
        Faults(rate_limited=0.30, server_error=0.05, slow_after_delivery=0.01), seed=seed
    ).start()
    procs: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    killed = 0
    try:
        expected = _queue(url, n, targets=max(n // 5, 10))
        started = time.monotonic()
        procs = [_spawn(url, endpoint.url, seed * 10 + i) for i in range(3)]
        # Kill once the workers are up and sending (their start-up takes a second or two).
        next_kill = started + 2.5 + rng.uniform(0, kill_every)
        while time.monotonic() - started < timeout:
            time.sleep(0.2)
            now = time.monotonic()
            if killed < kills and now >= next_kill:
                i = rng.randrange(3)
                os.kill(procs[i].pid, signal.SIGKILL)
                procs[i].wait()
                procs[i] = _spawn(url, endpoint.url, seed * 100 + killed)
                killed += 1
                next_kill = now + rng.uniform(kill_every / 2, kill_every * 1.5)
            if killed >= kills and int(now * 5) % 5 == 0:
                statuses = _statuses(url)
                if set(statuses) <= {"sent", "dead"}:
                    break
        seconds = time.monotonic() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    try:
        counts = endpoint.counts(expected)
        statuses = _statuses(url)
    finally:
        endpoint.stop()
    return Report(n, killed, counts["lost"], counts["duplicates"], seconds, counts, statuses)


def worker(url: str, endpoint: str, seed: int) -> int:
    """One sweeper process: sweep the outbox every 50 ms until killed."""
    from core.clock import SystemClock
    from scheduler.ratelimit import RateLimiter
    from scheduler.sweep import SweepConfig, Sweeper
    from storage.db import make_engine
    from tests.fakes.chat_endpoint import EndpointNotifier

    engine = make_engine(url)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    sweeper = Sweeper(
        engine,
        {"fake": EndpointNotifier(endpoint, timeout=0.5)},
        SystemClock(),
        config=SweepConfig(
            batch=20,
            max_batches=5,
            lease_seconds=3.0,
            lease_margin_seconds=1.5,
            max_attempts=1000,
            backoff_base_seconds=0.2,
            backoff_cap_seconds=2.0,
        ),
        limiter=RateLimiter({}),
        plan=False,
        rng=random.Random(seed),
    )
    while not stop:
        try:
            result = sweeper.sweep()
        except Exception:  # a dropped connection: try again, as the real loop does
            result = None
        if result is None or not result.sent:
            time.sleep(0.05)
    engine.dispose()
    return 0


class _FloodedEndpoint:
    """A chat that rate-limits one flooded channel and takes everything else."""

    def __init__(self, flooded: str) -> None:
        self.flooded = flooded
        self.sent: list[str] = []

    def send(self, message: Any) -> Any:
        from core.messages import Delivery, DeliveryOutcome

        if message.target == self.flooded:
            return Delivery(DeliveryOutcome.RATE_LIMITED, retry_after=1.0)
        self.sent.append(message.target)
        return Delivery(DeliveryOutcome.SENT)


def flooded(engine: Any, n: int = 100_000) -> tuple[int, float, int]:
    """`n` rows waiting an hour for one channel, one reminder due now for another: the sweep that
    sends the reminder (1 = the first), how long that sweep took, and flood rows it claimed."""
    import sqlalchemy as sa

    from core.clock import FixedClock
    from core.models import Notification
    from scheduler.sweep import Sweeper

    now = datetime.now(UTC)
    table = Notification.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(
                sa.insert(table),
                [
                    {
                        "dedupe_key": f"flood:{i}", "kind": "digest", "platform": "fake",
                        "tenant": "", "target": "CFLOOD", "target_type": "channel",
                        "payload": {"text": f"flood {i}"}, "status": "pending", "attempts": 0,
                        "due_at": now - timedelta(hours=1), "next_attempt_at": now - timedelta(hours=1),
                        "maybe_sent": False, "created_at": now,
                    }
                    for i in range(start, min(n, start + 5000))
                ],
            )  # fmt: skip
        conn.execute(
            sa.insert(table),
            [{"dedupe_key": "task:1:reminder:now", "kind": "reminder", "platform": "fake",
              "tenant": "", "target": "UOTHER", "target_type": "user", "payload": {"text": "due"},
              "status": "pending", "attempts": 0, "due_at": now, "next_attempt_at": now,
              "maybe_sent": False, "created_at": now}],
        )  # fmt: skip
    endpoint = _FloodedEndpoint("CFLOOD")
    sweeper = Sweeper(engine, {"fake": endpoint}, FixedClock(now))
    for sweep in range(1, 6):
        started = time.perf_counter()
        result = sweeper.sweep()
        took = time.perf_counter() - started
        if "UOTHER" in endpoint.sent:
            return sweep, took, result.retried
    return 0, 0.0, 0


def _flooded_report(url: str, n: int) -> str:
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.scratch import scratch_database

    with scratch_database(url, "pmbot_flood") as db:
        engine = make_engine(db)
        try:
            upgrade(engine)
            sweep, took, retried = flooded(engine, n)
        finally:
            engine.dispose()
    where = f"in sweep {sweep} ({took * 1000:.0f} ms)" if sweep else "NOT within 5 sweeps"
    return (
        f"flooded channel: {n:,} rows waiting for one channel; a reminder due now for another "
        f"destination was sent {where}; flood rows tried in that sweep: {retried}"
    )


def main(short: bool = False) -> int:
    """Run the reliability test and print lost and duplicate counts; non-zero exit on any."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    report = run(200, 3, kill_every=0.6, timeout=180) if short else run(10_000, 20, kill_every=2.5)
    for line in report.lines():
        print(line, flush=True)
    flood_line = _flooded_report(_admin_url(), 3_000 if short else 100_000)
    print(flood_line, flush=True)
    fair = "NOT within" not in flood_line
    return 0 if report.lost == 0 and report.duplicates == 0 and fair else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        import logging

        shift = os.environ.get("PMBOT_TEST_CLOCK_SHIFT")
        if shift:  # the test suite runs with its clock moved (tests/conftest.py); follow it
            import time_machine

            time_machine.travel(time.time() + float(shift), tick=True).start()

        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        sys.exit(worker(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--short", action="store_true", help="200 notifications, 3 kills")
    sys.exit(main(short=parser.parse_args().short))
