"""Pure helpers for reminders: offsets, when they fire, quiet hours, snoozes and dedupe slots.

Offsets are minutes before the due. For a task due at a time they count back from that time.
For a task due on a date, whole days count back from 09:00 in the assignee's zone (`0` is 09:00
on the day, `1440` is 09:00 the day before) and other offsets count back from the end of the
working day (`120` on a date is 16:00 when the day ends at 18:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.calendar import WorkCalendar, last_workday_on_or_before
from core.errors import InvalidInput
from core.timeutil import END_OF_WORKDAY, zone

DAY = 1440
DEFAULT_TIMED_OFFSETS: tuple[int, ...] = (60, 0)
DEFAULT_DATE_OFFSETS: tuple[int, ...] = (0,)
MORNING = time(9, 0)
MAX_OFFSET = 60 * DAY

_UNIT = {
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "分": 1, "分钟": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60, "小时": 60, "个小时": 60, "钟头": 60,
    "d": DAY, "day": DAY, "days": DAY, "天": DAY, "日": DAY,
    "w": 7 * DAY, "week": 7 * DAY, "weeks": 7 * DAY, "周": 7 * DAY, "星期": 7 * DAY,
}  # fmt: skip
_CN_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10, "半": 0.5}  # fmt: skip
_OFFSET = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|[一两二三四五六七八九十半])\s*"
    r"(?P<unit>minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|分钟|分|个小时|小时|钟头|天|日|周|星期)",
    re.IGNORECASE,
)
_AT_TIME = re.compile(
    r"^(at\s*(the\s*)?time|on\s*time|at\s*due|到期时?|准时|当时|0)$", re.IGNORECASE
)
_OFF = {"off", "none", "no", "never", "关", "关闭", "不提醒", "取消"}


def parse_offsets(text: str) -> tuple[int, ...]:
    """Minutes-before offsets in `1d before`, `2h, 30m`, `提前2小时`, `at time`; `off` is none."""
    raw = text.strip().lower()
    if raw in _OFF:
        return ()
    out: list[int] = []
    for part in re.split(r"[,，、;]|\band\b|和", raw):
        piece = part.strip()
        for noise in ("before", "prior", "ahead", "earlier", "提前", "之前", "以前", "前", "提醒",
                      "remind", "me"):  # fmt: skip
            piece = piece.replace(noise, " ")
        piece = piece.strip()
        if not piece:
            continue
        if _AT_TIME.match(piece):
            out.append(0)
            continue
        total = 0.0
        pos = 0
        compact = piece.replace(" ", "")
        for match in _OFFSET.finditer(compact):
            if match.start() != pos:
                break
            num = match.group("num")
            value = float(num) if num[0].isdigit() else float(_CN_DIGITS[num])
            total += value * _UNIT[match.group("unit").lower()]
            pos = match.end()
        if pos == 0 or pos != len(compact):
            raise InvalidInput(
                f"{part.strip()!r} is not a reminder offset",
                hint="e.g. remind WEB-12 1d before, remind WEB-12 2h,30m, 提前2小时提醒",
                zh=f"{part.strip()!r} 不是有效的提醒时间",
                hint_zh="例如 remind WEB-12 1d before、remind WEB-12 2h,30m、提前2小时提醒",
            )
        out.append(round(total))
    if not out:
        raise InvalidInput(
            "when should I remind?",
            hint="e.g. 1d before, 2h, at time, off",
            zh="什么时候提醒？",
            hint_zh="例如 1d before、2h、at time、off",
        )
    if any(o < 0 or o > MAX_OFFSET for o in out):
        raise InvalidInput(
            "a reminder offset is between 0 and 60 days", zh="提醒的提前量须在 0 到 60 天之间"
        )
    return tuple(sorted(set(out), reverse=True))


def format_offsets(offsets: tuple[int, ...], lang: str = "en") -> str:
    """A human form of offsets: `1d, 1h before, at the time` / `提前1天、1小时、到期时`."""
    if not offsets:
        return "不提醒" if lang == "zh" else "no reminders"
    parts = []
    for off in offsets:
        if off == 0:
            parts.append("到期时" if lang == "zh" else "at the time")
            continue
        days, rest = divmod(off, DAY)
        hours, mins = divmod(rest, 60)
        if lang == "zh":
            text = (
                (f"{days}天" if days else "")
                + (f"{hours}小时" if hours else "")
                + (f"{mins}分钟" if mins else "")
            )
            parts.append("提前" + text)
        else:
            text = (
                (f"{days}d" if days else "")
                + (f"{hours}h" if hours else "")
                + (f"{mins}m" if mins else "")
            )
            parts.append(text + " before")
    return ("、" if lang == "zh" else ", ").join(parts)


def encode_offsets(offsets: tuple[int, ...]) -> str:
    """The stored form of offsets (`60,0`; `off` for none)."""
    return ",".join(str(o) for o in offsets) if offsets else "off"


def decode_offsets(stored: str | None) -> tuple[int, ...] | None:
    """Offsets from their stored form; None when nothing is stored."""
    if stored is None or stored.strip() == "":
        return None
    if stored.strip() == "off":
        return ()
    return tuple(int(p) for p in stored.split(",") if p.strip())


@dataclass(frozen=True, slots=True)
class ReminderTime:
    """One reminder: its offset and the instant it fires."""

    offset: int
    at: datetime


def reminder_times(
    *,
    due_date: date | None,
    due_at: datetime | None,
    offsets: tuple[int, ...] | None,
    tz: str,
    workday_end: time = END_OF_WORKDAY,
    calendar: WorkCalendar | None = None,
    not_before: datetime | None = None,
) -> list[ReminderTime]:
    """When a task's reminders fire for someone in zone `tz`, earliest first.

    With a `calendar`, a reminder that would fire on a day off (a task due on a holiday, or a
    day-before reminder landing on a Sunday) fires at the same time on the last working day
    before, unless that moment is already past (`not_before`): then it keeps its own.
    """
    if due_at is not None:
        chosen = DEFAULT_TIMED_OFFSETS if offsets is None else offsets
        times = [ReminderTime(o, (due_at - timedelta(minutes=o)).astimezone(UTC)) for o in chosen]
    elif due_date is not None:
        chosen = DEFAULT_DATE_OFFSETS if offsets is None else offsets
        times = []
        for off in chosen:
            if off % DAY == 0:
                day = due_date - timedelta(days=off // DAY)
                local = datetime.combine(day, MORNING, tzinfo=zone(tz))
            else:
                end = datetime.combine(due_date, workday_end, tzinfo=zone(tz))
                local = end - timedelta(minutes=off)
            times.append(ReminderTime(off, local.astimezone(UTC)))
    else:
        return []
    if calendar is not None:
        times = [_on_a_working_day(r, calendar, tz, not_before) for r in times]
    return sorted(times, key=lambda r: r.at)


def _on_a_working_day(
    rt: ReminderTime, calendar: WorkCalendar, tz: str, not_before: datetime | None
) -> ReminderTime:
    local = rt.at.astimezone(zone(tz))
    day = last_workday_on_or_before(calendar, local.date())
    if day == local.date():
        return rt
    moved = datetime.combine(day, local.time(), tzinfo=zone(tz)).astimezone(UTC)
    if not_before is not None and moved < not_before <= rt.at:
        return rt
    return ReminderTime(rt.offset, moved)


def parse_hhmm(text: str) -> time:
    """A `HH:MM` (or `H点`, `9:30`) wall-clock time."""
    raw = text.strip().replace("：", ":")
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2})|点(?:(\d{1,2})分?|半)?)?", raw)
    if not match:
        raise InvalidInput(
            f"{text!r} is not a time of day",
            hint="e.g. 09:30 or 22:00",
            zh=f"{text!r} 不是有效的时刻",
            hint_zh="例如 09:30 或 22:00",
        )
    hour = int(match.group(1))
    minute = int(match.group(2) or match.group(3) or (30 if raw.endswith("半") else 0))
    if hour > 23 or minute > 59:
        raise InvalidInput(
            f"{text!r} is not a time of day",
            hint="e.g. 09:30 or 22:00",
            zh=f"{text!r} 不是有效的时刻",
            hint_zh="例如 09:30 或 22:00",
        )
    return time(hour, minute)


def quiet_until(
    now: datetime, quiet_start: str | None, quiet_end: str | None, tz: str
) -> datetime | None:
    """The instant quiet hours end if `now` falls inside them, else None."""
    if not quiet_start or not quiet_end:
        return None
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start == end:
        return None
    local = now.astimezone(zone(tz))
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:  # wraps midnight, e.g. 22:00-08:00
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone(tz)).astimezone(UTC)


def snooze_until(spec: str, now: datetime, tz: str) -> datetime:
    """When a snooze ends: `1h`, `30m`, `tomorrow`/`明天` (09:00), or a time `15:00` (next one)."""
    raw = spec.strip().lower()
    local = now.astimezone(zone(tz))
    if raw in ("", "1h", "hour", "an hour", "1小时", "一小时", "一个小时"):
        return (now + timedelta(hours=1)).astimezone(UTC)
    if raw in ("tomorrow", "明天", "明早", "tomorrow morning", "明天早上"):
        morning = datetime.combine(local.date() + timedelta(days=1), MORNING, tzinfo=zone(tz))
        return morning.astimezone(UTC)
    try:
        minutes = parse_offsets(raw)
    except InvalidInput:
        minutes = ()
    if len(minutes) == 1 and minutes[0] > 0:
        return (now + timedelta(minutes=minutes[0])).astimezone(UTC)
    try:
        at = parse_hhmm(raw)
    except InvalidInput as exc:
        raise InvalidInput(
            f"{spec!r} is not a snooze",
            hint="snooze TASK 1h | 30m | tomorrow | 15:00",
            zh=f"{spec!r} 不是有效的稍后提醒时间",
            hint_zh="用法：snooze TASK 1h | 30m | tomorrow | 15:00",
        ) from exc
    target = datetime.combine(local.date(), at, tzinfo=zone(tz))
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone(tz))
    return target.astimezone(UTC)


def slot(at: datetime) -> str:
    """A URL-safe form of an instant for dedupe keys (`20261201T0900Z`; no `+` to mangle)."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
