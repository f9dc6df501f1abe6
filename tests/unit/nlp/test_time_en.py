"""The English date/time resolver against the parse contract's "Resolving dates and times".

`NOW` is Tuesday 24 November 2026, 10:00 at UTC-5, so "Friday" is the 27th, "next week" ends
on Friday 4 December and 09:00 has already passed today.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendar import WeekdayCalendar
from core.nlp.time_en import find_times_en
from core.nlp.types import TimeSpan

TZ = timezone(timedelta(hours=-5))
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
CAL = WeekdayCalendar()
CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "time_dev.jsonl"


def dt(text: str) -> datetime:
    """An aware datetime in TZ from "YYYY-MM-DD HH:MM"."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def first(text: str, now: datetime = NOW) -> TimeSpan:
    spans = find_times_en(text, now, CAL)
    assert spans, f"nothing found in {text!r}"
    return spans[0]


# ---------------------------------------------------------------- dates only
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # absolute dates in the usual forms
        ("Jan 4 2027", date(2027, 1, 4)),
        ("04th Jan 2027", date(2027, 1, 4)),
        ("January 4th, 2027", date(2027, 1, 4)),
        ("4 January 2027", date(2027, 1, 4)),
        ("the 4th of January 2027", date(2027, 1, 4)),
        ("2027-01-04", date(2027, 1, 4)),
        ("2027/01/04", date(2027, 1, 4)),
        ("20270104", date(2027, 1, 4)),
        ("4/1", date(2027, 4, 1)),  # month/day; April 1st is still ahead
        ("12/20", date(2026, 12, 20)),
        ("22/04", date(2027, 4, 22)),  # cannot be month/day
        ("1/12", date(2027, 1, 12)),  # month/day while that is still ahead
        ("11/12", date(2026, 12, 11)),  # 12 November has passed, 11 December has not
        ("Friday 4/12", date(2026, 12, 4)),  # the reading that is a Friday
        ("1/4/2027", date(2027, 1, 4)),
        ("Oct/2", date(2027, 10, 2)),
        ("Dec 3rd", date(2026, 12, 3)),
        ("December 3", date(2026, 12, 3)),
        ("3 Dec", date(2026, 12, 3)),
        ("the 3rd", date(2026, 12, 3)),
        ("the 30th", date(2026, 11, 30)),
        ("on the 24th", date(2026, 11, 24)),
        ("May twenty nine", date(2027, 5, 29)),
        ("second of Aug", date(2027, 8, 2)),
        ("first of next month", date(2026, 12, 1)),
        ("first of the month", date(2026, 12, 1)),
        ("fifteenth of December", date(2026, 12, 15)),
        ("Feb 29", date(2028, 2, 29)),
        ("March", date(2027, 3, 31)),
        ("by March 2027", date(2027, 3, 31)),
        ("in 2027", date(2027, 12, 31)),
        ("end of March", date(2027, 3, 31)),
        # relative days
        ("today", date(2026, 11, 24)),
        ("tomorrow", date(2026, 11, 25)),
        ("tmrw", date(2026, 11, 25)),
        ("yesterday", date(2026, 11, 23)),
        ("day after tomorrow", date(2026, 11, 26)),
        ("the day before yesterday", date(2026, 11, 22)),
        ("3 days ago", date(2026, 11, 21)),
        ("two weeks from tomorrow", date(2026, 12, 9)),
        # weekdays: nearest strictly after today
        ("Friday", date(2026, 11, 27)),
        ("this Friday", date(2026, 11, 27)),
        ("next Friday", date(2026, 11, 27)),
        ("Tuesday", date(2026, 12, 1)),
        ("Monday", date(2026, 11, 30)),
        ("Friday after next", date(2026, 12, 4)),
        ("last Friday", date(2026, 11, 20)),
        ("this past Monday", date(2026, 11, 23)),
        ("next week Monday", date(2026, 11, 30)),
        ("Wednesday next week", date(2026, 12, 2)),
        ("Friday the 27th", date(2026, 11, 27)),
        ("first Monday of next month", date(2026, 12, 7)),
        ("on the first Monday of next month", date(2026, 12, 7)),  # not a Monday the 1st
        # periods as deadlines
        ("this week", date(2026, 11, 27)),
        ("end of week", date(2026, 11, 27)),
        ("by the end of the week", date(2026, 11, 27)),
        ("next week", date(2026, 12, 4)),
        ("end of month", date(2026, 11, 30)),
        ("this month", date(2026, 11, 30)),
        ("next month", date(2026, 12, 31)),
        ("end of quarter", date(2026, 12, 31)),
        ("end of next quarter", date(2027, 3, 31)),
        ("end of year", date(2026, 12, 31)),
        ("weekend", date(2026, 11, 28)),
        ("this weekend", date(2026, 11, 28)),
        ("next weekend", date(2026, 12, 5)),
        ("beginning of next month", date(2026, 12, 1)),
        ("by Q1", date(2027, 3, 31)),
        ("20th of next month", date(2026, 12, 20)),
        # offsets to a date
        ("in 3 days", date(2026, 11, 27)),
        ("within 2 weeks", date(2026, 12, 8)),
        ("in a week", date(2026, 12, 1)),
        ("in 2 months", date(2027, 1, 24)),
        ("in a fortnight", date(2026, 12, 8)),
        ("3 weeks later", date(2026, 12, 15)),
        ("in 3 working days", date(2026, 11, 27)),
        ("in 4 business days", date(2026, 11, 30)),
        ("in 1 year, 2 months", date(2028, 1, 24)),
        # a weekday after an offset: that week's day for weeks, the next one on or after for
        # months (a month names no week)
        ("in 2 weeks on Friday", date(2026, 12, 11)),
        ("in two months on Tuesday", date(2027, 1, 26)),
        ("two months from today on Tuesday", date(2027, 1, 26)),
        ("Friday in two months", date(2027, 1, 29)),
        # nth weekdays, first/last days, quarters
        ("the last Friday of the month", date(2026, 11, 27)),
        ("first Monday of December", date(2026, 12, 7)),
        ("third tuesday of september 2027", date(2027, 9, 21)),
        ("last day of February", date(2027, 2, 28)),
        ("the first day of next month", date(2026, 12, 1)),
        ("third quarter", date(2027, 9, 30)),
        ("Q4 2026", date(2026, 12, 31)),
        ("last week's Monday", date(2026, 11, 16)),
        ("14april 2027", date(2027, 4, 14)),
        ("in the next 2 days", date(2026, 11, 26)),
        ("later today", date(2026, 11, 24)),
        # named days
        ("Christmas", date(2026, 12, 25)),
        ("Thanksgiving", date(2026, 11, 26)),
        ("next Easter", date(2027, 3, 28)),
        ("2 weeks before Christmas", date(2026, 12, 11)),
    ],
)
def test_date_expressions_resolve_to_dates(text: str, expected: date) -> None:
    span = first(text)
    assert span.value == expected
    assert not isinstance(span.value, datetime)
    assert span.kind == "point"


