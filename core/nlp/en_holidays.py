"""Named days for the English resolver: Christmas, Easter, Thanksgiving, Labor Day and friends.

Each name maps to a rule that gives its date in a year; `holiday_date` applies it.  Only days
whose date follows from a simple rule are here (fixed dates, nth weekday of a month, Easter);
lunar and Islamic calendars are out of scope.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Final

from dateutil.easter import easter


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda y: date(y, month, day)


def _nth_weekday(month: int, weekday: int, n: int) -> Callable[[int], date]:
    def rule(y: int) -> date:
        if n > 0:
            first = date(y, month, 1)
            return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
        nxt = date(y + (month == 12), month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)

    return rule


def _easter_plus(days: int) -> Callable[[int], date]:
    return lambda y: easter(y) + timedelta(days=days)


def _thanksgiving_plus(days: int) -> Callable[[int], date]:
    base = _nth_weekday(11, 3, 4)
    return lambda y: base(y) + timedelta(days=days)


# Names as token sequences (lower case, apostrophes dropped: "new year's eve" → new year s eve).
HOLIDAYS: Final[dict[tuple[str, ...], Callable[[int], date]]] = {
    ("christmas",): _fixed(12, 25), ("christmas", "day"): _fixed(12, 25),
    ("xmas",): _fixed(12, 25), ("christmas", "eve"): _fixed(12, 24),
    ("boxing", "day"): _fixed(12, 26),
    ("new", "year"): _fixed(1, 1), ("new", "years"): _fixed(1, 1),
    ("new", "year", "s"): _fixed(1, 1), ("new", "year", "day"): _fixed(1, 1),
    ("new", "year", "s", "day"): _fixed(1, 1), ("new", "years", "day"): _fixed(1, 1),
    ("new", "year", "eve"): _fixed(12, 31), ("new", "year", "s", "eve"): _fixed(12, 31),
    ("new", "years", "eve"): _fixed(12, 31),
    ("easter",): easter, ("easter", "sunday"): easter, ("easter", "day"): easter,
    ("easter", "monday"): _easter_plus(1), ("good", "friday"): _easter_plus(-2),
    ("independence", "day"): _fixed(7, 4),
    ("halloween",): _fixed(10, 31),
    ("valentine", "s", "day"): _fixed(2, 14), ("valentines", "day"): _fixed(2, 14),
    ("valentine", "day"): _fixed(2, 14),
    ("saint", "patrick"): _fixed(3, 17), ("saint", "patrick", "s", "day"): _fixed(3, 17),
    ("saint", "patricks", "day"): _fixed(3, 17), ("st", "patrick", "s", "day"): _fixed(3, 17),
    ("st", "patricks", "day"): _fixed(3, 17), ("st", ".", "patrick", "s", "day"): _fixed(3, 17),
    ("saint", "patrick", "day"): _fixed(3, 17), ("st", "patrick", "day"): _fixed(3, 17),
    ("earth", "day"): _fixed(4, 22),
    ("thanksgiving",): _thanksgiving_plus(0), ("thanksgiving", "day"): _thanksgiving_plus(0),
    ("black", "friday"): _thanksgiving_plus(1), ("cyber", "monday"): _thanksgiving_plus(4),
    ("memorial", "day"): _nth_weekday(5, 0, -1),
    ("labor", "day"): _nth_weekday(9, 0, 1), ("labour", "day"): _nth_weekday(9, 0, 1),
    ("mlk", "day"): _nth_weekday(1, 0, 3),
    ("martin", "luther", "king", "day"): _nth_weekday(1, 0, 3),
    ("presidents", "day"): _nth_weekday(2, 0, 3), ("president", "s", "day"):
        _nth_weekday(2, 0, 3),
    ("mother", "s", "day"): _nth_weekday(5, 6, 2), ("mothers", "day"): _nth_weekday(5, 6, 2),
    ("father", "s", "day"): _nth_weekday(6, 6, 3), ("fathers", "day"): _nth_weekday(6, 6, 3),
    ("columbus", "day"): _nth_weekday(10, 0, 2),
    ("veterans", "day"): _fixed(11, 11), ("veteran", "s", "day"): _fixed(11, 11),
    ("juneteenth",): _fixed(6, 19),
    ("yuandan",): _fixed(1, 1),
    ("may", "day"): _fixed(5, 1),
    ("international", "workers", "day"): _fixed(5, 1),
    ("international", "worker", "s", "day"): _fixed(5, 1),
    ("international", "workers", "s", "day"): _fixed(5, 1),
    ("int", "l", "workers", "day"): _fixed(5, 1),
}  # fmt: skip

HOLIDAY_FIRST_WORDS: Final = frozenset(k[0] for k in HOLIDAYS)
MAX_HOLIDAY_TOKENS: Final = max(len(k) for k in HOLIDAYS)


def holiday_date(name: tuple[str, ...], year: int) -> date | None:
    """Date of the named day in `year`, or None for an unknown name or an impossible year."""
    rule = HOLIDAYS.get(name)
    if rule is None or not 1583 <= year <= 9998:
        return None
    return rule(year)


def holiday_near(name: tuple[str, ...], today: date, mod: str | None,
                 year: int | None) -> date | None:
    """Resolve a named day: in `year` if given; `next`/`following` → first after today;
    `last`/`previous` → latest before today; `this` → this year; else today or later."""
    if year is not None:
        return holiday_date(name, year)
    this_year = holiday_date(name, today.year)
    if this_year is None:
        return None
    if mod == "this":
        return this_year
    if mod in ("last", "past"):
        if this_year < today:
            return this_year
        return holiday_date(name, today.year - 1)
    if mod in ("next", "following"):
        if this_year > today:
            return this_year
        return holiday_date(name, today.year + 1)
    if this_year >= today:
        return this_year
    return holiday_date(name, today.year + 1)
