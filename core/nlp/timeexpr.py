"""Both languages' time expressions in one pass: merge, join date and time, pick due and start."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Final

from dateutil.rrule import rrulestr

from core.calendar import WorkCalendar
from core.nlp.text import has_cjk
from core.nlp.time_en import find_times_en
from core.nlp.time_zh import find_times_zh, period_start
from core.nlp.types import TimeSpan

# Connector words that belong to a date expression (`在…之前`, `by Friday`) and leave with it.
_LEFT_CONNECTOR: Final = re.compile(
    r"(?:(?<![A-Za-z])(?:no\s+later\s+than|due(?:\s+(?:by|on|at|before))?|by|before|on|at|until"
    r"|till|starting|from)\s+|(?<![A-Za-z])(?:deadline|ddl|due\s+date)\s*[:：]?\s*"
    r"|(?:截止(?:日期|时间)?|时间|日期)\s*[:：]\s*|最晚|最迟|不晚于|截止到?|截至|务必在|需在|要在|在|于)\s*$",
    re.IGNORECASE,
)
_RIGHT_CONNECTOR: Final = re.compile(
    r"\s*(?:结束(?:之前|以前|前)|之前|以前|为止|截止|左右|前后|以内|之内|前|内)")
_RANGE_GAP: Final = re.compile(r"\s*(?:到|至|~|～|-|–|—)\s*")
# A list of dates (`周三和周五`, `Tuesday or Wednesday`): the word between them goes with them.
_LIST_GAP: Final = re.compile(r"\s*(?:和|或者?|及|与|、|(?<![A-Za-z])(?:and|or)(?![A-Za-z]))\s*",
                              re.IGNORECASE)
# What may sit between a date and the time of day that belongs to it.
_JOIN_GAP: Final = re.compile(r"(?:\s*(?:,|，|的|at|@|-)?\s*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TimeResult:
    """The dates a message states: due, start, recurrence and the spans that said so."""

    due: date | datetime | None
    start: date | datetime | None
    recurrence: str | None
    spans: list[TimeSpan]
    # the spans that gave due, start and recurrence; any other is a date named in passing
    used: list[TimeSpan] = field(default_factory=list)


def merge_spans(zh: list[TimeSpan], en: list[TimeSpan], prefer_zh: bool) -> list[TimeSpan]:
    """Keep the longest non-overlapping spans of both languages; a tie goes to the message's."""
    tagged = [(s, prefer_zh) for s in zh] + [(s, not prefer_zh) for s in en]
    if not tagged:
        return []
    tagged.sort(key=lambda item: (-(item[0].end - item[0].start), not item[1], item[0].start))
    used = bytearray(max(s.end for s, _ in tagged))
    chosen: list[TimeSpan] = []
    for span, _ in tagged:
        if span.end > span.start and used.find(1, span.start, span.end) == -1:
            chosen.append(span)
            used[span.start: span.end] = b"\x01" * (span.end - span.start)
    return sorted(chosen, key=lambda s: s.start)


def _with_time(span: TimeSpan, clock: TimeSpan, now: datetime) -> TimeSpan | None:
    """Put the clock time of a time-only span on the date (or recurrence) of another span."""
    if not isinstance(clock.value, datetime):
        return None
    wall = clock.value.astimezone(now.tzinfo).time().replace(tzinfo=None)
    start, end = min(span.start, clock.start), max(span.end, clock.end)
    if span.kind == "recurrence" and span.rrule and isinstance(span.value, date):
        first = _first_recurrence(span.rrule, _day(span.value), wall, now)
        if first is None:
            return None
        return replace(span, start=start, end=end, value=first, grain=clock.grain)
    if isinstance(span.value, datetime) or not isinstance(span.value, date):
        return None
    value = datetime.combine(span.value, wall, now.tzinfo)
    return replace(span, start=start, end=end, value=value, grain=clock.grain, time_only=False)


def _first_recurrence(rule: str, first_day: date, wall: time, now: datetime) -> datetime | None:
    """The first occurrence at `wall` o'clock at or after `now`, from `first_day` on."""
    begin = min(first_day, now.date())
    dtstart = datetime.combine(begin, wall).replace(tzinfo=None)
    try:
        series = rrulestr(rule, dtstart=dtstart)
    except (ValueError, TypeError):
        return None
    naive_now = now.replace(tzinfo=None) - timedelta(seconds=1)
    found = series.after(naive_now, inc=False)
    if found is None:
        return None
    return found.replace(tzinfo=now.tzinfo)


