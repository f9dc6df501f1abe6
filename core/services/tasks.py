"""Tasks: create, read, list, change, comment, log time, depend, delete, and their history."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import MAXYEAR, UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr
from pydantic import ValidationError
from sqlmodel import col, func, select

from core.calendar import LAST_DAY, add_workdays, check_in_range
from core.errors import Conflict, InvalidInput, NotFound
from core.models import (
    AuditEvent,
    Comment,
    Dependency,
    DependencyType,
    Membership,
    Project,
    Task,
    TaskAssignee,
    TaskStatus,
    User,
    Watcher,
    Worklog,
)
from core.permissions import Permission
from core.schemas import (
    AuditOut,
    CommentOut,
    DependencyOut,
    TaskDraft,
    TaskFilter,
    TaskOut,
    TaskPage,
    UserRef,
)
from core.services.calendars import project_calendar
from core.services.context import Ctx, get_project
from core.services.hooks import task_changed
from core.services.projects import OPEN_STATUSES, ensure_writable
from core.services.users import user_ref
from core.timeutil import deadline_for, local_date, zone

log = structlog.get_logger(__name__)

# Which status may follow which. A blocked task must be unblocked before it is closed.
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.TODO: frozenset(
        {TaskStatus.DOING, TaskStatus.BLOCKED, TaskStatus.DONE, TaskStatus.CANCELLED}
    ),
    TaskStatus.DOING: frozenset(
        {TaskStatus.TODO, TaskStatus.BLOCKED, TaskStatus.DONE, TaskStatus.CANCELLED}
    ),
    TaskStatus.BLOCKED: frozenset({TaskStatus.TODO, TaskStatus.DOING, TaskStatus.CANCELLED}),
    TaskStatus.DONE: frozenset({TaskStatus.TODO, TaskStatus.DOING}),
    TaskStatus.CANCELLED: frozenset({TaskStatus.TODO}),
}

TASK_FIELDS = (
    "title",
    "status",
    "priority",
    "due_date",
    "due_at",
    "start_date",
    "start_at",
    "estimate_minutes",
    "percent_done",
    "recurrence",
    "is_milestone",
    "parent_id",
)


def _snapshot(task: Task) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in TASK_FIELDS:
        value = getattr(task, name)
        out[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


# ---------------------------------------------------------------------------------------------
# Loading


def find_task(ctx: Ctx, ref: str, *, default_project: str | None = None) -> Task:
    """Load a live task by `WEB-12` (or `12`/`#12` within `default_project`), or raise NotFound."""
    text = ref.strip().lstrip("#").upper()
    if text.isdigit():
        if not default_project:
            raise InvalidInput(
                f"which project's task {text}?",
                hint="write the full key, e.g. WEB-12",
                zh=f"{text} 是哪个项目的任务？",
                hint_zh="请写完整的任务编号，如 WEB-12",
            )
        text = f"{default_project.upper()}-{text}"
    if "-" not in text or len(text) > 32:
        raise InvalidInput(
            f"{ref!r} is not a task key",
            hint="task keys look like WEB-12",
            zh=f"{ref!r} 不是任务编号",
            hint_zh="任务编号形如 WEB-12",
        )
    task = ctx.session.exec(select(Task).where(Task.key == text)).first()
    if task is None or task.deleted_at is not None:
        raise NotFound("task", text)
    return task


def _load_for(ctx: Ctx, ref: str, permission: Permission, default_project: str | None) -> Task:
    task = find_task(ctx, ref, default_project=default_project)
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    ctx.require(project, permission)
    if permission is not Permission.TASK_VIEW:
        ensure_writable(project)
    return task


def _bump(ctx: Ctx, task: Task, expected_version: int | None = None) -> None:
    """Claim the task's next version; a concurrent writer makes this raise `Conflict`."""
    if expected_version is not None and expected_version != task.version:
        raise Conflict(
            f"{task.key} was changed by someone else; look at it again and retry",
            zh=f"{task.key} 已被其他人修改，请重新查看后再试",
        )
    result = ctx.session.execute(
        sa.update(Task)
        .where(col(Task.id) == task.id, col(Task.version) == task.version)
        .values(version=task.version + 1, updated_at=ctx.now)
        # The ORM would otherwise copy the new version onto `task` and the `+= 1` below would
        # bump it a second time: versions would jump by two and `expected_version` break.
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) != 1:
        raise Conflict(
            f"{task.key} was changed by someone else at the same time; retry",
            zh=f"{task.key} 同时被其他人修改了，请重试",
        )
    task.version += 1
    task.updated_at = ctx.now
    ctx.session.add(task)


