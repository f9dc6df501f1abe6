"""calendar: the working calendar's make-up days, holidays, imports and what it says for a year."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from bot.router import Request, command, split_args, usage_error
from core.calendar_files import MAX_BYTES, parse_range
from core.errors import InvalidInput
from core.messages import Reply
from core.services import calendars as svc
from core.timeutil import zone

_SUB = {
    "show": "show", "list": "show", "查看": "show", "显示": "show",
    "workday": "workday", "workdays": "workday", "work": "workday", "补班": "workday",
    "上班": "workday", "工作日": "workday",
    "holiday": "holiday", "holidays": "holiday", "off": "holiday", "放假": "holiday",
    "休息": "holiday", "假期": "holiday",
    "clear": "clear", "remove": "clear", "rm": "clear", "删除": "clear", "清除": "clear",
    "import": "import", "导入": "import",
}  # fmt: skip
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,15}$")
_YEAR = re.compile(r"^(\d{4})年?$")
_MONTH = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$")

_SOURCES = {
    "chinesecalendar": ("official schedule (chinesecalendar)", "国务院安排（chinesecalendar）"),
    "holidays": ("public holidays (holidays package)", "法定节假日（holidays 库）"),
    "computed": ("computed statutory days", "按法定假日推算"),
    "weekdays": ("Monday to Friday", "周一至周五"),
    "organisation": ("set by an admin", "管理员设置"),
    "project": ("set for the project", "项目设置"),
}
_WEEKDAYS = {"zh": "一二三四五六日", "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def _source(req: Request, code: str) -> str:
    en, zh = _SOURCES.get(code, (code, code))
    return req.t(en, zh)


def _scope_and_rest(args: list[str]) -> tuple[str | None, list[str]]:
    """A leading project key (`WEB`), then the rest; dates never look like keys."""
    if args and _KEY.match(args[0]):
        return args[0].upper(), args[1:]
    return None, args


def _scope_text(req: Request, key: str) -> str:
    return key if key else req.t("the organisation", "组织")


def _weekday(req: Request, day: date) -> str:
    return (
        f"周{_WEEKDAYS['zh'][day.weekday()]}"
        if req.lang == "zh"
        else _WEEKDAYS["en"][day.weekday()]
    )


def _dates(args: list[str]) -> tuple[list[date], str]:
    """Leading dates (each may be a `..` range), then the reason."""
    days: list[date] = []
    i = 0
    while i < len(args) and re.match(r"^\d{4}", args[i]):
        first, last = parse_range(args[i])
        days += [first + timedelta(days=n) for n in range((last - first).days + 1)]
        i += 1
    return days, " ".join(args[i:])


@command(
    "calendar",
    aliases=("日历", "工作日历"),
    usage="calendar show [KEY] [YEAR|YEAR-MM] | calendar workday [KEY] DATE [DATE...] [reason] | "
    "calendar holiday [KEY] DATE[..DATE] [name] | calendar clear [KEY] DATE... | "
    "calendar import [KEY] FILE (or the CSV/iCalendar text on the next lines)",
    summary="the working calendar: make-up days, holidays, official schedules",
    summary_zh="工作日历：补班、放假、导入官方安排",
    group="projects",
)
def calendar_command(req: Request) -> Reply:
    """Show or change the working calendar of the organisation (admins) or a project (managers)."""
    sub = _SUB.get(req.args[0].lower()) if req.args else "show"
    if sub is None:
        raise usage_error(req)
    if sub == "import":  # the schedule may follow on the next lines; the first names the scope
        key, rest = _scope_and_rest(split_args(req.rest.partition("\n")[0])[1:])
        return _import(req, key, rest)
    key, rest = _scope_and_rest(req.args[1:])
    if sub == "show":
        return _show(req, key, rest)
    if sub == "holiday":
        if not rest:
            raise usage_error(req)
        first, last = parse_range(rest[0])
        change = svc.mark_holidays(req.ctx, first, last, " ".join(rest[1:]), project_key=key)
        span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
        return Reply(
            text=req.t(
                "{s}: {d} is now a day off{n} ({c} day(s)).",
                "{s}：{d} 设为休息日{n}（共 {c} 天）。",
                s=_scope_text(req, change.scope),
                d=span,
                n=f" ({change.name})" if change.name else "",
                c=len(change.days),
            )
        )
    days, reason = _dates(rest)
    if not days:
        raise usage_error(req)
    if sub == "clear":
        change = svc.clear_days(req.ctx, days, project_key=key)
        return Reply(
            text=req.t(
                "{s}: removed the entries on {d}; the country's calendar answers again.",
                "{s}：已删除 {d} 的设置，恢复为国家日历。",
                s=_scope_text(req, change.scope),
                d=", ".join(d.isoformat() for d in change.days),
            )
        )
    change = svc.mark_workdays(req.ctx, days, reason, project_key=key)
    return Reply(
        text=req.t(
            "{s}: {d} is now a working day{n}.",
            "{s}：{d} 设为工作日（补班）{n}。",
            s=_scope_text(req, change.scope),
            d=", ".join(f"{d.isoformat()} ({_weekday(req, d)})" for d in change.days),
            n=f" ({change.name})" if change.name else "",
        )
    )


def _show(req: Request, key: str | None, rest: list[str]) -> Reply:
    year = month = None
    if rest:
        m_year, m_month = _YEAR.match(rest[0]), _MONTH.match(rest[0])
        if m_month:
            year, month = int(m_month.group(1)), int(m_month.group(2))
            if not 1 <= month <= 12:
                raise InvalidInput(
                    f"{rest[0]!r} is not a month",
                    zh=f"{rest[0]!r} 不是月份",
                    hint="e.g. 2027-02",
                    hint_zh="例如 2027-02",
                )
        elif m_year:
            year = int(m_year.group(1))
        else:
            raise usage_error(req)
    view = svc.show_calendar(
        req.ctx, year=year, month=month, project_key=key or req.default_project
    )
    period = f"{view.first:%Y-%m}" if month else str(view.first.year)
    lines = [
        req.t(
            "Working calendar of {s} ({c}), {p}: {n} working days.",
            "{s}的工作日历（{c}），{p}：{n} 个工作日。",
            s=_scope_text(req, view.scope),
            c=view.country,
            p=period,
            n=view.workdays,
        )
    ]
    fields = []
    for status in view.years:
        done = req.t("complete", "完整") if status.complete else req.t("incomplete", "不完整")
        how = {
            "entered": req.t(", make-up days entered", "，已录入补班"),
            "imported": req.t(", official schedule imported", "，已导入官方安排"),
        }.get(status.supplied or "", "")
        fields.append((str(status.year), f"{_source(req, status.source)}, {done}{how}"))
    table = None
    if view.days:
        table = [[req.t("Date", "日期"), req.t("Day", "星期"), req.t("Works?", "班/休"),
                  req.t("Name", "名称"), req.t("Source", "来源")]]  # fmt: skip
        for run in _runs(view.days):
            first, last = run[0], run[-1]
            when = first.day.isoformat() + (f"..{last.day:%m-%d}" if last.day != first.day else "")
            row = [
                when,
                _weekday(req, first.day),
                req.t("work", "班") if first.workday else req.t("off", "休"),
                first.name if req.lang == "zh" else first.name_en,
                _source(req, first.source),
            ]
            table.append(row)
            # the text says what the table says, for platforms that show no tables
            lines.append(" ".join(part for part in row if part))
    today = req.ctx.now.astimezone(zone(req.actor.timezone)).date()
    gaps = svc.calendar_gaps(req.ctx.session, today)
    if gaps:
        fields.append(("⚠️", svc.gap_text(gaps, req.lang, marker="")))
    return Reply(text="\n".join(lines), table=table, fields=fields)


def _runs(days: list[svc.DayOut]) -> list[list[svc.DayOut]]:
    """Consecutive dates with the same answer, name and source, as one row each."""
    runs: list[list[svc.DayOut]] = []
    for d in days:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and d.day == last.day + timedelta(days=1)
            and (d.workday, d.name, d.source) == (last.workday, last.name, last.source)
        ):
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs


def _import(req: Request, key: str | None, rest: list[str]) -> Reply:
    # The schedule is the text after the command's first line, or (in the terminal, where the
    # person at the keyboard owns the machine) a file path.
    body = req.rest.partition("\n")[2].strip()
    name = "chat"
    if not body:
        if not rest:
            raise InvalidInput(
                "paste the schedule on the lines after `calendar import`, or attach the file",
                zh="请在 `日历 导入` 下一行起粘贴日程（CSV 或 iCalendar）",
                hint="CSV lines: 2027-02-05..2027-02-11,holiday,Spring Festival / 2027-02-20,workday",
                hint_zh="CSV 每行：2027-02-05..2027-02-11,休,春节 / 2027-02-20,班,春节补班",
            )
        if req.inbound.platform != "console":
            raise InvalidInput(
                "only the terminal reads files; paste the schedule's text instead",
                zh="只有终端可以读取文件；请直接粘贴日程内容",
            )
        path = Path(" ".join(rest)).expanduser()
        try:
            if path.stat().st_size > MAX_BYTES:
                raise InvalidInput(
                    f"a schedule file is at most {MAX_BYTES // 1024} KB",
                    zh=f"日程文件最大 {MAX_BYTES // 1024} KB",
                )
            body = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"cannot read {str(path)[:200]!r}: {type(exc).__name__}",
                zh=f"无法读取 {str(path)[:200]!r}：{type(exc).__name__}",
            ) from exc
        name = path.name
    result = svc.import_schedule(req.ctx, body, name, project_key=key)
    return Reply(
        text=req.t(
            "{s}: imported {w} working day(s) and {o} day(s) off for {y}.",
            "{s}：已导入 {y} 年的 {w} 个调休上班日和 {o} 个休息日。",
            s=_scope_text(req, result.scope),
            w=result.workdays,
            o=result.days_off,
            y=", ".join(str(y) for y in result.years),
        )
    )
