"""Drive the core services directly: named users, one transaction per call, a fixed clock.

    world = World(engine)
    world.user("root")                       # the first user of an empty database: admin
    world.call("root", create_project, "WEB", "Website")
    world.call("bob", create_task, TaskDraft(project_key="WEB", title="x"))

Each `call` runs in its own `session_scope(immediate=True)`, as the router does, so a failing
call rolls back everything it did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, func, select

from core.clock import FixedClock
from core.models import User
from core.services.context import Ctx
from core.services.projects import add_member
from core.services.users import ensure_user, to_actor
from storage.db import session_scope

T = TypeVar("T")

PLATFORM = "test"
TENANT = ""
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


class World:
    """Named users acting through the services on one database."""

    def __init__(self, engine: Engine, clock: FixedClock | None = None) -> None:
        self.engine = engine
        self.clock = clock or FixedClock(NOON)
        self.ids: dict[str, int] = {}

    def user(self, name: str) -> int:
        """The id of the user called `name`, created on first use."""
        if name not in self.ids:
            with session_scope(self.engine, immediate=True) as session:
                user = ensure_user(
                    session, platform=PLATFORM, tenant=TENANT, external_id=name, display_name=name
                )
                assert user.id is not None
                self.ids[name] = user.id
        return self.ids[name]

    @contextmanager
    def ctx(self, name: str) -> Iterator[Ctx]:
        """A service context acting as `name`, in one transaction."""
        user_id = self.user(name)
        with session_scope(self.engine, immediate=True) as session:
            user = session.get(User, user_id)
            assert user is not None
            yield Ctx(session=session, actor=to_actor(user, PLATFORM), clock=self.clock)

    @contextmanager
    def probe(self, name: str) -> Iterator[Ctx]:
        """A service context acting as `name` whose transaction is always rolled back."""
        user_id = self.user(name)
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                user = session.get(User, user_id)
                assert user is not None
                yield Ctx(session=session, actor=to_actor(user, PLATFORM), clock=self.clock)
            finally:
                session.rollback()

    def call(self, name: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one service function as `name` in its own transaction."""
        with self.ctx(name) as ctx:
            return fn(ctx, *args, **kwargs)

    def join(self, by: str, project: str, name: str, role: str) -> int:
        """Make `name` a `role` of `project` (as `by`, who must be allowed to)."""
        user_id = self.user(name)
        self.call(by, add_member, project, user_id, role)
        return user_id

    def count(self, table: type[SQLModel], *where: Any) -> int:
        """Rows in a table, optionally filtered."""
        with session_scope(self.engine) as session:
            query = select(func.count()).select_from(table)
            for cond in where:
                query = query.where(cond)
            return int(session.exec(query).one())

    def rows(self, table: type[T], *where: Any) -> list[T]:
        """Rows of a table (detached), optionally filtered."""
        with session_scope(self.engine) as session:
            query = select(table)
            for cond in where:
                query = query.where(cond)
            return list(session.exec(query).all())

    def table_counts(self) -> dict[str, int]:
        """How many rows every table holds: the fingerprint of 'nothing changed'."""
        with self.engine.connect() as conn:
            return {
                t.name: int(conn.execute(sa.select(func.count()).select_from(t)).scalar_one())
                for t in SQLModel.metadata.sorted_tables
            }
