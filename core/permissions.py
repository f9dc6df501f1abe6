"""Roles and what they may do: the single table every service checks (and the README shows).

Roles are per project, except `admin`, which is organisation-wide and may do everything. A user
with no membership in a project holds no role there and may do nothing in it.
"""

from __future__ import annotations

from enum import StrEnum

from core.models import Role


class Permission(StrEnum):
    """One thing a user may do in a project."""

    PROJECT_CREATE = "project.create"
    PROJECT_VIEW = "project.view"
    PROJECT_EDIT = "project.edit"
    PROJECT_ARCHIVE = "project.archive"
    MEMBER_VIEW = "member.view"
    MEMBER_MANAGE = "member.manage"
    TASK_VIEW = "task.view"
    TASK_CREATE = "task.create"
    TASK_EDIT = "task.edit"
    TASK_DELETE = "task.delete"
    TASK_COMMENT = "task.comment"
    TASK_LOG_TIME = "task.log_time"
    PLAN_EDIT = "plan.edit"
    BUDGET_VIEW = "budget.view"
    BUDGET_EDIT = "budget.edit"
    AUDIT_VIEW = "audit.view"
    CHANNEL_BIND = "channel.bind"


DESCRIPTIONS: dict[Permission, str] = {
    Permission.PROJECT_CREATE: "create projects (organisation-wide; also whoever an admin grants `creator`)",
    Permission.PROJECT_VIEW: "see the project",
    Permission.PROJECT_EDIT: "change the project's settings",
    Permission.PROJECT_ARCHIVE: "archive the project",
    Permission.MEMBER_VIEW: "list members",
    Permission.MEMBER_MANAGE: "add and remove members",
    Permission.TASK_VIEW: "read tasks",
    Permission.TASK_CREATE: "create tasks",
    Permission.TASK_EDIT: "change tasks (status, dates, assignees)",
    Permission.TASK_DELETE: "delete tasks",
    Permission.TASK_COMMENT: "comment on tasks",
    Permission.TASK_LOG_TIME: "log time",
    Permission.PLAN_EDIT: "edit dependencies and milestones",
    Permission.BUDGET_VIEW: "see budget and cost figures",
    Permission.BUDGET_EDIT: "change the budget",
    Permission.AUDIT_VIEW: "read the history of changes",
    Permission.CHANNEL_BIND: "bind a chat channel to the project",
}

_READ = {Permission.PROJECT_VIEW, Permission.MEMBER_VIEW, Permission.TASK_VIEW}
_WORK = _READ | {
    Permission.TASK_CREATE,
    Permission.TASK_EDIT,
    Permission.TASK_COMMENT,
    Permission.TASK_LOG_TIME,
    Permission.PLAN_EDIT,
    Permission.AUDIT_VIEW,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # a manager runs their projects; creating new ones is the organisation's to grant
    Role.MANAGER: frozenset(set(Permission) - {Permission.PROJECT_CREATE}),
    Role.MEMBER: frozenset(_WORK),
    Role.FINANCE: frozenset(_READ | {Permission.BUDGET_VIEW, Permission.AUDIT_VIEW}),
    Role.GUEST: frozenset({Permission.PROJECT_VIEW, Permission.TASK_VIEW}),
}

# The order roles are suggested in when a permission is missing: the least powerful first.
_LEAST_FIRST = (Role.GUEST, Role.FINANCE, Role.MEMBER, Role.MANAGER, Role.ADMIN)


def allows(role: Role | None, permission: Permission) -> bool:
    """True when `role` grants `permission`."""
    return role is not None and permission in ROLE_PERMISSIONS[role]


def weakest_role_with(permission: Permission) -> Role:
    """The least powerful role that grants `permission` (named in refusals)."""
    for role in _LEAST_FIRST:
        if permission in ROLE_PERMISSIONS[role]:
            return role
    return Role.ADMIN


def permission_table() -> list[tuple[str, dict[Role, bool]]]:
    """Rows for the README: each permission's description and which roles grant it."""
    return [
        (f"`{p.value}`: {DESCRIPTIONS[p]}", {role: allows(role, p) for role in _LEAST_FIRST})
        for p in Permission
    ]