# ---------------------------------------------------------------- with a time of day
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3pm", "2026-11-24 15:00"),
        ("in an hour and a half", "2026-11-24 11:30"),
        ("in 2 and a half hours", "2026-11-24 12:30"),
        ("an hour and a half ago", "2026-11-24 08:30"),
        ("Friday evening after 6pm", "2026-11-27 18:00"),
        ("3:30 pm", "2026-11-24 15:30"),
        ("15:30", "2026-11-24 15:30"),
        ("8 a.m.", "2026-11-25 08:00"),  # passed today → tomorrow
        ("noon", "2026-11-24 12:00"),
        ("midnight", "2026-11-25 00:00"),
        ("at 5", "2026-11-24 17:00"),  # 1-7 with no marker is afternoon
        ("at 9", "2026-11-25 09:00"),
        ("at 11", "2026-11-24 11:00"),
        ("morning", "2026-11-25 09:00"),
        ("this afternoon", "2026-11-24 14:00"),
        ("evening", "2026-11-24 20:00"),
        ("tonight", "2026-11-24 20:00"),
        ("EOD", "2026-11-24 18:00"),
        ("end of day", "2026-11-24 18:00"),
        ("COB", "2026-11-24 18:00"),
        ("half past 4", "2026-11-24 16:30"),
        ("a quarter to 11", "2026-11-24 10:45"),
        ("10h15", "2026-11-24 10:15"),
        ("tomorrow at 3", "2026-11-25 15:00"),
        ("tomorrow 8:00am", "2026-11-25 08:00"),
        ("tomorrow morning", "2026-11-25 09:00"),
        ("5pm tomorrow", "2026-11-25 17:00"),
        ("next Friday 5pm", "2026-11-27 17:00"),
        ("Friday at noon", "2026-11-27 12:00"),
        ("Dec 3 at 14:00", "2026-12-03 14:00"),
        ("December 10, 2026, 11:02 pm", "2026-12-10 23:02"),
        ("2026-12-16T12:23", "2026-12-16 12:23"),
        ("8pm this evening", "2026-11-24 20:00"),
        ("tomorrow evening at 7", "2026-11-25 19:00"),
        ("in the morning at 7", "2026-11-25 07:00"),
        ("EOD Friday", "2026-11-27 18:00"),
        ("in 2 hours", "2026-11-24 12:00"),
        ("in 30 minutes", "2026-11-24 10:30"),
        ("in half an hour", "2026-11-24 10:30"),
        ("2 hours ago", "2026-11-24 08:00"),
        ("1 day 2 hours later", "2026-11-25 12:00"),
        ("in a quarter of an hour", "2026-11-24 10:15"),
        ("in 2 more minutes", "2026-11-24 10:02"),
        ("twenty after 3pm", "2026-11-24 15:20"),
        ("a quarter to noon", "2026-11-24 11:45"),
        ("eight tonight", "2026-11-24 20:00"),
        ("first thing tomorrow", "2026-11-25 09:00"),
        ("2026-12-16T12:23:00Z", "2026-12-16 07:23"),  # converted to the zone of now
        ("2026-12-16T12:23:00+05:30", "2026-12-16 01:53"),
        ("Fri, Dec 18, 2026 07:00 PM", "2026-12-18 19:00"),
        ("tomorrow 2-3pm", "2026-11-25 14:00"),  # a range starts at its first hour
        ("11-1pm", "2026-11-24 11:00"),
        ("this time tomorrow", "2026-11-25 10:00"),
        ("same time next week", "2026-12-01 10:00"),
        ("5-ish tomorrow", "2026-11-25 17:00"),
        ("at 7:30 PM on Fri, Dec 18", "2026-12-18 19:30"),
    ],
)
def test_time_expressions_resolve_to_aware_datetimes(text: str, expected: str) -> None:
    span = first(text)
    assert isinstance(span.value, datetime)
    assert span.value.tzinfo is not None
    assert span.value == dt(expected)