def _part_of_day_with_clock(text: str, span: TimeSpan, clock: TimeSpan,
                            now: datetime) -> TimeSpan | None:
    """`今晚 9pm`, `明早 8:30`: a part of the day said in one language and the clock in the
    other; the clock replaces the part of day's default hour on its day."""
    if not isinstance(span.value, datetime) or not isinstance(clock.value, datetime) or \
            any(ch.isdigit() for ch in text[span.start:span.end]):
        return None
    day = span.value.astimezone(now.tzinfo).date()
    return _with_time(replace(span, value=day), clock, now)


def join_times(text: str, spans: list[TimeSpan], now: datetime) -> list[TimeSpan]:
    """Attach a time-only span to the date or recurrence span right before or after it."""
    out: list[TimeSpan] = []
    for span in spans:
        if out and _JOIN_GAP.fullmatch(text, out[-1].end, span.start):
            prev = out[-1]
            joined: TimeSpan | None = None
            if span.time_only and not prev.time_only:
                joined = _with_time(prev, span, now) or _part_of_day_with_clock(
                    text, prev, span, now)
            elif prev.time_only and not span.time_only:
                joined = _with_time(span, prev, now)
            if joined is not None:
                out[-1] = joined
                continue
        out.append(span)
    return out


def mark_ranges(text: str, spans: list[TimeSpan]) -> list[TimeSpan]:
    """In `A到B` / `A–B` the first date is when work starts and the second when it is due."""
    out = list(spans)
    for i in range(len(out) - 1):
        first, second = out[i], out[i + 1]
        if first.kind not in {"point", "start"} or second.kind != "point":
            continue
        gap = _RANGE_GAP.fullmatch(text, first.end, second.start)
        if gap is None or first.value is None or second.value is None:
            continue
        begin = first.value
        if not isinstance(begin, datetime):
            begin = period_start(begin, first.grain)
        elif first.time_only and isinstance(second.value, datetime) and not second.time_only:
            # `11-1pm friday`: the day said after the range is the start's day too
            wall = begin.astimezone(second.value.tzinfo).timetz()
            begin = datetime.combine(second.value.date(), wall)
        out[i] = replace(first, kind="start", end=second.start, value=begin)
        if second.time_only and isinstance(first.value, datetime) \
                and isinstance(second.value, datetime):
            # `明天下午3点到5点`: the end time is on the start's day.
            wall = second.value.astimezone(first.value.tzinfo).timetz()
            end = datetime.combine(first.value.date(), wall)
            if end <= first.value:
                # `晚上10点到凌晨2点`, `10pm-2am`: the range runs past midnight.
                end += timedelta(days=1)
            out[i + 1] = replace(second, value=end, time_only=False)
            continue
        lag = (_day(first.value) - _day(second.value)).days
        if 0 < lag < 7:
            # `下周一至周三`: the bare weekday that ends a range is the one after its start.
            out[i + 1] = replace(second, value=second.value + timedelta(days=7))
    return out


def absorb_connectors(text: str, span: TimeSpan) -> TimeSpan:
    """Widen a span over the connector words around it (`在`, `by`, `之前`, `前`)."""
    start, end = span.start, span.end
    left = _LEFT_CONNECTOR.search(text, max(0, start - 20), start)
    if left is not None:
        start = left.start()
    right = _RIGHT_CONNECTOR.match(text, end)
    if right is not None:
        end = right.end()
    if (start, end) == (span.start, span.end):
        return span
    return replace(span, start=start, end=end)


# Between two dates of a list: nothing (the connector went with the first date) or a connector,
# never only a space (`明天 圣诞贺卡` is a date and a card).
_DATE_LIST_GAP: Final = re.compile(r"(?:\s*(?:[,，、/]|和|或|及|与|跟|或者|and|or|&)\s*)*", re.IGNORECASE)
# A date expression that ends in one of these says when the task is due or starts.
_TIME_CONNECTOR_END: Final = re.compile(r"(?:前|内|后|起|开始|截止|为止|之间)\s*$")
_TIME_CONNECTOR_START: Final = re.compile(
    r"^\s*(?:在|于|从|自|截止|截至|到|by|before|due|on|at|until|till|from|starting|for|in|"
    r"within|after)\b", re.IGNORECASE)


