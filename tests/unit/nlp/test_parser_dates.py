"""How a message's date expressions become `due`, `start` and `recurrence`."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.calendar import ChinaCalendar
from core.nlp import parse_message

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=SH)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "due", "start"),
    [
        ("从下周一开始 做新项目", None, "2026-11-30"),
        ("下周三开始 休假", None, "2026-12-02"),
        # A period that starts begins on its first day
        ("从下周开始 休假", None, "2026-11-30"),
        ("从下个月开始 记账", None, "2026-12-01"),
        # Ranges: the first end starts, the second is due
        ("12月1日至5日 出差", "2026-12-05", "2026-12-01"),
        ("下周一到周三 培训", "2026-12-02", "2026-11-30"),
        ("2027年1月至3月 做预算", "2027-03-31", "2027-01-01"),
        ("明天下午3点到5点 开会", "2026-11-25T17:00:00+08:00", "2026-11-25T15:00:00+08:00"),
        ("周三 14:00-16:00 评审", "2026-11-25T16:00:00+08:00", "2026-11-25T14:00:00+08:00"),
        ("Monday 9am-11am workshop", "2026-11-30T11:00:00+08:00", "2026-11-30T09:00:00+08:00"),
        ("Monday 9-11am workshop", "2026-11-30T11:00:00+08:00", "2026-11-30T09:00:00+08:00"),
        # the day after a range of hours is the start's day too
        ("call 11-1pm friday", "2026-11-27T13:00:00+08:00", "2026-11-27T11:00:00+08:00"),
        # a comma and a deadline word start a second expression
        ("redesign the template starting tomorrow, due Thursday", "2026-11-26", "2026-11-25"),
    ],
)
def test_start_and_ranges(text: str, due: str | None, start: str | None) -> None:
    result = parse_message(text, NOW)
    assert (result.due, result.start) == (due, start)


def test_series_that_starts_later_first_falls_due_at_its_start() -> None:
    result = parse_message("从明天起 每天跑步", NOW)
    assert (result.recurrence, result.due, result.start) == ("FREQ=DAILY", "2026-11-25",
                                                             "2026-11-25")


def test_recurrence_with_time_after_start() -> None:
    result = parse_message("从下周一开始每周一上午10点 例会", NOW)
    assert result.due == "2026-11-30T10:00:00+08:00"
    assert result.recurrence == "FREQ=WEEKLY;BYDAY=MO"


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("Friday 下午3点 sync with design", "2026-11-27T15:00:00+08:00"),
        ("明天 3pm 开会", "2026-11-25T15:00:00+08:00"),
        ("周四 2pm 开会", "2026-11-26T14:00:00+08:00"),
    ],
)
def test_time_in_one_language_joins_a_date_in_the_other(text: str, due: str) -> None:
    assert parse_message(text, NOW).due == due


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("今晚 9pm 发 release email", "2026-11-24T21:00:00+08:00"),
        ("明早 8:30 standup", "2026-11-25T08:30:00+08:00"),
        ("tonight 9pm 发邮件", "2026-11-24T21:00:00+08:00"),
    ],
)
def test_a_clock_replaces_the_default_hour_of_a_part_of_day(text: str, due: str) -> None:
    assert parse_message(text, NOW).due == due


@pytest.mark.parametrize(
    ("text", "rule", "due"),
    [
        ("每周一 10am 周会", "FREQ=WEEKLY;BYDAY=MO", "2026-11-30T10:00:00+08:00"),
        ("每周三 3pm sync", "FREQ=WEEKLY;BYDAY=WE", "2026-11-25T15:00:00+08:00"),
    ],
)
def test_a_chinese_series_with_an_english_time(text: str, rule: str, due: str) -> None:
    result = parse_message(text, NOW)
    assert (result.recurrence, result.due) == (rule, due)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        # Chinese writes numeric dates month first: 12.05 is 5 December, never 12 May
        ("12.05 开会", "2026-12-05"),
        ("12/05 开会", "2026-12-05"),
        ("05.12 开会", "2027-05-12"),
        # no month 25: the only reading
        ("25.12 开会", "2026-12-25"),
        # without Chinese in the message a dotted pair is day.month
        ("review on 05.12", "2026-12-05"),
    ],
)
def test_numeric_dates_follow_the_language_of_the_message(text: str, due: str) -> None:
    assert parse_message(text, NOW).due == due


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("双11前上线新功能", "2027-11-11"),  # this year's has passed
        ("一季度完成招聘", "2026-03-31"),  # past, and still given
        ("Compare answers on pages 10-20 of the handbook by Monday", "2026-11-30"),
        ("10-20 开会", "2027-10-20"),
        ("3個工作天後 交測試報告", "2026-11-27"),  # Taiwan's 工作天 is 工作日
        # a date named in passing is due only when nothing else is
        ("圣诞贺卡 下周一", "2026-11-30"),
        ("slides for the Dec 3 all-hands by Friday", "2026-11-27"),
        ("周三和周五开会", "2026-11-25"),
    ],
)
def test_names_and_ranges_that_look_like_dates_leave_the_real_one(text: str, due: str) -> None:
    assert parse_message(text, NOW).due == due


def test_first_date_is_due_when_several_are_given() -> None:
    assert parse_message("明天下午3點 週五 開會", NOW).due == "2026-11-25T15:00:00+08:00"


def test_calendar_argument_reaches_workday_offsets() -> None:
    now = datetime(2026, 9, 30, 9, 0, tzinfo=SH)
    assert parse_message("3个工作日后 交付", now).due == "2026-10-05"
    assert parse_message("3个工作日后 交付", now, calendar=ChinaCalendar()).due == "2026-10-10"


def test_workday_end_argument_sets_end_of_day() -> None:
    result = parse_message("下班前 提交日报", NOW, workday_end=time(17, 30))
    assert result.due == "2026-11-24T17:30:00+08:00"


@pytest.mark.parametrize("text", ["send the report EOD", "send the report by end of day"])
def test_workday_end_argument_reaches_english_end_of_day(text: str) -> None:
    assert parse_message(text, NOW, workday_end=time(17, 30)).due == "2026-11-24T17:30:00+08:00"


def test_dates_in_the_past_are_still_given() -> None:
    assert parse_message("昨天的会议纪要 补一下", NOW).due == "2026-11-23"


def test_clock_time_before_a_recurrence_that_has_its_own_time() -> None:
    result = parse_message("0点每周上午", NOW)
    assert result.recurrence == "FREQ=WEEKLY"


@pytest.mark.parametrize(
    ("text", "now", "zone", "due"),
    [
        # hours from now are real hours across a daylight-saving change, in both languages
        ("6小时后 检查备份", "2027-03-27T22:00:00+01:00", "Europe/Berlin",
         "2027-03-28T05:00:00+02:00"),
        ("24小时后 复查", "2026-10-24T12:00:00+02:00", "Europe/Berlin",
         "2026-10-25T11:00:00+01:00"),
        ("check the backup in 6 hours", "2027-03-27T22:00:00+01:00", "Europe/Berlin",
         "2027-03-28T05:00:00+02:00"),
        # a time of day is on the wall clock of its day
        ("明天上午9点 开会", "2027-03-27T22:00:00+01:00", "Europe/Berlin",
         "2027-03-28T09:00:00+02:00"),
    ],
)
def test_daylight_saving(text: str, now: str, zone: str, due: str) -> None:
    assert parse_message(text, datetime.fromisoformat(now), tz=ZoneInfo(zone)).due == due


def test_a_greeting_asks_for_nothing_but_still_says_when() -> None:
    result = parse_message("morning", NOW.replace(hour=7))  # the contract: morning alone 09:00
    assert (result.intent, result.title, result.due) == ("unknown", "", "2026-11-24T09:00:00+08:00")
