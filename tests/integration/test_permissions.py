"""Every role against every permission, through the real services on SQLite and PostgreSQL.

One world per backend: an admin (`root`), a manager, a member, finance, a guest and an outsider
with no role in WEB. Each probe runs a service in a transaction that is rolled back, so the
probes cannot disturb one another. An allowed change must succeed and write its audit event in
the same transaction; a refused one raises `PermissionDenied` naming the weakest role that has
the permission, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from core.errors import PermissionDenied
from core.models import AuditEvent, Role
from core.permissions import ROLE_PERMISSIONS, Permission, weakest_role_with
from core.schemas import TaskDraft, TaskFilter
from core.services import projects as ps
from core.services import tasks as ts
from core.services.context import Ctx
from tests.support.world import World

ACTORS = {
    "root": Role.ADMIN,
    "mgr": Role.MANAGER,
    "mem": Role.MEMBER,
    "fin": Role.FINANCE,
    "gst": Role.GUEST,
    "out": None,
}


@pytest.fixture(scope="module")
def world(module_engine: Engine) -> World:
    """WEB with one member of each role, two tasks and a user who belongs nowhere."""
    w = World(module_engine)
    w.user("root")  # first user of the database: admin
    w.call("root", ps.create_project, "WEB", "Website", budget=1000.0)
    for name, role in ACTORS.items():
        if role not in (Role.ADMIN, None):
            w.join("root", "WEB", name, role.value)
    w.user("out")
    w.user("newbie")
    w.call("root", ts.create_task, TaskDraft(project_key="WEB", title="one"))
    w.call("root", ts.create_task, TaskDraft(project_key="WEB", title="two"))
    return w


def _require(permission: Permission) -> Callable[[Ctx, World], object]:
    # No service changes a project's settings or budget yet; the check itself is what exists.
    def act(ctx: Ctx, w: World) -> object:
        ctx.require(ps.get_project(ctx.session, "WEB"), permission)
        return None

    return act


def _see_budget(ctx: Ctx, w: World) -> object:
    project = ps.show_project(ctx, "WEB")
    if project.budget is None:
        raise PermissionDenied("see budget", weakest_role_with(Permission.BUDGET_VIEW).value)
    assert project.budget == 1000.0
    return project


def _view_tasks(ctx: Ctx, w: World) -> object:
    assert ts.show_task(ctx, "WEB-1").title == "one"
    page = ts.list_tasks(ctx, TaskFilter(project_key="WEB"))
    assert [t.key for t in page.tasks] == ["WEB-1", "WEB-2"]
    return page


ACTIONS: dict[Permission, tuple[bool, Callable[[Ctx, World], object]]] = {
    # permission: (does it change something, probe)
    Permission.PROJECT_CREATE: (True, lambda c, w: ps.create_project(c, "NEW", "New project")),
    Permission.PROJECT_VIEW: (False, lambda c, w: ps.show_project(c, "WEB")),
    Permission.PROJECT_EDIT: (False, _require(Permission.PROJECT_EDIT)),
    Permission.PROJECT_ARCHIVE: (True, lambda c, w: ps.archive_project(c, "WEB")),
    Permission.MEMBER_VIEW: (False, lambda c, w: ps.list_members(c, "WEB")),
    Permission.MEMBER_MANAGE: (
        True,
        lambda c, w: ps.add_member(c, "WEB", w.ids["newbie"], "member"),
    ),
    Permission.TASK_VIEW: (False, _view_tasks),
    Permission.TASK_CREATE: (
        True,
        lambda c, w: ts.create_task(c, TaskDraft(project_key="WEB", title="three")),
    ),
    Permission.TASK_EDIT: (True, lambda c, w: ts.set_priority(c, "WEB-1", 1)),
    Permission.TASK_DELETE: (True, lambda c, w: ts.delete_task(c, "WEB-2")),
    Permission.TASK_COMMENT: (True, lambda c, w: ts.comment_task(c, "WEB-1", "looks good")),
    Permission.TASK_LOG_TIME: (True, lambda c, w: ts.log_work(c, "WEB-1", 90)),
    Permission.PLAN_EDIT: (True, lambda c, w: ts.add_dependency(c, "WEB-2", "WEB-1")),
    Permission.BUDGET_VIEW: (False, _see_budget),
    Permission.BUDGET_EDIT: (False, _require(Permission.BUDGET_EDIT)),
    Permission.AUDIT_VIEW: (False, lambda c, w: ts.task_history(c, "WEB-1")),
    Permission.CHANNEL_BIND: (
        True,
        lambda c, w: ps.bind_channel(c, "WEB", platform="test", tenant="", channel_id="C1"),
    ),
}


def _audit_count(ctx: Ctx) -> int:
    return int(ctx.session.exec(select(func.count()).select_from(AuditEvent)).one())


def test_every_permission_has_a_probe() -> None:
    assert set(ACTIONS) == set(Permission)


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("permission", list(Permission))
def test_role_may_do_exactly_what_the_table_allows(
    world: World, actor: str, permission: Permission
) -> None:
    role = ACTORS[actor]
    allowed = role is not None and permission in ROLE_PERMISSIONS[role]
    changes, act = ACTIONS[permission]
    with world.probe(actor) as ctx:
        audits = _audit_count(ctx)
        if allowed:
            result: Any = act(ctx, world)
            assert result is not None or not changes
            # every change is audited in its own transaction; reads write nothing
            assert _audit_count(ctx) == audits + (1 if changes else 0)
        else:
            with pytest.raises(PermissionDenied) as caught:
                act(ctx, world)
            # an outsider is stopped at the door: they cannot even see the project's figures
            blocked_at = (
                Permission.PROJECT_VIEW
                if role is None and permission is Permission.BUDGET_VIEW
                else permission
            )
            needed = weakest_role_with(blocked_at)
            assert caught.value.needed == needed.value
            if permission is Permission.PROJECT_CREATE:  # an organisation's, not WEB's, to grant
                assert f"need the {needed.value} role to create projects" in str(caught.value)
            elif permission is not Permission.BUDGET_VIEW or role is None:
                assert f"need the {needed.value} role in WEB" in str(caught.value)
            assert _audit_count(ctx) == audits