def _outs(ctx: Ctx, tasks: Sequence[Task], *, detail: bool = False) -> list[TaskOut]:
    """Build output models for many tasks with a constant number of queries."""
    if not tasks:
        return []
    ids = [t.id for t in tasks]
    project_ids = {t.project_id for t in tasks}
    projects = {
        p.id: p
        for p in ctx.session.exec(select(Project).where(col(Project.id).in_(project_ids))).all()
    }
    assignees: dict[int, list[UserRef]] = {}
    for task_id, user in ctx.session.exec(
        select(TaskAssignee.task_id, User)
        .join(User, col(User.id) == TaskAssignee.user_id)
        .where(col(TaskAssignee.task_id).in_(ids))
        .order_by(User.name)
    ).all():
        assignees.setdefault(task_id, []).append(user_ref(user))
    people_ids = {t.reporter_id for t in tasks if t.reporter_id}
    people = {
        u.id: u for u in ctx.session.exec(select(User).where(col(User.id).in_(people_ids))).all()
    }
    parent_ids = {t.parent_id for t in tasks if t.parent_id}
    parents = dict(
        ctx.session.exec(select(Task.id, Task.key).where(col(Task.id).in_(parent_ids))).all()
    )
    children: dict[int, list[str]] = {}
    depends: dict[int, list[str]] = {}
    if detail:
        for parent_id, key in ctx.session.exec(
            select(Task.parent_id, Task.key)
            .where(col(Task.parent_id).in_(ids), col(Task.deleted_at).is_(None))
            .order_by(col(Task.number))
        ).all():
            assert parent_id is not None
            children.setdefault(parent_id, []).append(key)
        for succ_id, key in ctx.session.exec(
            select(Dependency.successor_id, Task.key)
            .join(Task, col(Task.id) == Dependency.predecessor_id)
            .where(col(Dependency.successor_id).in_(ids))
        ).all():
            depends.setdefault(succ_id, []).append(key)
    out = []
    for t in tasks:
        assert t.id is not None
        project = projects[t.project_id]
        reporter = people.get(t.reporter_id) if t.reporter_id else None
        out.append(
            TaskOut(
                id=t.id,
                key=t.key,
                project_key=project.key,
                title=t.title,
                description=t.description,
                status=TaskStatus(t.status),
                priority=t.priority,
                assignees=assignees.get(t.id, []),
                reporter=user_ref(reporter) if reporter else None,
                parent_key=parents.get(t.parent_id) if t.parent_id else None,
                start_date=t.start_date,
                start_at=t.start_at,
                due_date=t.due_date,
                due_at=t.due_at,
                deadline_at=t.deadline_at,
                estimate_minutes=t.estimate_minutes,
                logged_minutes=t.logged_minutes,
                percent_done=t.percent_done,
                recurrence=t.recurrence,
                is_milestone=t.is_milestone,
                version=t.version,
                created_at=t.created_at,
                updated_at=t.updated_at,
                completed_at=t.completed_at,
                subtasks=children.get(t.id, []),
                depends_on=depends.get(t.id, []),
                project_timezone=project.timezone,
            )
        )
    return out


def task_out(ctx: Ctx, task: Task, *, detail: bool = True) -> TaskOut:
    """The output model of one task."""
    return _outs(ctx, [task], detail=detail)[0]


def _set_assignees(ctx: Ctx, task: Task, user_ids: Iterable[int]) -> list[int]:
    wanted = list(dict.fromkeys(user_ids))
    for user_id in wanted:
        if ctx.session.get(User, user_id) is None:
            raise NotFound("user", str(user_id))
    ctx.session.execute(sa.delete(TaskAssignee).where(col(TaskAssignee.task_id) == task.id))
    for user_id in wanted:
        assert task.id is not None
        ctx.session.add(TaskAssignee(task_id=task.id, user_id=user_id))
    return wanted


def _assignee_ids(ctx: Ctx, task: Task) -> list[int]:
    return list(
        ctx.session.exec(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task.id)).all()
    )


def _ensure_members(ctx: Ctx, project: Project, user_ids: Iterable[int]) -> None:
    """Assignees must belong to the project (guests and finance cannot hold tasks)."""
    for user_id in user_ids:
        role = ctx.session.exec(
            select(Membership.role).where(
                Membership.project_id == project.id, Membership.user_id == user_id
            )
        ).first()
        user = ctx.session.get(User, user_id)
        if user is None:
            raise NotFound("user", str(user_id))
        if role not in ("manager", "member"):
            raise InvalidInput(
                f"{user.name} is not a member of {project.key}",
                hint=f"add them first: member add {project.key} @{user.name} member",
                zh=f"{user.name} 不是 {project.key} 的成员",
                hint_zh=f"先添加：member add {project.key} @{user.name} member",
            )


# ---------------------------------------------------------------------------------------------
# Creating


