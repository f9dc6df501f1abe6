"""The working calendar as a use case: who may change it, what it says, and where it is unsure.

A project's calendar is its country's (`core.calendar`) with the organisation's entries over it
and the project's own entries over those. Admins own the organisation's entries; a project's
managers own the project's. Every change is audited. `calendar_gaps` finds the Chinese years in
the next 60 days that rest on public holidays alone, without the official make-up working days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from core.calendar import (
    CHINA,
    YEAR_MAX,
    YEAR_MIN,
    CountryCalendar,
    DayInfo,
    Entry,
    Source,
    calendar_for,
    check_in_range,
    count_workdays,
)
from core.calendar_files import ScheduleItem, parse_schedule
from core.errors import InvalidInput, PermissionDenied
from core.models import CalendarOverride, CalendarYear, Channel, Notification, Project, Task
from core.models import NotificationStatus as Status
from core.permissions import Permission
from core.services.context import Ctx, get_project
from core.services.hooks import task_changed
from core.services.projects import OPEN_STATUSES
from core.timeutil import zone

DEFAULT_CALENDAR = CHINA  # the organisation's calendar, and a new project's
WARNING_HORIZON = timedelta(days=60)
CALENDAR_NOTICE = "calendar"
MAX_DAYS_PER_CHANGE = 400
MAX_IMPORT_DAYS = 1200  # a few years of official schedules

Entries = dict[int | None, dict[date, Entry]]


# ---------------------------------------------------------------------------------------------
# Loading calendars


def load_entries(session: Session, project_ids: Iterable[int | None]) -> Entries:
    """The organisation's entries (key None) and those of the given projects."""
    ids = [p for p in project_ids if p is not None]
    where: sa.ColumnElement[bool] = col(CalendarOverride.project_id).is_(None)
    if ids:
        where = sa.or_(where, col(CalendarOverride.project_id).in_(ids))
    out: Entries = defaultdict(dict)
    for o in session.exec(select(CalendarOverride).where(where)).all():
        source = Source.ORGANISATION if o.project_id is None else Source.PROJECT
        out[o.project_id][o.day] = Entry(o.is_workday, o.note, source)
    return out


def calendar_with(
    entries: Entries, project: Project | None, code: str | None = None
) -> CountryCalendar:
    """The calendar of `project` (or the organisation's) from entries already loaded."""
    merged = dict(entries.get(None, {}))
    if project is not None:
        merged.update(entries.get(project.id, {}))
    chosen = code or (project.calendar if project is not None else DEFAULT_CALENDAR)
    return calendar_for(chosen, merged)


def project_calendar(
    session: Session, project: Project | None, code: str | None = None
) -> CountryCalendar:
    """The working-day calendar of a project (the organisation's when None), entries included."""
    ids = [project.id] if project is not None else []
    return calendar_with(load_entries(session, ids), project, code)


def organisation_calendar(session: Session) -> CountryCalendar:
    """The organisation's calendar: the default country with the admins' entries."""
    return project_calendar(session, None)


# ---------------------------------------------------------------------------------------------
# Changing it


class CalendarChangeOut(BaseModel):
    """What a calendar change did: its scope, the dates now set, the years it covers."""

    scope: str  # a project key, or "" for the organisation
    workday: bool
    days: list[date]
    name: str
    years: list[int]
    cancelled_notices: int = 0


def _scope(ctx: Ctx, project_key: str | None) -> Project | None:
    """The project a change is for (its managers may make it), or None: the organisation's."""
    if project_key:
        project = get_project(ctx.session, project_key)
        ctx.require(project, Permission.PROJECT_EDIT)
        return project
    if not ctx.actor.is_admin:
        raise PermissionDenied("change the organisation's calendar", "admin")
    return None


