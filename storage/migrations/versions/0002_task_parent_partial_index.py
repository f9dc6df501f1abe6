"""task.parent_id: a partial index (only tasks that have a parent)

Most tasks have no parent; a full index on parent_id is one huge NULL group, which SQLite's
planner (after ANALYZE) judges useless, scanning the whole task table for every subtask lookup.

Revision ID: 0002_task_parent
Revises: 0001
Create Date: 2026-11-26 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_task_parent"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = sa.text("parent_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_task_parent_id", table_name="task")
    op.create_index(
        "ix_task_parent_id",
        "task",
        ["parent_id"],
        unique=False,
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_task_parent_id", table_name="task")
    op.create_index("ix_task_parent_id", "task", ["parent_id"], unique=False)
