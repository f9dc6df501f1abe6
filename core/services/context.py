"""What every service call carries: the session (one transaction), the actor and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from core.clock import Clock
from core.errors import NotFound, PermissionDenied
from core.models import AuditEvent, Membership, Project, Role, Task
from core.permissions import DESCRIPTIONS, Permission, allows, weakest_role_with
from core.schemas import Actor


@dataclass
class Ctx:
    """A service call's context: one session (one transaction), who acts, and the time source."""

    session: Session
    actor: Actor
    clock: Clock

    @property
    def now(self) -> datetime:
        """The current time, from the clock."""
        return self.clock.now()

    def role_in(self, project: Project) -> Role | None:
        """The actor's role in `project` (admin everywhere)."""
        if self.actor.is_admin:
            return Role.ADMIN
        role = self.session.exec(
            select(Membership.role).where(
                Membership.project_id == project.id, Membership.user_id == self.actor.user_id
            )
        ).first()
        return Role(role) if role else None

    def require(self, project: Project, permission: Permission) -> Role:
        """Raise `PermissionDenied` naming the role needed unless the actor holds `permission`."""
        role = self.role_in(project)
        if not allows(role, permission):
            raise PermissionDenied(
                DESCRIPTIONS[permission], weakest_role_with(permission).value, where=project.key
            )
        assert role is not None
        return role

    def audit(
        self,
        *,
        entity: str,
        entity_id: object,
        action: str,
        project_id: int | None = None,
        task_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Record a change in the same transaction as the change itself."""
        self.session.add(
            AuditEvent(
                at=self.now,
                actor_id=self.actor.user_id,
                platform=self.actor.platform,
                project_id=project_id,
                task_id=task_id,
                entity=entity,
                entity_id=str(entity_id),
                action=action,
                before=before,
                after=after,
            )
        )

    def audit_task(
        self,
        task: Task,
        action: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Record a change to `task` (see `audit`)."""
        self.audit(
            entity="task",
            entity_id=task.key,
            action=action,
            project_id=task.project_id,
            task_id=task.id,
            before=before,
            after=after,
        )


def get_project(session: Session, key: str) -> Project:
    """Load a project by key (case-insensitive) or raise `NotFound`."""
    project = session.exec(select(Project).where(Project.key == key.strip().upper())).first()
    if project is None:
        raise NotFound("project", key.strip().upper(), hint="`project list` shows the projects")
    return project
