"""`module_engine`: a migrated database kept for a whole module, on each backend.

For suites that build one world and probe it many times (each probe rolled back, or refused so
that nothing changes), so the setup is paid once per backend rather than once per test. On
PostgreSQL the module gets a database of its own, so the per-test truncation done by the
`engine` fixture elsewhere can never wipe it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import make_engine
from storage.migrate import upgrade
from storage.scratch import scratch_database


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated, empty database on each backend, shared by one module's tests."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("module") / "pmbot.db"
        shutil.copyfile(template, path)
        eng = make_engine(f"sqlite:///{path}")
        try:
            yield eng
        finally:
            eng.dispose()
        return
    run_url = sa.make_url(request.getfixturevalue("postgres_url"))  # skips without PostgreSQL
    with scratch_database(run_url.render_as_string(hide_password=False), "pmbot_module") as url:
        eng = make_engine(url)
        try:
            upgrade(eng)
            yield eng
        finally:
            eng.dispose()
