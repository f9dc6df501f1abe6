"""Input and output shapes of the services. Services return these, never live ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.models import DependencyType, Role, TaskStatus

MAX_TITLE = 500


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, and from where."""

    user_id: int
    name: str
    is_admin: bool
    timezone: str
    locale: str
    platform: str = "console"


class UserRef(BaseModel):
    """A user as shown in replies."""

    id: int
    name: str


class UserOut(UserRef):
    """A user with their preferences."""

    is_admin: bool
    timezone: str
    locale: str
    quiet_start: str | None = None
    quiet_end: str | None = None
    identities: list[str] = Field(default_factory=list)


class ProjectDraft(BaseModel):
    """What `create_project` needs."""

    key: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    timezone: str | None = None
    calendar: str = "CN"
    budget: float | None = Field(default=None, ge=0)


class ProjectOut(BaseModel):
    """A project as shown to a user; budget only for those allowed to see it."""

    id: int
    key: str
    name: str
    description: str
    timezone: str
    calendar: str
    archived: bool
    budget: float | None = None
    spent: float | None = None
    open_tasks: int = 0
    role: Role | None = None


class MemberOut(BaseModel):
    """A member of a project and their role."""

    user: UserRef
    role: Role


class TaskDraft(BaseModel):
    """What `create_task` needs; dates are already resolved by the caller."""

    model_config = ConfigDict(str_strip_whitespace=True)

    project_key: str
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=8000)
    assignee_ids: list[int] = Field(default_factory=list)
    priority: int = Field(default=3, ge=1, le=4)
    due_date: date | None = None
    due_at: datetime | None = None
    start_date: date | None = None
    start_at: datetime | None = None
    estimate_minutes: int | None = Field(default=None, ge=0, le=10_000_000)
    recurrence: str | None = Field(default=None, max_length=200)
    is_milestone: bool = False
    parent_key: str | None = None
    tags: list[str] = Field(default_factory=list)
    source_ref: str | None = Field(default=None, max_length=500)

    @field_validator("title")
    @classmethod
    def _title_has_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a task needs a title")
        return value


class TaskOut(BaseModel):
    """A task as shown to a user."""

    id: int
    key: str
    project_key: str
    title: str
    description: str
    status: TaskStatus
    priority: int
    assignees: list[UserRef]
    reporter: UserRef | None
    parent_key: str | None
    start_date: date | None
    start_at: datetime | None
    due_date: date | None
    due_at: datetime | None
    deadline_at: datetime | None
    estimate_minutes: int | None
    logged_minutes: int
    percent_done: int
    recurrence: str | None
    is_milestone: bool
    version: int
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    subtasks: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    project_timezone: str = "UTC"


class TaskFilter(BaseModel):
    """What `list_tasks` selects."""

    mine: bool = False
    project_key: str | None = None
    overdue: bool = False
    due_within_days: int | None = None  # due no later than today + N days (actor's zone)
    due_by: date | None = None  # due no later than this date (actor's zone)
    statuses: list[TaskStatus] | None = None
    include_closed: bool = False
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class TaskPage(BaseModel):
    """A page of tasks and how many matched in all."""

    tasks: list[TaskOut]
    total: int


class CommentOut(BaseModel):
    """A comment on a task."""

    author: UserRef | None
    body: str
    created_at: datetime


class AuditOut(BaseModel):
    """One recorded change."""

    at: datetime
    actor: UserRef | None
    platform: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class DependencyOut(BaseModel):
    """A dependency between two tasks."""

    predecessor: str
    successor: str
    type: DependencyType
    lag_days: int


class ChannelOut(BaseModel):
    """A chat channel and its settings."""

    platform: str
    tenant: str
    channel_id: str
    project_key: str | None
    language: str
    timezone: str
    digest_time: str | None