@pytest.mark.parametrize(
    ("text", "time_only"),
    [("3pm", True), ("at 5", True), ("noon", True), ("EOD", True), ("tomorrow 3pm", False),
     ("tonight", False), ("in 2 hours", False), ("Friday 9am", False)],
)
def test_bare_times_are_marked_time_only(text: str, time_only: bool) -> None:
    assert first(text).time_only is time_only


@pytest.mark.parametrize(
    ("text", "grain"),
    [("tomorrow", "day"), ("3pm", "hour"), ("3:30pm", "minute"), ("in 2 hours", "minute"),
     ("next week", "week"), ("end of month", "month"), ("end of quarter", "quarter"),
     ("in 2027", "year")],
)
def test_grain_follows_what_was_stated(text: str, grain: str) -> None:
    assert first(text).grain == grain


# ---------------------------------------------------------------- inside messages
@pytest.mark.parametrize(
    ("text", "cut", "title_rest"),
    [
        ("remind @bob to ship the release notes by next Friday 5pm p1 #launch",
         "by next Friday 5pm", None),
        ("update the roadmap tomorrow at 3pm #planning", "tomorrow at 3pm", None),
        ("fix 2 bugs in the checkout flow by end of month !!", "by end of month", None),
        ("please prepare the board deck by Dec 3rd #exec", "by Dec 3rd", None),
        ("write the postmortem within 3 working days p3", "within 3 working days", None),
        ("next week @ana migrate the billing database", "next week", None),
        ("in 2 hours call the vendor", "in 2 hours", None),
        ("file taxes due on April 15", "due on April 15", None),
        ("renew the cert until Friday", "until Friday", None),
        ("book flights in May", "in May", None),
        ("demo at 4:30pm", "at 4:30pm", None),
        ("ship it before Christmas", "before Christmas", None),
        ("review 5/12 release notes on Monday", "5/12", None),
        ("ship it by Friday at the latest", "by Friday at the latest", None),
        ("from next week on, pair with Ana", "from next week on", None),
        ("Due: tomorrow noon write the memo", "Due: tomorrow noon", None),
        ("book a room for Friday 3pm", "for Friday 3pm", None),
        ("plan the offsite for the first week of March", "for the first week of March", None),
        ("pair with sam for 2 hours tomorrow", "tomorrow", None),
        ("prep slides for Thursday's demo", "Thursday's", None),
        # a date that names the thing ("the Dec 3 all-hands") keeps "for the" in the title
        ("prepare slides for the Dec 3 all-hands", "Dec 3", None),
        ("book a room for Friday with the team", "for Friday", None),
        ("call the vendor sometime next week", "sometime next week", None),
        ("pay the invoice on or before Dec 5", "on or before Dec 5", None),
        ("reply in a day or two", "in a day or two", None),
    ],
)
def test_span_covers_the_expression_and_its_connector(text: str, cut: str,
                                                      title_rest: str | None) -> None:
    span = first(text)
    assert text[span.start:span.end] == cut


def test_a_frequency_word_naming_a_thing_yields_to_the_real_recurrence() -> None:
    spans = find_times_en("send the weekly report every Friday by 5pm", NOW, CAL)
    assert [(s.kind, s.rrule) for s in spans] == [("recurrence", "FREQ=WEEKLY;BYDAY=FR")]
    assert spans[0].value == dt("2026-11-27 17:00")


def test_a_lone_clock_time_sets_the_time_of_the_recurrence() -> None:
    spans = find_times_en("daily standup at 9am", NOW, CAL)
    assert spans[0].rrule == "FREQ=DAILY"
    assert spans[0].value == dt("2026-11-25 09:00")


def test_a_clock_time_a_word_away_from_the_only_date_is_its_time() -> None:
    spans = find_times_en("prepare for the 10am standup tomorrow", NOW, CAL)
    assert [s.value for s in spans] == [dt("2026-11-25 10:00")] * 2
    apart = find_times_en("call at 3pm, report due Friday", NOW, CAL)
    assert [s.value for s in apart] == [dt("2026-11-24 15:00"), date(2026, 11, 27)]


def test_a_named_day_naming_a_thing_is_not_a_date() -> None:
    spans = find_times_en("plan the Christmas party by Dec 1st", NOW, CAL)
    assert [s.value for s in spans] == [date(2026, 12, 1)]


def test_start_spans_count_a_period_from_its_first_day() -> None:
    assert first("starting next week").value == date(2026, 11, 30)
    assert first("from next month").value == date(2026, 12, 1)
    assert first("next week").value == date(2026, 12, 4)  # as a deadline: its Friday


def test_every_expression_in_a_message_is_found_in_order() -> None:
    text = "starting Monday, write docs every day at 9am until Dec 18"
    spans = find_times_en(text, NOW, CAL)
    assert [text[s.start:s.end] for s in spans] == [
        "starting Monday", "every day at 9am", "until Dec 18"]
    assert [s.kind for s in spans] == ["start", "recurrence", "point"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("starting Monday", date(2026, 11, 30)), ("from next week", date(2026, 11, 30)),
     ("beginning Dec 1", date(2026, 12, 1)), ("starting tomorrow at 9am", dt("2026-11-25 09:00"))],
)
def test_start_expressions(text: str, expected: date) -> None:
    span = first(text)
    assert span.kind == "start"
    assert span.value == expected


