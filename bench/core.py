"""`list mine` and `add` against 10k and 100k tasks, on SQLite and PostgreSQL.

    python -m bench core            (PMBOT_BENCH_POSTGRES_URL, default postgres@127.0.0.1/test)

Each run builds a fresh database (a temporary SQLite file; a temporary PostgreSQL database),
migrates it, and bulk-loads ~1,000 users, 100 projects (each user in 3 of them) and N tasks
(executemany on SQLite, COPY on PostgreSQL), then ANALYZE (VACUUM ANALYZE on PostgreSQL);
a third of the tasks are closed. Fifty probe users
hold exactly four open tasks each at every size, so any growth between 10k and 100k is the
table's size, not a longer answer. It then times, through the real services and one
transaction per call as the router does:

- `list mine`: `list_tasks(ctx, TaskFilter(mine=True))` for the probe users in turn;
- `add`: `create_task(ctx, TaskDraft(...))` into one of the probe user's projects;

and prints median and p99 per size, the 100k/10k ratio, and the plan of the list-mine query
(EXPLAIN QUERY PLAN / EXPLAIN), captured from the statement the service really sends.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import core.models  # noqa: F401  # registers the tables on SQLModel.metadata
from core.clock import FixedClock
from core.schemas import Actor, TaskDraft, TaskFilter
from core.services.context import Ctx
from core.services.tasks import create_task, list_tasks
from storage.db import make_engine, session_scope
from storage.migrate import upgrade
from storage.scratch import scratch_database

SIZES = (10_000, 100_000)
USERS = 1_000
PROJECTS = 100
PROJECTS_PER_USER = 3
PROBES = 50  # users whose open tasks are the same at every size
PROBE_TASKS = 4
LIST_RUNS = 200
ADD_RUNS = 100
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TABLES = SQLModel.metadata.tables


# ---------------------------------------------------------------------------------------------
# Databases


@contextmanager
def sqlite_db() -> Iterator[Engine]:
    """A migrated SQLite file in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="pmbot-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_db() -> Iterator[Engine]:
    """A migrated PostgreSQL database created for this run and dropped after it."""
    server = os.environ.get("PMBOT_BENCH_POSTGRES_URL", DEFAULT_PG)
    with scratch_database(server, "pmbot_bench") as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def make_url_psycopg(url: str) -> str:
    """The URL with the psycopg 3 driver."""
    from storage.db import normalize_url

    return normalize_url(url)


# ---------------------------------------------------------------------------------------------
# Data


