"""The outbox side of the domain: reminders, overdue and delay alerts, and their settings.

A task change calls `sync_task` in the same transaction, which brings the task's pending rows in
line with the task: new slots are queued, rows whose slot no longer exists are cancelled, and a
due moved later sends delay alerts down the dependency chain. Dedupe keys name the slot
(`task:{id}:reminder:{slot}:u{user}`), so a row once sent is never queued again, and a moved due
makes new keys. The sweep asks `decide` what to do with each claimed row (send, wait for the end
of quiet hours, or drop it as superseded), so those rules live here and not in the scheduler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.calendar import WorkCalendar, add_workdays
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.messages import Button, Outgoing, Reply
from core.models import (
    Channel,
    Dependency,
    DependencyType,
    Identity,
    Membership,
    Notification,
    NotificationStatus,
    Project,
    Role,
    Task,
    TaskAssignee,
    TaskStatus,
    User,
)
from core.permissions import Permission
from core.planning import Impact, Link, PlanTask, duration_of, impacts_of_change, workdays_between
from core.reminders import (
    decode_offsets,
    encode_offsets,
    format_offsets,
    parse_hhmm,
    parse_offsets,
    quiet_until,
    reminder_times,
    slot,
    snooze_until,
)
from core.services.calendars import project_calendar
from core.services.context import Ctx, get_project
from core.services.projects import bound_channel
from core.timeutil import local_date, zone

# Kinds of outbox rows. `snooze` rows come back as reminders.
REMINDER = "reminder"
OVERDUE = "overdue"
ESCALATION = "escalation"
DELAY = "delay"
SNOOZE = "snooze"
DIGEST = "digest"
WEEKLY = "weekly"
PERSONAL_DIGEST = "pdigest"
TASK_KINDS = (REMINDER, OVERDUE, ESCALATION, SNOOZE)

# A task due at a time already got an "it is due now" reminder; the overdue alert waits an hour.
OVERDUE_GRACE_TIMED = timedelta(hours=1)
CLOSED = (TaskStatus.DONE.value, TaskStatus.CANCELLED.value)
OPEN_STATUSES = (TaskStatus.TODO.value, TaskStatus.DOING.value, TaskStatus.BLOCKED.value)
# How far back the sweep looks for tasks that ran late (covers downtime of up to a day).
LATE_LOOKBACK = timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Text


def _due_text(task: Task, tz: str, lang: str) -> str:
    if task.due_at is not None:
        local = task.due_at.astimezone(zone(tz))
        return (
            f"{local.month}月{local.day}日 {local:%H:%M}"
            if lang == "zh"
            else f"{local:%b} {local.day} {local:%H:%M}"
        )
    if task.due_date is not None:
        return _day(task.due_date, lang)
    return ""


def _day(day: date, lang: str) -> str:
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day:%b} {day.day}"


def _reply_payload(reply: Reply, task_key: str | None, lang: str, **extra: Any) -> dict[str, Any]:
    return {
        "text": reply.text,
        "fields": [[k, v] for k, v in reply.fields],
        "buttons": [
            {"label": b.label, "action": b.action, "style": b.style} for b in reply.buttons
        ],
        "task_key": task_key,
        "lang": lang,
        **extra,
    }


def reply_from_payload(payload: dict[str, Any]) -> Reply:
    """Rebuild the `Reply` stored in an outbox row's payload."""
    return Reply(
        text=str(payload.get("text", "")),
        fields=[(str(k), str(v)) for k, v in payload.get("fields", [])],
        buttons=[
            Button(str(b["label"]), str(b["action"]), str(b.get("style", "default")))
            for b in payload.get("buttons", [])
        ],
        table=payload.get("table"),
    )


def _task_buttons(task: Task, lang: str) -> list[Button]:
    zh = lang == "zh"
    return [
        Button("完成" if zh else "Done", f"done {task.key}", "primary"),
        Button("1小时后提醒" if zh else "Snooze 1h", f"snooze {task.key} 1h"),
        Button("明天提醒" if zh else "Tomorrow", f"snooze {task.key} tomorrow"),
        # `{user}` is filled by the platform's person picker (Slack); see bot/slack/blocks.py.
        Button("转交" if zh else "Reassign", f"assign {task.key} {{user}}"),
        Button("查看" if zh else "Open", f"show {task.key}"),
    ]


def _reminder_reply(task: Task, offset: int, tz: str, lang: str) -> Reply:
    due = _due_text(task, tz, lang)
    if lang == "zh":
        when = "现在到期" if offset == 0 and task.due_at else f"将于 {due} 到期"
        text = f"⏰ 提醒：{task.key} {task.title} {when}"
    else:
        when = "is due now" if offset == 0 and task.due_at else f"is due {due}"
        text = f"⏰ Reminder: {task.key} {task.title} {when}"
    return Reply(text=text, buttons=_task_buttons(task, lang))


