"""Working-day calendars: which dates are working days for a project or channel, and why.

Every year of every country has a calendar, answered by the first source that knows it:

    China (CN)      chinesecalendar     the State Council's schedule: holidays and 补班 make-up days
                    holidays package    public holidays (with its own "observed" days), no 补班
                    computed            the statutory days of the year's law: 元旦, 春节, 清明, 劳动节,
                                        端午, 中秋, 国庆 (lunar dates and the solar term from
                                        lunar_python), no bridging or make-up days
    other country   holidays package    public holidays
    any             weekdays            Monday to Friday (no data, or `none`)

On top of the source sit the entries admins and managers make (`calendar workday`, `calendar
holiday`, `calendar import`): an `Entry` per date, the organisation's first and a project's over
them. A Chinese year answered by the holidays package or by computation is *incomplete*: its
make-up working days are announced by the State Council each year and must be entered.

`WorkCalendar` is the protocol the parser, planning maths and the scheduler ask;
`CountryCalendar` implements it, and `calendar_for` builds one from a country code.
`add_workdays` and `workdays_between` count in O(years) plus the exceptions, not day by day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple, Protocol

import structlog

from core.errors import InvalidInput

YEAR_MIN, YEAR_MAX = 1900, 2200
FIRST_DAY, LAST_DAY = date(YEAR_MIN, 1, 1), date(YEAR_MAX, 12, 31)
CHINA = "CN"
WEEKDAYS_ONLY = "NONE"

_log = structlog.get_logger(__name__)


class WorkCalendar(Protocol):
    """Answers whether a date is a working day."""

    def is_workday(self, day: date) -> bool:
        """Return True when `day` is a working day."""
        ...


class Source(StrEnum):
    """Who answered for a day or a year."""

    OFFICIAL = "chinesecalendar"
    PACKAGE = "holidays"
    COMPUTED = "computed"
    WEEKDAYS = "weekdays"
    ORGANISATION = "organisation"
    PROJECT = "project"


class Label(NamedTuple):
    """A holiday's (or make-up day's) name in English and Chinese."""

    en: str
    zh: str

    def text(self, lang: str) -> str:
        """The name in `lang`."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True, slots=True)
class Entry:
    """An admin's or manager's word on one date: a working day or a day off, and why."""

    workday: bool
    note: str = ""
    source: Source = Source.ORGANISATION


@dataclass(frozen=True, slots=True)
class YearTable:
    """One country's year as its source knows it: days off and make-up working days."""

    country: str
    year: int
    source: Source
    days_off: Mapping[date, Label] = field(default_factory=dict)
    workdays: Mapping[date, Label] = field(default_factory=dict)

    @property
    def incomplete(self) -> bool:
        """True for a Chinese year whose official make-up days the source does not know."""
        return self.country == CHINA and self.source in (Source.PACKAGE, Source.COMPUTED)

    def is_workday(self, day: date) -> bool:
        """The source's answer for `day` (a date of this year)."""
        if day in self.workdays:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What a calendar says of one date and who said it."""

    day: date
    workday: bool
    source: Source
    name: str = ""  # a holiday's name (Chinese), a make-up day's reason, an entry's note
    name_en: str = ""  # the same in English


# ---------------------------------------------------------------------------------------------
# The sources


_ZH_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
NEW_YEAR = Label("New Year's Day", "元旦")
SPRING_FESTIVAL = Label("Spring Festival", "春节")
TOMB_SWEEPING = Label("Tomb-sweeping Day", "清明节")
LABOUR_DAY = Label("Labour Day", "劳动节")
DRAGON_BOAT = Label("Dragon Boat Festival", "端午节")
MID_AUTUMN = Label("Mid-autumn Festival", "中秋节")
NATIONAL_DAY = Label("National Day", "国庆节")


def _label(name: str) -> Label:
    return Label(name, _ZH_NAMES.get(name, name))


@lru_cache(maxsize=1)
def _official_years() -> frozenset[int]:
    from chinese_calendar import constants

    return frozenset(d.year for d in constants.holidays)


def _official_china(year: int) -> YearTable | None:
    """The State Council's schedule for `year`, where chinesecalendar has it."""
    from chinese_calendar import constants

    if year not in _official_years():
        return None
    off = {d: _label(str(n)) for d, n in constants.holidays.items() if d.year == year}
    on = {d: _label(str(n)) for d, n in constants.workdays.items() if d.year == year}
    return YearTable(CHINA, year, Source.OFFICIAL, off, on)


def _package(country: str, year: int) -> YearTable | None:
    """Public holidays from the `holidays` package; None when it knows nothing of that year."""
    import holidays

    try:
        english = holidays.country_holidays(country, years=year, language="en_US")
    except NotImplementedError:
        return None
    except (KeyError, ValueError):  # the country has no en_US names: its own language
        try:
            english = holidays.country_holidays(country, years=year)
        except (NotImplementedError, KeyError, ValueError):
            return None
    if not english:
        return None
    try:
        chinese = holidays.country_holidays(country, years=year, language="zh_CN")
    except (NotImplementedError, KeyError, ValueError):
        chinese = english
    off = {d: Label(str(n), str(chinese.get(d) or n)) for d, n in english.items()}
    return YearTable(country, year, Source.PACKAGE, off)


