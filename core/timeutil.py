"""Time helpers shared by the services: zones, deadlines and durations."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput

END_OF_WORKDAY = time(18, 0)
MINUTES_PER_DAY = 480  # a working day, as the parse contract counts estimates


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for an IANA name, UTC for an unknown or missing one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def deadline_for(
    due_date: date | None, due_at: datetime | None, tz: str, workday_end: time = END_OF_WORKDAY
) -> datetime | None:
    """The instant a task becomes overdue: its due time, or the end of the working day."""
    if due_at is not None:
        return due_at.astimezone(UTC)
    if due_date is None:
        return None
    return datetime.combine(due_date, workday_end, tzinfo=zone(tz)).astimezone(UTC)


def local_date(instant: datetime, tz: str) -> date:
    """The calendar date of an instant in a zone."""
    return instant.astimezone(zone(tz)).date()


def week_end(today: date) -> date:
    """Sunday of the week holding `today` (weeks start on Monday)."""
    return today + timedelta(days=6 - today.weekday())


_DURATION = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>w|wk|weeks?|周|d|days?|天|h|hrs?|hours?|小时|m|mins?|minutes?|分钟?)",
    re.IGNORECASE,
)
_UNIT_MINUTES = {
    "w": 5 * MINUTES_PER_DAY,
    "d": MINUTES_PER_DAY,
    "h": 60,
    "m": 1,
}


def parse_duration(text: str) -> int:
    """Minutes in a duration such as `2h`, `1.5h`, `2h30m`, `1d`, `3小时`, `半天`."""
    raw = text.strip().lower().replace(" ", "")
    if raw in ("半天", "halfday"):
        return MINUTES_PER_DAY // 2
    total = 0.0
    pos = 0
    for match in _DURATION.finditer(raw):
        if match.start() != pos:
            break
        unit = match.group("unit")
        key = (
            "w"
            if unit.startswith("w") or unit == "周"
            else "d"
            if unit.startswith("d") or unit == "天"
            else "h"
            if unit.startswith("h") or unit == "小时"
            else "m"
        )
        total += float(match.group("num")) * _UNIT_MINUTES[key]
        pos = match.end()
    if pos != len(raw) or pos == 0 or total <= 0:
        raise InvalidInput(
            f"{text!r} is not a duration",
            hint="e.g. 2h, 30m, 1.5h, 1d, 2h30m",
            zh=f"{text!r} 不是有效的时长",
            hint_zh="例如 2h、30m、1.5h、1d、2h30m",
        )
    minutes = round(total)
    if minutes > 10_000_000:
        raise InvalidInput("that duration is too long", zh="时长太长了")
    return max(minutes, 1)


def format_minutes(minutes: int | None) -> str:
    """A short human form of a number of minutes: `2h30m`, `1d`."""
    if not minutes:
        return "0m"
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return "".join(parts)


def parse_hhmm_or_none(text: str | None) -> time | None:
    """`18:00` → time(18, 0); None for anything else."""
    if not text:
        return None
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return time(int(m[1]), int(m[2]))