def create_task(ctx: Ctx, draft: TaskDraft) -> TaskOut:
    """Create a task with the project's next key; the reporter is the actor."""
    project = get_project(ctx.session, draft.project_key)
    ctx.require(project, Permission.TASK_CREATE)
    ensure_writable(project)
    parent: Task | None = None
    if draft.parent_key:
        parent = find_task(ctx, draft.parent_key, default_project=project.key)
        if parent.project_id != project.id:
            raise InvalidInput(
                "a subtask belongs to its parent's project", zh="子任务必须属于父任务所在的项目"
            )
    if draft.recurrence:
        _first_after(draft.recurrence, ctx.now, tz=project.timezone)  # validates
    _check_dates(draft.due_date, draft.start_date, draft.due_at, draft.start_at)
    _ensure_members(ctx, project, draft.assignee_ids)
    number = ctx.session.execute(
        sa.update(Project)
        .where(col(Project.id) == project.id)
        .values(next_task_number=Project.next_task_number + 1)
        .returning(col(Project.next_task_number))
    ).scalar_one()
    ctx.session.expire(project, ["next_task_number"])
    assert project.id is not None
    task = Task(
        project_id=project.id,
        number=number,
        key=f"{project.key}-{number}",
        title=draft.title,
        description=draft.description,
        priority=draft.priority,
        reporter_id=ctx.actor.user_id,
        parent_id=parent.id if parent else None,
        start_date=draft.start_date
        or (local_date(draft.start_at, project.timezone) if draft.start_at else None),
        start_at=draft.start_at,
        due_date=draft.due_date
        or (local_date(draft.due_at, project.timezone) if draft.due_at else None),
        due_at=draft.due_at,
        estimate_minutes=draft.estimate_minutes,
        recurrence=draft.recurrence,
        is_milestone=draft.is_milestone,
        source_ref=draft.source_ref,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    task.deadline_at = deadline_for(task.due_date, task.due_at, project.timezone)
    ctx.session.add(task)
    ctx.session.flush()
    assert task.id is not None
    _set_assignees(ctx, task, draft.assignee_ids)
    ctx.session.add(Watcher(task_id=task.id, user_id=ctx.actor.user_id))
    after = _snapshot(task) | {"assignees": draft.assignee_ids, "key": task.key}
    if draft.tags:
        after["tags"] = draft.tags
    ctx.audit_task(task, "create", after=after)
    task_changed(ctx, task, "created", before={})
    return task_out(ctx, task)


_TOO_FINE = re.compile(r"FREQ\s*=\s*(SECONDLY|MINUTELY|HOURLY)", re.IGNORECASE)
_CYCLE_YEARS = 400  # the Gregorian calendar repeats its dates and weekdays every 400 years


def _occurs_at_all(parsed: rrule, start: datetime) -> bool:
    """Whether the rule ever yields a date, decided in bounded time.

    dateutil searches a rule that never matches (30 February) until the year 9999, however near
    its COUNT or UNTIL. The same rule started the same number of 400-year cycles later (same
    weekdays, same leap years) reaches 9999 within 400 years and answers the same.
    """
    naive = start.replace(tzinfo=None)
    cycles = (MAXYEAR - 1 - naive.year) // _CYCLE_YEARS
    probe = naive.replace(year=naive.year + cycles * _CYCLE_YEARS)
    return parsed.replace(dtstart=probe, count=None, until=None).after(probe, inc=True) is not None


def _check_dates(*values: date | datetime | None) -> None:
    """Dates a task holds lie within the calendar's years (1900-2200)."""
    for value in values:
        if value is not None:
            check_in_range(value.date() if isinstance(value, datetime) else value)


def _first_after(rule: str, after: datetime, *, tz: str) -> datetime | None:
    """The rule's first occurrence after `after`; a rule that never occurs is refused."""
    bad = InvalidInput(
        f"{rule[:200]!r} is not a recurrence rule",
        hint="e.g. FREQ=WEEKLY;BYDAY=MO",
        zh=f"{rule[:200]!r} 不是有效的重复规则",
        hint_zh="例如 FREQ=WEEKLY;BYDAY=MO",
    )
    if len(rule) > 500:
        raise bad
    if _TOO_FINE.search(rule):
        raise InvalidInput(
            "a task repeats at most daily",
            zh="任务最多每天重复一次",
            hint="e.g. FREQ=DAILY, FREQ=WEEKLY;BYDAY=MO",
            hint_zh="例如 FREQ=DAILY、FREQ=WEEKLY;BYDAY=MO",
        )
    start = after.astimezone(zone(tz)).replace(second=0, microsecond=0)
    try:
        parsed = rrulestr(rule, dtstart=start)
    except (ValueError, TypeError, OverflowError) as exc:
        raise bad from exc
    if not isinstance(parsed, rrule):
        raise bad
    if not _occurs_at_all(parsed, start):
        raise InvalidInput(
            f"{rule[:200]!r} never happens",
            zh=f"{rule[:200]!r} 永远不会发生",
            hint="e.g. FREQ=MONTHLY;BYMONTHDAY=1",
            hint_zh="例如 FREQ=MONTHLY;BYMONTHDAY=1",
        )
    nxt: datetime | None = parsed.after(after.astimezone(zone(tz)))
    return nxt


# ---------------------------------------------------------------------------------------------
# Reading


def show_task(ctx: Ctx, ref: str, *, default_project: str | None = None) -> TaskOut:
    """One task with its subtasks and dependencies."""
    return task_out(ctx, _load_for(ctx, ref, Permission.TASK_VIEW, default_project))


def list_tasks(ctx: Ctx, flt: TaskFilter) -> TaskPage:
    """Tasks the actor may see that match `flt`, soonest deadline first."""
    query = select(Task).where(col(Task.deleted_at).is_(None))
    if flt.statuses:
        query = query.where(col(Task.status).in_([s.value for s in flt.statuses]))
    elif not flt.include_closed:
        query = query.where(col(Task.status).in_([s.value for s in OPEN_STATUSES]))
    if flt.project_key:
        project = get_project(ctx.session, flt.project_key)
        ctx.require(project, Permission.TASK_VIEW)
        query = query.where(Task.project_id == project.id)
    elif not ctx.actor.is_admin:
        visible = select(Membership.project_id).where(Membership.user_id == ctx.actor.user_id)
        query = query.where(col(Task.project_id).in_(visible))
    if flt.mine:
        mine = select(TaskAssignee.task_id).where(TaskAssignee.user_id == ctx.actor.user_id)
        query = query.where(col(Task.id).in_(mine))
    now = ctx.now
    if flt.overdue:
        query = query.where(col(Task.deadline_at) < now)
    today = local_date(now, ctx.actor.timezone)
    ends = [
        d
        for d in (
            flt.due_by,
            today + timedelta(days=flt.due_within_days)
            if flt.due_within_days is not None
            else None,
        )
        if d is not None
    ]
    if ends:
        until = datetime.combine(
            min(ends) + timedelta(days=1), datetime.min.time(), tzinfo=zone(ctx.actor.timezone)
        )
        query = query.where(col(Task.deadline_at) < until.astimezone(UTC))
    total = ctx.session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = ctx.session.exec(
        query.order_by(col(Task.deadline_at).is_(None), col(Task.deadline_at), col(Task.id))
        .offset(flt.offset)
        .limit(flt.limit)
    ).all()
    return TaskPage(tasks=_outs(ctx, rows), total=total)


def task_history(ctx: Ctx, ref: str, *, default_project: str | None = None) -> list[AuditOut]:
    """Every recorded change of a task, oldest first."""
    task = find_task(ctx, ref, default_project=default_project)
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    ctx.require(project, Permission.AUDIT_VIEW)
    rows = ctx.session.exec(
        select(AuditEvent, User)
        .join(User, col(User.id) == AuditEvent.actor_id, isouter=True)
        .where(AuditEvent.task_id == task.id)
        .order_by(col(AuditEvent.id))
    ).all()
    return [
        AuditOut(
            at=e.at,
            actor=user_ref(u) if u else None,
            platform=e.platform,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            before=e.before,
            after=e.after,
        )
        for e, u in rows
    ]


def list_comments(ctx: Ctx, ref: str, *, default_project: str | None = None) -> list[CommentOut]:
    """A task's comments, oldest first."""
    task = _load_for(ctx, ref, Permission.TASK_VIEW, default_project)
    rows = ctx.session.exec(
        select(Comment, User)
        .join(User, col(User.id) == Comment.author_id, isouter=True)
        .where(Comment.task_id == task.id)
        .order_by(col(Comment.id))
    ).all()
    return [
        CommentOut(author=user_ref(u) if u else None, body=c.body, created_at=c.created_at)
        for c, u in rows
    ]


# ---------------------------------------------------------------------------------------------
# Changing


def _change(
    ctx: Ctx,
    task: Task,
    action: str,
    event: Any,
    before: dict[str, Any],
    expected_version: int | None,
    extra_before: dict[str, Any] | None = None,
    extra_after: dict[str, Any] | None = None,
) -> TaskOut:
    _bump(ctx, task, expected_version)
    b, a = _diff(before, _snapshot(task))
    b.update(extra_before or {})
    a.update(extra_after or {})
    ctx.audit_task(
        task,
        action,
        before=b,
        after=a,
    )
    task_changed(ctx, task, event, before=before)
    return task_out(ctx, task)


def set_status(
    ctx: Ctx,
    ref: str,
    status: TaskStatus | str,
    *,
    default_project: str | None = None,
    expected_version: int | None = None,
) -> TaskOut:
    """Move a task to `status` if the transition is allowed (done completes, todo reopens)."""
    try:
        target = TaskStatus(str(status).strip().lower())
    except ValueError as exc:
        raise InvalidInput(
            f"unknown status {status!r}",
            hint="statuses: todo, doing, blocked, done, cancelled",
            zh=f"未知状态 {status!r}",
            hint_zh="可选状态：todo, doing, blocked, done, cancelled",
        ) from exc
    task = _load_for(ctx, ref, Permission.TASK_EDIT, default_project)
    current = TaskStatus(task.status)
    if current is target:
        raise Conflict(
            f"{task.key} is already {target.value}", zh=f"{task.key} 已经是 {target.value} 状态"
        )
    if target not in TRANSITIONS[current]:
        blocked = current is TaskStatus.BLOCKED
        hint = "unblock it first: status KEY doing" if blocked else None
        hint_zh = "先解除受阻：status KEY doing" if blocked else None
        raise Conflict(
            f"{task.key} cannot go from {current.value} to {target.value}",
            hint=hint,
            zh=f"{task.key} 不能从 {current.value} 改为 {target.value}",
            hint_zh=hint_zh,
        )
    before = _snapshot(task)
    task.status = target
    extra_after: dict[str, Any] = {}
    if target is TaskStatus.DONE:
        task.completed_at = ctx.now
        task.percent_done = 100
        event = "done"
    elif current in (TaskStatus.DONE, TaskStatus.CANCELLED):
        task.completed_at = None
        if current is TaskStatus.DONE:
            task.percent_done = 0
        event = "reopened"
    else:
        event = "status"
    action = {"done": "complete", "reopened": "reopen"}.get(event, "status")
    if target is TaskStatus.DONE and task.recurrence:
        nxt = _spawn_next_occurrence(ctx, task)
        if nxt is not None:
            extra_after["next"] = nxt
    return _change(ctx, task, action, event, before, expected_version, extra_after=extra_after)


def complete_task(ctx: Ctx, ref: str, *, default_project: str | None = None) -> TaskOut:
    """Mark a task done."""
    return set_status(ctx, ref, TaskStatus.DONE, default_project=default_project)


def reopen_task(ctx: Ctx, ref: str, *, default_project: str | None = None) -> TaskOut:
    """Reopen a done or cancelled task."""
    return set_status(ctx, ref, TaskStatus.TODO, default_project=default_project)


def _spawn_next_occurrence(ctx: Ctx, task: Task) -> str | None:
    """A recurring task, once done, comes back at its next occurrence (as in Todoist)."""
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    assert task.recurrence
    anchor = task.deadline_at or ctx.now
    try:
        nxt = _first_after(task.recurrence, max(anchor, ctx.now), tz=project.timezone)
    except InvalidInput:
        # a rule stored before rules were checked: the task completes, and repeats no more
        log.warning("recurrence_refused", task=task.key)
        return None
    if nxt is None or nxt.year > LAST_DAY.year:
        return None
    draft = TaskDraft(
        project_key=project.key,
        title=task.title,
        description=task.description,
        assignee_ids=_assignee_ids(ctx, task),
        priority=task.priority,
        due_date=nxt.date(),
        due_at=nxt.astimezone(UTC) if task.due_at else None,
        estimate_minutes=task.estimate_minutes,
        recurrence=task.recurrence,
        parent_key=None,
    )
    return create_task(ctx, draft).key


def assign_task(
    ctx: Ctx,
    ref: str,
    user_ids: list[int],
    *,
    default_project: str | None = None,
    expected_version: int | None = None,
) -> TaskOut:
    """Give a task to these users (replacing its assignees)."""
    if not user_ids:
        raise InvalidInput(
            "assign to whom?",
            hint="usage: assign TASK @user",
            zh="指派给谁？",
            hint_zh="用法：assign TASK @user",
        )
    task = _load_for(ctx, ref, Permission.TASK_EDIT, default_project)
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    _ensure_members(ctx, project, user_ids)
    old = _assignee_ids(ctx, task)
    before = _snapshot(task) | {"assignees": old}
    new = _set_assignees(ctx, task, user_ids)
    return _change(
        ctx,
        task,
        "assign",
        "assigned",
        before,
        expected_version,
        extra_before={"assignees": old},
        extra_after={"assignees": new},
    )


def set_due(
    ctx: Ctx,
    ref: str,
    due_date: date | None,
    due_at: datetime | None = None,
    *,
    default_project: str | None = None,
    expected_version: int | None = None,
) -> TaskOut:
    """Set (or clear, with both None) a task's due date or due time."""
    task = _load_for(ctx, ref, Permission.TASK_EDIT, default_project)
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    _check_dates(due_date, due_at)
    before = _snapshot(task)
    task.due_at = due_at.astimezone(UTC) if due_at else None
    task.due_date = local_date(due_at, project.timezone) if due_at else due_date
    task.deadline_at = deadline_for(task.due_date, task.due_at, project.timezone)
    if task.start_date and task.due_date and task.start_date > task.due_date:
        raise InvalidInput(
            f"{task.key} would be due before it starts ({task.start_date})",
            zh=f"{task.key} 的截止时间会早于开始日期（{task.start_date}）",
        )
    return _change(ctx, task, "due", "due", before, expected_version)


def shift_due(
    ctx: Ctx, ref: str, delta: timedelta, *, default_project: str | None = None
) -> TaskOut:
    """Postpone (or bring forward) a task's due by `delta`."""
    task = _load_for(ctx, ref, Permission.TASK_EDIT, default_project)
    if task.due_date is None:
        raise InvalidInput(
            f"{task.key} has no due date to move",
            hint=f"set one: due {task.key} DATE",
            zh=f"{task.key} 还没有截止时间",
            hint_zh=f"先设置：due {task.key} DATE",
        )
    if task.due_at is not None:
        return set_due(ctx, ref, None, task.due_at + delta, default_project=default_project)
    return set_due(
        ctx, ref, task.due_date + timedelta(days=delta.days), default_project=default_project
    )


# How far one postpone may move a task, in days per unit: a century is more than any plan needs.
_UNIT_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "workday": 7 / 5,
              "month": 31}  # fmt: skip
