"""Scheduler benchmarks: a sweep's time as the tables grow, and the cost of one digest.

    python -m bench scheduler          (or python -m bench.scheduler [--max 100000])

For 10k, 100k and 1M tasks (each with one pending notification in the future) of which about
1,000 notifications are due, it times one full sweep (plan + claim + send through a no-op
notifier + record) on SQLite and PostgreSQL. The sweep should stay flat: it reads through the
`(status, next_attempt_at)` index, never the whole table. Then it builds one channel's daily
digest with 500 open tasks and prints the time and the number of SQL queries, which must not
depend on the number of tasks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

NOW = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
DUE = 1_000
SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


class NullNotifier:
    """Accepts everything instantly: the benchmark measures our side only."""

    def send(self, message: Any) -> Any:
        """Pretend to deliver."""
        from core.messages import Delivery, DeliveryOutcome

        return Delivery(DeliveryOutcome.SENT, external_ref="x")

    def find_sent(self, message: Any) -> str | None:
        """Nothing was sent before."""
        return None


def _seed(engine: Engine, n_tasks: int) -> None:
    """One project, 20 users, `n_tasks` tasks, one future notification each, ~1,000 due now."""
    from storage.db import session_scope

    sqlite = engine.dialect.name == "sqlite"
    with session_scope(engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO project (key, name, description, timezone, calendar, spent, archived,"
                " next_task_number, escalate_after_workdays, created_at)"
                " VALUES ('B', 'Bench', '', 'Asia/Shanghai', 'CN', 0, false, :n, 1, :now)"
            ),
            {"n": n_tasks, "now": NOW},
        )
        for i in range(20):
            session.execute(
                sa.text(
                    'INSERT INTO "user" (name, is_admin, timezone, locale, personal_digest,'
                    " created_at) VALUES (:name, false, 'Asia/Shanghai', 'zh', false, :now)"
                ),
                {"name": f"u{i}", "now": NOW},
            )
    # Rows are generated inside the database (generate_series / a recursive CTE): a million
    # tasks and a million notifications load in seconds, and the indexes are built as in life.
    created = NOW - timedelta(days=30)
    payload = json.dumps({"text": "⏰ 提醒", "buttons": [], "task_key": None, "lang": "zh"})
    step = max(n_tasks // DUE, 1)
    task_cols = (
        "project_id, number, key, title, description, status, priority, logged_minutes,"
        " percent_done, is_milestone, created_at, updated_at, version, due_date, deadline_at"
    )
    note_cols = (
        "dedupe_key, kind, platform, tenant, target, target_type, payload, status,"
        " attempts, due_at, next_attempt_at, maybe_sent, created_at, task_id"
    )
    if sqlite:
        fmt = "%Y-%m-%d %H:%M:%S"
        series = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n)"
        deadline = "(datetime('2026-12-02', '+' || (i % 200) || ' days', '+10 hours') || '.000000')"
        due_now = "(datetime(:now, '-' || (i % 600) || ' seconds') || '.000000')"
        tasks = (
            f"{series} INSERT INTO task ({task_cols}) SELECT 1, i, 'B-' || i, 'task ' || i, '',"
            f" 'todo', 3, 0, 0, 0, :created, :created, 1,"
            f" date('2026-12-02', '+' || (i % 200) || ' days'), {deadline} FROM s"
        )
        at = f"(CASE WHEN i % :step = 0 THEN {due_now} ELSE {deadline} END)"
        notes = (
            f"{series} INSERT INTO notification ({note_cols}) SELECT 'task:' || i || ':overdue:x:u1',"
            f" 'overdue', 'bench', '', 'u' || (i % 20), 'user', :payload, 'pending', 0, {at}, {at},"
            f" 0, :created, i FROM s"
        )
        params = {
            "n": n_tasks,
            "step": step,
            "payload": payload,
            "now": NOW.strftime(fmt),
            "created": created.strftime(fmt) + ".000000",
        }
    else:
        deadline = (
            "((DATE '2026-12-02' + (i % 200))::timestamp AT TIME ZONE 'UTC' + interval '10 hours')"
        )
        due_now = "(CAST(:now AS timestamptz) - (i % 600) * interval '1 second')"
        tasks = (
            f"INSERT INTO task ({task_cols}) SELECT 1, i, 'B-' || i, 'task ' || i, '', 'todo', 3,"
            f" 0, 0, false, :created, :created, 1, DATE '2026-12-02' + (i % 200), {deadline}"
            f" FROM generate_series(1, :n) AS i"
        )
        at = f"(CASE WHEN i % :step = 0 THEN {due_now} ELSE {deadline} END)"
        notes = (
            f"INSERT INTO notification ({note_cols}) SELECT 'task:' || i || ':overdue:x:u1',"
            f" 'overdue', 'bench', '', 'u' || (i % 20), 'user', CAST(:payload AS json), 'pending',"
            f" 0, {at}, {at}, false, :created, i FROM generate_series(1, :n) AS i"
        )
        params = {"n": n_tasks, "step": step, "payload": payload, "now": NOW, "created": created}
    with session_scope(engine) as session:
        if sqlite:
            # A big page cache keeps the unique-index inserts in memory while loading.
            session.execute(sa.text("PRAGMA cache_size = -524288"))
        session.execute(sa.text(tasks), params)
        session.execute(sa.text(notes), params)
    if not sqlite:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def _sweep_seconds(engine: Engine) -> tuple[float, int, float]:
    from core.clock import FixedClock
    from scheduler.ratelimit import RateLimiter
    from scheduler.sweep import SweepConfig, Sweeper
    from storage import outbox

    clock = FixedClock(NOW)
    # One claim alone, then one whole sweep of everything due.
    started = time.perf_counter()
    batch = outbox.claim(engine, "probe", NOW, limit=50)
    claim_ms = (time.perf_counter() - started) * 1000
    for row in batch:
        outbox.reschedule(engine, row, NOW - timedelta(seconds=1), count_attempt=False)
    sweeper = Sweeper(
        engine,
        {"bench": NullNotifier()},
        clock,
        config=SweepConfig(batch=100, max_batches=1000),
        limiter=RateLimiter({}),
    )
    started = time.perf_counter()
    result = sweeper.sweep()
    return time.perf_counter() - started, len(result.sent), claim_ms


def _engines(kind: str) -> tuple[Engine, Any]:
    from storage.db import make_engine
    from storage.migrate import upgrade

    if kind == "sqlite":
        tmp = tempfile.TemporaryDirectory()
        engine = make_engine(f"sqlite:///{Path(tmp.name) / 'bench.db'}")
        upgrade(engine)
        return engine, tmp.cleanup
    from contextlib import ExitStack

    from storage.scratch import scratch_database

    stack = ExitStack()
    server = os.environ.get("PMBOT_TEST_POSTGRES_URL", DEFAULT_PG)
    engine = make_engine(stack.enter_context(scratch_database(server, "pmbot_bench")))
    upgrade(engine)
    return engine, stack.close


def bench_sweep(kinds: tuple[str, ...], sizes: tuple[int, ...]) -> None:
    """Print the sweep time per backend and table size."""
    print(f"sweep of ~{DUE} due notifications (plan + claim + send + record)")
    print(f"{'backend':<10}{'tasks':>10}{'seed s':>9}{'sent':>7}{'sweep s':>9}{'ms/msg':>8}"
          f"{'claim ms':>10}")  # fmt: skip
    for kind in kinds:
        for size in sizes:
            try:
                engine, cleanup = _engines(kind)
            except Exception as exc:  # PostgreSQL may be missing: say so and go on
                print(f"{kind:<10} unavailable: {exc}")
                break
            try:
                started = time.perf_counter()
                _seed(engine, size)
                seeded = time.perf_counter() - started
                seconds, sent, claim_ms = _sweep_seconds(engine)
                print(
                    f"{kind:<10}{size:>10,}{seeded:>9.1f}{sent:>7}{seconds:>9.2f}"
                    f"{seconds / max(sent, 1) * 1000:>8.2f}{claim_ms:>10.1f}",
                    flush=True,
                )
            finally:
                engine.dispose()
                cleanup()


def bench_digest(kinds: tuple[str, ...]) -> None:
    """Print the time and query count of one channel's digest with 500 open tasks."""
    from sqlmodel import select

    from core.models import Dependency, Project, Task, TaskAssignee, User
    from core.services.digests import build_daily_digest
    from storage.db import session_scope

    print("\none channel's daily digest")
    print(f"{'backend':<10}{'open tasks':>11}{'queries':>9}{'median ms':>11}")
    for kind in kinds:
        try:
            engine, cleanup = _engines(kind)
        except Exception as exc:  # PostgreSQL may be missing
            print(f"{kind:<10} unavailable: {exc}")
            continue
        try:
            for n in (50, 500):
                with session_scope(engine) as session:
                    session.execute(sa.delete(Project))
                    session.execute(sa.delete(User))
                with session_scope(engine) as session:
                    project = Project(key="D", name="Digest", timezone="Asia/Shanghai")
                    session.add(project)
                    users = [User(name=f"p{i}") for i in range(10)]
                    session.add_all(users)
                    session.flush()
                    tasks = []
                    for i in range(n):
                        due = date(2026, 11, 25) + timedelta(days=i % 14)
                        tasks.append(
                            Task(
                                project_id=project.id or 0, number=i + 1, key=f"D-{i + 1}",
                                title=f"task {i}", status="blocked" if i % 17 == 0 else "todo",
                                due_date=due, is_milestone=i % 50 == 49,
                                deadline_at=datetime.combine(due, datetime.min.time(), tzinfo=UTC)
                                + timedelta(hours=10),
                            )
                        )  # fmt: skip
                    session.add_all(tasks)
                    session.flush()
                    for i, task in enumerate(tasks):
                        session.add(
                            TaskAssignee(task_id=task.id or 0, user_id=users[i % 10].id or 0)
                        )
                        if i % 50 == 49:
                            session.add(
                                Dependency(
                                    predecessor_id=tasks[i - 1].id or 0, successor_id=task.id or 0
                                )
                            )
                queries: list[str] = []

                def count(*args: Any, queries: list[str] = queries) -> None:
                    queries.append(str(args[2]))

                times = []
                for round_ in range(5):
                    with session_scope(engine) as session:
                        project = session.exec(select(Project)).one()
                        if round_ == 0:
                            sa.event.listen(engine, "before_cursor_execute", count)
                        started = time.perf_counter()
                        build_daily_digest(session, project, NOW, tz="Asia/Shanghai", lang="zh",
                                           since=NOW - timedelta(days=1))  # fmt: skip
                        times.append((time.perf_counter() - started) * 1000)
                        if round_ == 0:
                            sa.event.remove(engine, "before_cursor_execute", count)
                print(f"{kind:<10}{n:>11}{len(queries):>9}{statistics.median(times):>11.1f}",
                      flush=True)  # fmt: skip
        finally:
            engine.dispose()
            cleanup()


def main(argv: list[str] | None = None) -> None:
    """Run both benchmarks and print their figures."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    parser = argparse.ArgumentParser(description="scheduler benchmarks")
    parser.add_argument("--max", type=int, default=SIZES[-1], help="largest task count")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv if argv is not None else [])
    kinds = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    bench_sweep(kinds, tuple(s for s in SIZES if s <= args.max))
    bench_digest(kinds)


if __name__ == "__main__":
    main(sys.argv[1:])