def _overdue_reply(task: Task, tz: str, lang: str) -> Reply:
    due = _due_text(task, tz, lang)
    if lang == "zh":
        text = f"⚠️ 已逾期：{task.key} {task.title}（截止 {due}）"
    else:
        text = f"⚠️ Overdue: {task.key} {task.title} (was due {due})"
    return Reply(text=text, buttons=_task_buttons(task, lang)[:2])


def _escalation_reply(task: Task, days: int, owners: str, tz: str, lang: str) -> Reply:
    due = _due_text(task, tz, lang)
    if lang == "zh":
        text = f"🚨 {task.key} {task.title} 已逾期 {days} 个工作日（截止 {due}，负责人：{owners or '无'}）"
    else:
        text = (
            f"🚨 {task.key} {task.title} is {days} working day{'s' if days != 1 else ''} overdue "
            f"(was due {due}; assignees: {owners or 'none'})"
        )
    return Reply(
        text=text, buttons=[Button("查看" if lang == "zh" else "Show", f"show {task.key}")]
    )


def _delay_text(
    task: Task, slip: int, chain: Sequence[Impact], lang: str, *, late: bool = False
) -> str:
    if lang == "zh":
        parts = [f"{task.title} 已逾期" if late else f"{task.title} 延期{slip}天"]
        for imp in chain:
            if imp.task.is_milestone:
                parts.append(f'里程碑 "{imp.task.title}" 有风险')
            elif imp.start_slip and imp.earliest_start:
                parts.append(f"{imp.task.title} 最早开始 {_day(imp.earliest_start, lang)}")
            elif imp.earliest_finish:
                parts.append(f"{imp.task.title} 最早完成 {_day(imp.earliest_finish, lang)}")
        return "📉 " + " → ".join(parts)
    head = (
        f"{task.title} is overdue"
        if late
        else f"{task.title} slipped {slip} working day{'s' if slip != 1 else ''}"
    )
    parts = [head]
    for imp in chain:
        if imp.task.is_milestone:
            parts.append(f'milestone "{imp.task.title}" at risk')
        elif imp.start_slip and imp.earliest_start:
            parts.append(f"{imp.task.title} earliest start {_day(imp.earliest_start, lang)}")
        elif imp.earliest_finish:
            parts.append(f"{imp.task.title} earliest finish {_day(imp.earliest_finish, lang)}")
    return "📉 " + " → ".join(parts)


# ---------------------------------------------------------------------------------------------
# Who is reached where


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a user's direct messages go."""

    platform: str
    tenant: str
    target: str


def destinations(
    session: Session, user_ids: Iterable[int], prefer: str | None = None
) -> dict[int, Destination]:
    """Each user's direct-message destination, preferring identities on platform `prefer`."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(Identity).where(col(Identity.user_id).in_(ids)).order_by(col(Identity.id))
    ).all()
    out: dict[int, Destination] = {}
    for ident in rows:
        current = out.get(ident.user_id)
        if current is None or (ident.platform == prefer and current.platform != prefer):
            out[ident.user_id] = Destination(ident.platform, ident.tenant, ident.external_id)
    return out


def _project_platform(session: Session, project_id: int) -> str | None:
    return session.exec(
        select(Channel.platform).where(Channel.project_id == project_id).order_by(col(Channel.id))
    ).first()


def _managers(session: Session, project_id: int) -> list[int]:
    return list(
        session.exec(
            select(Membership.user_id).where(
                Membership.project_id == project_id, Membership.role == Role.MANAGER.value
            )
        ).all()
    )


# ---------------------------------------------------------------------------------------------
# Queueing


def _queue(
    session: Session, rows: Sequence[dict[str, Any]], *, new_after: datetime | None = None
) -> None:
    """Insert rows whose key is new; revive cancelled ones; refresh pending ones; keep the rest.

    A savepoint per new row makes a concurrent insert of the same key a no-op on both backends
    without dialect SQL in the core (`storage.outbox.enqueue` is the bulk form).
    """
    if not rows:
        return
    keys = [r["dedupe_key"] for r in rows]
    existing = {
        n.dedupe_key: n
        for n in session.exec(select(Notification).where(col(Notification.dedupe_key).in_(keys)))
    }
    for row in rows:
        found = existing.get(row["dedupe_key"])
        past = new_after is not None and row["kind"] == REMINDER and row["due_at"] < new_after
        if found is None:
            if past:
                continue  # a reminder for a moment already past when it was set is only noise
            try:
                with session.begin_nested():
                    session.add(Notification(**row))
            except IntegrityError:
                continue  # another transaction queued the same key first: that one stands
        elif found.status == NotificationStatus.PENDING.value or (
            found.status == NotificationStatus.CANCELLED.value and not past
        ):
            for name in ("payload", "due_at", "next_attempt_at", "platform", "tenant", "target"):
                setattr(found, name, row[name])
            found.status = NotificationStatus.PENDING.value
            found.last_error = None
            session.add(found)


def _cancel(session: Session, ids: Sequence[int], reason: str) -> None:
    if ids:
        session.execute(
            sa.update(Notification)
            .where(
                col(Notification.id).in_(ids),
                col(Notification.status) == NotificationStatus.PENDING.value,
            )
            .values(status=NotificationStatus.CANCELLED.value, last_error=reason)
        )


def overdue_at(task: Task) -> datetime | None:
    """When a task's overdue alert fires: the end of the due day, or an hour after a due time."""
    if task.deadline_at is None:
        return None
    return task.deadline_at + (OVERDUE_GRACE_TIMED if task.due_at is not None else timedelta())