MAX_SHIFT_DAYS = 36_525


def postpone_task(
    ctx: Ctx, ref: str, amount: int, unit: str, *, default_project: str | None = None
) -> TaskOut:
    """Move a task's due by `amount` units (minute, hour, day, week, workday, month; negative is
    earlier). Working days count on the project's calendar with its entries; a due time keeps its
    time of day. The permission is checked before any arithmetic."""
    task = _load_for(ctx, ref, Permission.TASK_EDIT, default_project)
    if unit not in _UNIT_DAYS:
        raise InvalidInput(
            f"{unit!r} is not a unit to postpone by",
            zh=f"{unit!r} 不是可用的推迟单位",
            hint="minutes, hours, days, weeks, working days or months",
            hint_zh="分钟、小时、天、周、工作日或月",
        )
    if abs(amount) * _UNIT_DAYS[unit] > MAX_SHIFT_DAYS:
        raise InvalidInput(
            "a task moves at most 100 years at a time", zh="一次最多推迟（或提前）100 年"
        )
    old_date = task.due_date
    if old_date is None:
        raise InvalidInput(
            f"{task.key} has no due date to move",
            hint=f"set one: due {task.key} DATE",
            zh=f"{task.key} 还没有截止时间",
            hint_zh=f"先设置：截止 {task.key} 日期",
        )
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    if unit in ("minute", "hour") and task.due_at is not None:
        return set_due(ctx, task.key, None, task.due_at + timedelta(**{f"{unit}s": amount}))
    if unit == "workday":
        new_date = add_workdays(project_calendar(ctx.session, project), old_date, amount)
    elif unit == "month":
        new_date = old_date + relativedelta(months=amount)
    else:
        days = {"minute": amount / 1440, "hour": amount / 24, "day": amount, "week": 7 * amount}
        new_date = old_date + timedelta(days=int(days[unit]))
    check_in_range(new_date)
    new_at = None
    if task.due_at is not None:
        local = task.due_at.astimezone(zone(project.timezone))
        new_at = datetime.combine(new_date, local.timetz().replace(tzinfo=None), local.tzinfo)
    return set_due(ctx, task.key, new_date, new_at)