# ---------------------------------------------------------------- bugs found through the parser
@pytest.mark.parametrize(
    ("text", "cut", "expected"),
    [
        # a colon after a date ends a label; only "5:30" glued to minutes is a clock
        ("due Dec 5: tax filing", "due Dec 5", date(2026, 12, 5)),
        ("Jan 4: kickoff with the vendor", "Jan 4", date(2027, 1, 4)),
        ("deadline March 3: submit the grant", "deadline March 3", date(2027, 3, 3)),
        # right after a date and "at", a bare hour is its time whatever word follows
        ("on Monday at 9 review the PR", "on Monday at 9", dt("2026-11-30 09:00")),
        ("on Monday at 3 call Ana", "on Monday at 3", dt("2026-11-30 15:00")),
        ("on Monday at nine review the PR", "on Monday at nine", dt("2026-11-30 09:00")),
        ("tomorrow at 10 standup with the team", "tomorrow at 10", dt("2026-11-25 10:00")),
        ("Dec 3 at 11 demo", "Dec 3 at 11", dt("2026-12-03 11:00")),
        ("sync on Monday at 9 p2", "on Monday at 9", dt("2026-11-30 09:00")),
        ("Meeting @ 2 w/ Sarah", "@ 2", dt("2026-11-24 14:00")),
        # ... but a plural noun after it counts things
        ("visit on Friday at 5 locations", "on Friday", date(2026, 11, 27)),
    ],
)
def test_parser_found_bugs(text: str, cut: str, expected: date) -> None:
    span = first(text)
    assert text[span.start:span.end] == cut
    assert span.value == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # a frequency word before a noun names the thing
        ("quarterly report", []),
        ("monthly review of the budget", []),
        ("weekly report", []),
        ("write the quarterly report by Friday", [("point", None)]),
        ("the daily standup at 9am", [("point", None)]),
        ("send the weekly report every Friday", [("recurrence", "FREQ=WEEKLY;BYDAY=FR")]),
        # with a clear frequency context it is a recurrence
        ("every quarter", [("recurrence", "FREQ=MONTHLY;INTERVAL=3")]),
        ("quarterly on the 1st", [("recurrence", "FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=1")]),
        ("review the budget quarterly", [("recurrence", "FREQ=MONTHLY;INTERVAL=3")]),
        ("quarterly", [("recurrence", "FREQ=MONTHLY;INTERVAL=3")]),
        ("water the plants weekly on Friday", [("recurrence", "FREQ=WEEKLY;BYDAY=FR")]),
    ],
)
def test_frequency_adjectives_are_title_words(text: str, found: list[tuple[str, str | None]]
                                              ) -> None:
    spans = find_times_en(text, NOW, CAL)
    assert [(s.kind, s.rrule) for s in spans] == found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EOD", "2026-11-24 17:30"),
        ("COB Friday", "2026-11-27 17:30"),
        ("by end of day", "2026-11-24 17:30"),
        ("end of business day tomorrow", "2026-11-25 17:30"),
        ("tomorrow at 3pm", "2026-11-25 15:00"),  # a stated time is not moved
    ],
)
def test_end_of_day_follows_the_configured_workday_end(text: str, expected: str) -> None:
    span = find_times_en(text, NOW, CAL, workday_end=clock(17, 30))[0]
    assert span.value == dt(expected)
    assert find_times_en(text, NOW, CAL)[0].value == (
        dt(expected) if "pm" in text else dt(expected).replace(hour=18, minute=0))


# ---------------------------------------------------------------- grammar added for the 95% issue
@pytest.mark.parametrize(
    ("text", "cut", "expected"),
    [
        # offsets counted from a date after from / since / after
        ("in 2 weeks from Monday", "in 2 weeks from Monday", date(2026, 12, 14)),
        ("3 days since Jan 5", "3 days since Jan 5", date(2027, 1, 8)),
        ("2 years since 2011", "2 years since 2011", date(2013, 1, 1)),  # from its start
        ("in two weeks since the year 2011", "in two weeks since the year 2011",
         date(2011, 1, 15)),
        ("3 weeks from next month", "3 weeks from next month", date(2026, 12, 22)),
        # ... and from now when no date follows: "from" stays in the title
        ("ship in 2 days from the kickoff", "in 2 days", date(2026, 11, 26)),
        # a year said as such
        ("the year 2027", "the year 2027", date(2027, 12, 31)),
        ("in the year 2027", "in the year 2027", date(2027, 12, 31)),
        # a message that is only a length of time
        ("3 days", "3 days", date(2026, 11, 27)),
        ("2 weeks.", "2 weeks", date(2026, 12, 8)),
        # weeks named by their place in a month, or by a day in them: their Friday
        ("first week of December", "first week of December", date(2026, 12, 4)),
        ("by the last week of December", "by the last week of December", date(2026, 12, 25)),
        ("the second week of next month", "the second week of next month",
         date(2026, 12, 11)),
        ("the week of Dec 7", "the week of Dec 7", date(2026, 12, 11)),
        ("the weekend after next", "the weekend after next", date(2026, 12, 12)),
        # British: a week after a day
        ("Monday week", "Monday week", date(2026, 12, 7)),
        ("tomorrow week", "tomorrow week", date(2026, 12, 2)),
        ("a week on Monday", "a week on Monday", date(2026, 12, 7)),
        ("two weeks today", "two weeks today", date(2026, 12, 8)),
        ("a fortnight on Friday", "a fortnight on Friday", date(2026, 12, 11)),
        ("Monday week planning", "Monday", date(2026, 11, 30)),
        # a day or a weekday before / after a date
        ("the day before Dec 10", "the day before Dec 10", date(2026, 12, 9)),
        ("the day after Christmas", "the day after Christmas", date(2026, 12, 26)),
        ("Monday before Christmas", "Monday before Christmas", date(2026, 12, 21)),
        ("the Friday after Dec 10", "the Friday after Dec 10", date(2026, 12, 11)),
        ("prep on Monday before the demo", "on Monday", date(2026, 11, 30)),
        ("spend a week on Monday's backlog", "Monday's", date(2026, 11, 30)),
        ("in 3 quarters", "in 3 quarters", date(2027, 8, 24)),
    ],
)
def test_dates_added_for_the_accuracy_target(text: str, cut: str, expected: date) -> None:
    span = first(text)
    assert text[span.start:span.end] == cut
    assert span.value == expected