def _check_days(days: Sequence[date]) -> None:
    if not days:
        raise InvalidInput(
            "which dates?",
            zh="哪几天？",
            hint="e.g. calendar workday 2027-02-20",
            hint_zh="例如：日历 补班 2027-02-20",
        )
    if len(days) > MAX_DAYS_PER_CHANGE:
        raise InvalidInput(
            f"at most {MAX_DAYS_PER_CHANGE} dates at once", zh=f"一次最多 {MAX_DAYS_PER_CHANGE} 天"
        )
    for d in days:
        check_in_range(d)


def _in_scope(column: Any, project: Project | None) -> sa.ColumnElement[bool]:
    """`column` (a project id) is the project's, or null for the organisation's rows."""
    return col(column).is_(None) if project is None else col(column) == project.id


def _put(ctx: Ctx, project: Project | None, day: date, workday: bool, note: str) -> None:
    pid = project.id if project else None
    rows = ctx.session.exec(
        select(CalendarOverride).where(
            _in_scope(CalendarOverride.project_id, project), CalendarOverride.day == day
        )
    ).all()
    if rows:
        keep, *extra = rows
        keep.is_workday, keep.note = workday, note
        ctx.session.add(keep)
        for row in extra:  # NULL project ids escape the unique constraint; keep one row a day
            ctx.session.delete(row)
    else:
        ctx.session.add(CalendarOverride(project_id=pid, day=day, is_workday=workday, note=note))


def _record_years(
    ctx: Ctx, project: Project | None, years: Iterable[int], how: str, note: str
) -> None:
    pid = project.id if project else None
    for year in sorted(set(years)):
        row = ctx.session.exec(
            select(CalendarYear).where(
                _in_scope(CalendarYear.project_id, project), CalendarYear.year == year
            )
        ).first()
        if row is None:
            row = CalendarYear(project_id=pid, year=year, how=how)
        elif row.how == "imported" and how == "entered":
            continue  # an import covers the year; a later correction does not replace that record
        row.how, row.note, row.actor_id, row.at = how, note[:200], ctx.actor.user_id, ctx.now
        ctx.session.add(row)


def _cancel_notices(ctx: Ctx) -> int:
    """Pending warnings about missing make-up days are moot once someone supplies them."""
    result = ctx.session.execute(
        sa.update(Notification)
        .where(
            col(Notification.kind) == CALENDAR_NOTICE,
            col(Notification.status) == Status.PENDING.value,
        )
        .values(status=Status.CANCELLED.value, last_error="the schedule was supplied")
    )
    return int(getattr(result, "rowcount", 0) or 0)


# A changed day moves the reminders of tasks due up to 60 days after it (the longest offset) and
# the escalations of tasks due a few weeks before it.
_RESYNC_BEFORE, _RESYNC_AFTER = timedelta(days=31), timedelta(days=61)


def _resync(ctx: Ctx, project: Project | None, days: Sequence[date]) -> int:
    """Bring the pending reminders and alerts of the open tasks near `days` up to date."""
    if not days:
        return 0
    query = select(Task).where(
        col(Task.deleted_at).is_(None),
        col(Task.status).in_(list(OPEN_STATUSES)),
        col(Task.due_date) >= min(days) - _RESYNC_BEFORE,
        col(Task.due_date) <= max(days) + _RESYNC_AFTER,
    )
    if project is not None:
        query = query.where(Task.project_id == project.id)
    tasks = ctx.session.exec(query).all()
    for task in tasks:
        task_changed(ctx, task, "calendar", before={})
    return len(tasks)


def _change(
    ctx: Ctx,
    project: Project | None,
    days: Sequence[date],
    workday: bool,
    name: str,
    action: str,
) -> CalendarChangeOut:
    _check_days(days)
    note = name.strip()[:200]
    before = {d.isoformat(): info.workday for d, info in _infos(ctx, project, days).items()}
    for day in days:
        _put(ctx, project, day, workday, note)
    ctx.session.flush()
    _resync(ctx, project, days)
    years = sorted({d.year for d in days})
    cancelled = 0
    if workday:  # a make-up day entered: the year's official schedule is being supplied
        _record_years(ctx, project, years, "entered", note)
        cancelled = _cancel_notices(ctx)
    ctx.audit(
        entity="calendar",
        entity_id=project.key if project else "organisation",
        action=action,
        project_id=project.id if project else None,
        before=before,
        after={"workday": workday, "days": [d.isoformat() for d in days], "name": note},
    )
    return CalendarChangeOut(
        scope=project.key if project else "",
        workday=workday,
        days=list(days),
        name=note,
        years=years,
        cancelled_notices=cancelled,
    )