def named_in_passing(text: str, spans: list[TimeSpan]) -> list[bool]:
    """For each span, whether it names a date in passing rather than saying when: a bare
    expression run straight into the word it describes (`第四季度复盘PPT`, `圣诞贺卡`, `the Q4
    report`, `the Dec 3 all-hands`). Such a span is due only when nothing else is, and stays in
    the title when unused."""
    flags: list[bool] = []
    for i, span in enumerate(spans):
        before = spans[i - 1].end if i > 0 else None
        after = spans[i + 1].start if i + 1 < len(spans) else None
        flags.append(_in_passing(text, span, before, after))
    return flags


def _in_passing(text: str, span: TimeSpan, previous_end: int | None,
                next_start: int | None) -> bool:
    words = text[span.start:span.end]
    if _TIME_CONNECTOR_END.search(words) or _TIME_CONNECTOR_START.search(words):
        return False
    if previous_end is not None and previous_end <= span.start and \
            _DATE_LIST_GAP.fullmatch(text, previous_end, span.start):
        return False  # `周三和周五开会`: the second of a list of dates
    if next_start is not None and span.end <= next_start and \
            _DATE_LIST_GAP.fullmatch(text, span.end, next_start):
        return False  # ... and the first
    after = text[span.end:span.end + 1]
    if not after:
        return False
    if has_cjk(words):
        return has_cjk(after) or after.isalnum()
    return after == " " and text[span.end + 1:span.end + 2].isalpha()


def find_times(text: str, now: datetime, calendar: WorkCalendar, workday_end: time,
               prefer_zh: bool) -> TimeResult:
    """Find every date/time expression in `text` and decide what is due, what starts, what repeats."""
    zh = find_times_zh(text, now, calendar, workday_end)
    en = find_times_en(text, now, calendar, workday_end) if _has_latin_or_digit(text) else []
    spans = merge_spans(zh, en, prefer_zh)
    try:
        spans = mark_ranges(text, [s for s in join_times(text, spans, now) if s.value is not None])
    except (ValueError, OverflowError):
        # Joining or shifting dates at the edge of the calendar (year 9999): keep them apart.
        spans = [s for s in spans if s.value is not None]
    spans = _absorb_list_words(text, [absorb_connectors(text, s) for s in spans])
    due: date | datetime | None = None
    start: date | datetime | None = None
    recurrence: str | None = None
    used: list[TimeSpan] = []
    passing = named_in_passing(text, spans)
    # the deadline is the first date said as one; a date named in passing only if none is
    points = [sp for sp, flag in zip(spans, passing, strict=True) if sp.kind == "point" and not flag]
    for span in spans:
        if span.kind == "point" and points and span is not points[0]:
            continue
        if span.kind == "start":
            if start is None:
                start = span.value
                used.append(span)
        elif span.kind == "recurrence":
            if recurrence is None:
                recurrence, due = span.rrule, span.value
                used.append(span)
        elif due is None:
            due = span.value
            used.append(span)
    if recurrence is not None and start is not None and due is not None \
            and _day(due) < _day(start):
        # A series that starts later (`从明天起每天…`) first falls due on or after its start.
        # Past year 9999 there is no later occurrence: keep the first one found.
        with suppress(ValueError, OverflowError):
            due = _first_on_or_after(recurrence, due, start, now) or due
    return TimeResult(due, start, recurrence, spans, used)


def _absorb_list_words(text: str, spans: list[TimeSpan]) -> list[TimeSpan]:
    out = list(spans)
    for i in range(len(out) - 1):
        if _LIST_GAP.fullmatch(text, out[i].end, out[i + 1].start):
            out[i] = replace(out[i], end=out[i + 1].start)
    return out


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _first_on_or_after(rule: str, first: date | datetime, start: date | datetime,
                       now: datetime) -> date | datetime | None:
    begin = start if isinstance(start, datetime) else datetime.combine(start, time(0), now.tzinfo)
    wall = first.timetz() if isinstance(first, datetime) else None
    anchor = datetime.combine(begin.date(), wall.replace(tzinfo=None) if wall else time(0))
    try:
        series = rrulestr(rule, dtstart=anchor)
    except (ValueError, TypeError):
        return None
    found = series.after(anchor, inc=True)
    if found is None:
        return None
    return found.replace(tzinfo=now.tzinfo) if isinstance(first, datetime) else found.date()


_LATIN_OR_DIGIT: Final = re.compile(r"[A-Za-z0-9]")


def _has_latin_or_digit(text: str) -> bool:
    return _LATIN_OR_DIGIT.search(text) is not None
