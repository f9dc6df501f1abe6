"""Working-day calendars: China's holidays and 补班, other countries, overrides, the fallback."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import (
    ChinaCalendar,
    HolidaysCalendar,
    Source,
    WeekdayCalendar,
    add_workdays,
    calendar_for,
)


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-09-20",
                                 "2026-10-10"])
def test_china_make_up_weekend_days_are_workdays(day: str) -> None:
    assert ChinaCalendar().is_workday(date.fromisoformat(day))


@pytest.mark.parametrize("day", ["2026-01-01", "2026-02-17", "2026-10-01", "2026-10-07"])
def test_china_public_holidays_are_days_off(day: str) -> None:
    assert not ChinaCalendar().is_workday(date.fromisoformat(day))


def test_china_ordinary_weekdays_and_weekends() -> None:
    calendar = ChinaCalendar()
    assert calendar.is_workday(date(2026, 11, 24))
    assert not calendar.is_workday(date(2026, 11, 28))


def test_a_year_past_the_official_data_uses_the_public_holidays_not_weekdays() -> None:
    calendar = ChinaCalendar()
    assert not calendar.is_workday(date(2027, 1, 1))  # New Year's Day, a Friday
    assert calendar.day_info(date(2027, 1, 1)).source is Source.PACKAGE
    assert calendar.is_workday(date(2027, 1, 4))


def test_overrides_win_over_the_country_data() -> None:
    calendar = ChinaCalendar(overrides={date(2026, 10, 1): True, date(2026, 11, 24): False})
    assert calendar.is_workday(date(2026, 10, 1))
    assert not calendar.is_workday(date(2026, 11, 24))


def test_us_thanksgiving_is_a_day_off() -> None:
    calendar = HolidaysCalendar("US")
    assert not calendar.is_workday(date(2026, 11, 26))
    assert calendar.is_workday(date(2026, 11, 25))
    assert not calendar.is_workday(date(2026, 11, 28))


def test_germany_has_its_own_holidays() -> None:
    assert not calendar_for("DE").is_workday(date(2026, 12, 25))
    assert calendar_for("US").is_workday(date(2026, 10, 5))
    assert not calendar_for("DE").is_workday(date(2026, 5, 1))
    assert calendar_for("US").is_workday(date(2026, 5, 1))


def test_unknown_country_behaves_like_weekdays() -> None:
    calendar = calendar_for("XX")
    assert calendar.is_workday(date(2026, 12, 25))
    assert not calendar.is_workday(date(2026, 12, 26))


@pytest.mark.parametrize(("code", "kind"), [("CN", ChinaCalendar), ("cn", ChinaCalendar),
                                            ("US", HolidaysCalendar), ("none", WeekdayCalendar),
                                            ("", WeekdayCalendar)])
def test_calendar_for_picks_the_calendar(code: str, kind: type) -> None:
    assert isinstance(calendar_for(code), kind)


def test_calendar_for_passes_overrides() -> None:
    calendar = calendar_for("none", overrides={date(2026, 11, 28): True})
    assert calendar.is_workday(date(2026, 11, 28))


def test_add_workdays_honours_make_up_days() -> None:
    # From Friday 2026-02-13: Saturday 02-14 is a make-up workday, then the Spring Festival break.
    assert add_workdays(ChinaCalendar(), date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_workdays(WeekdayCalendar(), date(2026, 2, 13), 1) == date(2026, 2, 16)


def test_add_workdays_backwards() -> None:
    assert add_workdays(WeekdayCalendar(), date(2026, 11, 30), -1) == date(2026, 11, 27)
    assert add_workdays(WeekdayCalendar(), date(2026, 11, 30), 0) == date(2026, 11, 30)