def _row(
    key: str,
    kind: str,
    dest: Destination,
    *,
    at: datetime,
    user: User | None,
    task: Task | None,
    payload: dict[str, Any],
    now: datetime,
    target_type: str = "user",
) -> dict[str, Any]:
    send_at = at
    if user is not None:
        send_at = quiet_until(at, user.quiet_start, user.quiet_end, user.timezone) or at
    return {
        "dedupe_key": key,
        "kind": kind,
        "platform": dest.platform,
        "tenant": dest.tenant,
        "target": dest.target,
        "target_type": target_type,
        "user_id": user.id if user else None,
        "task_id": task.id if task else None,
        "project_id": task.project_id if task else None,
        "payload": payload,
        "status": NotificationStatus.PENDING.value,
        "due_at": at,
        "next_attempt_at": send_at,
        "created_at": now,
    }


def _desired_rows(ctx: Ctx, task: Task, project: Project) -> list[dict[str, Any]]:
    """Every reminder, overdue alert and escalation the task should have now."""
    assert task.id is not None
    session = ctx.session
    assignee_ids = list(
        session.exec(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task.id)).all()
    )
    managers = _managers(session, task.project_id)
    users = {
        u.id: u
        for u in session.exec(
            select(User).where(col(User.id).in_(set(assignee_ids) | set(managers)))
        ).all()
        if u.id is not None
    }
    dests = destinations(session, users, prefer=_project_platform(session, task.project_id))
    task_offsets = decode_offsets(task.reminder_offsets)
    project_offsets = decode_offsets(project.reminder_offsets)
    alert_at = overdue_at(task)
    cal = project_calendar(session, project)
    rows: list[dict[str, Any]] = []
    for uid in assignee_ids:
        user, dest = users.get(uid), dests.get(uid)
        if user is None or dest is None:
            continue
        offsets = task_offsets
        if offsets is None:
            offsets = decode_offsets(user.reminder_offsets)
        if offsets is None:
            offsets = project_offsets
        times = reminder_times(
            due_date=task.due_date,
            due_at=task.due_at,
            offsets=offsets,
            tz=user.timezone,
            calendar=cal,
            not_before=ctx.now,
        )
        for i, rt in enumerate(times):
            # A reminder whose moment passed without being sent is stale once the next one (or
            # the overdue alert) is due: after downtime only the latest message goes out.
            nxt = times[i + 1].at if i + 1 < len(times) else alert_at
            if nxt is not None and rt.at >= nxt:
                continue
            reply = _reminder_reply(task, rt.offset, user.timezone, user.locale)
            rows.append(
                _row(
                    f"task:{task.id}:reminder:{slot(rt.at)}:u{uid}",
                    REMINDER,
                    dest,
                    at=rt.at,
                    user=user,
                    task=task,
                    now=ctx.now,
                    payload=_reply_payload(
                        reply, task.key, user.locale, stale_after=nxt.isoformat() if nxt else None
                    ),
                )
            )
        if alert_at is not None:
            rows.append(
                _row(
                    f"task:{task.id}:overdue:{slot(alert_at)}:u{uid}",
                    OVERDUE,
                    dest,
                    at=alert_at,
                    user=user,
                    task=task,
                    now=ctx.now,
                    payload=_reply_payload(
                        _overdue_reply(task, user.timezone, user.locale), task.key, user.locale
                    ),
                )
            )
    if task.deadline_at is not None and managers:
        days = max(project.escalate_after_workdays, 1)
        local = task.deadline_at.astimezone(zone(project.timezone))
        esc_day = add_workdays(cal, local.date(), days)
        esc_at = datetime.combine(esc_day, local.time(), tzinfo=zone(project.timezone)).astimezone(
            UTC
        )
        owners = ", ".join(sorted(users[u].name for u in assignee_ids if u in users))
        for uid in managers:
            if uid in assignee_ids:
                continue  # a manager who holds the task already got the overdue alert
            user, dest = users.get(uid), dests.get(uid)
            if user is None or dest is None:
                continue
            reply = _escalation_reply(task, days, owners, user.timezone, user.locale)
            rows.append(
                _row(
                    f"task:{task.id}:escalation:{slot(task.deadline_at)}:u{uid}",
                    ESCALATION,
                    dest,
                    at=esc_at,
                    user=user,
                    task=task,
                    now=ctx.now,
                    payload=_reply_payload(reply, task.key, user.locale),
                )
            )
    return rows


