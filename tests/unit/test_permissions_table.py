"""The role table itself: what each role may do, written out by hand as the issue states it."""

from __future__ import annotations

import itertools

import pytest

from core.errors import PermissionDenied
from core.models import Role
from core.permissions import (
    DESCRIPTIONS,
    ROLE_PERMISSIONS,
    Permission,
    allows,
    permission_table,
    weakest_role_with,
)

P = Permission
READ = {P.PROJECT_VIEW, P.MEMBER_VIEW, P.TASK_VIEW}
WORK = {P.TASK_CREATE, P.TASK_EDIT, P.TASK_COMMENT, P.TASK_LOG_TIME, P.PLAN_EDIT, P.AUDIT_VIEW}

# The grid the tests hold the code to: guests read tasks only, finance reads and sees money,
# members work but cannot delete or manage, managers and admins do everything.
EXPECTED: dict[Role, set[Permission]] = {
    Role.GUEST: {P.PROJECT_VIEW, P.TASK_VIEW},
    Role.FINANCE: READ | {P.BUDGET_VIEW, P.AUDIT_VIEW},
    Role.MEMBER: READ | WORK,
    Role.MANAGER: set(P) - {P.PROJECT_CREATE},  # a new project is the organisation's to grant
    Role.ADMIN: set(P),
}

WEAKEST: dict[Permission, Role] = {
    P.PROJECT_CREATE: Role.ADMIN,
    P.PROJECT_VIEW: Role.GUEST,
    P.TASK_VIEW: Role.GUEST,
    P.MEMBER_VIEW: Role.FINANCE,
    P.BUDGET_VIEW: Role.FINANCE,
    P.AUDIT_VIEW: Role.FINANCE,
    P.TASK_CREATE: Role.MEMBER,
    P.TASK_EDIT: Role.MEMBER,
    P.TASK_COMMENT: Role.MEMBER,
    P.TASK_LOG_TIME: Role.MEMBER,
    P.PLAN_EDIT: Role.MEMBER,
    P.TASK_DELETE: Role.MANAGER,
    P.MEMBER_MANAGE: Role.MANAGER,
    P.PROJECT_EDIT: Role.MANAGER,
    P.PROJECT_ARCHIVE: Role.MANAGER,
    P.BUDGET_EDIT: Role.MANAGER,
    P.CHANNEL_BIND: Role.MANAGER,
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_role_grants_exactly_the_expected_permissions(role: Role, permission: Permission) -> None:
    assert allows(role, permission) is (permission in EXPECTED[role])


@pytest.mark.parametrize("permission", list(Permission))
def test_no_role_means_no_permission(permission: Permission) -> None:
    assert allows(None, permission) is False


@pytest.mark.parametrize("permission", list(Permission))
def test_refusal_names_the_weakest_role_that_would_do(permission: Permission) -> None:
    assert weakest_role_with(permission) is WEAKEST[permission]


def test_every_role_is_in_the_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_guests_only_read() -> None:
    writes = {p for p in Permission if not p.value.endswith(".view")}
    assert not ROLE_PERMISSIONS[Role.GUEST] & writes


def test_finance_sees_budget_but_changes_nothing() -> None:
    finance = ROLE_PERMISSIONS[Role.FINANCE]
    assert P.BUDGET_VIEW in finance
    assert P.BUDGET_EDIT not in finance
    assert finance <= {p for p in Permission if p.value.endswith(".view")}


def test_members_cannot_delete_but_managers_can() -> None:
    assert not allows(Role.MEMBER, P.TASK_DELETE)
    assert allows(Role.MANAGER, P.TASK_DELETE)


def test_roles_nest_from_guest_to_admin() -> None:
    order = [Role.GUEST, Role.MEMBER, Role.MANAGER, Role.ADMIN]
    for weaker, stronger in itertools.pairwise(order):
        assert ROLE_PERMISSIONS[weaker] <= ROLE_PERMISSIONS[stronger]
    assert ROLE_PERMISSIONS[Role.GUEST] <= ROLE_PERMISSIONS[Role.FINANCE]
    assert ROLE_PERMISSIONS[Role.FINANCE] <= ROLE_PERMISSIONS[Role.MANAGER]


def test_every_permission_is_described_and_in_the_readme_table() -> None:
    assert set(DESCRIPTIONS) == set(Permission)
    rows = permission_table()
    assert len(rows) == len(Permission)
    for (label, grants), permission in zip(rows, Permission, strict=True):
        assert permission.value in label
        assert grants == {role: permission in EXPECTED[role] for role in grants}


def test_a_refusal_names_the_role_action_and_project() -> None:
    err = PermissionDenied(DESCRIPTIONS[P.TASK_DELETE], "manager", where="WEB")
    assert str(err) == "you need the manager role in WEB to delete tasks"
    assert err.needed == "manager"
    assert isinstance(err, PermissionError)
