"""Daily digests, weekly summaries and personal digests: what is due when, and what they say.

`plan_due_messages` is what the sweep calls: for every bound channel whose local digest time has
come on a working day of its calendar (and not more than six hours ago), it builds the digest and
queues it under `digest:{channel}:{local_date}`; on the last working day of the week a weekly
summary follows under `weekly:{channel}:{iso_week}`. The keys make it safe for several processes
to plan at once, and make a digest one per local date however the clock jumps. Builders read a
constant number of queries whatever the number of tasks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.calendar import WorkCalendar, calendar_for
from core.messages import Reply
from core.models import (
    Channel,
    Dependency,
    DependencyType,
    Membership,
    NotificationStatus,
    Project,
    Task,
    TaskAssignee,
    TaskStatus,
    User,
)
from core.planning import Link, milestones_at_risk, workdays_between
from core.reminders import parse_hhmm
from core.services.calendars import (
    CALENDAR_NOTICE,
    Gap,
    calendar_gaps,
    calendar_with,
    gap_text,
    load_entries,
    organisation_calendar,
    project_calendar,
)
from core.services.notifications import (
    DIGEST,
    PERSONAL_DIGEST,
    WEEKLY,
    Destination,
    destinations,
    plan_late_alerts,
    plan_task,
)
from core.services.projects import bound_channel
from core.timeutil import zone

# A digest may go out this late after its time (downtime); later than that, the day is skipped.
DIGEST_LATE_LIMIT = timedelta(hours=6)
PERSONAL_DIGEST_TIME = time(9, 0)
CALENDAR_NOTICE_TIME = time(10, 0)
OPEN = (TaskStatus.TODO.value, TaskStatus.DOING.value, TaskStatus.BLOCKED.value)
MAX_LINES = 10

Enqueue = Callable[[Session, list[dict[str, Any]]], list[str]]

_WEEKDAYS = {
    "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}
_T = {
    "zh": {
        "title": "📋 {project} 每日简报 · {day}",
        "weekly": "📊 {project} 本周总结 · {start} – {end}",
        "personal": "☀️ {name} 的今日任务 · {day}",
        "due_today": "今天到期",
        "overdue": "逾期",
        "done": "上次简报以来完成",
        "blocked": "受阻",
        "milestones": "里程碑风险",
        "people": "按人统计",
        "late": "逾期{n}个工作日",
        "ms": '"{title}" 计划{planned}，最早{earliest}',
        "person": "{name}：{open}项未完成（{overdue}项逾期，{today}项今天到期）",
        "nothing": "今天没有到期或逾期的任务 🎉",
        "more": "…… 另有{n}项",
        "unassigned": "未分配",
        "w_due": "本周到期 {due} 项，已完成 {done} 项（完成率 {rate}）",
        "w_ontime": "按时完成 {ontime} 项（按时率 {rate}）",
        "w_closed": "本周共完成 {n} 项；仍未完成 {open} 项，其中逾期 {overdue} 项",
        "open_total": "共 {n} 项未完成",
    },
    "en": {
        "title": "📋 {project} daily digest · {day}",
        "weekly": "📊 {project} weekly summary · {start} – {end}",
        "personal": "☀️ {name}'s day · {day}",
        "due_today": "Due today",
        "overdue": "Overdue",
        "done": "Done since the last digest",
        "blocked": "Blocked",
        "milestones": "Milestones at risk",
        "people": "Per person",
        "late": "{n} working day{s} late",
        "ms": '"{title}" planned {planned}, earliest {earliest}',
        "person": "{name}: {open} open ({overdue} overdue, {today} due today)",
        "nothing": "Nothing due today and nothing overdue 🎉",
        "more": "… and {n} more",
        "unassigned": "unassigned",
        "w_due": "Due this week: {due}, done: {done} (completion {rate})",
        "w_ontime": "On time: {ontime} (on-time rate {rate})",
        "w_closed": "Completed this week: {n}; still open: {open}, of which overdue: {overdue}",
        "open_total": "{n} open in all",
    },
}


def _lang(code: str | None) -> str:
    return "en" if (code or "").lower().startswith("en") else "zh"


def _day(day: date, lang: str) -> str:
    wd = _WEEKDAYS[lang][day.weekday()]
    return f"{day.month}月{day.day}日 {wd}" if lang == "zh" else f"{wd} {day:%b} {day.day}"


def _short(day: date, lang: str) -> str:
    return f"{day.month}月{day.day}日" if lang == "zh" else f"{day:%b} {day.day}"


def _pct(n: int, d: int) -> str:
    return f"{round(100 * n / d)}%" if d else "—"


# ---------------------------------------------------------------------------------------------
# Loading, with a constant number of queries


@dataclass(frozen=True, slots=True)
class _Row:
    """The columns of a task a digest reads (plain tuples load far faster than ORM objects)."""

    id: int
    key: str
    title: str
    status: str
    start_date: date | None
    due_date: date | None
    deadline_at: datetime | None
    estimate_minutes: int | None
    is_milestone: bool


_COLUMNS = (
    col(Task.id),
    col(Task.key),
    col(Task.title),
    col(Task.status),
    col(Task.start_date),
    col(Task.due_date),
    col(Task.deadline_at),
    col(Task.estimate_minutes),
    col(Task.is_milestone),
)


@dataclass
class _ProjectState:
    project: Project
    calendar: WorkCalendar
    open_tasks: list[_Row]
    done: list[_Row]
    owners: dict[int, list[str]]
    links: list[Link]


def _load(
    session: Session, project: Project, since: datetime, calendar: WorkCalendar
) -> _ProjectState:
    open_tasks = [
        _Row(*r)
        for r in session.execute(
            sa.select(*_COLUMNS)
            .where(
                col(Task.project_id) == project.id,
                col(Task.deleted_at).is_(None),
                col(Task.status).in_(OPEN),
            )
            .order_by(col(Task.deadline_at).is_(None), col(Task.deadline_at), col(Task.number))
        ).all()
    ]
    done = [
        _Row(*r)
        for r in session.execute(
            sa.select(*_COLUMNS)
            .where(
                col(Task.project_id) == project.id,
                col(Task.deleted_at).is_(None),
                col(Task.status) == TaskStatus.DONE.value,
                col(Task.completed_at) >= since,
            )
            .order_by(col(Task.completed_at), col(Task.number))
        ).all()
    ]
    ids = [t.id for t in open_tasks + done if t.id is not None]
    owners: dict[int, list[str]] = defaultdict(list)
    if ids:
        for task_id, name in session.exec(
            select(TaskAssignee.task_id, User.name)
            .join(User, col(User.id) == TaskAssignee.user_id)
            .where(col(TaskAssignee.task_id).in_(ids))
            .order_by(User.name)
        ).all():
            owners[task_id].append(name)
    succ = sa.orm.aliased(Task)
    links = [
        Link(p, s, DependencyType(t), lag)
        for p, s, t, lag in session.execute(
            sa.select(
                col(Dependency.predecessor_id),
                col(Dependency.successor_id),
                col(Dependency.type),
                col(Dependency.lag_days),
            )
            .join(succ, succ.id == Dependency.successor_id)  # type: ignore[arg-type]  # aliased SQLModel column
            .where(succ.project_id == project.id)  # type: ignore[arg-type]  # aliased SQLModel column
        ).all()
    ]
    return _ProjectState(project, calendar, open_tasks, done, owners, links)


def _who(state: _ProjectState, task: _Row, lang: str) -> str:
    names = state.owners.get(task.id)
    return ", ".join(f"@{n}" for n in names) if names else _T[lang]["unassigned"]


def _section(lines: list[str], title: str, items: list[str], lang: str) -> None:
    if not items:
        return
    lines.append(f"\n*{title}* ({len(items)})")
    lines.extend(f"• {item}" for item in items[:MAX_LINES])
    if len(items) > MAX_LINES:
        lines.append("  " + _T[lang]["more"].format(n=len(items) - MAX_LINES))


# ---------------------------------------------------------------------------------------------
# Builders


def build_daily_digest(
    session: Session,
    project: Project,
    now: datetime,
    *,
    tz: str,
    lang: str,
    since: datetime,
    calendar: WorkCalendar | None = None,
) -> Reply:
    """A project's digest as of `now` in zone `tz`: due today, overdue, done, blocked, risks, people."""
    lang = _lang(lang)
    t = _T[lang]
    cal = calendar or project_calendar(session, project)
    state = _load(session, project, since, cal)
    today = now.astimezone(zone(tz)).date()
    due_today, overdue, blocked = [], [], []
    people: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for task in state.open_tasks:
        deadline_day = task.deadline_at.astimezone(zone(tz)).date() if task.deadline_at else None
        is_over = task.deadline_at is not None and task.deadline_at < now
        is_today = deadline_day == today and not is_over
        label = f"{task.key} {task.title} — {_who(state, task, lang)}"
        if is_over and deadline_day is not None:
            n = max(workdays_between(cal, deadline_day, today), 0)
            late = (
                t["late"].format(n=n, s="" if n == 1 else "s")
                if n
                else ("今天已过截止时间" if lang == "zh" else "past its time today")
            )
            overdue.append(f"{task.key} {task.title} — {late} — {_who(state, task, lang)}")
        elif is_today:
            due_today.append(label)
        if task.status == TaskStatus.BLOCKED.value:
            blocked.append(label)
        for name in state.owners.get(task.id, []):
            counts = people[name]
            counts[0] += 1
            counts[1] += int(is_over)
            counts[2] += int(is_today)
    done = [f"{task.key} {task.title} — {_who(state, task, lang)}" for task in state.done]
    plan = {task.id: plan_task(task, cal) for task in state.open_tasks}
    risks = [
        t["ms"].format(
            title=ms.title,
            planned=_short(ms.finish or today, lang),
            earliest=_short(earliest, lang),
        )
        for ms, earliest in milestones_at_risk(plan, state.links, cal, today)
    ]
    lines = [t["title"].format(project=project.name or project.key, day=_day(today, lang))]
    _section(lines, t["due_today"], due_today, lang)
    _section(lines, t["overdue"], overdue, lang)
    _section(lines, t["done"], done, lang)
    _section(lines, t["blocked"], blocked, lang)
    _section(lines, t["milestones"], risks, lang)
    if not due_today and not overdue:
        lines.append("\n" + t["nothing"])
    table = None
    if people:
        lines.append(f"\n*{t['people']}*")
        rows = sorted(people.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
        lines.extend(
            "• " + t["person"].format(name=name, open=c[0], overdue=c[1], today=c[2])
            for name, c in rows
        )
        header = (
            ["成员", "未完成", "逾期", "今天到期"]
            if lang == "zh"
            else ["person", "open", "overdue", "due today"]
        )
        table = [header] + [[name, str(c[0]), str(c[1]), str(c[2])] for name, c in rows]
    lines.append(t["open_total"].format(n=len(state.open_tasks)))
    return Reply(text="\n".join(lines), table=table)


def build_weekly_summary(
    session: Session, project: Project, now: datetime, *, tz: str, lang: str
) -> Reply:
    """A project's week so far (Monday to `now`): completion and on-time rates, what is still open."""
    lang = _lang(lang)
    t = _T[lang]
    local = now.astimezone(zone(tz))
    monday = local.date() - timedelta(days=local.weekday())
    start = datetime.combine(monday, time(0, 0), tzinfo=zone(tz)).astimezone(UTC)
    rows = session.exec(
        select(Task).where(
            Task.project_id == project.id,
            col(Task.deleted_at).is_(None),
            col(Task.status) != TaskStatus.CANCELLED.value,
            sa.or_(
                sa.and_(col(Task.deadline_at) >= start, col(Task.deadline_at) <= now),
                col(Task.completed_at) >= start,
                col(Task.status).in_(OPEN),
            ),
        )
    ).all()
    due = [r for r in rows if r.deadline_at is not None and start <= r.deadline_at <= now]
    done_due = [r for r in due if r.status == TaskStatus.DONE.value]
    on_time = [
        r
        for r in done_due
        if r.completed_at is not None
        and r.deadline_at is not None
        and r.completed_at <= r.deadline_at
    ]
    closed = [
        r
        for r in rows
        if r.completed_at is not None
        and r.completed_at >= start
        and r.status == TaskStatus.DONE.value
    ]
    still_open = [r for r in rows if r.status in OPEN]
    overdue = [r for r in still_open if r.deadline_at is not None and r.deadline_at < now]
    lines = [
        t["weekly"].format(
            project=project.name or project.key,
            start=_short(monday, lang),
            end=_short(local.date(), lang),
        ),
        t["w_due"].format(due=len(due), done=len(done_due), rate=_pct(len(done_due), len(due))),
        t["w_ontime"].format(ontime=len(on_time), rate=_pct(len(on_time), len(done_due))),
        t["w_closed"].format(n=len(closed), open=len(still_open), overdue=len(overdue)),
    ]
    return Reply(
        text="\n".join(lines),
        fields=[
            ("completion" if lang == "en" else "完成率", _pct(len(done_due), len(due))),
            ("on time" if lang == "en" else "按时率", _pct(len(on_time), len(done_due))),
        ],
    )


def build_personal_digest(session: Session, user: User, now: datetime) -> Reply:
    """One person's open work across projects: overdue and due today, and how much is open."""
    lang = _lang(user.locale)
    t = _T[lang]
    today = now.astimezone(zone(user.timezone)).date()
    tasks = session.exec(
        select(Task)
        .join(TaskAssignee, col(TaskAssignee.task_id) == Task.id)
        .where(
            TaskAssignee.user_id == user.id,
            col(Task.deleted_at).is_(None),
            col(Task.status).in_(OPEN),
        )
        .order_by(col(Task.deadline_at).is_(None), col(Task.deadline_at), col(Task.id))
    ).all()
    overdue, due_today = [], []
    for task in tasks:
        if task.deadline_at is None:
            continue
        if task.deadline_at < now:
            overdue.append(f"{task.key} {task.title}")
        elif task.deadline_at.astimezone(zone(user.timezone)).date() == today:
            due_today.append(f"{task.key} {task.title}")
    lines = [t["personal"].format(name=user.name, day=_day(today, lang))]
    _section(lines, t["due_today"], due_today, lang)
    _section(lines, t["overdue"], overdue, lang)
    if not due_today and not overdue:
        lines.append("\n" + t["nothing"])
    lines.append(t["open_total"].format(n=len(tasks)))
    return Reply(text="\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Planning what is due now


def _scheduled(day: date, at: time, tz: str) -> datetime:
    # A time skipped by a spring-forward change resolves to the instant after the gap (fold=0);
    # one repeated by a fall-back change to its first occurrence. The key is the date either way.
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def _is_last_workday_of_week(cal: WorkCalendar, day: date) -> bool:
    sunday = day + timedelta(days=6 - day.weekday())
    nxt = day + timedelta(days=1)
    while nxt <= sunday:
        if cal.is_workday(nxt):
            return False
        nxt += timedelta(days=1)
    return True


def _payload(reply: Reply, lang: str) -> dict[str, Any]:
    return {
        "text": reply.text,
        "fields": [[k, v] for k, v in reply.fields],
        "buttons": [],
        "table": reply.table,
        "task_key": None,
        "lang": lang,
    }


@dataclass(frozen=True, slots=True)
class _Due:
    key: str
    kind: str
    day: date
    at: datetime
    channel: Channel | None = None
    user: User | None = None


def plan_due_messages(session: Session, now: datetime, enqueue: Enqueue) -> list[str]:
    """Queue what time alone makes due: digests, summaries, late-task alerts and the weekly
    calendar notice; return the new keys."""
    return (
        plan_late_alerts(session, now, enqueue)
        + _plan_digests(session, now, enqueue)
        + _plan_calendar_notices(session, now, enqueue)
    )


def _plan_calendar_notices(session: Session, now: datetime, enqueue: Enqueue) -> list[str]:
    """Once a week, on a working day from 10:00, tell each admin which years lack make-up days.

    The key `calendar:u{admin}:{iso_week}` makes it one message a week however many processes
    plan; nothing is queued once the schedule is entered or imported.
    """
    admins = session.exec(select(User).where(col(User.is_admin).is_(True))).all()
    if not admins:
        return []
    late_enough = [
        (a, now.astimezone(zone(a.timezone)))
        for a in admins
        if now.astimezone(zone(a.timezone)).time() >= CALENDAR_NOTICE_TIME
    ]
    if not late_enough:
        return []  # before 10:00 in every admin's zone nothing more is read
    org = organisation_calendar(session)
    due: list[tuple[str, User, date]] = []
    for admin, local in late_enough:
        if not org.is_workday(local.date()):
            continue
        year, week, _ = local.date().isocalendar()
        due.append((f"calendar:u{admin.id}:{year}-W{week:02d}", admin, local.date()))
    if not due:
        return []
    from core.models import Notification  # the table, for the one existence query

    known = set(
        session.exec(
            select(Notification.dedupe_key).where(
                col(Notification.dedupe_key).in_([key for key, _, _ in due])
            )
        ).all()
    )
    todo = [d for d in due if d[0] not in known]
    if not todo:
        return []
    dests = destinations(session, [a.id for _, a, _ in todo if a.id is not None])
    gaps_on: dict[date, list[Gap]] = {}
    rows: list[dict[str, Any]] = []
    for key, admin, today in todo:
        dest = dests.get(admin.id or 0)
        if dest is None:
            continue
        if today not in gaps_on:
            gaps_on[today] = calendar_gaps(session, today)
        gaps = gaps_on[today]
        if not gaps:
            continue
        lang = _lang(admin.locale)
        reply = Reply(text=gap_text(gaps, lang))
        rows.append(
            {
                "dedupe_key": key,
                "kind": CALENDAR_NOTICE,
                "platform": dest.platform,
                "tenant": dest.tenant,
                "target": dest.target,
                "target_type": "user",
                "user_id": admin.id,
                "payload": _payload(reply, lang),
                "status": NotificationStatus.PENDING.value,
                "due_at": now,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return enqueue(session, rows) if rows else []


def _plan_digests(session: Session, now: datetime, enqueue: Enqueue) -> list[str]:
    """Queue every digest and summary whose moment has come (at most 6 h ago)."""
    channels = session.exec(
        select(Channel).where(
            col(Channel.digest_time).is_not(None), col(Channel.project_id).is_not(None)
        )
    ).all()
    projects = (
        {
            p.id: p
            for p in session.exec(
                select(Project).where(col(Project.id).in_({c.project_id for c in channels}))
            ).all()
        }
        if channels
        else {}
    )
    readers = session.exec(select(User).where(col(User.personal_digest).is_(True))).all()
    home: dict[int, int] = {}
    if readers:
        for uid, pid in session.exec(
            select(Membership.user_id, Membership.project_id)
            .where(col(Membership.user_id).in_([u.id for u in readers]))
            .order_by(col(Membership.id))
        ).all():
            home.setdefault(uid, pid)
        missing = set(home.values()) - set(projects)
        if missing:
            projects.update(
                {
                    p.id: p
                    for p in session.exec(select(Project).where(col(Project.id).in_(missing))).all()
                }
            )
    overrides = load_entries(session, list(projects))
    due: list[_Due] = []
    for ch in channels:
        project = projects.get(ch.project_id)
        if project is None or project.archived or ch.digest_time is None:
            continue
        cal = calendar_with(overrides, project, ch.calendar)
        at = parse_hhmm(ch.digest_time)
        local_today = now.astimezone(zone(ch.timezone)).date()
        for day in (local_today - timedelta(days=1), local_today):
            sched = _scheduled(day, at, ch.timezone)
            if not sched <= now <= sched + DIGEST_LATE_LIMIT or not cal.is_workday(day):
                continue
            if ch.last_digest_at is not None and ch.last_digest_at > sched:
                # a later day's digest already went (the clock moved back): never an older one
                continue
            due.append(_Due(f"digest:{ch.id}:{day.isoformat()}", DIGEST, day, sched, channel=ch))
            if _is_last_workday_of_week(cal, day):
                year, week, _ = day.isocalendar()
                due.append(
                    _Due(f"weekly:{ch.id}:{year}-W{week:02d}", WEEKLY, day, sched, channel=ch)
                )
    for user in readers:
        home_id = home.get(user.id or 0)
        cal = (
            calendar_with(overrides, projects[home_id])
            if home_id in projects
            else calendar_for("none")
        )
        local_today = now.astimezone(zone(user.timezone)).date()
        for day in (local_today - timedelta(days=1), local_today):
            sched = _scheduled(day, PERSONAL_DIGEST_TIME, user.timezone)
            if sched <= now <= sched + DIGEST_LATE_LIMIT and cal.is_workday(day):
                due.append(
                    _Due(
                        f"pdigest:u{user.id}:{day.isoformat()}",
                        PERSONAL_DIGEST,
                        day,
                        sched,
                        user=user,
                    )
                )
    if not due:
        return []
    from core.models import Notification  # the table, for the one existence query

    known = set(
        session.exec(
            select(Notification.dedupe_key).where(
                col(Notification.dedupe_key).in_([d.key for d in due])
            )
        ).all()
    )
    todo = [d for d in due if d.key not in known]
    dests: dict[int, Destination] = destinations(
        session, [d.user.id for d in todo if d.user and d.user.id]
    )
    rows: list[dict[str, Any]] = []
    for d in todo:
        if d.channel is not None:
            ch = d.channel
            project = projects[ch.project_id]
            cal = calendar_with(overrides, project, ch.calendar)
            lang = _lang(ch.language)
            if d.kind == DIGEST:
                since = ch.last_digest_at or (d.at - timedelta(days=1))
                reply = build_daily_digest(
                    session, project, now, tz=ch.timezone, lang=lang, since=since, calendar=cal
                )
            else:
                reply = build_weekly_summary(session, project, now, tz=ch.timezone, lang=lang)
            rows.append(
                _message(d, ch.platform, ch.tenant, ch.channel_id, "channel", reply, lang, now)
                | {"project_id": project.id}
            )
        elif d.user is not None and d.user.id in dests:
            dest = dests[d.user.id]
            reply = build_personal_digest(session, d.user, now)
            rows.append(
                _message(
                    d,
                    dest.platform,
                    dest.tenant,
                    dest.target,
                    "user",
                    reply,
                    _lang(d.user.locale),
                    now,
                )
                | {"user_id": d.user.id}
            )
    inserted = set(enqueue(session, rows)) if rows else set()
    for d in todo:
        if d.key in inserted and d.kind == DIGEST and d.channel is not None:
            d.channel.last_digest_at = now
            session.add(d.channel)
    return [d.key for d in todo if d.key in inserted]


def _message(
    d: _Due,
    platform: str,
    tenant: str,
    target: str,
    target_type: str,
    reply: Reply,
    lang: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "dedupe_key": d.key,
        "kind": d.kind,
        "platform": platform,
        "tenant": tenant,
        "target": target,
        "target_type": target_type,
        "payload": _payload(reply, lang),
        "status": NotificationStatus.PENDING.value,
        "due_at": d.at,
        "next_attempt_at": now,
        "created_at": now,
    }


# ---------------------------------------------------------------------------------------------
# Asking for a digest in chat


def preview_channel_digest(ctx: Any, *, platform: str, tenant: str, channel_id: str) -> Reply:
    """The bound channel's digest as of now (readers of the project only)."""
    from core.permissions import Permission

    channel, project = bound_channel(ctx, platform=platform, tenant=tenant, channel_id=channel_id)
    ctx.require(project, Permission.TASK_VIEW)
    now: datetime = ctx.now
    since = channel.last_digest_at or now - timedelta(days=1)
    return build_daily_digest(
        ctx.session, project, now, tz=channel.timezone, lang=channel.language, since=since
    )


def preview_personal_digest(ctx: Any) -> Reply:
    """The actor's own digest as of now."""
    user = ctx.session.get(User, ctx.actor.user_id)
    assert user is not None
    return build_personal_digest(ctx.session, user, ctx.now)
