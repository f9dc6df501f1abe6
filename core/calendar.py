"""Working-day calendars: which dates are working days for a project or channel.

The `WorkCalendar` protocol is what the parser, planning maths and the scheduler ask.
`WeekdayCalendar` is Monday to Friday with optional overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Protocol


class WorkCalendar(Protocol):
    """Answers whether a date is a working day."""

    def is_workday(self, day: date) -> bool:
        """Return True when `day` is a working day."""
        ...


class WeekdayCalendar:
    """Monday to Friday, with per-date overrides (True = working day, False = day off)."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def is_workday(self, day: date) -> bool:
        """Return True for Monday to Friday unless an override says otherwise."""
        if day in self._overrides:
            return self._overrides[day]
        return day.weekday() < 5


def add_workdays(calendar: WorkCalendar, day: date, n: int) -> date:
    """Move `n` working days from `day` (negative moves back); 0 returns `day` itself."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = day
    while remaining:
        current += timedelta(days=step)
        if calendar.is_workday(current):
            remaining -= 1
    return current
