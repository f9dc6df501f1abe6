"""Chinese date and time expressions, one contract rule at a time.

`now` is Tuesday 2026-11-24 09:30 in Shanghai unless a case says otherwise, so weekday and
"still ahead today" rules can be read straight off the calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.calendar import ChinaCalendar, WeekdayCalendar
from core.nlp import parse_message
from core.nlp.text import approx_count, cn_to_int, normalize
from core.nlp.time_zh import find_times_zh, lunar_to_solar

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 9, 30, tzinfo=SH)  # a Tuesday


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def resolve(text: str, now: datetime = NOW) -> date | datetime | None:
    spans = find_times_zh(normalize(text)[0], now, WeekdayCalendar())
    return spans[0].value if spans else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Absolute dates
        ("2026年12月3日", date(2026, 12, 3)),
        ("12月3号", date(2026, 12, 3)),
        ("12/3", date(2026, 12, 3)),
        ("3号", date(2026, 12, 3)),
        ("30号", date(2026, 11, 30)),
        ("24号", date(2026, 11, 24)),  # today is the 24th: today, not a month ahead
        ("24号晚上9点", at(2026, 11, 24, 21)),
        ("二〇二七年一月五日", date(2027, 1, 5)),
        ("2027-01-05", date(2027, 1, 5)),
        ("2027/1/5", date(2027, 1, 5)),
        ("十二月二十一日", date(2026, 12, 21)),
        ("廿一号", date(2026, 12, 21)),
        ("下个月15号", date(2026, 12, 15)),
        ("本月28日", date(2026, 11, 28)),
        ("明年3月1日", date(2027, 3, 1)),
        # A month-day already past this year is next year's
        ("3月1日", date(2027, 3, 1)),
        # Relative days
        ("今天", date(2026, 11, 24)),
        ("明天", date(2026, 11, 25)),
        ("后天", date(2026, 11, 26)),
        ("大后天", date(2026, 11, 27)),
        ("昨天", date(2026, 11, 23)),
        ("前天", date(2026, 11, 22)),
        # Weekdays: bare = strictly after today; 本/这 = this calendar week; 下/下下 = later weeks
        ("周五", date(2026, 11, 27)),
        ("星期二", date(2026, 12, 1)),
        ("礼拜天", date(2026, 11, 29)),
        ("本周一", date(2026, 11, 23)),
        ("这周五", date(2026, 11, 27)),
        ("下周五", date(2026, 12, 4)),
        ("下下周五", date(2026, 12, 11)),
        ("下个星期一", date(2026, 11, 30)),
        ("上周三", date(2026, 11, 18)),
        # Periods end at their last day
        ("本周", date(2026, 11, 27)),
        ("这周", date(2026, 11, 27)),
        ("下周", date(2026, 12, 4)),
        ("周末前", date(2026, 11, 27)),
        ("周末", date(2026, 11, 28)),
        ("月底", date(2026, 11, 30)),
        ("本月", date(2026, 11, 30)),
        ("下个月", date(2026, 12, 31)),
        ("季度末", date(2026, 12, 31)),
        ("年底", date(2026, 12, 31)),
        ("月初", date(2026, 12, 1)),
        ("下月初", date(2026, 12, 1)),
        ("月中", date(2026, 12, 15)),
        ("下季度", date(2027, 3, 31)),
        ("明年上半年", date(2027, 6, 30)),
        # Offsets
        ("3天后", date(2026, 11, 27)),
        ("三天以后", date(2026, 11, 27)),
        ("两周内", date(2026, 12, 8)),
        ("一个月后", date(2026, 12, 24)),
        ("2小时后", at(2026, 11, 24, 11, 30)),
        ("30分钟后", at(2026, 11, 24, 10, 0)),
        ("半小时后", at(2026, 11, 24, 10, 0)),
        ("一个半小时后", at(2026, 11, 24, 11, 0)),
        ("3个工作日后", date(2026, 11, 27)),
        ("5个工作日内", date(2026, 12, 1)),
        ("5天前", date(2026, 11, 19)),
        ("2天3小时后", at(2026, 11, 26, 12, 30)),
        ("一小时三十分钟后", at(2026, 11, 24, 11, 0)),
        ("1年，1月，1周，1天，1小时，1分钟前", at(2025, 10, 16, 8, 29)),
        ("未来三天", date(2026, 11, 27)),
        ("接下来两周内", date(2026, 12, 8)),
        ("明年年初", date(2027, 1, 1)),
        ("今年年底", date(2026, 12, 31)),
        # Times of day
        ("明天下午3点", at(2026, 11, 25, 15)),
        ("明天上午十点", at(2026, 11, 25, 10)),
        ("今晚8点半", at(2026, 11, 24, 20, 30)),
        ("今晚", at(2026, 11, 24, 20)),
        ("明早", at(2026, 11, 25, 9)),
        ("明天早上", at(2026, 11, 25, 9)),
        # the weekday's 一 is not the 一 of 一早
        ("周一早上", at(2026, 11, 30, 9)),
        ("星期一早上", at(2026, 11, 30, 9)),
        ("下周一一早", at(2026, 11, 30, 9)),
        ("明天下午", at(2026, 11, 25, 14)),
        ("后天中午", at(2026, 11, 26, 12)),
        ("周五下午3点一刻", at(2026, 11, 27, 15, 15)),
        ("周五9点三刻", at(2026, 11, 27, 9, 45)),
        ("明天15:30", at(2026, 11, 25, 15, 30)),
        ("明天凌晨2点", at(2026, 11, 25, 2)),
        ("晚上12点", at(2026, 11, 25, 0)),
        ("下午12点", at(2026, 11, 24, 12)),
        ("周五晚", at(2026, 11, 27, 20)),
        ("12月15日前", date(2026, 12, 15)),
        ("1年2个月前", date(2025, 9, 24)),
        ("今年夏天", date(2026, 8, 31)),
        ("今年冬天", date(2027, 2, 28)),
        ("国庆节后", date(2027, 10, 1)),
        ("下周一晚上9点", at(2026, 11, 30, 21)),
        # No marker: 1-7 are afternoon, 8-23 as written
        ("明天3点", at(2026, 11, 25, 15)),
        ("明天9点", at(2026, 11, 25, 9)),
        ("明天20点", at(2026, 11, 25, 20)),
        # A bare time is today if still ahead, else tomorrow
        ("下午3点", at(2026, 11, 24, 15)),
        ("9点", at(2026, 11, 25, 9)),
        ("10点", at(2026, 11, 24, 10)),
        # End of the working day
        ("下班前", at(2026, 11, 24, 18)),
        ("本周五下班前", at(2026, 11, 27, 18)),
        # Numerals and full-width digits
        ("十五号", date(2026, 12, 15)),
        ("１２月３日", date(2026, 12, 3)),
        ("明天下午３点", at(2026, 11, 25, 15)),
        # Traditional characters
        ("週五", date(2026, 11, 27)),
        ("禮拜五", date(2026, 11, 27)),
        ("明天下午3點", at(2026, 11, 25, 15)),
        ("3個工作日後", date(2026, 11, 27)),
        # Festivals
        ("元旦", date(2027, 1, 1)),
        ("圣诞节", date(2026, 12, 25)),
        ("春节", date(2027, 2, 6)),
        ("中秋节", date(2027, 9, 15)),
        # A few days: due on the last of them, today counting as the first
        ("这两天", date(2026, 11, 25)),
        ("近两天内", date(2026, 11, 25)),
        ("这几天", date(2026, 11, 26)),
        ("最近三天", date(2026, 11, 26)),
        ("今明两天", date(2026, 11, 25)),
        ("明后天", date(2026, 11, 26)),
        ("过几天", date(2026, 11, 27)),
        ("前两天", date(2026, 11, 22)),
        ("下个工作日", date(2026, 11, 25)),
        # The first or last months of a year
        ("今年前三个月", date(2026, 3, 31)),
        ("2027年后两个月", date(2027, 12, 31)),
        # Year-first all-digit dates with a short day; a day suffix after `M.D`
        ("27-7-3", date(2027, 7, 3)),
        ("1.5号", date(2027, 1, 5)),
        # 八月十五 said as such is Mid-Autumn; with a numbered year it is a calendar date
        ("八月十五", date(2027, 9, 15)),
        ("去年八月十五", date(2025, 10, 6)),
        ("8月十五晚上8点", at(2027, 9, 15, 20)),
        ("2004年八月十五", date(2004, 8, 15)),
        ("八月十五日", date(2027, 8, 15)),
        # Work-chat holidays: 十一 with a holiday word or before/after; 年前 is the Spring Festival
        ("十一前", date(2027, 10, 1)),
        ("十一长假后", date(2027, 10, 1)),
        ("年前", date(2027, 2, 6)),
        ("3年前", date(2023, 11, 24)),
        ("今年年内", date(2026, 12, 31)),
        # Times of day: 一早, before a meal, 差五分三点
        ("明天一早", at(2026, 11, 25, 9)),
        ("明天一早8点", at(2026, 11, 25, 8)),
        ("午饭前", at(2026, 11, 24, 12)),
        ("晚饭前", at(2026, 11, 24, 18)),
        ("差五分三点", at(2026, 11, 24, 14, 55)),
        ("下午差一刻五点", at(2026, 11, 24, 16, 45)),
        # A weekday right before a Chinese-numeral hour: 周一九点 is Monday 9:00, not 19:00
        ("周五三点", at(2026, 11, 27, 15)),
        ("周一九点", at(2026, 11, 30, 9)),
        ("周三十点", at(2026, 11, 25, 10)),
        ("下周一十点半", at(2026, 11, 30, 10, 30)),
        ("星期三十一点半", at(2026, 11, 25, 11, 30)),
        # A stretch of days as a deadline (not before 的, see below)
        ("未来三天内", date(2026, 11, 27)),
        # The last (work)day or weekday of a month
        ("本月最后一个工作日", date(2026, 11, 30)),
        ("月底最后一天", date(2026, 11, 30)),
        ("12月最后一个周五", date(2026, 12, 25)),
        ("一刻钟后", at(2026, 11, 24, 9, 45)),
        # A date restated in brackets is one date
        ("周五(12/4)", date(2026, 12, 4)),
        ("12月4日（周五）下午3点", at(2026, 12, 4, 15)),
        # Q4 with a year, an edge or a deadline word; the same day a week/month/year on
        ("今年Q4", date(2026, 12, 31)),
        ("Q3末", date(2026, 9, 30)),
        ("Q4前", date(2026, 12, 31)),
        ("下周的今天", date(2026, 12, 1)),
        ("下个月的今天", date(2026, 12, 24)),
        ("第二天上午十点", at(2026, 11, 25, 10)),
        # A rough count names its upper bound: 两三天 is three days, not twenty-three
        ("一两天后", date(2026, 11, 26)),
        ("两三天内", date(2026, 11, 27)),
        ("三五天内", date(2026, 11, 29)),
        ("两三个月后", date(2027, 2, 24)),
        ("近一周内", date(2026, 12, 1)),
    ],
)
def test_chinese_expression_resolves(text: str, expected: date | datetime) -> None:
    assert resolve(text) == expected


@pytest.mark.parametrize(
    "text",
    ["快一点", "提交3个接口的测试报告", "上线v2.1", "3号楼会议室", "季度报告", "周报", "重点项目",
     "太晚了", "晚一点", "版本10.2.3", "3-7-2", "十一个人", "第十一名", "多年前", "三十点",
     "五点建议", "做个三点总结", "整理这两天的会议纪要", "统计过去7天的数据", "最后一天",
     "Q4总结", "培训第二天", "1-2号楼"],
)
def test_ordinary_words_are_not_dates(text: str) -> None:
    assert find_times_zh(normalize(text)[0], NOW, WeekdayCalendar()) == []


@pytest.mark.parametrize("text", ["2月30日", "2027年2月29日", "13月5日"])
def test_impossible_dates_resolve_to_nothing(text: str) -> None:
    assert resolve(text) is None


@pytest.mark.parametrize(
    ("text", "rrule", "first"),
    [
        ("每天", "FREQ=DAILY", date(2026, 11, 24)),
        ("每天早上9点", "FREQ=DAILY", at(2026, 11, 25, 9)),
        ("每天下午5点", "FREQ=DAILY", at(2026, 11, 24, 17)),
        ("每个工作日", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2026, 11, 24)),
        ("每周一", "FREQ=WEEKLY;BYDAY=MO", date(2026, 11, 30)),
        ("每周一上午10点", "FREQ=WEEKLY;BYDAY=MO", at(2026, 11, 30, 10)),
        # the hour after the day is not a second day (每周一 + 1)
        ("每周一 10点", "FREQ=WEEKLY;BYDAY=MO", at(2026, 11, 30, 10)),
        ("工作日每天下午5点", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", at(2026, 11, 24, 17)),
        ("每周一、三", "FREQ=WEEKLY;BYDAY=MO,WE", date(2026, 11, 25)),
        ("每周二、四", "FREQ=WEEKLY;BYDAY=TU,TH", date(2026, 11, 24)),
        ("每两周", "FREQ=WEEKLY;INTERVAL=2", date(2026, 11, 24)),
        ("每月1号", "FREQ=MONTHLY;BYMONTHDAY=1", date(2026, 12, 1)),
        ("每月底", "FREQ=MONTHLY;BYMONTHDAY=-1", date(2026, 11, 30)),
        ("每年3月1日", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", date(2027, 3, 1)),
        ("每3天", "FREQ=DAILY;INTERVAL=3", date(2026, 11, 24)),
        ("每年元旦", "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1", date(2027, 1, 1)),
        ("每隔两周的周五", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", date(2026, 11, 27)),
        ("每个季度", "FREQ=MONTHLY;INTERVAL=3", date(2026, 11, 24)),
    ],
)
def test_recurrence_gives_rrule_and_first_occurrence(
    text: str, rrule: str, first: date | datetime
) -> None:
    spans = find_times_zh(normalize(text)[0], NOW, WeekdayCalendar())
    assert [(s.kind, s.rrule, s.value) for s in spans] == [("recurrence", rrule, first)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("从下周一开始", date(2026, 11, 30)), ("明天起", date(2026, 11, 25)),
     ("下周三开始", date(2026, 12, 2))],
)
def test_start_expressions_are_start_spans(text: str, expected: date) -> None:
    spans = find_times_zh(normalize(text)[0], NOW, WeekdayCalendar())
    assert [(s.kind, s.value) for s in spans] == [("start", expected)]
    assert (spans[0].start, spans[0].end) == (0, len(text))


@pytest.mark.parametrize(
    ("text", "rrule", "due"),
    [("每周五三点 发周报", "FREQ=WEEKLY;BYDAY=FR", "2026-11-27T15:00:00+08:00"),
     ("每周一三五九点 站会", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "2026-11-25T09:00:00+08:00")],
)
def test_weekly_days_stop_at_the_hour(text: str, rrule: str, due: str) -> None:
    result = parse_message(text, NOW)
    assert (result.recurrence, result.due) == (rrule, due)


@pytest.mark.parametrize(
    ("text", "rrule", "due"),
    [("每月第一个周一 例会", "FREQ=MONTHLY;BYDAY=1MO", "2026-12-07"),
     ("每个月最后一个周五 复盘", "FREQ=MONTHLY;BYDAY=-1FR", "2026-11-27"),
     ("每月最后一个工作日 发工资", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2026-11-30"),
     ("每月15日、30日对账", "FREQ=MONTHLY;BYMONTHDAY=15,30", "2026-11-30")],
)
def test_monthly_series_by_weekday_or_several_days(text: str, rrule: str, due: str) -> None:
    result = parse_message(text, NOW)
    assert (result.recurrence, result.due) == (rrule, due)


@pytest.mark.parametrize(
    ("text", "start", "due"),
    [("下午2-4点 开会", "2026-11-24T14:00:00+08:00", "2026-11-24T16:00:00+08:00"),
     ("晚上8点到10点", "2026-11-24T20:00:00+08:00", "2026-11-24T22:00:00+08:00"),
     ("明天晚上8-10点", "2026-11-25T20:00:00+08:00", "2026-11-25T22:00:00+08:00"),
     ("晚上10点到凌晨2点", "2026-11-24T22:00:00+08:00", "2026-11-25T02:00:00+08:00"),
     ("3-5号 培训", "2026-12-03", "2026-12-05"),
     ("25-28号 休假", "2026-11-25", "2026-11-28"),
     ("12/3-12/5 休假", "2026-12-03", "2026-12-05")],
)
def test_ranges_that_say_their_unit_once(text: str, start: str, due: str) -> None:
    result = parse_message(text, NOW)
    assert (result.start, result.due) == (start, due)


def test_every_other_week() -> None:
    result = parse_message("隔周周五开会", NOW)
    assert (result.recurrence, result.due, result.title) == (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "2026-11-27", "开会")


def test_a_list_of_dates_leaves_no_conjunction_in_the_title() -> None:
    result = parse_message("周三和周五开会", NOW)
    assert (result.due, result.title) == ("2026-11-25", "开会")


def test_drafting_tomorrow_is_not_a_start() -> None:
    spans = find_times_zh("明天起草合同", NOW, WeekdayCalendar())
    assert [(s.kind, s.end) for s in spans] == [("point", 2)]


def test_span_offsets_cover_the_expression() -> None:
    text = "请在明天下午3点前提交"
    spans = find_times_zh(text, NOW, WeekdayCalendar())
    assert [text[s.start:s.end] for s in spans] == ["明天下午3点"]


def test_time_only_span_is_marked_for_joining() -> None:
    spans = find_times_zh("下午3点", NOW, WeekdayCalendar())
    assert spans[0].time_only
    assert not find_times_zh("明天下午3点", NOW, WeekdayCalendar())[0].time_only


def test_workdays_skip_the_calendars_holidays() -> None:
    # 2026-09-30 is a Wednesday; China is off 10-01..10-07 and works Saturday 10-10 (补班).
    now = datetime(2026, 9, 30, 9, 0, tzinfo=SH)
    plain = find_times_zh("2个工作日后", now, WeekdayCalendar())
    china = find_times_zh("3个工作日后", now, ChinaCalendar())
    assert plain[0].value == date(2026, 10, 2)
    assert china[0].value == date(2026, 10, 10)


def test_workday_end_is_configurable() -> None:
    spans = find_times_zh("下班前", NOW, WeekdayCalendar(), workday_end=time(17, 30))
    assert spans[0].value == at(2026, 11, 24, 17, 30)


def test_past_expressions_still_resolve() -> None:
    assert resolve("昨天下午3点") == at(2026, 11, 23, 15)


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [(2027, 1, 15, date(2027, 2, 20)), (1991, 8, 23, date(1991, 9, 30)),
     (2020, 11, 29, date(2021, 1, 12))],
)
def test_lunar_dates_convert_near_festivals(year: int, month: int, day: int,
                                            expected: date) -> None:
    assert lunar_to_solar(year, month, day) == expected


def test_marked_lunar_date_is_read_as_lunar() -> None:
    assert resolve("农历正月十五") == date(2027, 2, 20)
    assert resolve("正月十五") == date(2027, 2, 20)


def test_a_rough_count_is_not_read_digit_by_digit() -> None:
    assert approx_count("两三") == 3
    assert approx_count("二三") is None  # 二三年 is 2023
    assert cn_to_int("二三") == 23


@pytest.mark.parametrize(
    ("token", "value"),
    [("三", 3), ("十五", 15), ("两", 2), ("廿", 20), ("廿九", 29), ("二十一", 21), ("两千零四", 2004),
     ("二零零四", 2004), ("一百零五", 105), ("12", 12), ("abc", None), ("", None)],
)
def test_chinese_numerals(token: str, value: int | None) -> None:
    assert cn_to_int(token) == value


def test_normalize_maps_offsets_back_over_dropped_characters() -> None:
    text = "明\u200b天\u202e下午３點"
    clean, offsets = normalize(text)
    assert clean == "明天下午3点"
    assert [text[offsets[i]] for i in range(len(clean))] == ["明", "天", "下", "午", "３", "點"]
    assert offsets[-1] == len(text)


def test_through_parse_message_the_due_has_the_zone_offset() -> None:
    result = parse_message("明天下午3点 开会", NOW)
    assert result.due == "2026-11-25T15:00:00+08:00"
    assert parse_message("下周五 开会", NOW).due == "2026-12-04"
