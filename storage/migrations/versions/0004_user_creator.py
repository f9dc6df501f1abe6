"""user.can_create_projects: the `creator` grant (creating projects needs it, or admin)

Revision ID: 0004_user_creator
Revises: 0003_calendar_year
Create Date: 2026-12-08 02:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_user_creator"
down_revision: str | None = "0003_calendar_year"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("can_create_projects", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("can_create_projects")
