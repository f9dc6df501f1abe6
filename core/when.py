"""Turn a date/time argument (`2026-12-01`, `12/1 15:00`, `明天下午3点`, `next fri`) into a due."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core.calendar import WorkCalendar
from core.errors import InvalidInput

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_ISO_DT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})$")


def resolve_when(
    text: str, now: datetime, tz: ZoneInfo, calendar: WorkCalendar | None = None
) -> tuple[date, datetime | None]:
    """A due date, and the due instant when a time of day was given; `InvalidInput` otherwise."""
    raw = text.strip()
    try:
        if m := _ISO_DATE.match(raw):
            return date(int(m[1]), int(m[2]), int(m[3])), None
        if m := _ISO_DT.match(raw):
            local = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), tzinfo=tz)
            return local.date(), local
    except ValueError as exc:
        raise InvalidInput(f"{raw!r} is not a valid date", zh=f"{raw!r} 不是有效的日期") from exc
    from core.nlp import parse_message

    result = parse_message(raw, now.astimezone(tz), tz, calendar)
    if result.due is None:
        raise InvalidInput(
            f"I could not read a date in {raw!r}",
            hint="e.g. 2026-12-01, 2026-12-01 15:00, tomorrow 3pm, 下周五",
            zh=f"没能从 {raw!r} 里读出日期",
            hint_zh="例如 2026-12-01、2026-12-01 15:00、明天下午3点、下周五",
        )
    return due_from_contract(result.due, tz)


def due_from_contract(value: str, tz: ZoneInfo) -> tuple[date, datetime | None]:
    """Read the parse contract's `due` string (a date, or a datetime with offset)."""
    if "T" in value:
        instant = datetime.fromisoformat(value)
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=tz)
        return instant.astimezone(tz).date(), instant
    return date.fromisoformat(value), None


def end_of_day(day: date, tz: ZoneInfo, at: time = time(18, 0)) -> datetime:
    """The end of the working day on `day` in `tz`."""
    return datetime.combine(day, at, tzinfo=tz)
