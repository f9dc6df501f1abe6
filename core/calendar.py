"""Working-day calendars: which dates are working days for a project or channel.

The `WorkCalendar` protocol is what the parser, planning maths and the scheduler ask.
`WeekdayCalendar` is Monday to Friday with optional overrides; `ChinaCalendar` and
`HolidaysCalendar` add public holidays (and China's 补班 make-up days); `calendar_for` picks one
from a country code.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
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
# Country data is the same for every calendar object, so lookups are cached per process and the
# "year not covered" warning is logged once per (calendar, year), however many objects ask.
_warned: set[tuple[str, int]] = set()


def _weekday_fallback(source: str, day: date, reason: str) -> bool:
    # Outside the data we know, Monday–Friday is the least surprising answer; say so once.
    if (source, day.year) not in _warned:
        _warned.add((source, day.year))
        _log.warning("calendar_year_not_covered", calendar=source, year=day.year, reason=reason)
    return day.weekday() < 5


@lru_cache(maxsize=8192)
def _china_is_workday(day: date) -> bool:
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - the package is a declared dependency
        return _weekday_fallback("CN", day, "chinesecalendar is not installed")
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError as exc:
        return _weekday_fallback("CN", day, str(exc))


@lru_cache(maxsize=256)
def _country_holidays(country: str, year: int) -> frozenset[date] | None:
    import holidays

    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except (NotImplementedError, KeyError, ValueError) as exc:
        if (country, -1) not in _warned:
            _warned.add((country, -1))
            _log.warning("calendar_country_unknown", country=country, error=str(exc))
        return None


class ChinaCalendar:
    """Mainland China's working days, public holidays and 补班 make-up days (chinesecalendar)."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})

    def is_workday(self, day: date) -> bool:
        """Return True when `day` is a working day in China (overrides first)."""
        if day in self._overrides:
            return self._overrides[day]
        return _china_is_workday(day)


class HolidaysCalendar:
    """Monday–Friday minus a country's public holidays, from the `holidays` package."""

    def __init__(self, country: str, overrides: Mapping[date, bool] | None = None) -> None:
        self.country = country.upper()
        self._overrides = dict(overrides or {})

    def is_workday(self, day: date) -> bool:
        """Return True for a weekday that is not a public holiday (overrides first)."""
        if day in self._overrides:
            return self._overrides[day]
        if day.weekday() >= 5:
            return False
        table = _country_holidays(self.country, day.year)
        return table is None or day not in table


def calendar_for(code: str | None, overrides: Mapping[date, bool] | None = None) -> WorkCalendar:
    """Build the working-day calendar for a country code ('CN', 'US', 'DE', ...; 'none' = Mon–Fri)."""
    key = (code or "none").strip().upper()
    if key in {"", "NONE", "WEEKDAYS"}:
        return WeekdayCalendar(overrides)
    if key in {"CN", "CHN", "CHINA"}:
        return ChinaCalendar(overrides)
    return HolidaysCalendar(key, overrides)


def is_known_calendar(code: str) -> bool:
    """True for 'CN', 'none' and the country codes the `holidays` package knows."""
    key = code.strip().upper()
    if key in {"NONE", "WEEKDAYS", "CN", "CHN", "CHINA"}:
        return True
    import holidays

    return key in holidays.list_supported_countries()