@pytest.mark.parametrize(
    "text",
    ["spend 3 days on the migration", "3 days of work", "2 weeks after the launch",
     "a week of testing", "the year ahead"],
)
def test_lengths_of_time_inside_a_task_are_not_dates(text: str) -> None:
    assert find_times_en(text, NOW, CAL) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a number that ends an expression right after a day is its hour
        ("by Friday 5", "2026-11-27 17:00"),
        ("Friday 10", "2026-11-27 10:00"),
        ("tomorrow 9", "2026-11-25 09:00"),
        ("tomorrow 14", "2026-11-25 14:00"),
        ("tomorrow morning 10", "2026-11-25 10:00"),
        # hours in words with minutes, or with a part of the day
        ("nine thirty", "2026-11-25 09:30"),
        ("twelve fifteen on Friday", "2026-11-27 12:15"),
        ("seven in the evening", "2026-11-24 19:00"),
        ("eleven at night", "2026-11-24 23:00"),
        ("Friday 5, call Bob", "2026-11-27 17:00"),
        ("Friday 5 p1", "2026-11-27 17:00"),
    ],
)
def test_a_number_after_a_day_is_its_hour(text: str, expected: str) -> None:
    assert first(text).value == dt(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Monday 21", date(2026, 12, 21)),  # 13 and over after a weekday: the day of month
     ("Friday 5 bugs", date(2026, 11, 27)), ("Friday 5 July", date(2027, 7, 5)),
     ("Monday 2 review", date(2026, 11, 30))],
)
def test_a_number_after_a_weekday_that_is_not_its_hour(text: str, expected: date) -> None:
    assert first(text).value == expected


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("from 9 to 5", [("from 9", "2026-11-25 09:00"), ("to 5", "2026-11-25 17:00")]),
        ("from 2 to 4pm tomorrow",
         [("from 2", "2026-11-25 14:00"), ("to 4pm tomorrow", "2026-11-25 16:00")]),
        ("from 10am to 2pm", [("from 10am", "2026-11-25 10:00"), ("to 2pm", "2026-11-25 14:00")]),
        ("from Monday 9am to 5pm",
         [("from Monday 9am", "2026-11-30 09:00"), ("to 5pm", "2026-11-30 17:00")]),
        ("from 10pm to 2am", [("from 10pm", "2026-11-24 22:00"), ("to 2am", "2026-11-25 02:00")]),
        ("from 3pm until 5pm",
         [("from 3pm", "2026-11-24 15:00"), ("until 5pm", "2026-11-24 17:00")]),
        ("between 2 and 4 today",
         [("between 2", "2026-11-24 14:00"), ("and 4 today", "2026-11-24 16:00")]),
        ("between 2 and 4pm", [("between 2", "2026-11-24 14:00"), ("and 4pm", "2026-11-24 16:00")]),
    ],
)
def test_the_ends_of_a_range_of_times_share_a_day(text: str, spans: list[tuple[str, str]]
                                                  ) -> None:
    got = find_times_en(text, NOW, CAL)
    assert [(text[s.start:s.end], s.value) for s in got] == [(c, dt(v)) for c, v in spans]
    assert [s.kind for s in got] == ["start", "point"]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("from Monday to Friday", date(2026, 11, 30), date(2026, 12, 4)),
        ("from Monday to Friday at 5pm", date(2026, 11, 30), dt("2026-12-04 17:00")),
        ("from tomorrow 9am to Friday", dt("2026-11-25 09:00"), date(2026, 11, 27)),
        ("from Friday until Tuesday", date(2026, 11, 27), date(2026, 12, 1)),
        ("from Wed to Fri next week", date(2026, 12, 2), date(2026, 12, 4)),
        ("off from Dec 21 to Jan 4", date(2026, 12, 21), date(2027, 1, 4)),
    ],
)
def test_a_range_of_days_ends_after_it_starts(text: str, start: date, end: date) -> None:
    assert [s.value for s in find_times_en(text, NOW, CAL)] == [start, end]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10 to 5", None), ("2 to 4pm", dt("2026-11-24 16:00")),
     ("at 10 to 5", dt("2026-11-24 16:50")), ("ten to five", dt("2026-11-24 16:50")),
     ("20 minutes to 5", dt("2026-11-24 16:40"))],
)
def test_digits_to_digits_is_a_range_unless_said_as_a_clock(text: str,
                                                            expected: datetime | None) -> None:
    spans = find_times_en(text, NOW, CAL)
    assert (spans[-1].value if spans else None) == expected


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        # without "from" a word between two dates still makes a range: the first starts it
        ("Dec 21 to Jan 4", [("Dec 21", "start", date(2026, 12, 21)),
                             ("to Jan 4", "point", date(2027, 1, 4))]),
        ("between Monday and Wednesday", [("between Monday", "start", date(2026, 11, 30)),
                                          ("and Wednesday", "point", date(2026, 12, 2))]),
        ("Monday and Tuesday", [("Monday", "point", date(2026, 11, 30)),
                                ("Tuesday", "point", date(2026, 12, 1))]),
        # a day number ending a range begun by a month-day is in that month
        ("offsite Dec 1-5", [("Dec 1", "point", date(2026, 12, 1)),
                             ("5", "point", date(2026, 12, 5))]),
        ("Dec 21 to 24", [("Dec 21", "start", date(2026, 12, 21)),
                          ("to 24", "point", date(2026, 12, 24))]),
        ("3-5 days", []),
        ("team offsite Jan 12-14", [("Jan 12", "point", date(2027, 1, 12)),
                                    ("14", "point", date(2027, 1, 14))]),
        ("Sep-23-20", [("Sep-23-20", "point", date(2020, 9, 23))]),  # month-day-year
        ("December 4th to 8th", [("December 4th", "start", date(2026, 12, 4)),
                                 ("to 8th", "point", date(2026, 12, 8))]),
        ("from the 25th to the 3rd", [("from the 25th", "start", date(2026, 11, 25)),
                                      ("to the 3rd", "point", date(2026, 12, 3))]),
        ("from the 4th to the 22nd", [("from the 4th", "start", date(2026, 12, 4)),
                                      ("to the 22nd", "point", date(2026, 12, 22))]),
        ("out from 4 to 22 this month", [("this month", "point", date(2026, 11, 30))]),
    ],
)
def test_ranges_of_dates(text: str, spans: list[tuple[str, str, date]]) -> None:
    got = find_times_en(text, NOW, CAL)
    assert [(text[s.start:s.end], s.kind, s.value) for s in got] == spans