def set_priority(
    ctx: Ctx, ref: str, priority: int, *, default_project: str | None = None
) -> TaskOut:
    """Set a task's priority, 1 (highest) to 4."""
    if not 1 <= priority <= 4:
        raise InvalidInput(
            "priority is 1 (highest) to 4",
            hint="usage: priority TASK 1",
            zh="优先级为 1（最高）到 4",
            hint_zh="用法：priority TASK 1",
        )
    task = _load_for(ctx, ref, Permission.TASK_EDIT, default_project)
    before = _snapshot(task)
    task.priority = priority
    return _change(ctx, task, "priority", "edited", before, None)


def edit_task(
    ctx: Ctx,
    ref: str,
    *,
    title: str | None = None,
    description: str | None = None,
    estimate_minutes: int | None = None,
    percent_done: int | None = None,
    is_milestone: bool | None = None,
    start_date: date | None = None,
    default_project: str | None = None,
    expected_version: int | None = None,
) -> TaskOut:
    """Change a task's plain fields."""
    task = _load_for(ctx, ref, Permission.TASK_EDIT, default_project)
    before = _snapshot(task)
    if title is not None:
        title = title.strip()
        if not title or len(title) > 500:
            raise InvalidInput("a title needs 1 to 500 characters", zh="标题需要 1 到 500 个字符")
        task.title = title
    if description is not None:
        task.description = description[:8000]
    if estimate_minutes is not None:
        task.estimate_minutes = estimate_minutes
    if percent_done is not None:
        if not 0 <= percent_done <= 100:
            raise InvalidInput("percent done is 0 to 100", zh="完成百分比为 0 到 100")
        task.percent_done = percent_done
    if is_milestone is not None:
        task.is_milestone = is_milestone
    if start_date is not None:
        _check_dates(start_date)
        task.start_date = start_date
    return _change(ctx, task, "edit", "edited", before, expected_version)


