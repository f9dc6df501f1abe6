"""What else happens when a task changes: its reminders and alerts are brought up to date.

Every task service calls `task_changed` in the same transaction as the change, so the outbox
never disagrees with the task.
"""

from __future__ import annotations

from typing import Literal

from core.models import Task
from core.services.context import Ctx

TaskEvent = Literal[
    "created", "due", "done", "reopened", "assigned", "deleted", "status", "edited", "calendar"
]


def task_changed(ctx: Ctx, task: Task, event: TaskEvent, *, before: dict[str, object]) -> None:
    """Update the task's pending notifications after `event` (reminders, delay alerts)."""
    from core.services import notifications

    notifications.sync_task(ctx, task, event, before=before)
