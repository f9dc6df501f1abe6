"""Shared fixtures: one contract suite over SQLite and PostgreSQL.

`engine` is parametrised over both backends. PostgreSQL comes from `PMBOT_TEST_POSTGRES_URL`
(default `postgresql://postgres@127.0.0.1:5432/test`); each pytest run creates its own database
there, migrates it once and truncates between tests, so parallel runs never collide. Without
PostgreSQL the `postgres` cases skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from storage.db import make_engine
from storage.migrate import upgrade
from storage.scratch import scratch_database

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    """`PMBOT_TEST_TODAY=2030-02-28 pytest` runs the whole suite with the clock moved there.

    No test may depend on the real date; this is how that is checked (`make test-dates`). The
    clock keeps ticking from the chosen day's 10:00 UTC, before collection, so dates computed at
    import time move too.
    """
    today = os.environ.get("PMBOT_TEST_TODAY")
    if today:
        import time
        from datetime import datetime

        import time_machine

        target = datetime.fromisoformat(f"{today}T10:00:00+00:00")
        # Helper processes the tests start (the reliability workers) follow the same clock.
        os.environ["PMBOT_TEST_CLOCK_SHIFT"] = str(target.timestamp() - time.time())
        traveller = time_machine.travel(target, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


@pytest.fixture(autouse=True, scope="session")
def _logs_to_stderr() -> Iterator[None]:
    """Log lines go to stderr in tests, as in pmbot, so they never mix into a reply on stdout."""
    structlog.configure(
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    yield
    structlog.reset_defaults()


def _pg_admin_url() -> str:
    return os.environ.get("PMBOT_TEST_POSTGRES_URL", DEFAULT_PG)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test that wants one."""
    path = tmp_path_factory.mktemp("template") / "pmbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this pytest run (dropped afterwards)."""
    admin_url = _pg_admin_url()
    try:
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure to connect means "no PostgreSQL here"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required on CI but unreachable at {admin_url}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {admin_url}")
    admin.dispose()
    with scratch_database(admin_url, "pmbot_test") as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def _truncate_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "pmbot.db"
        shutil.copyfile(template, path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        url: str = request.getfixturevalue("postgres_url")
        eng = make_engine(url)
        _truncate_postgres(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty SQLite database (for tests that need only one backend)."""
    path = tmp_path / "pmbot.db"
    shutil.copyfile(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    try:
        yield eng
    finally:
        eng.dispose()
