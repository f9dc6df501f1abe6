"""The outbox side of task changes (filled in by the scheduler work)."""

from __future__ import annotations

from typing import Any

from core.models import Task
from core.services.context import Ctx


def sync_task(ctx: Ctx, task: Task, event: str, *, before: dict[str, Any]) -> None:
    """Queue, move or cancel the task's notifications after a change."""
    return None
