"""Working-day calendars: which dates are working days for a project or channel.

The `WorkCalendar` protocol is what the parser, planning maths and the scheduler ask.
`WeekdayCalendar` is Monday to Friday with optional overrides; `ChinaCalendar` and
`HolidaysCalendar` add public holidays (and China's 补班 make-up days); `calendar_for` picks one
from a country code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Protocol

import structlog


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


_log = structlog.get_logger(__name__)


class _CachedCalendar:
    """Shared machinery: per-date overrides that win, a lookup cache, and a weekday fallback."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._cache: dict[date, bool] = {}
        self._warned_years: set[int] = set()

    def is_workday(self, day: date) -> bool:
        """Return True when `day` is a working day (overrides first, then the country's data)."""
        if day in self._overrides:
            return self._overrides[day]
        cached = self._cache.get(day)
        if cached is None:
            cached = self._lookup(day)
            self._cache[day] = cached
        return cached

    def _lookup(self, day: date) -> bool:
        raise NotImplementedError

    def _fallback(self, day: date, reason: str) -> bool:
        # Outside the data we know, Monday–Friday is the least surprising answer; say so once.
        if day.year not in self._warned_years:
            self._warned_years.add(day.year)
            _log.warning("calendar_year_not_covered", calendar=type(self).__name__,
                         year=day.year, reason=reason)
        return day.weekday() < 5


class ChinaCalendar(_CachedCalendar):
    """Mainland China's working days, public holidays and 补班 make-up days (chinesecalendar)."""

    def _lookup(self, day: date) -> bool:
        try:
            import chinese_calendar
        except ImportError:  # pragma: no cover - the package is a declared dependency
            return self._fallback(day, "chinesecalendar is not installed")
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:
            return self._fallback(day, str(exc))


class HolidaysCalendar(_CachedCalendar):
    """Monday–Friday minus a country's public holidays, from the `holidays` package."""

    def __init__(self, country: str, overrides: Mapping[date, bool] | None = None) -> None:
        super().__init__(overrides)
        self.country = country.upper()
        self._years: dict[int, object] = {}

    def _holidays_for(self, year: int) -> object | None:
        if year not in self._years:
            import holidays

            try:
                self._years[year] = holidays.country_holidays(self.country, years=year)
            except (NotImplementedError, KeyError, ValueError) as exc:
                _log.warning("calendar_country_unknown", country=self.country, error=str(exc))
                self._years[year] = None
        return self._years[year]

    def _lookup(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        table = self._holidays_for(day.year)
        if table is None:
            return True
        return day not in table  # type: ignore[operator]  # HolidayBase supports `in` on dates


def calendar_for(code: str | None, overrides: Mapping[date, bool] | None = None) -> WorkCalendar:
    """Build the working-day calendar for a country code ('CN', 'US', 'DE', ...; 'none' = Mon–Fri)."""
    key = (code or "none").strip().upper()
    if key in {"", "NONE", "WEEKDAYS"}:
        return WeekdayCalendar(overrides)
    if key in {"CN", "CHN", "CHINA"}:
        return ChinaCalendar(overrides)
    return HolidaysCalendar(key, overrides)