@pytest.mark.parametrize(
    ("text", "expected"),
    [("by lunch", "2026-11-24 12:00"), ("before lunch tomorrow", "2026-11-25 12:00"),
     ("first thing Monday morning", "2026-11-30 09:00")],
)
def test_parts_of_the_day_in_context(text: str, expected: str) -> None:
    span = first(text)
    assert (text[span.start:span.end], span.value) == (text, dt(expected))


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        # the weekday decides whether four digits after a date are its year or its time
        ("Thurs 2 Nov 2015", datetime(2017, 10, 29, 18, 0, tzinfo=TZ),
         datetime(2017, 11, 2, 20, 15, tzinfo=TZ)),
        ("Mon 2 Nov 2015", datetime(2017, 10, 29, 18, 0, tzinfo=TZ), date(2015, 11, 2)),
        ("Thu 2 Nov 2017", datetime(2017, 10, 29, 18, 0, tzinfo=TZ), date(2017, 11, 2)),
        ("Fri Nov 3 2026", NOW, date(2026, 11, 3)),  # a wrong weekday: still the year
        ("Sunday Jul 22, 2014", datetime(2012, 1, 1, tzinfo=TZ), date(2014, 7, 22)),  # comma
        ("Saturday, 8th November 2016, 12.16 pm", datetime(2016, 1, 1, tzinfo=TZ),
         datetime(2016, 11, 8, 12, 16, tzinfo=TZ)),  # a time follows: the digits are a year
    ],
)
def test_four_digits_after_a_dated_weekday(text: str, now: datetime, expected: date) -> None:
    assert first(text, now).value == expected


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [("by month end", date(2026, 11, 30), "point"), ("by year-end", date(2026, 12, 31), "point"),
     ("before quarter end", date(2026, 12, 31), "point"),
     ("starting month end", date(2026, 11, 30), "start")],
)
def test_the_end_of_a_period_said_as_a_compound(text: str, expected: date, kind: str) -> None:
    span = first(text)
    assert (span.value, span.kind) == (expected, kind)


@pytest.mark.parametrize(
    ("text", "expected", "time_only"),
    [
        # a time said in another zone is converted to the zone of now (UTC-5 here)
        ("call at 9am PST", "2026-11-24 12:00", True),
        ("5pm CET", "2026-11-24 11:00", True),
        ("10:00 UTC", "2026-11-25 05:00", True),  # 15:00 UTC now: the next 10:00 UTC
        ("14:00 GMT+1", "2026-11-25 08:00", True),
        ("Dec 3 at 10am PT", "2026-12-03 13:00", False),
        ("tomorrow 3pm (UTC+05:30)", "2026-11-25 04:30", False),
        ("review at 10am est", "2026-11-25 10:00", True),
        ("noon UTC", "2026-11-25 07:00", True),
        ("by noon PST tomorrow", "2026-11-25 15:00", False),
        # not zones: "et al.", an estimate after "est"
        ("at 5 et al", "2026-11-24 17:00", True),
        ("sync at 10am est 2h", "2026-11-25 10:00", True),
    ],
)
def test_a_time_said_in_a_zone(text: str, expected: str, time_only: bool) -> None:
    span = first(text)
    assert span.value == dt(expected)
    assert span.time_only is time_only


def test_lunch_alone_is_the_meal() -> None:
    assert find_times_en("lunch with Bob", NOW, CAL) == []