def statutory_holidays(year: int) -> dict[date, Label]:
    """China's statutory days off in `year` under the law then in force (no bridging days).

    The 2007 rules (from 2008): 元旦 1, 春节 3 (除夕 to 初二), 清明 1, 劳动节 1, 端午 1, 中秋 1,
    国庆 3. The 2013 rules (from 2014): 春节 初一 to 初三. The 2024 rules (from 2025): 春节 4
    (除夕 to 初三), 劳动节 2. Before 2008: 春节 3, 劳动节 3 (1 before 2000), 国庆 3 (2 before 2000).
    """
    from lunar_python import Lunar, Solar

    def lunar(month: int, day: int) -> date:
        solar = Lunar.fromYmd(year, month, day).getSolar()
        return date(solar.getYear(), solar.getMonth(), solar.getDay())

    days: dict[date, Label] = {date(year, 1, 1): NEW_YEAR}
    spring = lunar(1, 1)
    first = -1 if year >= 2025 or 2008 <= year <= 2013 else 0
    last = 1 if 2008 <= year <= 2013 else 2
    for i in range(first, last + 1):
        days[spring + timedelta(days=i)] = SPRING_FESTIVAL
    labour = 2 if year >= 2025 else 1 if year >= 2008 or year < 2000 else 3
    for i in range(labour):
        days[date(year, 5, 1 + i)] = LABOUR_DAY
    for i in range(3 if year >= 2000 else 2):
        days[date(year, 10, 1 + i)] = NATIONAL_DAY
    if year >= 2008:
        qingming = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()["清明"]
        # a festival on another statutory day (中秋 on 国庆, as in 2020) keeps the first name
        days.setdefault(
            date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), TOMB_SWEEPING
        )
        days.setdefault(lunar(5, 5), DRAGON_BOAT)
        days.setdefault(lunar(8, 15), MID_AUTUMN)
    return days


@lru_cache(maxsize=4096)
def year_table(country: str, year: int) -> YearTable:
    """The first source's table for `country` in `year` (cached: the data never changes)."""
    key = country.strip().upper()
    if key in ("", WEEKDAYS_ONLY, "WEEKDAYS") or not YEAR_MIN <= year <= YEAR_MAX:
        return YearTable(key or WEEKDAYS_ONLY, year, Source.WEEKDAYS)
    if key in ("CN", "CHN", "CHINA"):
        table = _official_china(year) or _package(CHINA, year)
        if table is None:
            table = YearTable(CHINA, year, Source.COMPUTED, statutory_holidays(year))
        if table.incomplete:
            _log.debug("calendar_year_incomplete", calendar=CHINA, year=year, source=table.source)
        return table
    table = _package(key, year)
    if table is None:
        _log.debug("calendar_year_weekdays", calendar=key, year=year)
        return YearTable(key, year, Source.WEEKDAYS)
    return table


# ---------------------------------------------------------------------------------------------
# Calendars


class CountryCalendar:
    """A country's working days (see the module docstring), with entries on top.

    `overrides` maps a date to an `Entry` (or a plain bool: True = working day, False = day off).
    """

    def __init__(self, country: str, overrides: Mapping[date, bool | Entry] | None = None) -> None:
        key = (country or WEEKDAYS_ONLY).strip().upper()
        self.country = CHINA if key in ("CHN", "CHINA") else key
        self._entries: dict[date, Entry] = {
            d: e if isinstance(e, Entry) else Entry(bool(e)) for d, e in (overrides or {}).items()
        }
        self._exceptions: dict[int, dict[date, bool]] = {}

    @property
    def entries(self) -> Mapping[date, Entry]:
        """The admins' and managers' entries this calendar honours."""
        return self._entries

    def year(self, year: int) -> YearTable:
        """The source's table for `year`."""
        return year_table(self.country, year)

    def is_workday(self, day: date) -> bool:
        """Return True when `day` is a working day (entries first, then the year's source)."""
        entry = self._entries.get(day)
        if entry is not None:
            return entry.workday
        return year_table(self.country, day.year).is_workday(day)

    def day_info(self, day: date) -> DayInfo:
        """Whether `day` is a working day, who says so, and the holiday's or entry's name."""
        entry = self._entries.get(day)
        if entry is not None:
            return DayInfo(day, entry.workday, entry.source, entry.note, entry.note)
        table = year_table(self.country, day.year)
        label = table.workdays.get(day) or table.days_off.get(day)
        return DayInfo(
            day, table.is_workday(day), table.source, *(label if label else ("", ""))[::-1]
        )

    def exceptions(self, year: int) -> dict[date, bool]:
        """The dates of `year` whose answer differs from Monday to Friday."""
        known = self._exceptions.get(year)
        if known is None:
            table = year_table(self.country, year)
            candidates = set(table.days_off) | set(table.workdays)
            candidates |= {d for d in self._entries if d.year == year}
            known = {}
            for d in candidates:
                if d.year == year and self.is_workday(d) != (d.weekday() < 5):
                    known[d] = not d.weekday() < 5
            self._exceptions[year] = known
        return known