def sync_task(ctx: Ctx, task: Task, event: str, *, before: dict[str, Any]) -> None:
    """Queue, move or cancel the task's notifications after a change (same transaction)."""
    if task.id is None:
        return
    session = ctx.session
    session.flush()
    pending = session.exec(
        select(Notification).where(
            Notification.task_id == task.id,
            col(Notification.status) == NotificationStatus.PENDING.value,
            col(Notification.kind).in_(TASK_KINDS),
        )
    ).all()
    closed = task.deleted_at is not None or task.status in CLOSED
    project = session.get(Project, task.project_id)
    if closed or project is None:
        _cancel(session, [n.id for n in pending if n.id], f"task {event}")
        return
    desired = _desired_rows(ctx, task, project)
    wanted = {r["dedupe_key"] for r in desired}
    assignees = {r["user_id"] for r in desired}
    stale = [
        n.id
        for n in pending
        if n.id
        and (
            (n.kind != SNOOZE and n.dedupe_key not in wanted)
            # A snooze lives until the due moves or the person no longer holds the task.
            or (n.kind == SNOOZE and (event == "due" or n.user_id not in assignees))
        )
    ]
    _cancel(session, stale, f"task {event}")
    _queue(session, desired, new_after=ctx.now - timedelta(minutes=1))
    if event == "due":
        _delay_alerts(ctx, task, project, before)


# ---------------------------------------------------------------------------------------------
# Delay alerts


def _old_plan(
    task: Task, before: dict[str, Any], project: Project
) -> tuple[date | None, datetime | None]:
    raw_date, raw_at = before.get("due_date"), before.get("due_at")
    old_at = datetime.fromisoformat(raw_at) if isinstance(raw_at, str) else None
    old_date = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
    if old_date is None and old_at is not None:
        old_date = local_date(old_at, project.timezone)
    return old_date, old_at


def _load_chain(session: Session, root: int) -> tuple[dict[int, Task], list[Link]]:
    """The task and everything downstream of it: one query per level of the chain."""
    links: list[Link] = []
    seen = {root}
    frontier = [root]
    while frontier:
        deps = session.exec(
            select(Dependency).where(col(Dependency.predecessor_id).in_(frontier))
        ).all()
        frontier = []
        for dep in deps:
            links.append(
                Link(dep.predecessor_id, dep.successor_id, DependencyType(dep.type), dep.lag_days)
            )
            if dep.successor_id not in seen:
                seen.add(dep.successor_id)
                frontier.append(dep.successor_id)
    # Other predecessors of chain tasks also bound them; load those links and tasks too.
    extra = session.exec(
        select(Dependency).where(
            col(Dependency.successor_id).in_(seen), col(Dependency.predecessor_id).not_in(seen)
        )
    ).all()
    links.extend(
        Link(d.predecessor_id, d.successor_id, DependencyType(d.type), d.lag_days) for d in extra
    )
    ids = seen | {d.predecessor_id for d in extra}
    tasks = {
        t.id: t
        for t in session.exec(
            select(Task).where(col(Task.id).in_(ids), col(Task.deleted_at).is_(None))
        ).all()
        if t.id is not None
    }
    return tasks, [lk for lk in links if lk.pred in tasks and lk.succ in tasks]


class Plannable(Protocol):
    """The task fields planning reads (a `Task`, or a row of those columns)."""

    @property
    def id(self) -> int | None: ...
    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def start_date(self) -> date | None: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def estimate_minutes(self) -> int | None: ...
    @property
    def is_milestone(self) -> bool: ...