def _infos(ctx: Ctx, project: Project | None, days: Iterable[date]) -> dict[date, DayInfo]:
    cal = project_calendar(ctx.session, project)
    return {d: cal.day_info(d) for d in days}


def mark_workdays(
    ctx: Ctx, days: Sequence[date], reason: str = "", *, project_key: str | None = None
) -> CalendarChangeOut:
    """Make `days` working days (补班, make-up days), for the organisation or one project."""
    project = _scope(ctx, project_key)
    return _change(ctx, project, sorted(set(days)), True, reason, "workday")


def mark_holidays(
    ctx: Ctx, first: date, last: date, name: str = "", *, project_key: str | None = None
) -> CalendarChangeOut:
    """Make every date from `first` to `last` a day off, for the organisation or one project."""
    project = _scope(ctx, project_key)
    if last < first:
        first, last = last, first
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return _change(ctx, project, days, False, name, "holiday")


def clear_days(
    ctx: Ctx, days: Sequence[date], *, project_key: str | None = None
) -> CalendarChangeOut:
    """Remove entries, so the country's calendar answers for `days` again."""
    project = _scope(ctx, project_key)
    _check_days(days)
    pid = project.id if project else None
    rows = ctx.session.exec(
        select(CalendarOverride).where(
            _in_scope(CalendarOverride.project_id, project),
            col(CalendarOverride.day).in_(list(days)),
        )
    ).all()
    if not rows:
        raise InvalidInput(
            "there is no entry on those dates",
            zh="这些日期没有手动设置",
            hint="calendar show YEAR lists the entries",
            hint_zh="用 `日历 查看 年份` 看已有的设置",
        )
    removed = sorted({r.day for r in rows})
    before = {r.day.isoformat(): r.is_workday for r in rows}
    for row in rows:
        ctx.session.delete(row)
    ctx.session.flush()
    _resync(ctx, project, removed)
    ctx.audit(
        entity="calendar",
        entity_id=project.key if project else "organisation",
        action="clear",
        project_id=pid,
        before=before,
        after=None,
    )
    return CalendarChangeOut(
        scope=project.key if project else "",
        workday=False,
        days=removed,
        name="",
        years=sorted({d.year for d in removed}),
    )


class CalendarImportOut(BaseModel):
    """What an import did: how many working days and days off, for which years."""

    scope: str
    workdays: int
    days_off: int
    years: list[int]


def import_schedule(
    ctx: Ctx, text: str, source_name: str = "", *, project_key: str | None = None
) -> CalendarImportOut:
    """Enter an official schedule (iCalendar or CSV text); the years it covers become complete."""
    project = _scope(ctx, project_key)
    items: list[ScheduleItem] = parse_schedule(text)
    chosen: dict[date, tuple[bool, str]] = {}
    for item in items:
        for day in item.days():
            chosen[day] = (item.workday, item.name)
    if len(chosen) > MAX_IMPORT_DAYS:
        raise InvalidInput(
            f"a schedule covers at most {MAX_IMPORT_DAYS} dates",
            zh=f"日程最多包含 {MAX_IMPORT_DAYS} 天",
        )
    for day in chosen:
        check_in_range(day)
    for day, (workday, name) in sorted(chosen.items()):
        _put(ctx, project, day, workday, name or source_name)
    ctx.session.flush()
    _resync(ctx, project, sorted(chosen))
    years = sorted({d.year for d in chosen})
    _record_years(ctx, project, years, "imported", source_name or "import")
    _cancel_notices(ctx)
    on = sum(1 for w, _ in chosen.values() if w)
    ctx.audit(
        entity="calendar",
        entity_id=project.key if project else "organisation",
        action="import",
        project_id=project.id if project else None,
        after={
            "source": source_name[:200],
            "years": years,
            "workdays": on,
            "days_off": len(chosen) - on,
        },
    )
    return CalendarImportOut(
        scope=project.key if project else "", workdays=on, days_off=len(chosen) - on, years=years
    )