def comment_task(
    ctx: Ctx, ref: str, body: str, *, default_project: str | None = None
) -> CommentOut:
    """Add a comment to a task."""
    body = body.strip()
    if not body:
        raise InvalidInput(
            "a comment needs some text",
            hint="usage: comment TASK TEXT",
            zh="评论内容不能为空",
            hint_zh="用法：comment TASK TEXT",
        )
    task = _load_for(ctx, ref, Permission.TASK_COMMENT, default_project)
    assert task.id is not None
    comment = Comment(
        task_id=task.id, author_id=ctx.actor.user_id, body=body[:4000], created_at=ctx.now
    )
    ctx.session.add(comment)
    ctx.audit_task(
        task,
        "comment",
        after={"body": comment.body},
    )
    author = ctx.session.get(User, ctx.actor.user_id)
    assert author is not None
    return CommentOut(author=user_ref(author), body=comment.body, created_at=comment.created_at)


def log_work(
    ctx: Ctx, ref: str, minutes: int, note: str = "", *, default_project: str | None = None
) -> TaskOut:
    """Log time spent on a task."""
    if minutes <= 0:
        raise InvalidInput(
            "log a positive duration",
            hint="usage: log TASK 2h",
            zh="工时必须大于 0",
            hint_zh="用法：log TASK 2h",
        )
    task = _load_for(ctx, ref, Permission.TASK_LOG_TIME, default_project)
    assert task.id is not None
    before = _snapshot(task) | {"logged_minutes": task.logged_minutes}
    ctx.session.add(
        Worklog(
            task_id=task.id,
            user_id=ctx.actor.user_id,
            minutes=minutes,
            note=note[:1000],
            created_at=ctx.now,
        )
    )
    task.logged_minutes += minutes
    return _change(
        ctx,
        task,
        "log",
        "edited",
        before,
        None,
        extra_before={"logged_minutes": before["logged_minutes"]},
        extra_after={"logged_minutes": task.logged_minutes, "minutes": minutes},
    )