def plan_task(task: Plannable, calendar: WorkCalendar) -> PlanTask:
    """A stored task as planning sees it."""
    assert task.id is not None
    estimate_days = -(-(task.estimate_minutes or 0) // 480) or 1
    return PlanTask(
        id=task.id,
        key=task.key,
        title=task.title,
        start=task.start_date,
        finish=task.due_date,
        duration=duration_of(calendar, task.start_date, task.due_date, estimate_days),
        is_milestone=task.is_milestone,
        done=task.status in CLOSED,
    )


def _delay_alerts(ctx: Ctx, task: Task, project: Project, before: dict[str, Any]) -> None:
    old_date, _old_at = _old_plan(task, before, project)
    if old_date is None or task.due_date is None or task.due_date <= old_date:
        return
    rows = delay_alert_rows(
        ctx.session,
        ctx.now,
        task,
        project,
        old_finish=old_date,
        new_finish=task.due_date,
        key=f"delay:{task.due_date.isoformat()}",
        exclude=ctx.actor.user_id,  # whoever moved it knows
    )
    _queue(ctx.session, rows)


def delay_alert_rows(
    session: Session,
    now: datetime,
    task: Task,
    project: Project,
    *,
    old_finish: date,
    new_finish: date,
    key: str,
    late: bool = False,
    exclude: int | None = None,
) -> list[dict[str, Any]]:
    """Delay alerts for a task now finishing `new_finish` instead of `old_finish`.

    They go to the owners of successors whose dates the chain now violates, and to the managers
    of milestones put at risk; none when the slip is absorbed by slack. `key` names the slot.
    """
    assert task.id is not None
    cal = project_calendar(session, project)
    tasks, links = _load_chain(session, task.id)
    if not links:
        return []
    plan = {tid: plan_task(t, cal) for tid, t in tasks.items()}
    old = plan[task.id]
    plan[task.id] = replace(old, finish=old_finish)
    changed = replace(old, finish=new_finish, done=False)
    impacts = impacts_of_change(plan, links, cal, changed)
    if not impacts:
        return []
    slip = max(workdays_between(cal, old_finish, new_finish), 1)
    recipients: set[int] = set()
    chain_ids = [imp.task.id for imp in impacts]
    for uid, _tid in session.exec(
        select(TaskAssignee.user_id, TaskAssignee.task_id).where(
            col(TaskAssignee.task_id).in_(chain_ids)
        )
    ).all():
        recipients.add(uid)
    if any(imp.task.is_milestone for imp in impacts):
        for pid in {tasks[i].project_id for i in chain_ids if tasks[i].is_milestone}:
            recipients.update(_managers(session, pid))
    recipients.discard(exclude or 0)
    users = {
        u.id: u
        for u in session.exec(select(User).where(col(User.id).in_(recipients))).all()
        if u.id is not None
    }
    dests = destinations(session, users, prefer=_project_platform(session, project.id or 0))
    rows = []
    for uid, user in users.items():
        dest = dests.get(uid)
        if dest is None:
            continue
        text = _delay_text(task, slip, impacts, user.locale, late=late)
        reply = Reply(
            text=text,
            buttons=[Button("查看" if user.locale == "zh" else "Show", f"show {task.key}")],
        )
        rows.append(
            _row(
                f"task:{task.id}:{key}:u{uid}",
                DELAY,
                dest,
                at=now,
                user=user,
                task=task,
                now=now,
                payload=_reply_payload(reply, task.key, user.locale),
            )
        )
    return rows


def plan_late_alerts(
    session: Session, now: datetime, enqueue: Callable[[Session, list[dict[str, Any]]], list[str]]
) -> list[str]:
    """Delay alerts for open tasks that ran past their due in the last day (once per slot).

    A task still open at its deadline will finish the next working day at the earliest; its
    successors and milestones are checked as if its due had moved there. Reads only tasks that
    are late, have successors, and have no `late` alert yet (through the deadline index).
    """
    since = now - LATE_LOOKBACK
    late = session.exec(
        select(Task).where(
            col(Task.status).in_(OPEN_STATUSES),
            col(Task.deadline_at) > since,
            col(Task.deadline_at) <= now,
            col(Task.deleted_at).is_(None),
            col(Task.id).in_(select(Dependency.predecessor_id)),
        )
    ).all()
    if not late:
        return []
    done = set(
        session.exec(
            select(Notification.task_id).where(
                col(Notification.task_id).in_([t.id for t in late]),
                col(Notification.dedupe_key).like("task:%:late:%"),
            )
        ).all()
    )
    rows: list[dict[str, Any]] = []
    for task in late:
        if task.id in done or task.deadline_at is None or task.due_date is None:
            continue
        project = session.get(Project, task.project_id)
        if project is None:
            continue
        cal = project_calendar(session, project)
        today = local_date(now, project.timezone)
        finish = add_workdays(cal, max(today, task.due_date), 1)
        rows += delay_alert_rows(
            session,
            now,
            task,
            project,
            old_finish=task.due_date,
            new_finish=finish,
            key=f"late:{slot(task.deadline_at)}",
            late=True,
        )
    return enqueue(session, rows) if rows else []


# ---------------------------------------------------------------------------------------------
# What the sweep does with a claimed row


class QueuedMessage(Protocol):
    """The fields of a claimed outbox row the rules need (storage's `Claimed` has them)."""

    @property
    def id(self) -> int: ...
    @property
    def dedupe_key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def target_type(self) -> str: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def task_id(self) -> int | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with a claimed row: send `message`, wait until `defer_until`, or `cancel`."""

    message: Outgoing | None = None
    defer_until: datetime | None = None
    cancel: str | None = None


def outgoing(row: QueuedMessage) -> Outgoing:
    """The message a claimed row carries."""
    return Outgoing(
        dedupe_key=row.dedupe_key,
        kind=REMINDER if row.kind == SNOOZE else row.kind,
        platform=row.platform,
        tenant=row.tenant,
        target=row.target,
        target_type=row.target_type,
        reply=reply_from_payload(row.payload),
        task_key=row.payload.get("task_key"),
    )


def decide(session: Session, rows: Sequence[QueuedMessage], now: datetime) -> dict[int, Decision]:
    """Decide each claimed row's fate with two queries: quiet hours, stale reminders, closed tasks."""
    user_ids = {r.user_id for r in rows if r.user_id is not None and r.target_type == "user"}
    users = (
        {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()}
        if user_ids
        else {}
    )
    task_ids = {r.task_id for r in rows if r.task_id is not None and r.kind in TASK_KINDS}
    tasks = (
        {t.id: t for t in session.exec(select(Task).where(col(Task.id).in_(task_ids))).all()}
        if task_ids
        else {}
    )
    out: dict[int, Decision] = {}
    for row in rows:
        if row.kind in TASK_KINDS and row.task_id is not None:
            task = tasks.get(row.task_id)
            if task is None or task.deleted_at is not None or task.status in CLOSED:
                out[row.id] = Decision(cancel="task closed")
                continue
        stale = row.payload.get("stale_after")
        if row.kind == REMINDER and isinstance(stale, str) and now >= datetime.fromisoformat(stale):
            out[row.id] = Decision(cancel="superseded by a later reminder or the overdue alert")
            continue
        user = users.get(row.user_id) if row.user_id is not None else None
        if user is not None:
            until = quiet_until(now, user.quiet_start, user.quiet_end, user.timezone)
            if until is not None:
                out[row.id] = Decision(defer_until=until)
                continue
        out[row.id] = Decision(message=outgoing(row))
    return out


# ---------------------------------------------------------------------------------------------
# Settings people change in chat


class SnoozeOut(BaseModel):
    """A snoozed reminder: which task and until when."""

    task_key: str
    until: datetime
    timezone: str


class ReminderSettingsOut(BaseModel):
    """Reminder offsets now in force for a task, user or project."""

    scope: str
    offsets: list[int]
    text: str


class NotificationOut(BaseModel):
    """An outbox row as operators see it."""

    id: int
    dedupe_key: str
    kind: str
    status: str
    platform: str
    target: str
    attempts: int
    due_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    task_id: int | None


def _find_task(ctx: Ctx, ref: str, default_project: str | None) -> tuple[Task, Project]:
    # Imported here: tasks imports hooks, which imports this module.
    from core.services.tasks import find_task

    task = find_task(ctx, ref, default_project=default_project)
    project = ctx.session.get(Project, task.project_id)
    assert project is not None
    return task, project


def snooze(
    ctx: Ctx, ref: str, spec: str = "1h", *, default_project: str | None = None
) -> SnoozeOut:
    """Remind the actor of a task again later: `1h`, `tomorrow` (09:00), or a time (`15:00`)."""
    task, project = _find_task(ctx, ref, default_project)
    # a snooze writes (outbox rows, an audit event): readers such as guests may not
    ctx.require(project, Permission.TASK_EDIT)
    if task.status in CLOSED:
        raise InvalidInput(
            f"{task.key} is {task.status}; nothing to remind you of",
            zh=f"{task.key} 已是 {task.status} 状态，无需提醒",
        )
    user = ctx.session.get(User, ctx.actor.user_id)
    assert user is not None
    assert task.id is not None
    assert user.id is not None
    until = snooze_until(spec, ctx.now, user.timezone)
    if until <= ctx.now:
        raise InvalidInput("a snooze ends in the future", zh="稍后提醒的时间必须在将来")
    mine = ctx.session.exec(
        select(Notification).where(
            Notification.task_id == task.id,
            Notification.user_id == user.id,
            col(Notification.kind).in_((REMINDER, SNOOZE)),
        )
    ).all()
    # Reminders that would fire during the snooze would only repeat what was snoozed.
    _cancel(
        ctx.session,
        [n.id for n in mine if n.id and n.kind == REMINDER and n.next_attempt_at <= until],
        "snoozed",
    )
    dest = destinations(ctx.session, [user.id], prefer=ctx.actor.platform).get(user.id)
    if dest is None:
        raise InvalidInput(
            "pmbot does not know where to message you", zh="pmbot 不知道该在哪里给你发消息"
        )
    reply = _reminder_reply(task, -1, user.timezone, user.locale)
    pending = [n for n in mine if n.kind == SNOOZE and n.status == NotificationStatus.PENDING.value]
    n_done = sum(
        1 for n in mine if n.kind == SNOOZE and n.status != NotificationStatus.PENDING.value
    )
    if pending:
        row = pending[0]
        row.next_attempt_at = until
        row.due_at = until
        row.payload = _reply_payload(reply, task.key, user.locale)
        ctx.session.add(row)
    else:
        _queue(
            ctx.session,
            [
                _row(
                    f"task:{task.id}:snooze:u{user.id}:{n_done + 1}",
                    SNOOZE,
                    dest,
                    at=until,
                    user=None,  # the person chose this moment; quiet hours do not move it
                    task=task,
                    now=ctx.now,
                    payload=_reply_payload(reply, task.key, user.locale),
                )
                | {"user_id": user.id}
            ],
        )
    ctx.audit_task(
        task,
        "snooze",
        after={"until": until.isoformat()},
    )
    return SnoozeOut(task_key=task.key, until=until, timezone=user.timezone)


def set_task_reminders(
    ctx: Ctx, ref: str, spec: str, *, default_project: str | None = None
) -> ReminderSettingsOut:
    """Give a task its own reminder offsets (`1d before`, `2h,30m`, `提前2小时`, `off`, `default`)."""
    task, project = _find_task(ctx, ref, default_project)
    ctx.require(project, Permission.TASK_EDIT)
    before = {"reminder_offsets": task.reminder_offsets}
    if spec.strip().lower() in ("default", "默认", "reset"):
        task.reminder_offsets = None
        offsets: tuple[int, ...] | None = None
    else:
        offsets = parse_offsets(spec)
        task.reminder_offsets = encode_offsets(offsets)
    ctx.session.add(task)
    ctx.audit_task(
        task,
        "reminders",
        before=before,
        after={"reminder_offsets": task.reminder_offsets},
    )
    sync_task(ctx, task, "edited", before={})
    shown = offsets if offsets is not None else ((60, 0) if task.due_at else (0,))
    return ReminderSettingsOut(
        scope=task.key, offsets=list(shown), text=format_offsets(shown, ctx.actor.locale)
    )


def set_my_reminders(ctx: Ctx, spec: str) -> ReminderSettingsOut:
    """Change the actor's default reminder offsets (for tasks without their own)."""
    user = ctx.session.get(User, ctx.actor.user_id)
    assert user is not None
    if spec.strip().lower() in ("default", "默认", "reset"):
        user.reminder_offsets = None
        offsets: tuple[int, ...] = ()
        text = "default"
    else:
        offsets = parse_offsets(spec)
        user.reminder_offsets = encode_offsets(offsets)
        text = format_offsets(offsets, ctx.actor.locale)
    ctx.session.add(user)
    ctx.audit(
        entity="user",
        entity_id=user.id,
        action="reminders",
        after={"offsets": user.reminder_offsets},
    )
    return ReminderSettingsOut(scope="me", offsets=list(offsets), text=text)


def set_project_reminders(ctx: Ctx, key: str, spec: str) -> ReminderSettingsOut:
    """Change a project's default reminder offsets (managers)."""
    project = get_project(ctx.session, key)
    ctx.require(project, Permission.PROJECT_EDIT)
    offsets = parse_offsets(spec)
    project.reminder_offsets = encode_offsets(offsets)
    ctx.session.add(project)
    ctx.audit(
        entity="project",
        entity_id=project.key,
        action="reminders",
        project_id=project.id,
        after={"offsets": project.reminder_offsets},
    )
    return ReminderSettingsOut(
        scope=project.key, offsets=list(offsets), text=format_offsets(offsets, ctx.actor.locale)
    )


def set_quiet_hours(
    ctx: Ctx, start: str | None, end: str | None = None
) -> tuple[str | None, str | None]:
    """Set the actor's quiet hours (`22:00`, `08:00`), or clear them with None."""
    user = ctx.session.get(User, ctx.actor.user_id)
    assert user is not None
    if start is None:
        user.quiet_start = user.quiet_end = None
    else:
        if end is None:
            raise InvalidInput(
                "quiet hours need a start and an end",
                hint="quiet 22:00-08:00",
                zh="免打扰需要开始和结束时间",
                hint_zh="用法：quiet 22:00-08:00",
            )
        s, e = parse_hhmm(start), parse_hhmm(end)
        if s == e:
            raise InvalidInput(
                "quiet hours must start and end at different times",
                zh="免打扰的开始和结束时间不能相同",
            )
        user.quiet_start, user.quiet_end = f"{s:%H:%M}", f"{e:%H:%M}"
    ctx.session.add(user)
    ctx.audit(
        entity="user",
        entity_id=user.id,
        action="quiet",
        after={"start": user.quiet_start, "end": user.quiet_end},
    )
    return user.quiet_start, user.quiet_end


def set_personal_digest(ctx: Ctx, on: bool) -> bool:
    """Turn the actor's personal morning digest by direct message on or off."""
    user = ctx.session.get(User, ctx.actor.user_id)
    assert user is not None
    user.personal_digest = on
    ctx.session.add(user)
    ctx.audit(entity="user", entity_id=user.id, action="digest", after={"personal_digest": on})
    return on


def set_channel_digest(
    ctx: Ctx, *, platform: str, tenant: str, channel_id: str, at: str | None
) -> str | None:
    """Set a channel's digest time (`09:30`) or turn it off (None); needs the channel-bind right."""
    channel, project = bound_channel(ctx, platform=platform, tenant=tenant, channel_id=channel_id)
    ctx.require(project, Permission.CHANNEL_BIND)
    before = channel.digest_time
    channel.digest_time = None if at is None else f"{parse_hhmm(at):%H:%M}"
    ctx.session.add(channel)
    ctx.audit(
        entity="channel",
        entity_id=f"{platform}:{channel_id}",
        action="digest",
        project_id=project.id,
        before={"digest_time": before},
        after={"digest_time": channel.digest_time},
    )
    return channel.digest_time


# ---------------------------------------------------------------------------------------------
# Operators


def _require_admin(ctx: Ctx) -> None:
    if not ctx.actor.is_admin:
        raise PermissionDenied("manage the notification outbox", "admin")


def _out(n: Notification) -> NotificationOut:
    assert n.id is not None
    return NotificationOut(
        id=n.id,
        dedupe_key=n.dedupe_key,
        kind=n.kind,
        status=n.status,
        platform=n.platform,
        target=n.target,
        attempts=n.attempts,
        due_at=n.due_at,
        next_attempt_at=n.next_attempt_at,
        sent_at=n.sent_at,
        last_error=n.last_error,
        task_id=n.task_id,
    )


def list_notifications(
    ctx: Ctx, *, status: str | None = None, kind: str | None = None, limit: int = 50
) -> list[NotificationOut]:
    """Outbox rows, newest due first (admins)."""
    _require_admin(ctx)
    query = select(Notification)
    if status:
        query = query.where(Notification.status == status)
    if kind:
        query = query.where(Notification.kind == kind)
    rows = ctx.session.exec(
        query.order_by(col(Notification.due_at).desc(), col(Notification.id).desc()).limit(limit)
    ).all()
    return [_out(n) for n in rows]


def _by_ref(ctx: Ctx, ref: str) -> Notification:
    ref = ref.strip()
    row = (
        ctx.session.get(Notification, int(ref))
        if ref.isdigit()
        else ctx.session.exec(select(Notification).where(Notification.dedupe_key == ref)).first()
    )
    if row is None:
        raise NotFound("notification", ref)
    return row


def retry_notification(ctx: Ctx, ref: str) -> NotificationOut:
    """Send a dead or cancelled row again at the next sweep (admins)."""
    _require_admin(ctx)
    row = _by_ref(ctx, ref)
    if row.status not in (NotificationStatus.DEAD.value, NotificationStatus.CANCELLED.value):
        raise InvalidInput(
            f"notification {row.id} is {row.status}; only dead or cancelled ones are retried",
            zh=f"通知 {row.id} 的状态是 {row.status}；只有 dead 或 cancelled 的通知可以重试",
        )
    row.status = NotificationStatus.PENDING.value
    row.attempts = 0
    row.next_attempt_at = ctx.now
    row.last_error = None
    ctx.session.add(row)
    ctx.audit(entity="notification", entity_id=row.dedupe_key, action="retry")
    return _out(row)


def cancel_notification(ctx: Ctx, ref: str) -> NotificationOut:
    """Stop a pending (or dead) row from being sent (admins)."""
    _require_admin(ctx)
    row = _by_ref(ctx, ref)
    if row.status not in (NotificationStatus.PENDING.value, NotificationStatus.DEAD.value):
        raise InvalidInput(
            f"notification {row.id} is {row.status}; only pending or dead ones are cancelled",
            zh=f"通知 {row.id} 的状态是 {row.status}；只有 pending 或 dead 的通知可以取消",
        )
    row.status = NotificationStatus.CANCELLED.value
    row.last_error = f"cancelled by {ctx.actor.name}"
    ctx.session.add(row)
    ctx.audit(entity="notification", entity_id=row.dedupe_key, action="cancel")
    return _out(row)