# ---------------------------------------------------------------------------------------------
# Reading it


class DayOut(BaseModel):
    """One date that is not an ordinary Monday-to-Friday answer, or that someone entered."""

    day: date
    workday: bool
    name: str
    name_en: str
    source: str


class YearStatus(BaseModel):
    """Where a year's calendar comes from and whether its official make-up days are known."""

    year: int
    source: str
    complete: bool
    supplied: str | None = None  # "entered" / "imported" when someone supplied the schedule


class CalendarView(BaseModel):
    """`calendar show`: the scope, its country, the years shown and the notable days in them."""

    scope: str
    country: str
    first: date
    last: date
    workdays: int
    years: list[YearStatus]
    days: list[DayOut]


def _supplied(session: Session, project: Project | None, years: Iterable[int]) -> dict[int, str]:
    where: sa.ColumnElement[bool] = col(CalendarYear.project_id).is_(None)
    if project is not None:
        where = sa.or_(where, col(CalendarYear.project_id) == project.id)
    rows = session.exec(
        select(CalendarYear).where(where, col(CalendarYear.year).in_(list(years)))
    ).all()
    return {r.year: r.how for r in rows}


def year_status(
    session: Session, project: Project | None, years: Iterable[int]
) -> list[YearStatus]:
    """For each year: its source, and whether the official make-up days are known or supplied."""
    wanted = sorted(set(years))
    cal = project_calendar(session, project)
    supplied = _supplied(session, project, wanted)
    out = []
    for year in wanted:
        table = cal.year(year)
        out.append(
            YearStatus(
                year=year,
                source=table.source.value,
                complete=not table.incomplete or year in supplied,
                supplied=supplied.get(year),
            )
        )
    return out


