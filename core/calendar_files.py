"""Reading an official holiday schedule: an iCalendar file or CSV lines.

Either form gives `ScheduleItem`s, each a date range that is all working days or all days off:

    CSV       date,kind,name                   2027-02-20,workday,春节补班
              start,end,kind,name              2027-02-05,2027-02-11,holiday,春节
              a range in one cell              2027-02-05..2027-02-11,休,春节
    iCal      VEVENT with an all-day DTSTART (and DTEND, exclusive) and a SUMMARY; a summary
              that says 班 / 上班 / workday / make-up is a working day, anything else a day off

Kinds: `workday`, `work`, `班`, `补班`, `上班`, `工作日` for working days; `holiday`, `off`, `休`,
`假`, `放假`, `休息` for days off. A header row is optional. Anything unreadable is an
`InvalidInput` naming the line, and nothing of the file is used.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.errors import InvalidInput

MAX_BYTES = 256 * 1024
MAX_ITEMS = 2000
MAX_SPAN_DAYS = 60
_WORK = {"workday", "work", "working", "working day", "make-up", "makeup", "make-up day",
         "班", "补班", "上班", "工作日", "调班", "1", "true", "yes", "是"}  # fmt: skip
_OFF = {"holiday", "off", "day off", "rest", "休", "假", "放假", "休息", "休假", "节假日", "假日",
        "0", "false", "no", "否"}  # fmt: skip
_WORK_WORDS = re.compile(r"补班|上班|调班|\(班\)|（班）|\b班\b|^班|workday|working day|make-?up",
                         re.IGNORECASE)  # fmt: skip
_RANGE = re.compile(r"^\s*(\S+?)\s*(?:\.\.|~|～|—|–|至|到)\s*(\S+)\s*$")
_HEADER_WORDS = {"date", "day", "start", "end", "kind", "type", "name", "note", "日期", "开始",
                 "结束", "类型", "名称", "备注"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScheduleItem:
    """A run of dates that are all working days (`workday`) or all days off."""

    first: date
    last: date
    workday: bool
    name: str = ""

    def days(self) -> list[date]:
        """Every date of the run."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def _bad(where: str, what: str, what_zh: str) -> InvalidInput:
    return InvalidInput(
        f"{where}: {what}" if where else what,
        zh=f"{where}：{what_zh}" if where else what_zh,
        hint="each line: DATE[..DATE],workday|holiday[,name]  (or an .ics file)",
        hint_zh="每行：日期[..日期],班|休[,名称]（或 .ics 文件）",
    )


def parse_day(text: str, where: str = "") -> date:
    """A `YYYY-MM-DD` (or `YYYY/MM/DD`, `YYYYMMDD`, `2027年2月5日`) date."""
    raw = text.strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", raw) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", raw
    )
    if m is None:
        raise _bad(where, f"{raw[:40]!r} is not a date (YYYY-MM-DD)",
                   f"{raw[:40]!r} 不是日期（YYYY-MM-DD）")  # fmt: skip
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise _bad(where, f"{raw[:40]!r} is not a real date", f"{raw[:40]!r} 不是有效日期") from exc


def parse_range(text: str, where: str = "") -> tuple[date, date]:
    """`DATE` or `DATE..DATE` (also `~`, `至`), earliest first, at most 60 days long."""
    m = _RANGE.match(text)
    first = parse_day(m.group(1) if m else text, where)
    last = parse_day(m.group(2), where) if m else first
    if last < first:
        first, last = last, first
    if (last - first).days >= MAX_SPAN_DAYS:
        raise _bad(where, f"a run of days off is at most {MAX_SPAN_DAYS} days",
                   f"一段假期最多 {MAX_SPAN_DAYS} 天")  # fmt: skip
    return first, last


def _kind(text: str, where: str) -> bool:
    word = text.strip().lower()
    if word in _WORK:
        return True
    if word in _OFF:
        return False
    raise _bad(where, f"{text.strip()[:30]!r} is neither workday nor holiday",
               f"{text.strip()[:30]!r} 既不是“班”也不是“休”")  # fmt: skip


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str:
    i = columns.get(key)
    return cells[i] if i is not None and i < len(cells) else ""


def _from_csv(text: str) -> list[ScheduleItem]:
    items: list[ScheduleItem] = []
    rows = list(csv.reader(io.StringIO(text)))
    columns: dict[str, int] | None = None
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        where = f"line {number}"
        if columns is None and number == 1 and {c.lower() for c in cells} & _HEADER_WORDS:
            columns = {}
            for i, c in enumerate(cells):
                name = c.lower()
                for key, words in (("start", ("date", "day", "start", "日期", "开始")),
                                   ("end", ("end", "结束")), ("kind", ("kind", "type", "类型")),
                                   ("name", ("name", "note", "名称", "备注"))):  # fmt: skip
                    if name in words and key not in columns:
                        columns[key] = i
            continue
        if columns:
            first, last = parse_range(_cell(cells, columns, "start"), where)
            if _cell(cells, columns, "end"):
                last = parse_day(_cell(cells, columns, "end"), where)
                first, last = parse_range(f"{first}..{last}", where)
            workday = _kind(_cell(cells, columns, "kind"), where)
            name = _cell(cells, columns, "name")
        else:
            if len(cells) < 2:
                raise _bad(where, "a date and a kind are needed", "需要日期和类型（班/休）")
            first, last = parse_range(cells[0], where)
            rest = cells[1:]
            if re.match(r"^\d{4}", rest[0]):
                last = parse_day(rest[0], where)
                first, last = parse_range(f"{first}..{last}", where)
                rest = rest[1:]
            if not rest:
                raise _bad(where, "a kind (workday or holiday) is needed", "需要类型（班或休）")
            workday, name = _kind(rest[0], where), ",".join(rest[1:])
        items.append(ScheduleItem(first, last, workday, name[:200]))
    return items


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise TypeError(value)


def _from_ical(text: str) -> list[ScheduleItem]:
    import icalendar

    try:
        cal = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise _bad("the iCalendar file", "it cannot be read", "无法读取") from exc
    items: list[ScheduleItem] = []
    for number, event in enumerate(cal.walk("VEVENT"), start=1):
        where = f"event {number}"
        start = event.get("DTSTART")
        if start is None:
            raise _bad(where, "it has no DTSTART", "缺少 DTSTART")
        try:
            first = _as_date(start.dt)
            end = event.get("DTEND")
            last = _as_date(end.dt) - timedelta(days=1) if end is not None else first
        except TypeError as exc:
            raise _bad(where, "its dates cannot be read", "日期无法读取") from exc
        last = max(last, first)
        summary = str(event.get("SUMMARY", "")).strip()
        first, last = parse_range(f"{first}..{last}", where)
        items.append(ScheduleItem(first, last, bool(_WORK_WORDS.search(summary)), summary[:200]))
    return items


def parse_schedule(text: str) -> list[ScheduleItem]:
    """The items of an official schedule given as iCalendar text or CSV lines."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise InvalidInput(
            f"a schedule file is at most {MAX_BYTES // 1024} KB",
            zh=f"日程文件最大 {MAX_BYTES // 1024} KB",
        )
    body = text.lstrip("\ufeff").strip()
    if not body:
        raise _bad("the schedule", "it is empty", "内容为空")
    items = _from_ical(body) if body.upper().startswith("BEGIN:VCALENDAR") else _from_csv(body)
    if not items:
        raise _bad("the schedule", "it lists no dates", "没有任何日期")
    if len(items) > MAX_ITEMS:
        raise _bad("the schedule", f"at most {MAX_ITEMS} lines", f"最多 {MAX_ITEMS} 行")
    return items