# ---------------------------------------------------------------- recurrence
@pytest.mark.parametrize(
    ("text", "rrule", "value"),
    [
        ("every day", "FREQ=DAILY", date(2026, 11, 24)),
        ("daily", "FREQ=DAILY", date(2026, 11, 24)),
        ("every day at 9am", "FREQ=DAILY", dt("2026-11-25 09:00")),
        ("every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2026, 11, 24)),
        ("every working day at 9:30am", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
         dt("2026-11-25 09:30")),
        ("every Monday 10am", "FREQ=WEEKLY;BYDAY=MO", dt("2026-11-30 10:00")),
        ("every Tuesday at 4pm", "FREQ=WEEKLY;BYDAY=TU", dt("2026-11-24 16:00")),
        ("every Monday and Thursday", "FREQ=WEEKLY;BYDAY=MO,TH", date(2026, 11, 26)),
        ("on Mondays", "FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 30)),
        ("weekly", "FREQ=WEEKLY", date(2026, 11, 24)),
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2", date(2026, 11, 24)),
        ("biweekly", "FREQ=WEEKLY;INTERVAL=2", date(2026, 11, 24)),
        ("every other week", "FREQ=WEEKLY;INTERVAL=2", date(2026, 11, 24)),
        ("every month on the 1st", "FREQ=MONTHLY;BYMONTHDAY=1", date(2026, 12, 1)),
        ("monthly on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15", date(2026, 12, 15)),
        ("monthly on the last day", "FREQ=MONTHLY;BYMONTHDAY=-1", date(2026, 11, 30)),
        ("the 1st of every month", "FREQ=MONTHLY;BYMONTHDAY=1", date(2026, 12, 1)),
        ("every 3 days", "FREQ=DAILY;INTERVAL=3", date(2026, 11, 24)),
        ("every first Monday of the month", "FREQ=MONTHLY;BYDAY=1MO", date(2026, 12, 7)),
        ("every last Friday", "FREQ=MONTHLY;BYDAY=-1FR", date(2026, 11, 27)),
        ("every 2nd Tuesday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", date(2026, 11, 24)),
        ("every second Tuesday of the month", "FREQ=MONTHLY;BYDAY=2TU", date(2026, 12, 8)),
        ("every 15th of the month", "FREQ=MONTHLY;BYMONTHDAY=15", date(2026, 12, 15)),
        ("every last day of the month", "FREQ=MONTHLY;BYMONTHDAY=-1", date(2026, 11, 30)),
        ("every year on March 1st", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", date(2027, 3, 1)),
        ("on weekdays at 9", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", dt("2026-11-25 09:00")),
        ("every weekday morning", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", dt("2026-11-25 09:00")),
        ("yearly", "FREQ=YEARLY", date(2026, 11, 24)),
        ("standup weekdays at 9", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", dt("2026-11-25 09:00")),
        ("Mondays at 10", "FREQ=WEEKLY;BYDAY=MO", dt("2026-11-30 10:00")),
        ("Mondays and Thursdays at 4pm", "FREQ=WEEKLY;BYDAY=MO,TH", dt("2026-11-26 16:00")),
        ("weekends 10am", "FREQ=WEEKLY;BYDAY=SA,SU", dt("2026-11-28 10:00")),
        ("on the first Monday of every month", "FREQ=MONTHLY;BYDAY=1MO", date(2026, 12, 7)),
        ("the last Friday of each month", "FREQ=MONTHLY;BYDAY=-1FR", date(2026, 11, 27)),
        ("every month on the first Monday", "FREQ=MONTHLY;BYDAY=1MO", date(2026, 12, 7)),
        ("monthly on the last Friday", "FREQ=MONTHLY;BYDAY=-1FR", date(2026, 11, 27)),
        ("quarterly on the 2nd Tuesday", "FREQ=MONTHLY;INTERVAL=3;BYDAY=2TU",
         date(2026, 12, 8)),
    ],
)
def test_recurrences_give_an_rrule_and_the_first_occurrence(text: str, rrule: str,
                                                            value: date) -> None:
    span = first(text)
    assert span.kind == "recurrence"
    assert span.rrule == rrule
    assert span.value == value


# ---------------------------------------------------------------- calendars
def test_working_days_skip_the_calendars_holidays() -> None:
    cal = WeekdayCalendar({date(2026, 11, 26): False, date(2026, 11, 27): False})
    span = find_times_en("in 3 working days", NOW, cal)[0]
    assert span.value == date(2026, 12, 1)


def test_past_results_are_resolved_not_refused() -> None:
    assert first("3 days ago").value == date(2026, 11, 21)
    assert first("Jan 4 2019").value == date(2019, 1, 4)


def test_hours_across_a_dst_change_are_elapsed_time() -> None:
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    now = datetime(2026, 3, 7, 10, 0, tzinfo=ny)  # clocks go forward on 8 March
    assert first("in 26 hours", now).value == datetime(2026, 3, 8, 13, 0, tzinfo=ny)
    assert first("tomorrow 3pm", now).value == datetime(2026, 3, 8, 15, 0, tzinfo=ny)


def test_values_carry_the_zone_of_now() -> None:
    other = timezone(timedelta(hours=8))
    now = datetime(2026, 11, 24, 9, 30, tzinfo=other)
    span = first("tomorrow 3pm", now)
    assert span.value == datetime(2026, 11, 25, 15, 0, tzinfo=other)


# ---------------------------------------------------------------- things that are not dates
@pytest.mark.parametrize(
    "text",
    [
        "fix the 2 bugs in the checkout flow",
        "release v2.3 notes",
        "upgrade to python 3.11",
        "I may be late to the retro",
        "call Sunday Corp about the contract",
        "the 2nd floor printer is broken",
        "the first of many drafts",
        "review the 5 PRs",
        "draft the 3 OKRs",
        "rotate the 6 on-call shifts",
        "first come first served",
        "order 24/7 support",
        "3-5 days of work",
        "est 30m write docs",
        "~2h debugging",
        "for 2 hours pair with sam",
        "WEB-12 done",
        "close #12",
        "we march on",
        "sun is shining",
        "fix issue 2026",
        "review 1.5 hours of logs",
        "buy 10 items",
        "asap",
        "I worked this out from three public samples",
        "redelivery after about 16-60 s",
        "allows about 1 message per second",
        "test the 5-minute window",
        "the 4.x README warns",
        "stay on Python 3.11.",
        "a second connection kicks the first (see PR 380)",
        "at 5 locations",
        "this time let's do it properly",
        # number ranges and counts are not clock times
        "migrate 2 to 3 services to k8s",
        "add 5 to 10 test cases",
        "scale from 2 to 4 replicas",
        "go from 1 to 10 users",
        "read chapter 5 to 7",
        "upgrade node 18 to 20",
        "rows 10 to 20 are wrong",
        "at 9 to 10 people",
        "weekly report",
        "the daily standup notes",
        "write the year in review post",
        "plan the week of chaos",
        "take a day to think",
        "lunch with Bob",
        "Mondays are busy",
        "count weekdays in the report",
        "do the month-end close",
        "pay one fifty to Bob",
        "read chapter nine thirty",
        "pick between 2 and 4 people",
        "add day/night mode toggle",
        "daily active users dashboard",
        "hourly rate calculator",
        "nightly build is broken",
    ],
)
def test_no_dates_in_plain_task_text(text: str) -> None:
    assert find_times_en(text, NOW, CAL) == []


# ---------------------------------------------------------------- robustness
@pytest.mark.parametrize(
    "text",
    ["", " ", "🎉🎉🎉", "\x00\x01\x02\n\t", "at", "the", "every", "in", "by 99:99",
     "31/31/31", "Feb 30", "0/0", "99999999999999999999 days ago", "in 999999 years",
     "every 0 weeks", "on the 0th", "at 25pm", "12:60", "9" * 5000, "-" * 1000,
     "at 5 " * 2000, "Friday " * 5000, "tomorrow" + "\u200b" * 50],
)
def test_odd_input_never_raises(text: str) -> None:
    spans = find_times_en(text, NOW, CAL)
    for s in spans:
        assert 0 <= s.start < s.end <= len(text)


def test_impossible_dates_are_not_found() -> None:
    assert find_times_en("Feb 30", NOW, CAL) == []
    assert find_times_en("2/29/2027", NOW, CAL) == []


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_raises(text: str) -> None:
    for s in find_times_en(text, NOW, CAL):
        assert 0 <= s.start < s.end <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(
    ["next", "Friday", "5pm", "at", "the", "3rd", "of", "May", "every", "Monday", "in", "2",
     "days", "ago", "by", "end", "of", "month", ",", "tomorrow", "12/20", "2027", "noon",
     "week", "after", "before", "Christmas", "on", "weekday", "½", "—", ":", "30"]),
    max_size=12))
def test_word_salad_never_raises(words: list[str]) -> None:
    text = " ".join(words)
    for s in find_times_en(text, NOW, CAL):
        assert 0 <= s.start < s.end <= len(text)
        assert s.value is not None


def test_a_100k_message_is_handled_quickly() -> None:
    text = ("please ship the thing by next Friday 5pm and call bob tomorrow " * 1700)[:100_000]
    t0 = time.perf_counter()
    spans = find_times_en(text, NOW, CAL)
    assert time.perf_counter() - t0 < 2.0
    assert spans


# ---------------------------------------------------------------- the shared corpus
def _corpus_accuracy(skip_conflicts: bool = False) -> tuple[int, int]:
    from bench.time_en_eval import contract_conflict, group_of, judge, load_cases

    cases = [c for c in load_cases(CORPUS) if group_of(c) == "scored"]
    if skip_conflicts:
        cases = [c for c in cases if contract_conflict(c) is None]
    right = sum(judge(c)[0] for c in cases)
    return right, len(cases)


needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not mounted")


@needs_corpus
def test_corpus_accuracy_on_english_time_dev() -> None:
    # Scored set: English lines minus holidays, past/future-ambiguous ones and those the corpus
    # marks out of the contract's scope (see bench/time_en_eval.py).  Measured 93.3% (644/690)
    # before the corpus was relabelled to the contract, 98.5% (644/654) after; the floor guards
    # regressions.
    right, total = _corpus_accuracy()
    assert right / total >= 0.93, f"{right}/{total}"


@needs_corpus
def test_corpus_accuracy_where_the_corpus_agrees_with_the_contract() -> None:
    # Lines that still contradict nl-contract.md after the corpus's relabelling (EOD is 18:00
    # there; "next Friday" is the nearest Friday; an unmarked 1-7 o'clock is afternoon).
    right, total = _corpus_accuracy(skip_conflicts=True)
    assert right / total >= 0.95, f"{right}/{total}"


@needs_corpus
def test_corpus_accuracy_reaches_the_95_percent_target() -> None:
    right, total = _corpus_accuracy()
    assert right / total >= 0.95, f"{right}/{total}"


@needs_corpus
def test_corpus_file_is_english_jsonl() -> None:
    with CORPUS.open(encoding="utf-8") as fh:
        row = json.loads(fh.readline())
    assert {"text", "ref", "expected", "grain"} <= set(row)
