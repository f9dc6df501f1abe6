"""The stored entities: SQLModel tables. Input and output shapes live in `core.schemas`.

Datetimes are aware and UTC everywhere; `UTCDateTime` keeps them so on SQLite, which has no
zone-aware type. Dates without a time (`due_date`) are calendar dates in the project's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The wall clock in UTC; only for defaults, services take time from a `Clock`."""
    return datetime.now(UTC)


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Role(StrEnum):
    """Project roles, plus the organisation-wide admin."""

    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"
    FINANCE = "finance"
    GUEST = "guest"


class TaskStatus(StrEnum):
    """Where a task is in its life."""

    TODO = "todo"
    DOING = "doing"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"


class DependencyType(StrEnum):
    """How a successor's dates hang on its predecessor's."""

    FS = "fs"
    SS = "ss"
    FF = "ff"
    SF = "sf"


class User(SQLModel, table=True):
    """A person; may have identities on several platforms."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    is_admin: bool = False
    can_create_projects: bool = False  # the `creator` grant an admin gives
    timezone: str = Field(default="UTC", max_length=64)
    locale: str = Field(default="zh", max_length=8)
    quiet_start: str | None = Field(default=None, max_length=5)
    quiet_end: str | None = Field(default=None, max_length=5)
    personal_digest: bool = False
    reminder_offsets: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Identity(SQLModel, table=True):
    """A user's account on one platform: (platform, tenant, external id) is unique."""

    __table_args__ = (sa.UniqueConstraint("platform", "tenant", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    platform: str = Field(max_length=32)
    tenant: str = Field(default="", max_length=128)
    external_id: str = Field(max_length=128)
    display_name: str = Field(default="", max_length=200)


class Project(SQLModel, table=True):
    """A project with a short key (`WEB`) that prefixes its task keys."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    timezone: str = Field(default="UTC", max_length=64)
    calendar: str = Field(default="CN", max_length=16)
    budget: float | None = None
    spent: float = 0.0
    archived: bool = False
    next_task_number: int = 0
    reminder_offsets: str | None = Field(default=None, max_length=200)
    escalate_after_workdays: int = 1
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Membership(SQLModel, table=True):
    """A user's role in a project."""

    __table_args__ = (sa.UniqueConstraint("project_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)


class Task(SQLModel, table=True):
    """A unit of work. `key` (`WEB-12`) never repeats within a project, deleted tasks included.

    `due_date` is the due calendar date in the project's zone; `due_at` is set when a time of day
    was given. `deadline_at` is the instant the task becomes overdue (the due time, or the end of
    the working day on the due date), kept so overdue and reminder sweeps are index lookups.
    """

    __table_args__ = (
        sa.UniqueConstraint("project_id", "number"),
        sa.Index("ix_task_open_deadline", "status", "deadline_at"),
        sa.Index("ix_task_project_status", "project_id", "status"),
        # Partial: most tasks have no parent. A full index holds one huge NULL group, and once
        # SQLite has statistics (ANALYZE) it judges the index useless and scans the table for
        # every subtask lookup, which each task reply makes.
        sa.Index(
            "ix_task_parent_id",
            "parent_id",
            sqlite_where=sa.text("parent_id IS NOT NULL"),
            postgresql_where=sa.text("parent_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    number: int
    key: str = Field(max_length=32, unique=True)
    title: str = Field(max_length=500)
    description: str = Field(default="", max_length=8000)
    status: str = Field(default=TaskStatus.TODO, max_length=16)
    priority: int = 3
    reporter_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    parent_id: int | None = Field(default=None, foreign_key="task.id", ondelete="SET NULL")
    start_date: date | None = None
    start_at: datetime | None = _ts()
    due_date: date | None = None
    due_at: datetime | None = _ts()
    deadline_at: datetime | None = _ts()
    estimate_minutes: int | None = None
    logged_minutes: int = 0
    percent_done: int = 0
    recurrence: str | None = Field(default=None, max_length=200)
    is_milestone: bool = False
    reminder_offsets: str | None = Field(default=None, max_length=200)
    source_ref: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    completed_at: datetime | None = _ts()
    deleted_at: datetime | None = _ts()
    version: int = 1


class TaskAssignee(SQLModel, table=True):
    """One of a task's assignees."""

    __table_args__ = (sa.Index("ix_taskassignee_user", "user_id", "task_id"),)

    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")


class Watcher(SQLModel, table=True):
    """A user who follows a task's changes."""

    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")


class Dependency(SQLModel, table=True):
    """`successor` hangs on `predecessor` by `type`, with a lag in working days."""

    __table_args__ = (sa.UniqueConstraint("predecessor_id", "successor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    predecessor_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    successor_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    type: str = Field(default=DependencyType.FS, max_length=2)
    lag_days: int = 0


class Comment(SQLModel, table=True):
    """A comment on a task."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    body: str = Field(max_length=4000)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Worklog(SQLModel, table=True):
    """Time spent on a task."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    minutes: int
    note: str = Field(default="", max_length=1000)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Channel(SQLModel, table=True):
    """A chat channel (or DM) pmbot knows, optionally bound to a project."""

    __table_args__ = (sa.UniqueConstraint("platform", "tenant", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    tenant: str = Field(default="", max_length=128)
    channel_id: str = Field(max_length=128)
    name: str = Field(default="", max_length=200)
    project_id: int | None = Field(
        default=None, foreign_key="project.id", index=True, ondelete="SET NULL"
    )
    language: str = Field(default="zh", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    digest_time: str | None = Field(default="09:30", max_length=5)
    calendar: str | None = Field(default=None, max_length=16)
    webhook_url: str | None = Field(default=None, max_length=1000)
    webhook_secret: str | None = Field(default=None, max_length=200)
    last_digest_at: datetime | None = _ts()


class AuditEvent(SQLModel, table=True):
    """One change: who, from which platform, when, what, before and after."""

    __table_args__ = (sa.Index("ix_audit_task", "task_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    platform: str = Field(default="", max_length=32)
    project_id: int | None = Field(default=None, index=True)
    task_id: int | None = None
    entity: str = Field(max_length=32)
    entity_id: str = Field(default="", max_length=64)
    action: str = Field(max_length=32)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class InboundEvent(SQLModel, table=True):
    """A platform event already acted on; the unique key makes redelivery a no-op."""

    __table_args__ = (sa.UniqueConstraint("platform", "tenant", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    tenant: str = Field(default="", max_length=128)
    event_id: str = Field(max_length=200)
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class NotificationStatus(StrEnum):
    """Where an outbox row is in its delivery."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    CANCELLED = "cancelled"


class Notification(SQLModel, table=True):
    """An outbox row: a message to deliver once, identified by its dedupe key."""

    __table_args__ = (
        sa.Index("ix_notification_due", "status", "next_attempt_at"),
        sa.Index("ix_notification_task", "task_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=300, unique=True)
    kind: str = Field(max_length=16)
    platform: str = Field(max_length=32)
    tenant: str = Field(default="", max_length=128)
    target: str = Field(max_length=200)
    target_type: str = Field(default="channel", max_length=16)
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    task_id: int | None = Field(default=None, foreign_key="task.id", ondelete="SET NULL")
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="SET NULL")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=NotificationStatus.PENDING, max_length=16)
    attempts: int = 0
    due_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _ts()
    maybe_sent: bool = False
    last_error: str | None = Field(default=None, max_length=2000)
    external_ref: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = _ts()


class CalendarOverride(SQLModel, table=True):
    """A date that is (or is not) a working day for one project, or for all when project is null."""

    __table_args__ = (sa.UniqueConstraint("project_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    day: date
    is_workday: bool
    note: str = Field(default="", max_length=200)


class CalendarYear(SQLModel, table=True):
    """An official schedule supplied for one year (entered or imported), org-wide or per project.

    A Chinese year the packages know only by its public holidays is incomplete until its make-up
    working days are supplied; this row says they were, by whom and how.
    """

    __table_args__ = (sa.Index("ix_calendaryear_year", "year", "project_id"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    year: int
    how: str = Field(max_length=16)  # "entered" or "imported"
    note: str = Field(default="", max_length=200)
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class Alias(SQLModel, table=True):
    """Another name a user is known by in mentions (`@老王`)."""

    __table_args__ = (sa.UniqueConstraint("alias"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    alias: str = Field(max_length=200)