def _load(engine: Engine, n_tasks: int, rng: random.Random) -> list[tuple[Actor, list[str]]]:
    """Bulk-load users, projects, memberships and `n_tasks` tasks; return the probe actors."""
    users = [
        {"id": i, "name": f"user{i:04d}", "is_admin": False, "timezone": "UTC", "locale": "en",
         "personal_digest": False, "created_at": NOW}
        for i in range(1, USERS + 1)
    ]  # fmt: skip
    keys = [f"P{i:03d}" for i in range(1, PROJECTS + 1)]
    member_of: dict[int, list[int]] = {
        u: rng.sample(range(1, PROJECTS + 1), PROJECTS_PER_USER) for u in range(1, USERS + 1)
    }
    memberships = [
        {"project_id": p, "user_id": u, "role": "member"} for u, ps in member_of.items() for p in ps
    ]
    members: dict[int, list[int]] = {}
    for u, ps in member_of.items():
        for p in ps:
            members.setdefault(p, []).append(u)
    probes = list(range(1, PROBES + 1))
    workers = list(range(PROBES + 1, USERS + 1))
    numbers = dict.fromkeys(range(1, PROJECTS + 1), 0)
    tasks: list[tuple[Any, ...]] = []
    assignees: list[tuple[int, int]] = []
    statuses = ["todo", "doing", "blocked", "done", "cancelled", "done"]

    def add_task(project: int, user: int, status: str) -> None:
        numbers[project] += 1
        task_id = len(tasks) + 1
        due = date(2026, 11, 1) + timedelta(days=rng.randrange(120))
        deadline = datetime.combine(due, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)
        tasks.append((task_id, project, numbers[project], f"{keys[project - 1]}-{numbers[project]}",
                      f"task {task_id}", status, rng.randint(1, 4), user, due, deadline, NOW))  # fmt: skip
        assignees.append((task_id, user))

    for u in probes:
        for _ in range(PROBE_TASKS):
            add_task(rng.choice(member_of[u]), u, rng.choice(statuses[:3]))
    while len(tasks) < n_tasks:
        u = rng.choice(workers)
        add_task(rng.choice(member_of[u]), u, rng.choice(statuses))

    project_rows = [
        {"id": i, "key": k, "name": f"Project {k}", "description": "", "timezone": "UTC",
         "calendar": "CN", "spent": 0.0, "archived": False, "next_task_number": numbers[i],
         "escalate_after_workdays": 1, "created_at": NOW}
        for i, k in enumerate(keys, start=1)
    ]  # fmt: skip
    columns = ("id", "project_id", "number", "key", "title", "status", "priority",
               "reporter_id", "due_date", "deadline_at", "created_at")  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.insert(TABLES["user"]), users)
        conn.execute(sa.insert(TABLES["project"]), project_rows)
        conn.execute(sa.insert(TABLES["membership"]), memberships)
        if engine.dialect.name == "postgresql":
            _copy(conn, "task", (*columns, "updated_at", "description", "logged_minutes",
                                 "percent_done", "is_milestone", "version"),
                  [(*t, NOW, "", 0, 0, False, 1) for t in tasks])  # fmt: skip
            _copy(conn, "taskassignee", ("task_id", "user_id"), assignees)
            for table in ("user", "project", "membership", "task"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT max(id) FROM "{table}"))'
                )
        else:
            rows = [
                dict(zip(columns, t, strict=True)) | {"updated_at": NOW, "description": "",
                 "logged_minutes": 0, "percent_done": 0, "is_milestone": False, "version": 1}
                for t in tasks
            ]  # fmt: skip
            conn.execute(sa.insert(TABLES["task"]), rows)
            conn.execute(
                sa.insert(TABLES["taskassignee"]),
                [{"task_id": t, "user_id": u} for t, u in assignees],
            )
    # Steady state, as a database that has been running a while: fresh statistics (autovacuum /
    # PRAGMA optimize keep them), and on PostgreSQL the vacuum that autovacuum would otherwise
    # start in the middle of the timings, on the big database only.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # an empty write-ahead log
            conn.commit()
    return [
        (
            Actor(user_id=u, name=f"user{u:04d}", is_admin=False, timezone="UTC", locale="en"),
            [keys[p - 1] for p in member_of[u]],
        )
        for u in probes
    ]


