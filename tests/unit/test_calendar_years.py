"""Every year has a calendar: the official schedule, the public holidays, or the statutory days
computed from the lunar calendar; counting working days is quick and exact; schedules are read."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from chinese_calendar import constants

from core.calendar import (
    DRAGON_BOAT,
    MID_AUTUMN,
    SPRING_FESTIVAL,
    TOMB_SWEEPING,
    ChinaCalendar,
    Entry,
    Source,
    add_workdays,
    calendar_for,
    count_workdays,
    statutory_holidays,
    workdays_between,
    year_table,
)
from core.calendar_files import parse_schedule
from core.errors import InvalidInput

# chinesecalendar's names for the four festivals the computation must place
_SAME_NAME = {
    SPRING_FESTIVAL: "Spring Festival",
    TOMB_SWEEPING: "Tomb-sweeping Day",
    DRAGON_BOAT: "Dragon Boat Festival",
    MID_AUTUMN: "Mid-autumn Festival",
}


@pytest.mark.parametrize("year", range(2008, 2027))
def test_each_computed_festival_day_falls_in_the_official_holiday_of_that_name(year: int) -> None:
    computed = statutory_holidays(year)
    checked = 0
    for day, label in computed.items():
        if label not in _SAME_NAME:
            continue
        # the official break of that name around the day (its list may skip a weekend inside)
        run = [
            d
            for d, name in constants.holidays.items()
            if name == _SAME_NAME[label] and abs((d - day).days) <= 10
        ]
        assert run, (day, label)
        assert min(run) <= day <= max(run), (day, label, min(run), max(run))
        checked += 1
    # 春节 has three or four days; 清明, 端午 and 中秋 one each (中秋 on 国庆, as in 2009 and
    # 2020, is counted as 国庆)
    assert checked >= 5


@pytest.mark.parametrize(
    ("year", "source"),
    [
        (2026, Source.OFFICIAL),
        (2004, Source.OFFICIAL),
        (2027, Source.PACKAGE),
        (2100, Source.PACKAGE),
        (2101, Source.COMPUTED),
        (2200, Source.COMPUTED),
        (1920, Source.COMPUTED),
    ],
)
def test_each_chinese_year_records_which_source_answered(year: int, source: Source) -> None:
    table = year_table("CN", year)
    assert table.source is source
    assert table.incomplete == (source is not Source.OFFICIAL)
    assert not table.is_workday(date(year, 1, 1))  # 元旦, whoever answers


def test_other_countries_fall_back_to_weekdays_where_the_package_ends() -> None:
    assert year_table("US", 2027).source is Source.PACKAGE
    assert year_table("US", 2150).source is Source.WEEKDAYS
    assert year_table("XX", 2027).source is Source.WEEKDAYS
    assert year_table("none", 2027).source is Source.WEEKDAYS
    assert not year_table("US", 2027).incomplete  # only China has make-up days to miss


@pytest.mark.parametrize("today", ["2027-03-10", "2030-06-01", "2035-09-01"])
def test_with_the_clock_in_a_later_year_new_year_and_spring_festival_are_days_off(
    today: str,
) -> None:
    with time_machine.travel(datetime.fromisoformat(f"{today}T10:00:00+08:00"), tick=False):
        year = datetime.now(UTC).year
        calendar = calendar_for("CN")
        assert not calendar.is_workday(date(year, 1, 1))
        statutory = statutory_holidays(year)
        spring = [d for d, label in statutory.items() if label == SPRING_FESTIVAL]
        assert len(spring) == 4  # 除夕 to 初三 under the 2024 rules
        for day in spring:
            assert not calendar.is_workday(day), day
        assert {2030: date(2030, 2, 2), 2035: date(2035, 2, 7), 2027: date(2027, 2, 5)}[
            year
        ] == min(spring)


def test_computed_years_follow_the_law_of_their_time() -> None:
    names = lambda y: sorted(label.zh for label in statutory_holidays(y).values())  # noqa: E731
    assert names(2150).count("春节") == 4
    assert names(2150).count("劳动节") == 2
    assert names(2010).count("春节") == 3
    assert "清明节" in names(2010)
    assert names(2020).count("春节") == 3
    assert names(2020).count("劳动节") == 1
    assert "清明节" not in names(2005)
    assert names(2005).count("劳动节") == 3


def test_postponing_one_working_day_from_new_years_eve_2026_lands_on_monday() -> None:
    assert add_workdays(calendar_for("CN"), date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_an_entered_make_up_saturday_counts_as_a_working_day() -> None:
    saturday = date(2027, 1, 2)
    calendar = calendar_for("CN", {saturday: Entry(True, "补班")})
    assert add_workdays(calendar, date(2026, 12, 31), 1) == saturday
    assert workdays_between(calendar, date(2026, 12, 31), date(2027, 1, 4)) == 2
    info = calendar.day_info(saturday)
    assert (info.workday, info.source, info.name) == (True, Source.ORGANISATION, "补班")


def test_fast_counting_agrees_with_walking_day_by_day() -> None:
    calendar = calendar_for("CN", {date(2027, 2, 20): True, date(2027, 3, 3): False})

    class DayByDay:
        def is_workday(self, day: date) -> bool:
            return calendar.is_workday(day)

    rng = random.Random(7)
    for _ in range(200):
        start = date(2018, 1, 1) + timedelta(days=rng.randrange(4000))
        n = rng.randrange(-2500, 2500)
        assert add_workdays(calendar, start, n) == add_workdays(DayByDay(), start, n), (start, n)
        end = start + timedelta(days=rng.randrange(-1500, 1500))
        slow = sum(
            1
            for i in range(1, abs((end - start).days) + 1)
            if calendar.is_workday(min(start, end) + timedelta(days=i))
        )
        assert abs(workdays_between(calendar, start, end)) == slow
        assert count_workdays(calendar, min(start, end), max(start, end)) >= slow


def test_a_shift_past_the_calendars_years_is_refused_quickly() -> None:
    calendar = calendar_for("CN")
    add_workdays(calendar, date(2026, 12, 31), 40_000)  # warm the year tables
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match="outside the calendar"):
        add_workdays(calendar, date(2026, 12, 31), 2_000_000)
    with pytest.raises(InvalidInput, match="outside the calendar"):
        add_workdays(calendar, date(2026, 12, 31), -2_000_000)
    assert time.perf_counter() - started < 1.0


def test_a_csv_schedule_with_ranges_kinds_and_names() -> None:
    items = parse_schedule(
        "date,kind,name\n"
        "2027-02-05..2027-02-11,休,春节\n"
        "2027-02-20,补班,春节调休\n"
        "2027/10/01~2027/10/07,holiday,National Day\n"
    )
    assert [(i.first, i.last, i.workday, i.name) for i in items] == [
        (date(2027, 2, 5), date(2027, 2, 11), False, "春节"),
        (date(2027, 2, 20), date(2027, 2, 20), True, "春节调休"),
        (date(2027, 10, 1), date(2027, 10, 7), False, "National Day"),
    ]
    start_end = parse_schedule("start,end,type,note\n2027-05-01,2027-05-05,off,劳动节\n")
    assert start_end[0].days()[-1] == date(2027, 5, 5)
    bare = parse_schedule("2027-09-26,workday\n# a comment\n2027-09-15,2027-09-17,休,中秋\n")
    assert [i.workday for i in bare] == [True, False]


def test_an_icalendar_schedule_reads_all_day_events() -> None:
    ics = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//test//test//EN",
            "BEGIN:VEVENT",
            "UID:1",
            "DTSTAMP:20261201T000000Z",
            "DTSTART;VALUE=DATE:20270205",
            "DTEND;VALUE=DATE:20270212",
            "SUMMARY:春节 休",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:2",
            "DTSTAMP:20261201T000000Z",
            "DTSTART;VALUE=DATE:20270220",
            "SUMMARY:春节补班",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    items = parse_schedule(ics)
    assert [(i.first, i.last, i.workday) for i in items] == [
        (date(2027, 2, 5), date(2027, 2, 11), False),
        (date(2027, 2, 20), date(2027, 2, 20), True),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("2027-02-30,休", "not a real date"),
        ("tomorrow,休", "not a date"),
        ("2027-02-05,maybe", "neither workday nor holiday"),
        ("2027-01-01..2027-06-01,休", "at most 60 days"),
        ("BEGIN:VCALENDAR\nthis is not ical", "cannot be read"),
        ("x" * 300_000, "at most 256 KB"),
    ],
)
def test_an_unreadable_schedule_is_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_schedule(text)


def test_china_calendar_class_is_the_layered_calendar() -> None:
    assert ChinaCalendar().day_info(date(2150, 1, 29)).source is Source.COMPUTED
