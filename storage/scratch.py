"""Throw-away PostgreSQL databases for tests, benchmarks and reliability runs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from storage.db import make_engine, normalize_url


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """Create an empty database on `server_url`'s server, yield its URL, drop it on exit.

    The name carries the process id and a random suffix, so parallel runs never share one.
    """
    base = sa.make_url(normalize_url(server_url))
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
