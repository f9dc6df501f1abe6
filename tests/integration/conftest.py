"""Integration fixtures: a database kept for a whole module, on each backend.

`module_engine` is for suites that build one world and probe it many times, each probe rolled
back (see `tests/support/world.py`), so the setup is paid once per backend rather than per test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from storage.db import make_engine
from tests.conftest import _truncate_postgres


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
    else:
        url: str = request.getfixturevalue("postgres_url")
        eng = make_engine(url)
        _truncate_postgres(eng)
    try:
        yield eng
    finally:
        eng.dispose()