class WeekdayCalendar(CountryCalendar):
    """Monday to Friday, with per-date overrides."""

    def __init__(self, overrides: Mapping[date, bool | Entry] | None = None) -> None:
        super().__init__(WEEKDAYS_ONLY, overrides)


class ChinaCalendar(CountryCalendar):
    """Mainland China: the official schedule, else public holidays, else the statutory days."""

    def __init__(self, overrides: Mapping[date, bool | Entry] | None = None) -> None:
        super().__init__(CHINA, overrides)


class HolidaysCalendar(CountryCalendar):
    """Monday to Friday minus a country's public holidays, from the `holidays` package."""

    def __init__(self, country: str, overrides: Mapping[date, bool | Entry] | None = None) -> None:
        super().__init__(country, overrides)


def calendar_for(
    code: str | None, overrides: Mapping[date, bool | Entry] | None = None
) -> CountryCalendar:
    """Build the working-day calendar for a country code ('CN', 'US', 'DE', ...; 'none' = Mon–Fri)."""
    key = (code or WEEKDAYS_ONLY).strip().upper()
    if key in {"", WEEKDAYS_ONLY, "WEEKDAYS"}:
        return WeekdayCalendar(overrides)
    if key in {"CN", "CHN", "CHINA"}:
        return ChinaCalendar(overrides)
    return HolidaysCalendar(key, overrides)


def is_known_calendar(code: str) -> bool:
    """True for 'CN', 'none' and the country codes the `holidays` package knows."""
    key = code.strip().upper()
    if key in {WEEKDAYS_ONLY, "WEEKDAYS", "CN", "CHN", "CHINA"}:
        return True
    import holidays

    return key in holidays.list_supported_countries()


# ---------------------------------------------------------------------------------------------
# Counting working days


def check_in_range(day: date) -> date:
    """`day` itself, or an `InvalidInput` when it is outside the calendar's years."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(
            f"{day.isoformat()} is outside the calendar ({YEAR_MIN}-{YEAR_MAX})",
            zh=f"{day.isoformat()} 超出了日历范围（{YEAR_MIN}-{YEAR_MAX} 年）",
        )
    return day


def _weekdays_in(a: date, b: date) -> int:
    """Monday-to-Friday dates in [a, b] (inclusive), by arithmetic."""
    if b < a:
        return 0
    days = (b - a).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    start = (a.weekday() + weeks * 7) % 7
    count += sum(1 for i in range(rest) if (start + i) % 7 < 5)
    return count


def count_workdays(calendar: WorkCalendar, a: date, b: date) -> int:
    """Working days in [a, b], both ends included (0 when b < a)."""
    if b < a:
        return 0
    if not isinstance(calendar, CountryCalendar):
        return sum(1 for i in range((b - a).days + 1) if calendar.is_workday(a + timedelta(i)))
    count = _weekdays_in(a, b)
    for year in range(a.year, b.year + 1):
        for d, workday in calendar.exceptions(year).items():
            if a <= d <= b:
                count += 1 if workday else -1
    return count


def workdays_between(calendar: WorkCalendar, a: date, b: date) -> int:
    """Working days from `a` to `b` (positive when `b` is later; `a` itself not counted)."""
    if a == b:
        return 0
    if b > a:
        return count_workdays(calendar, a + timedelta(days=1), b)
    return -count_workdays(calendar, b + timedelta(days=1), a)


def add_workdays(calendar: WorkCalendar, day: date, n: int) -> date:
    """Move `n` working days from `day` (negative moves back); 0 returns `day` itself.

    Whole years are skipped by counting, so a shift costs O(years), not O(days). A result outside
    the calendar's years (1900-2200) is refused.
    """
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    current = day
    while remaining > 400:
        if step > 0:
            year = current.year + (1 if (current.month, current.day) == (12, 31) else 0)
            edge = date(year, 12, 31)
            if edge >= LAST_DAY:
                break
            span = count_workdays(calendar, current + timedelta(days=1), edge)
        else:
            year = current.year - (1 if (current.month, current.day) == (1, 1) else 0)
            edge = date(year, 1, 1)
            if edge <= FIRST_DAY:
                break
            span = count_workdays(calendar, edge, current - timedelta(days=1))
        if span >= remaining:
            break
        remaining -= span  # every working day up to the year's edge is used; go on from there
        current = edge
    while remaining:
        current += timedelta(days=step)
        check_in_range(current)
        if calendar.is_workday(current):
            remaining -= 1
    return current


def last_workday_on_or_before(calendar: WorkCalendar, day: date, limit: int = 366) -> date:
    """`day` if it is a working day, else the nearest working day before it (at most a year)."""
    current = day
    for _ in range(limit):
        if calendar.is_workday(current):
            return current
        current -= timedelta(days=1)
    return day