def _copy(conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
    """COPY rows into a PostgreSQL table through psycopg."""
    raw: Any = conn.connection.driver_connection
    cols = ", ".join(columns)
    with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


# ---------------------------------------------------------------------------------------------
# Timing


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


class Probe:
    """The two timed operations against one loaded database."""

    def __init__(self, engine: Engine, probes: list[tuple[Actor, list[str]]]) -> None:
        self.engine = engine
        self.probes = probes
        self.clock = FixedClock(NOW)
        self.samples: dict[str, list[float]] = {"list mine": [], "add": []}
        self.counts: set[int] = set()
        self.adds = 0

    def list_mine(self, i: int) -> None:
        """`list mine` for the i-th probe user, timed."""
        actor = self.probes[i % len(self.probes)][0]
        start = time.perf_counter()
        with session_scope(self.engine) as session:
            page = list_tasks(Ctx(session, actor, self.clock), TaskFilter(mine=True))
        self.samples["list mine"].append((time.perf_counter() - start) * 1000)
        self.counts.add(page.total)

    def add(self, i: int) -> None:
        """`add` by the i-th probe user into one of their projects, timed."""
        actor, projects = self.probes[i % len(self.probes)]
        self.adds += 1
        draft = TaskDraft(project_key=projects[i % len(projects)], title=f"bench {self.adds}")
        start = time.perf_counter()
        with session_scope(self.engine, immediate=True) as session:
            create_task(Ctx(session, actor, self.clock), draft)
        self.samples["add"].append((time.perf_counter() - start) * 1000)


def _measure(probes: list[Probe], rounds: int = 10) -> None:
    """Time both operations on every database in alternating rounds, so that load on the
    machine falls on all sizes alike rather than on whichever ran last."""
    for p in probes:  # warm caches and the connection pools
        p.list_mine(0)
        p.add(0)
        p.samples = {"list mine": [], "add": []}
    for r in range(rounds):
        for p in probes if r % 2 == 0 else reversed(probes):
            for i in range(LIST_RUNS // rounds):
                p.list_mine(r * 100 + i)
            for i in range(ADD_RUNS // rounds):
                p.add(r * 100 + i)
    for p in probes:
        assert p.counts == {PROBE_TASKS}, sorted(p.counts)


def _plan(engine: Engine, actor: Actor) -> list[str]:
    """The plan of the page query `list mine` sends (captured, then explained)."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "ORDER BY" in statement and "FROM task" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with session_scope(engine) as session:
            list_tasks(Ctx(session, actor, FixedClock(NOW)), TaskFilter(mine=True))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, params = seen[0]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, params).all()
    if engine.dialect.name == "sqlite":
        return [f"{'  ' * _depth(rows, r)}{r[-1]}" for r in rows]
    return [str(r[0]) for r in rows]


def _depth(rows: Sequence[Any], row: Any) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, node = 0, row[1]
    while node in parents:
        depth, node = depth + 1, parents[node]
    return depth


def run_backend(name: str, factory: Callable[[], Any]) -> None:
    """Measure one backend at every size and print the figures, the ratio and the plan."""
    with ExitStack() as stack:
        probes: list[Probe] = []
        for size in SIZES:
            engine = stack.enter_context(factory())
            start = time.perf_counter()
            probes.append(Probe(engine, _load(engine, size, random.Random(size))))
            print(f"  {name}: loaded {size // 1000}k tasks in {time.perf_counter() - start:.1f}s")
        _measure(probes)
        plan = _plan(probes[-1].engine, probes[-1].probes[0][0])
    for size, p in zip(SIZES, probes, strict=True):
        for op, samples in p.samples.items():
            med, p99 = _stats(samples)
            print(
                f"  {name} {size // 1000:>3}k  {op:<10} median {med:6.2f} ms"
                f"   p99 {p99:6.2f} ms   (n={len(samples)})"
            )
    small, big = probes[0], probes[-1]
    for op in small.samples:
        ratio = _stats(big.samples[op])[0] / _stats(small.samples[op])[0]
        print(f"  {name} {op}: median {SIZES[-1] // 1000}k/{SIZES[0] // 1000}k = {ratio:.2f}")
    print(f"  {name} plan of the list-mine page query at {SIZES[-1] // 1000}k:")
    for line in plan:
        print(f"    {line}")


def main() -> None:
    """Run the benchmark on SQLite and (when reachable) PostgreSQL."""
    started = time.perf_counter()
    run_backend("sqlite", sqlite_db)
    try:
        probe = make_engine(
            make_url_psycopg(os.environ.get("PMBOT_BENCH_POSTGRES_URL", DEFAULT_PG))
        )
        with probe.connect():
            pass
        probe.dispose()
    except sa.exc.OperationalError as exc:
        print(f"  postgres: skipped ({exc.__class__.__name__}: unreachable)")
    else:
        run_backend("postgres", postgres_db)
    print(f"  total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
