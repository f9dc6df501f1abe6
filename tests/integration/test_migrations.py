"""The migrations produce exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import core.models  # noqa: F401  # registers every table on SQLModel.metadata
from storage.migrate import alembic_config, current_revision, upgrade


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrations_produce_exactly_the_models_schema(module_engine: Engine) -> None:
    assert current_revision(module_engine) == _head()
    assert _differences(module_engine) == []


def test_there_is_one_head(module_engine: Engine) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_upgrading_an_up_to_date_database_changes_nothing(module_engine: Engine) -> None:
    upgrade(module_engine)
    assert current_revision(module_engine) == _head()
    assert _differences(module_engine) == []


def test_the_comparison_notices_a_schema_that_drifted(module_engine: Engine) -> None:
    # the check is only worth something if it can fail: drop an index and look again
    with module_engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_task_project_status")
    try:
        diff = _differences(module_engine)
        assert any(d[0] == "add_index" and d[1].name == "ix_task_project_status" for d in diff)
    finally:
        with module_engine.begin() as conn:
            conn.exec_driver_sql("CREATE INDEX ix_task_project_status ON task (project_id, status)")
    assert _differences(module_engine) == []


def test_downgrading_to_nothing_and_back_gives_the_same_schema(module_engine: Engine) -> None:
    from alembic import command

    cfg = alembic_config()
    with module_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(module_engine) is None
    with module_engine.connect() as conn:
        left = set(module_engine.dialect.get_table_names(conn)) - {"alembic_version"}
    assert left == set()
    upgrade(module_engine)
    assert _differences(module_engine) == []


def test_subtask_lookup_stays_an_index_search_once_sqlite_has_statistics(
    sqlite_engine: Engine,
) -> None:
    # A team that never makes subtasks: with a full index on parent_id (one big NULL group),
    # ANALYZE taught SQLite to scan the whole table for every subtask lookup.
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO project (id, key, name, description, timezone, calendar, spent, archived,"
            " next_task_number, escalate_after_workdays, created_at)"
            " VALUES (1, 'WEB', 'Web', '', 'UTC', 'CN', 0, 0, 0, 1, '2026-11-25 12:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO task (id, project_id, number, key, title, description, status, priority,"
            " parent_id, logged_minutes, percent_done, is_milestone, created_at, updated_at,"
            " version) VALUES "
            + ", ".join(
                f"({i}, 1, {i}, 'WEB-{i}', 't', '', 'todo', 3, NULL,"
                " 0, 0, 0, '2026-11-25 12:00:00', '2026-11-25 12:00:00', 1)"
                for i in range(1, 3001)
            )
        )
        conn.exec_driver_sql("ANALYZE")
    with sqlite_engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT parent_id, key FROM task"
            " WHERE parent_id IN (1) AND deleted_at IS NULL ORDER BY number"
        ).all()
    assert any("USING INDEX ix_task_parent_id" in row[-1] for row in plan), plan