def show_calendar(
    ctx: Ctx,
    *,
    year: int | None = None,
    month: int | None = None,
    project_key: str | None = None,
) -> CalendarView:
    """The calendar of a project (or the organisation's) for a year or a month."""
    project = None
    if project_key:
        project = get_project(ctx.session, project_key)
        ctx.require(project, Permission.PROJECT_VIEW)
    y = year if year is not None else ctx.now.astimezone(zone(ctx.actor.timezone)).year
    if not YEAR_MIN <= y <= YEAR_MAX:
        raise InvalidInput(
            f"a year between {YEAR_MIN} and {YEAR_MAX}",
            zh=f"年份须在 {YEAR_MIN} 到 {YEAR_MAX} 之间",
        )
    if month is not None:
        first = date(y, month, 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    else:
        first, last = date(y, 1, 1), date(y, 12, 31)
    cal = project_calendar(ctx.session, project)
    days = []
    current = first
    while current <= last:
        info = cal.day_info(current)
        ordinary = (
            not info.name
            and info.workday == (current.weekday() < 5)
            and info.source not in (Source.ORGANISATION, Source.PROJECT)
        )
        if not ordinary:
            days.append(
                DayOut(
                    day=current,
                    workday=info.workday,
                    name=info.name,
                    name_en=info.name_en,
                    source=info.source.value,
                )
            )
        current += timedelta(days=1)
    return CalendarView(
        scope=project.key if project else "",
        country=cal.country,
        first=first,
        last=last,
        workdays=count_workdays(cal, first, last),
        years=year_status(ctx.session, project, range(first.year, last.year + 1)),
        days=days,
    )


# ---------------------------------------------------------------------------------------------
# Where it is unsure


@dataclass(frozen=True, slots=True)
class Gap:
    """A year of a calendar in use, within the horizon, without its official make-up days."""

    year: int
    country: str
    source: Source
    projects: tuple[str, ...]


def calendar_gaps(session: Session, today: date, horizon: timedelta = WARNING_HORIZON) -> list[Gap]:
    """Years between `today` and `today + horizon` that rest on holidays without make-up days.

    Only calendars in use count: those of open projects and of the channels bound to them. A year
    someone supplied (entered a make-up day or imported a schedule for), org-wide or for the
    project, is complete.
    """
    years = range(today.year, (today + horizon).year + 1)
    projects = session.exec(select(Project).where(col(Project.archived).is_(False))).all()
    if not projects:
        return []
    codes: dict[int, set[str]] = {p.id: {p.calendar} for p in projects if p.id is not None}
    for pid, code in session.exec(
        select(Channel.project_id, Channel.calendar).where(
            col(Channel.project_id).is_not(None), col(Channel.calendar).is_not(None)
        )
    ).all():
        if pid in codes and code:
            codes[pid].add(code)
    supplied: dict[int | None, set[int]] = defaultdict(set)
    for pid, year in session.exec(
        select(CalendarYear.project_id, CalendarYear.year).where(
            col(CalendarYear.year).in_(list(years))
        )
    ).all():
        supplied[pid].add(year)
    found: dict[tuple[int, str], tuple[Source, list[str]]] = {}
    for project in projects:
        for code in codes.get(project.id or 0, set()):
            cal = calendar_for(code)
            for year in years:
                table = cal.year(year)
                if not table.incomplete:
                    continue
                if year in supplied[None] or year in supplied[project.id]:
                    continue
                _, keys = found.setdefault((year, cal.country), (table.source, []))
                keys.append(project.key)
    return [
        Gap(year, country, source, tuple(sorted(keys)))
        for (year, country), (source, keys) in sorted(found.items())
    ]


_SOURCE_TEXT = {
    Source.PACKAGE: (
        "come from the public holidays in the `holidays` package",
        "来自 holidays 库的法定节假日",
    ),
    Source.COMPUTED: (
        "are computed from the statutory holidays (lunar dates and solar terms)",
        "是按法定节假日推算的（农历与节气）",
    ),
}


def gap_text(gaps: Sequence[Gap], lang: str, *, marker: str = "⚠️ ") -> str:
    """What is missing from the calendar and how to add it, in `lang`."""
    lines = []
    for gap in gaps:
        en, zh = _SOURCE_TEXT.get(gap.source, ("", ""))
        keys = ", ".join(gap.projects)
        if lang == "zh":
            lines.append(
                f"{marker}工作日历不完整：{gap.year} 年的休息日{zh}，缺少国务院公布的调休上班日"
                f"（补班）和调休安排（涉及 {keys}）。提醒、日报和按工作日的计算可能有偏差。"
            )
        else:
            lines.append(
                f"{marker}The working calendar is incomplete: {gap.year}'s days off {en}, without the "
                f"State Council's make-up working days (补班) and bridging days (affects {keys}). "
                "Reminders, digests and working-day counts may be off."
            )
    year = gaps[0].year if gaps else "YYYY"
    if lang == "zh":
        lines.append(
            f"补上：`日历 补班 {year}-MM-DD 原因`、`日历 放假 {year}-MM-DD..{year}-MM-DD 名称`，"
            "或导入官方安排：`日历 导入` 后附 .ics 或 CSV（日期,班/休,名称）。"
        )
    else:
        lines.append(
            f"Add them: `calendar workday {year}-MM-DD reason`, `calendar holiday "
            f"{year}-MM-DD..{year}-MM-DD name`, or import the official schedule: `calendar import` "
            "followed by an .ics or CSV (date,workday|holiday,name)."
        )
    return "\n".join(lines)