def delete_task(ctx: Ctx, ref: str, *, default_project: str | None = None) -> TaskOut:
    """Delete a task (kept for history; its key is never reused)."""
    task = _load_for(ctx, ref, Permission.TASK_DELETE, default_project)
    return _soft_delete(ctx, task, "delete")


def _soft_delete(ctx: Ctx, task: Task, action: str) -> TaskOut:
    """Mark a task deleted, audit it and cancel its notifications; returns it as it was."""
    before = _snapshot(task)
    out = task_out(ctx, task)
    task.deleted_at = ctx.now
    _bump(ctx, task)
    ctx.audit_task(task, action, before=before)
    task_changed(ctx, task, "deleted", before=before)
    return out


# ---------------------------------------------------------------------------------------------
# Dependencies


def add_dependency(
    ctx: Ctx,
    successor_ref: str,
    predecessor_ref: str,
    dep_type: DependencyType | str = DependencyType.FS,
    lag_days: int = 0,
    *,
    default_project: str | None = None,
) -> DependencyOut:
    """Make `successor` depend on `predecessor`; a dependency that closes a cycle is refused."""
    try:
        kind = DependencyType(str(dep_type).strip().lower())
    except ValueError as exc:
        raise InvalidInput(
            "dependency types: fs, ss, ff, sf", zh="依赖类型只能是 fs, ss, ff, sf"
        ) from exc
    if abs(lag_days) > 3650:
        raise InvalidInput("a lag is at most 3650 working days", zh="滞后最多 3650 个工作日")
    succ = _load_for(ctx, successor_ref, Permission.PLAN_EDIT, default_project)
    pred = _load_for(ctx, predecessor_ref, Permission.PLAN_EDIT, default_project)
    if succ.id == pred.id:
        raise InvalidInput(f"{succ.key} cannot depend on itself", zh=f"{succ.key} 不能依赖自己")
    existing = ctx.session.exec(
        select(Dependency).where(
            Dependency.predecessor_id == pred.id, Dependency.successor_id == succ.id
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"{succ.key} already depends on {pred.key}", zh=f"{succ.key} 已经依赖 {pred.key}"
        )
    path = _path(ctx, start=succ, goal=pred)
    if path is not None:
        cycle = " → ".join([pred.key, *path])
        raise Conflict(f"that would make a cycle: {cycle}", zh=f"这样会形成循环依赖：{cycle}")
    assert pred.id is not None
    assert succ.id is not None
    ctx.session.add(
        Dependency(predecessor_id=pred.id, successor_id=succ.id, type=kind, lag_days=lag_days)
    )
    ctx.audit_task(
        succ,
        "depend",
        after={"on": pred.key, "type": kind.value, "lag_days": lag_days},
    )
    return DependencyOut(predecessor=pred.key, successor=succ.key, type=kind, lag_days=lag_days)


def _path(ctx: Ctx, *, start: Task, goal: Task) -> list[str] | None:
    """Keys along a chain of successors from `start` to `goal`, or None if there is none."""
    keys = {start.id: start.key}
    came_from: dict[int, int] = {}
    frontier = [start.id]
    seen = {start.id}
    while frontier:
        rows = ctx.session.exec(
            select(Dependency.predecessor_id, Dependency.successor_id, Task.key)
            .join(Task, col(Task.id) == Dependency.successor_id)
            # a deleted task's dependencies are kept for history but no longer bind anything
            .where(col(Dependency.predecessor_id).in_(frontier), col(Task.deleted_at).is_(None))
        ).all()
        frontier = []
        for pred_id, succ_id, key in rows:
            if succ_id in seen:
                continue
            seen.add(succ_id)
            came_from[succ_id] = pred_id
            keys[succ_id] = key
            if succ_id == goal.id:
                chain = [key]
                node: int | None = succ_id
                while node is not None and node in came_from:
                    node = came_from[node]
                    chain.append(keys[node])
                return list(reversed(chain))
            frontier.append(succ_id)
    return None


def list_dependencies(ctx: Ctx, project_key: str) -> list[DependencyOut]:
    """Every dependency among a project's live tasks."""
    project = get_project(ctx.session, project_key)
    ctx.require(project, Permission.TASK_VIEW)
    pred = sa.orm.aliased(Task)
    succ = sa.orm.aliased(Task)
    rows = ctx.session.execute(
        sa.select(pred.key, succ.key, col(Dependency.type), col(Dependency.lag_days))  # type: ignore[call-overload]  # aliased SQLModel columns
        .join(pred, pred.id == Dependency.predecessor_id)
        .join(succ, succ.id == Dependency.successor_id)
        .where(
            succ.project_id == project.id,
            col(succ.deleted_at).is_(None),
            col(pred.deleted_at).is_(None),
        )
        .order_by(succ.number)
    ).all()
    return [
        DependencyOut(predecessor=p, successor=s, type=DependencyType(t), lag_days=lag)
        for p, s, t, lag in rows
    ]


def new_subtask(
    ctx: Ctx, parent_ref: str, title: str, *, default_project: str | None = None
) -> TaskOut:
    """Create a subtask under `parent_ref` in the parent's project."""
    parent = find_task(ctx, parent_ref, default_project=default_project)
    project = ctx.session.get(Project, parent.project_id)
    assert project is not None
    try:
        draft = TaskDraft(project_key=project.key, title=title, parent_key=parent.key)
    except ValidationError as exc:
        raise InvalidInput(
            "a subtask needs a title of 1 to 500 characters",
            hint="usage: sub TASK TITLE",
            zh="子任务标题需要 1 到 500 个字符",
            hint_zh="用法：sub TASK TITLE",
        ) from exc
    return create_task(ctx, draft)


UNDO_WINDOW = timedelta(minutes=15)


def undo_create(ctx: Ctx, ref: str, *, default_project: str | None = None) -> TaskOut:
    """Take back a task its reporter just created (within 15 minutes, before anyone changed it)."""
    task = find_task(ctx, ref, default_project=default_project)
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    ensure_writable(project)
    if task.reporter_id != ctx.actor.user_id:
        ctx.require(project, Permission.TASK_DELETE)
    else:
        # Taking back one's own task is part of creating it: a reporter who lost that right
        # (demoted to guest, say) cannot undo any more.
        ctx.require(project, Permission.TASK_CREATE)
        if task.version != 1 or ctx.now - task.created_at > UNDO_WINDOW:
            raise Conflict(
                f"{task.key} can no longer be undone; ask a manager to delete it",
                hint=f"or cancel it: status {task.key} cancelled",
                zh=f"{task.key} 已无法撤销，请让项目经理删除",
                hint_zh=f"或者取消它：status {task.key} cancelled",
            )
    return _soft_delete(ctx, task, "undo")
