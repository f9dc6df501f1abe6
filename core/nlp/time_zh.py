"""Chinese date and time expressions, resolved against `now` (see nl-contract "Resolving dates").

The text is expected to be normalised by `core.nlp.text.normalize` (ASCII digits, simplified
time words).  Every pattern is a small regex over numeral, unit and weekday tables; matches from
all patterns compete and the longest wins, then a time of day is joined to the date before it.
"""

from __future__ import annotations

import calendar as _stdcal
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import Final

from dateutil.relativedelta import relativedelta

from core.calendar import WorkCalendar, add_workdays
from core.nlp.text import approx_count, cn_to_int
from core.nlp.types import Grain, SpanKind, TimeSpan

# ---------------------------------------------------------------------------------------------
# Vocabulary

_CN_NUM: Final = "零〇一二两三四五六七八九十百千廿卅"
_WEEKDAY: Final = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                   "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_RRULE_DAY: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_YEAR_REL: Final = {
    "今年": 0, "本年": 0, "这一年": 0, "这年": 0, "当年": 0, "明年": 1, "来年": 1, "下一年": 1,
    "后年": 2, "大后年": 3, "去年": -1, "上一年": -1, "前年": -2, "大前年": -3,
}
_DAY_REL: Final = {
    "今天": 0, "今日": 0, "本日": 0, "当天": 0, "当日": 0, "今儿": 0, "今儿个": 0, "全天": 0,
    "明天": 1, "明日": 1, "明儿": 1, "明儿个": 1, "次日": 1, "翌日": 1, "隔天": 1,
    "后天": 2, "大后天": 3, "大大后天": 4,
    "昨天": -1, "昨日": -1, "昨儿": -1, "昨儿个": -1, "前天": -2, "大前天": -3,
}
# Periods of the day: which half of the clock an hour is on, and the day they imply.
_AM: Final = frozenset({"凌晨", "清晨", "早晨", "早上", "早间", "上午", "今早", "今晨", "明早", "一早", "一大早",
                        "明晨", "早"})
_PM: Final = frozenset({"午后", "下午", "傍晚", "晚上", "晚间", "今晚", "明晚", "昨晚", "当晚",
                        "晚"})
_NIGHT: Final = frozenset({"夜里", "夜间", "深夜", "半夜", "今夜", "昨夜", "夜", "午夜"})
_PERIOD_DAY: Final = {"今晚": 0, "今早": 0, "今晨": 0, "今夜": 0, "当晚": 0, "明早": 1,
                      "明晚": 1, "明晨": 1, "昨晚": -1, "昨夜": -1}
# A period said without an hour (`今晚`, `下午`) stands for a default time.
_PERIOD_ALONE: Final = {"晚": 20, "早": 9, "一早": 9, "一大早": 9, "今晚": 20, "明晚": 20, "昨晚": 20, "当晚": 20,
                        "今夜": 22, "晚上": 20, "傍晚": 18, "今早": 9, "明早": 9, "今晨": 9, "明晨": 9, "早上": 9,
                        "上午": 9, "中午": 12, "下午": 14, "午夜": 24, "半夜": 24}

_YEAR_P: Final = (r"(?P<y>\d{4}|\d{2}|[零〇一二三四五六七八九]{2,4}"
                  r"|两千(?:零?[一二三四五六七八九十]{1,3})?|二千(?:零?[一二三四五六七八九十]{1,3})?)")
_RY_P: Final = r"(?P<ry>大后年|大前年|今年|本年|这一?年|当年|明年|来年|下一年|后年|去年|上一年|前年)"
_YEARPART: Final = rf"(?:(?<!\d){_YEAR_P}\s*年|{_RY_P})"
_MONTH_P: Final = r"(?<!\d)(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY_P: Final = (r"(?P<d>3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|廿[一二三四五六七八九]?"
                 r"|卅一?|初[一二三四五六七八九十]|[一二三四五六七八九])")
_MREL_P: Final = r"(?P<rm>本月|这个?月|当月|同月|下下个?月|下一?个?月|上上个?月|上一?个?月)"
_WEEK_PRE: Final = r"(?P<pre>上上个?|上一?个?|下下个?|下一?个?|本|这一?个?|今)"
_WEEK_UNIT: Final = r"(?:周|星期|礼拜)"
_NUM_P: Final = rf"(?P<n>\d+(?:\.\d+)?|[{_CN_NUM}]+|半)"
# A bare day number with no 日/号 must not run into a counter or unit (`3月5个需求`), but may
# run straight into a clock time (`6月2911:30`).
_NO_SUFFIX_END: Final = r"(?(suf)|(?:(?=\d{1,2}:\d)|(?![\d个只件项位天周月年%.点时分半:])))"

_FLAGS: Final = re.IGNORECASE


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _FLAGS)


# ---------------------------------------------------------------------------------------------
# Resolution context and intermediate hits


@dataclass(frozen=True, slots=True)
class _Ctx:
    now: datetime
    today: date
    calendar: WorkCalendar
    workday_end: time


@dataclass(frozen=True, slots=True)
class _Tod:
    """A time of day: hour/minute/second, days to add (24:00), and a day the period implies."""

    hour: int
    minute: int
    second: int
    extra_days: int
    implied_day: int | None
    grain: Grain
    # Said with 上午/下午/am/pm...: the end of a range (`晚上8点到10点`) takes the start's half.
    marked: bool = True


@dataclass(frozen=True, slots=True)
class _Recur:
    rrule: str
    matches: Callable[[date], bool]


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    value: date | datetime | None
    grain: Grain
    kind: SpanKind = "point"
    tod: _Tod | None = None
    recur: _Recur | None = None
    weekday_only: bool = False
    # For a date stated without its year or month (`5日`, `12月`): re-read it after an anchor,
    # as the end of a range (`12月1日至5日`, `2015年1月至12月`).
    refit: Callable[[date], date | None] | None = None

    @property
    def size(self) -> int:
        """Length of the matched text; longer readings win."""
        return self.end - self.start


_Result = tuple[date | datetime, Grain] | None
_Handler = Callable[[re.Match[str], _Ctx], _Result]


# ---------------------------------------------------------------------------------------------
# Small date helpers


def _num(token: str | None) -> int | None:
    if token is None:
        return None
    token = token.strip()
    if token.startswith("初"):
        token = token[1:]
    return cn_to_int(token)


def _year(m: re.Match[str], ctx: _Ctx) -> int | None:
    """The year a match names, or None when it names none (callers then use the current year)."""
    groups = m.groupdict()
    token = groups.get("y")
    if token:
        value = _num(token)
        if value is None:
            return None
        digits = len(token) if token.isascii() else (len(token) if token[0] not in "两二" or
                                                     "千" not in token else 4)
        if digits == 2:
            # Two-digit years: this century unless that lands more than a decade ahead.
            value += 2000 if 2000 + value <= ctx.today.year + 11 else 1900
        return value
    rel = groups.get("ry")
    if rel:
        return ctx.today.year + _YEAR_REL[rel]
    return None


def _shift_of(token: str | None) -> int:
    """How many weeks/months a prefix moves: 下 +1, 下下 +2, 上 -1, 上上 -2, 本/这 0."""
    if not token:
        return 0
    if token.startswith("下下"):
        return 2
    if token.startswith("上上"):
        return -2
    if token.startswith("下"):
        return 1
    if token.startswith("上"):
        return -1
    return 0


def _last_day(year: int, month: int) -> date:
    return date(year, month, _stdcal.monthrange(year, month)[1])


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _quarter_end(year: int, quarter: int) -> date:
    return _last_day(year, quarter * 3)


def _add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


# ---------------------------------------------------------------------------------------------
# Date handlers: each turns one regex match into (value, grain) or None.


def _h_ymd(m: re.Match[str], ctx: _Ctx) -> _Result:
    day = _num(m["d"])
    if day is None:
        return None
    year = _year(m, ctx)
    if m.groupdict().get("rm"):
        base = _add_months(ctx.today.replace(day=1), _shift_of(m["rm"]))
        return _ok(_safe_date(year or base.year, base.month, day))
    month = _num(m["m"])
    if month is None:
        return None
    if year is not None:
        return _ok(_safe_date(year, month, day))
    # No year: the next such date on or after today (the future reading).
    for offset in range(9):
        candidate = _safe_date(ctx.today.year + offset, month, day)
        if candidate is not None and candidate >= ctx.today:
            return candidate, "day"
    return None


def _ok(value: date | None, grain: Grain = "day") -> _Result:
    return None if value is None else (value, grain)


def _h_numeric_ymd(m: re.Match[str], ctx: _Ctx) -> _Result:
    return _ok(_safe_date(int(m["y"]), int(m["m"]), int(m["d"])))


def _h_numeric_3(m: re.Match[str], ctx: _Ctx) -> _Result:
    a, b, c = int(m["a"]), int(m["b"]), m["c"]
    if len(c) == 4:
        return _ok(_safe_date(int(c), b, a))
    cv = int(c)
    if len(c) == 1 and (len(m["a"]) != 2 or m["s"] == "."):
        # `3-7-2` is no date; `10.2.3` is a version.
        return None
    # Two-digit groups: a two-digit lead with a day-sized tail reads as yy-mm-dd (12-11-10,
    # 27-7-3: Chinese writes the year first), otherwise as dd-mm-yy (3-7-27, 05/05/89).
    if len(m["a"]) == 2 and 1 <= cv <= 31:
        year, month, day = a, b, cv
    else:
        year, month, day = cv, b, a
    year += 2000 if 2000 + year <= ctx.today.year + 11 else 1900
    return _ok(_safe_date(year, month, day))


def _h_month_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    month, day = int(m["m"]), int(m["d"])
    for offset in range(9):
        candidate = _safe_date(ctx.today.year + offset, month, day)
        if candidate is not None and candidate >= ctx.today:
            return candidate, "day"
    return None


# `第 10-20 页`, `pages 10-20`, `10-20 people`: a range of things counted, not 20 October.
_COUNTED_BEFORE: Final = re.compile(
    r"(?:第|pages?|pp\.?|p\.|slides?|rows?|lines?|items?|steps?|chapters?|sections?|questions?"
    r"|#|no\.?)\s*$", re.IGNORECASE)
_COUNTED_AFTER: Final = re.compile(
    r"\s*(?:页|章|节|条|行|题|楼|层|期|集|个|人|次|项|版|名|岁|分|元|%|people|persons|items|pages"
    r"|users|tickets|bugs|tasks|points|rows|lines|slides)", re.IGNORECASE)


def _h_dash_month_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    text = m.string
    if _COUNTED_BEFORE.search(text, max(0, m.start() - 12), m.start()) or \
            _COUNTED_AFTER.match(text, m.end()):
        return None
    return _h_month_day(m, ctx)


def _h_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    day = _num(m["d"])
    if day is None or not 1 <= day <= 31:
        return None
    if m.groupdict().get("rm"):
        base = _add_months(ctx.today.replace(day=1), _shift_of(m["rm"]))
        return _ok(_safe_date(base.year, base.month, day))
    # A bare day of the month is its next occurrence from today on (`24号` on the 24th is today,
    # as `the 24th` is: nobody means a month ahead).
    base = ctx.today.replace(day=1)
    for offset in range(13):
        month_start = _add_months(base, offset)
        candidate = _safe_date(month_start.year, month_start.month, day)
        if candidate is not None and candidate >= ctx.today:
            return candidate, "day"
    return None


def _next_on_or_after(anchor: date, make: Callable[[int, int], date | None],
                      step_months: int) -> date | None:
    """The first date `make(year, month)` on or after `anchor`, trying later months or years."""
    base = anchor.replace(day=1)
    for i in range(13):
        moved = _add_months(base, i * step_months)
        found = make(moved.year, moved.month)
        if found is not None and found >= anchor:
            return found
    return None


def _refit_for(handler: _Handler, m: re.Match[str]) -> Callable[[date], date | None] | None:
    """How to re-read a partial date after a range anchor, or None when it is complete."""
    groups = m.groupdict()
    if groups.get("y") or groups.get("ry") or groups.get("rm"):
        return None
    day = _num(groups.get("d"))
    month = _num(groups.get("m"))
    if handler is _h_day and day is not None:
        return partial(_refit_day, day)
    if handler is _h_ymd and day is not None and month is not None:
        return partial(_refit_month_day, month, day)
    if handler is _h_year_month and month is not None and not groups.get("pos"):
        return partial(_refit_month, month)
    return None


def _refit_day(day: int, anchor: date) -> date | None:
    return _next_on_or_after(anchor, lambda y, mo: _safe_date(y, mo, day), 1)


def _refit_month_day(month: int, day: int, anchor: date) -> date | None:
    return _next_on_or_after(anchor, lambda y, _mo: _safe_date(y, month, day), 12)


def _refit_month(month: int, anchor: date) -> date | None:
    return _next_on_or_after(anchor, lambda y, _mo: _last_day(y, month), 12)


def period_start(value: date, grain: Grain) -> date:
    """The first day of the week/month/quarter/year whose deadline (last day) is `value`."""
    if grain == "week":
        return value - timedelta(days=value.weekday())
    if grain == "month":
        return value.replace(day=1)
    if grain == "quarter":
        return date(value.year, (value.month - 1) // 3 * 3 + 1, 1)
    if grain == "year":
        return date(value.year, 1, 1)
    return value


def _h_now(m: re.Match[str], ctx: _Ctx) -> _Result:
    return ctx.now, "minute"


def _h_rel_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    return ctx.today + timedelta(days=_DAY_REL[m["w"]]), "day"


def _h_weekday(m: re.Match[str], ctx: _Ctx) -> _Result:
    pre = m["pre"]
    wd = m["wd"]
    after = m.string[m.end(): m.end() + 2]
    if wd == "末":
        monday = _monday(ctx.today) + timedelta(weeks=_shift_of(pre))
        if after.startswith(("前", "之前", "以前")):
            return monday + timedelta(days=4), "day"
        if pre is None and ctx.today.weekday() == 6:
            monday += timedelta(weeks=1)
        return monday + timedelta(days=5), "day"
    weekday = _WEEKDAY[wd]
    if pre is None:
        ahead = (weekday - ctx.today.weekday()) % 7 or 7
        return ctx.today + timedelta(days=ahead), "day"
    monday = _monday(ctx.today) + timedelta(weeks=_shift_of(pre))
    return monday + timedelta(days=weekday), "day"


def _h_week_period(m: re.Match[str], ctx: _Ctx) -> _Result:
    monday = _monday(ctx.today) + timedelta(weeks=_shift_of(m["pre"]))
    return monday + timedelta(days=4), "week"


def _h_month_period(m: re.Match[str], ctx: _Ctx) -> _Result:
    rel = m["rm"]
    pos = m["pos"] or m["pos2"] or ""
    first = ctx.today.replace(day=1)
    if rel is None:
        # Bare 月底/月初/月中: 月初 means the coming first of the month.
        if pos == "初":
            return _add_months(first, 1), "day"
        if pos == "中":
            mid = first.replace(day=15)
            return (mid if mid >= ctx.today else _add_months(mid, 1)), "day"
        return _last_day(first.year, first.month), "day"
    start = _add_months(first, _shift_of(rel))
    return _month_position(start, pos)


def _month_position(start: date, pos: str) -> _Result:
    if pos == "初":
        return start, "day"
    if pos in {"中", "中旬"}:
        return start.replace(day=15 if pos == "中" else 20), "day"
    if pos == "上旬":
        return start.replace(day=10), "day"
    if pos in {"底", "末", "下旬"}:
        return _last_day(start.year, start.month), "day"
    return _last_day(start.year, start.month), "month"


def _h_year_month(m: re.Match[str], ctx: _Ctx) -> _Result:
    month = _num(m["m"])
    if month is None or not 1 <= month <= 12:
        return None
    year = _year(m, ctx)
    if year is None:
        year = ctx.today.year if month >= ctx.today.month else ctx.today.year + 1
    return _month_position(date(year, month, 1), m["pos"] or "")


def _h_year(m: re.Match[str], ctx: _Ctx) -> _Result:
    year = _year(m, ctx)
    if year is None or year < 1:
        return None
    pos = m["pos"] or ""
    if pos in {"初", "伊始", "开头"}:
        return date(year, 1, 1), "day"
    if pos == "中":
        return date(year, 6, 30), "day"
    return date(year, 12, 31), ("day" if pos in {"底", "末"} else "year")


def _h_nth_month(m: re.Match[str], ctx: _Ctx) -> _Result:
    year = _year(m, ctx)
    month = 1 if m["first"] else _num(m["mn"])
    if year is None or month is None or not 1 <= month <= 12:
        return None
    return _last_day(year, month), "month"


def _h_few_days(m: re.Match[str], ctx: _Ctx) -> _Result:
    """`这两天`, `近几天`, `明后天`: the few days ahead, due on their last; `前两天` a few days ago."""
    text = m.group(0)
    if m["ago"]:
        return ctx.today - timedelta(days=2 if m["ago"] == "两" else 3), "day"
    if text.startswith("过"):
        return ctx.today + timedelta(days=3), "day"
    if m["w"]:
        return ctx.today + timedelta(days=1 if m["w"] == "今明" else 2), "day"
    few = m["few"]
    count = {"一两": 2, "两三": 3, "两": 2, "几": 3}.get(few) or _num(few)
    if count is None or not 1 <= count <= 366:
        return None
    # Today counts as the first of them: `这两天` is today and tomorrow.
    return ctx.today + timedelta(days=count - 1), "day"


def _h_month_last(m: re.Match[str], ctx: _Ctx) -> _Result:
    """`本月最后一个工作日`, `12月最后一个周五`, `月底最后一天` (月底: this month)."""
    groups = m.groupdict()
    if groups.get("rm"):
        first = _add_months(ctx.today.replace(day=1), _shift_of(groups["rm"]))
    elif groups.get("m"):
        month = _num(groups["m"])
        if month is None or not 1 <= month <= 12:
            return None
        year = _year(m, ctx)
        if year is None:
            year = ctx.today.year if month >= ctx.today.month else ctx.today.year + 1
        first = date(year, month, 1)
    else:
        first = ctx.today.replace(day=1)
    day = _last_day(first.year, first.month)
    if groups.get("lwd"):
        return day - timedelta(days=(day.weekday() - _WEEKDAY[groups["lwd"]]) % 7), "day"
    if groups.get("lwork"):
        for _ in range(31):
            if ctx.calendar.is_workday(day):
                break
            day -= timedelta(days=1)
    return day, "day"


def _h_quarter_hours(m: re.Match[str], ctx: _Ctx) -> _Result:
    return _elapsed(ctx.now, timedelta(minutes=15 * (_num(m["n"]) or 1))), "minute"


def _h_next_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    return ctx.today + timedelta(days=1), "day"


def _h_next_workday(m: re.Match[str], ctx: _Ctx) -> _Result:
    return add_workdays(ctx.calendar, ctx.today, 1), "day"


def _h_year_months(m: re.Match[str], ctx: _Ctx) -> _Result:
    """`今年前三个月`, `2021年后三个月`: the first or last months of a year, due on their end."""
    year = _year(m, ctx)
    count = _num(m["n"])
    if year is None or count is None or not 1 <= count <= 12:
        return None
    if m["side"] == "前":
        return _last_day(year, count), "month"
    return date(year, 12, 31), "month"


def _h_year_bare(m: re.Match[str], ctx: _Ctx) -> _Result:
    pos = m["pos"]
    year = ctx.today.year
    if pos == "初":
        return date(year + 1, 1, 1), "day"
    if pos == "中":
        return date(year, 6, 30), "day"
    return date(year, 12, 31), "day"


# Seasons as deadlines end on their last month's last day; winter runs into the next year.
_SEASON_END: Final = {"春": (0, 5), "夏": (0, 8), "秋": (0, 11), "冬": (1, 2)}


def _h_season(m: re.Match[str], ctx: _Ctx) -> _Result:
    years_on, month = _SEASON_END[m["season"]]
    year = _year(m, ctx)
    if year is not None:
        return _last_day(year + years_on, month), "month"
    for candidate in range(ctx.today.year - 1, ctx.today.year + 2):
        end = _last_day(candidate + years_on, month)
        if end >= ctx.today:
            return end, "month"
    return None


def _h_half_year(m: re.Match[str], ctx: _Ctx) -> _Result:
    year = _year(m, ctx) or ctx.today.year
    return (date(year, 6, 30) if m["half"] == "上" else date(year, 12, 31)), "month"


# What a quarter or a shopping festival names when it runs straight into it (`一季度财报`,
# `双11大促`, `双11复盘`): a report or a campaign, not a deadline.
_NAMED_NOUN: Final = re.compile(
    r"(?:财报|报告|报表|复盘|总结|目标|计划|预算|数据|业绩|营收|收入|销售|大促|活动|期间|规划|汇报|会议|例会"
    r"|战报|销量|订单|备货|预热|排期|需求|OKR|KPI|PPT|GMV|deck|review|report|plan)", re.IGNORECASE)


def _h_quarter(m: re.Match[str], ctx: _Ctx) -> _Result:
    groups = m.groupdict()
    if (groups.get("q") or groups.get("qq")) and not groups.get("pos") and \
            _NAMED_NOUN.match(m.string, m.end()):
        return None
    year = _year(m, ctx)
    current = (ctx.today.month - 1) // 3 + 1
    qword = groups.get("q") or groups.get("qq")
    if qword:
        quarter = 1 if qword == "首" else (_num(qword) or 0)
        if not 1 <= quarter <= 4:
            return None
        year = year if year is not None else ctx.today.year
    else:
        index = (year if year is not None else ctx.today.year) * 4 + current - 1
        index += _shift_of(groups.get("pre"))
        year, quarter = divmod(index, 4)
        quarter += 1
    pos = groups.get("pos") or ""
    if pos == "初":
        return date(year, quarter * 3 - 2, 1), "month"
    return _quarter_end(year, quarter), ("month" if pos else "quarter")


_Q_DEADLINE: Final = re.compile(r"\s*(?:之前|以前|前|结束|内|之内|以内|截止)")


def _h_quarter_q(m: re.Match[str], ctx: _Ctx) -> _Result:
    if not (m["y"] or m["ry"] or m["pos"] or _Q_DEADLINE.match(m.string, m.end())):
        return None
    return _h_quarter(m, ctx)


def _h_same_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    base = m["base"]
    sign = -1 if base.startswith(("上", "去")) else 1
    steps = 2 if base.startswith(("下下", "上上", "后年")) else 1
    if base.endswith(("周", "星期", "礼拜")):
        return ctx.today + timedelta(weeks=sign * steps), "day"
    if base.endswith("月"):
        return ctx.today + relativedelta(months=sign * steps), "day"
    return ctx.today + relativedelta(years=sign * steps), "day"


def _h_week_of_month(m: re.Match[str], ctx: _Ctx) -> _Result:
    n = _num(m["n"])
    if n is None or not 1 <= n <= 5:
        return None
    if m["rm"]:
        first = _add_months(ctx.today.replace(day=1), _shift_of(m["rm"]))
    else:
        month = _num(m["m"])
        if month is None or not 1 <= month <= 12:
            return None
        first = date(_year(m, ctx) or ctx.today.year, month, 1)
    if m["wd"]:
        weekday = _WEEKDAY[m["wd"]]
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
        return day, "day"
    # Week N of a month is the week that starts on its N-th Monday.
    monday = first + timedelta(days=(-first.weekday()) % 7 + 7 * (n - 1))
    return monday + timedelta(days=4), "week"


def _h_week_of_year(m: re.Match[str], ctx: _Ctx) -> _Result:
    n = _num(m["n"])
    year = _year(m, ctx)
    if n is None or year is None or not 1 <= n <= 53:
        return None
    first = date(year, 1, 1)
    monday = first + timedelta(days=(-first.weekday()) % 7 + 7 * (n - 1))
    return monday + timedelta(days=4), "week"


def _h_day_of_year(m: re.Match[str], ctx: _Ctx) -> _Result:
    n = _num(m["n"])
    year = _year(m, ctx)
    if n is None or year is None or not 1 <= n <= 366:
        return None
    return date(year, 1, 1) + timedelta(days=n - 1), "day"


_UNIT: Final = {"分钟": "minute", "分": "minute", "小时": "hour", "钟头": "hour", "天": "day",
                "日": "day", "周": "week", "星期": "week", "礼拜": "week", "月": "month",
                "年": "year", "工作日": "workday", "季度": "quarter"}


# Beyond these an "offset" is more likely a year or a count than a distance in time.
_OFFSET_LIMIT: Final = {"minute": 100000, "hour": 10000, "day": 3660, "workday": 2600,
                        "week": 520, "month": 240, "year": 100, "quarter": 80}


def _offset_amount(m: re.Match[str]) -> float | None:
    amount = m["n"]
    if amount == "半":
        value: float = 0.5
    elif "." in amount:
        value = float(amount)
    else:
        parsed = approx_count(amount) or cn_to_int(amount)
        if parsed is None:
            return None
        value = parsed
    if m.groupdict().get("half1") or m.groupdict().get("half2"):
        value += 0.5
    return value


def _h_offset(m: re.Match[str], ctx: _Ctx) -> _Result:
    amount = _offset_amount(m)
    unit = _UNIT[m["u"]]
    if amount is None or amount > _OFFSET_LIMIT[unit]:
        return None
    direction = m.groupdict().get("dir") or "后"
    sign = -1 if direction.endswith("前") or direction == "过去" else 1
    return _shift(ctx, amount * sign, unit)


_UNIT_P: Final = r"(?:分钟|分|小时|钟头|天|日|周|星期|礼拜|个月|月|年)"
_COMPOUND_PART: Final = re.compile(rf"(\d+|[{_CN_NUM}]+)\s*个?\s*({_UNIT_P})")
_RELATIVE: Final = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks",
                    "month": "months", "year": "years"}


def _h_compound(m: re.Match[str], ctx: _Ctx) -> _Result:
    """`1年2个月前`, `2天3小时后`: each part moves `now`, the direction applies to all."""
    sign = -1 if m["dir"].endswith("前") else 1
    moves: dict[str, int] = {}
    for number, unit_word in _COMPOUND_PART.findall(m["parts"]):
        amount = cn_to_int(number)
        unit = _UNIT[unit_word.removeprefix("个")]
        if amount is None or unit not in _RELATIVE:
            return None
        key = _RELATIVE[unit]
        moves[key] = moves.get(key, 0) + sign * amount
    clock = {k: moves.pop(k) for k in ("hours", "minutes") if k in moves}
    moment = ctx.now + relativedelta(**moves)  # type: ignore[arg-type]  # keys are relativedelta's
    if clock:
        return _elapsed(moment, timedelta(**clock)), "minute"
    return moment.date(), "day"


def _elapsed(start: datetime, delta: timedelta) -> datetime:
    """`start` plus `delta` of real time: 6小时后 across a daylight-saving change is six hours
    on the clock that was kept, not on the wall."""
    return (start.astimezone(UTC) + delta).astimezone(start.tzinfo)


def _shift(ctx: _Ctx, amount: float, unit: str) -> _Result:
    """Move `now` by `amount` units: minutes and hours give a datetime, larger units a date."""
    if unit == "minute":
        return _elapsed(ctx.now, timedelta(minutes=amount)), "minute"
    if unit == "hour":
        return _elapsed(ctx.now, timedelta(hours=amount)), "minute"
    if unit == "day":
        return ctx.today + timedelta(days=int(amount)), "day"
    if unit == "workday":
        return add_workdays(ctx.calendar, ctx.today, int(amount)), "day"
    if unit == "week":
        return ctx.today + timedelta(days=round(amount * 7)), "day"
    if unit == "month":
        whole = int(amount)
        return ctx.today + relativedelta(months=whole, days=round((amount - whole) * 30)), "day"
    if unit == "quarter":
        return ctx.today + relativedelta(months=round(amount * 3)), "month"
    whole = int(amount)
    return ctx.today + relativedelta(years=whole, months=round((amount - whole) * 12)), "day"


# ---------------------------------------------------------------------------------------------
# Festivals and lunar dates


@lru_cache(maxsize=1)
def _lunisolar() -> object | None:
    """The `holidays` package's table of lunisolar festival dates (1901–2099), loaded on first use."""
    try:
        from holidays.calendars.chinese import _ChineseLunisolar
    except ImportError:  # pragma: no cover - holidays is a declared dependency
        return None
    return _ChineseLunisolar()


def _festival(name: str, year: int) -> date | None:
    table = _lunisolar()
    if table is None:
        return None
    method = getattr(table, f"{name}_date", None)
    if method is None:
        return None
    try:
        found = method(year)[0]
    except (KeyError, ValueError, TypeError):
        return None
    return found if isinstance(found, date) else None


# Lunar (month, day) of the festivals whose Gregorian dates are tabulated; the next lunar new
# year closes the year as month 13.
_ANCHORS: Final = (((1, 1), "lunar_new_year", 0), ((5, 5), "dragon_boat", 0),
                   ((8, 15), "mid_autumn", 0), ((9, 9), "double_ninth", 0),
                   ((13, 1), "lunar_new_year", 1))
_LUNAR_MONTH: Final = 29.53


def _lunar_index(month: int, day: int) -> float:
    return (month - 1) * _LUNAR_MONTH + day - 1


def lunar_to_solar(year: int, month: int, day: int) -> date | None:
    """Gregorian date of a lunar date, counted from the nearest tabulated festival (±1 day)."""
    if not (1 <= month <= 12 and 1 <= day <= 30):
        return None
    target = _lunar_index(month, day)
    best: tuple[float, date] | None = None
    for (lm, ld), name, offset in _ANCHORS:
        found = _festival(name, year + offset)
        if found is None:
            continue
        # Counting from the closest festival keeps a leap month elsewhere in the year out.
        distance = target - _lunar_index(lm, ld)
        if best is None or abs(distance) < abs(best[0]):
            best = (distance, found)
    if best is None:
        return None
    return best[1] + timedelta(days=round(best[0]))


_SOLAR_FESTIVALS: Final = {
    "元旦": (1, 1), "元旦节": (1, 1), "新年": (1, 1), "情人节": (2, 14), "妇女节": (3, 8),
    "三八节": (3, 8), "女生节": (3, 7), "植树节": (3, 12), "愚人节": (4, 1), "劳动节": (5, 1),
    "五一劳动节": (5, 1), "五一节": (5, 1), "五一": (5, 1), "青年节": (5, 4), "儿童节": (6, 1),
    "六一": (6, 1), "建党节": (7, 1), "建军节": (8, 1), "教师节": (9, 10), "国庆": (10, 1),
    "国庆节": (10, 1), "万圣节": (10, 31), "光棍节": (11, 11), "双十一": (11, 11),
    "双11": (11, 11), "双十二": (12, 12), "双12": (12, 12), "平安夜": (12, 24),
    "圣诞": (12, 25), "圣诞节": (12, 25),
}
# Festivals on the lunar calendar: (table name or lunar month/day, days to add).
_LUNAR_FESTIVALS: Final[dict[str, tuple[str | tuple[int, int], int]]] = {
    "春节": ("lunar_new_year", 0), "过年": ("lunar_new_year", 0),
    "大年初一": ("lunar_new_year", 0), "除夕": ("lunar_new_year", -1),
    "大年三十": ("lunar_new_year", -1), "大年夜": ("lunar_new_year", -1),
    "元宵": ("lunar_new_year", 14), "元宵节": ("lunar_new_year", 14),
    "端午": ("dragon_boat", 0), "端午节": ("dragon_boat", 0), "中秋": ("mid_autumn", 0),
    "中秋节": ("mid_autumn", 0), "重阳": ("double_ninth", 0), "重阳节": ("double_ninth", 0),
    "七夕": ((7, 7), 0), "腊八": ((12, 8), 0),
    # Said by its lunar date, 八月十五 is the Mid-Autumn festival (八月十五日/8月15号 are not).
    "八月十五": ("mid_autumn", 0), "8月十五": ("mid_autumn", 0),
}
_LUNAR_DATE_IDIOMS: Final = frozenset({"八月十五", "8月十五"})
# The idioms have their own rule: a digit must not send every text through the festival one.
_FESTIVAL_P: Final = "|".join(sorted({*_SOLAR_FESTIVALS, *_LUNAR_FESTIVALS, "清明", "清明节"}
                                     - _LUNAR_DATE_IDIOMS, key=len, reverse=True))


def _festival_in(word: str, year: int) -> date | None:
    """The date of festival `word` in (lunar or Gregorian) year `year`."""
    if word in _SOLAR_FESTIVALS:
        return _safe_date(year, *_SOLAR_FESTIVALS[word])
    if word.startswith("清明"):
        return _festival("qingming", year)
    source, shift = _LUNAR_FESTIVALS[word]
    if isinstance(source, tuple):
        found = lunar_to_solar(year, *source)
    elif shift < 0:
        # New Year's Eve closes lunar year `year`: it is the eve of the next new year.
        found = _festival(source, year + 1)
    else:
        found = _festival(source, year)
    return None if found is None else found + timedelta(days=shift)


def _next_or_in_year(m: re.Match[str], ctx: _Ctx,
                     resolve: Callable[[int], date | None]) -> _Result:
    """Resolve in the named year, else the next occurrence on or after today."""
    year = _year(m, ctx)
    if year is not None:
        return _ok(resolve(year))
    for candidate_year in range(ctx.today.year - 1, ctx.today.year + 2):
        found = resolve(candidate_year)
        if found is not None and found >= ctx.today:
            return found, "day"
    return None


def _h_national_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    return _next_or_in_year(m, ctx, lambda year: _safe_date(year, 10, 1))


def _h_before_new_year(m: re.Match[str], ctx: _Ctx) -> _Result:
    # Like 春节前/过年前: due on the coming Spring Festival; 前 is left for the connector.
    return _next_or_in_year(m, ctx, lambda year: _festival_in("春节", year))


def _h_festival(m: re.Match[str], ctx: _Ctx) -> _Result:
    word = m["hol"]
    if word.startswith("双") and _NAMED_NOUN.match(m.string, m.end()):
        return None  # `双11大促`: the campaign
    if word in _LUNAR_DATE_IDIOMS and m["y"]:
        # A numbered year makes it a written calendar date: 2004年八月十五 is 15 August.
        return None
    return _next_or_in_year(m, ctx, lambda year: _festival_in(word, year))


_LUNAR_MONTHS: Final = {"正": 1, "冬": 11, "腊": 12}


def _h_lunar(m: re.Match[str], ctx: _Ctx) -> _Result:
    raw_month = m["lm"]
    month = _LUNAR_MONTHS.get(raw_month) or _num(raw_month)
    day = _num(m["ld"].replace("廿", "二十") if m["ld"] != "廿" else "二十")
    if m["ld"] == "卅":
        day = 30
    if month is None or day is None:
        return None
    return _next_or_in_year(m, ctx, lambda year: lunar_to_solar(year, month, day))


def _h_lunar_new_year_day(m: re.Match[str], ctx: _Ctx) -> _Result:
    day = _num(m["ld"])
    if day is None:
        return None
    return _next_or_in_year(m, ctx, lambda year: lunar_to_solar(year, 1, day))


# ---------------------------------------------------------------------------------------------
# Recurrence


def _recurrence(groups: dict[str, str | None], kind: str) -> _Recur | None:
    """Build the RRULE (and a day test for its first occurrence) from a `每…` match."""
    every = _num(groups.get("n")) if groups.get("n") else 1
    if every is None or every < 1:
        return None
    interval = f";INTERVAL={every}" if every > 1 else ""
    if kind == "workday":
        return _Recur("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", lambda d: d.weekday() < 5)
    if kind == "day":
        return _Recur(f"FREQ=DAILY{interval}", lambda d: True)
    if kind == "quarter":
        return _Recur("FREQ=MONTHLY;INTERVAL=3", lambda d: True)
    if kind == "other-week":
        kind, interval = "week", ";INTERVAL=2"
    if kind == "week":
        days = sorted({_WEEKDAY[ch] for ch in _WEEKDAY_CHARS.findall(groups.get("days") or "")})
        if not days:
            return _Recur(f"FREQ=WEEKLY{interval}", lambda d: True)
        byday = ",".join(_RRULE_DAY[d] for d in days)
        wanted = frozenset(days)
        return _Recur(f"FREQ=WEEKLY{interval};BYDAY={byday}", lambda d: d.weekday() in wanted)
    if kind == "month":
        if groups.get("end"):
            return _Recur(f"FREQ=MONTHLY{interval};BYMONTHDAY=-1",
                          lambda d: (d + timedelta(days=1)).day == 1)
        nth_day = _monthly_weekday(groups, interval)
        if nth_day is not None:
            return nth_day
        listed_days = groups.get("md")
        if listed_days:
            mdays = sorted({_num(t) or 0 for t in _MONTH_DAY_TOKEN.findall(listed_days)})
            if not mdays or not all(1 <= d <= 31 for d in mdays):
                return None
            wanted_days = frozenset(mdays)
            listed = ",".join(str(d) for d in mdays)
            return _Recur(f"FREQ=MONTHLY{interval};BYMONTHDAY={listed}",
                          lambda d: d.day in wanted_days)
        if groups.get("begin"):
            return _Recur(f"FREQ=MONTHLY{interval};BYMONTHDAY=1", lambda d: d.day == 1)
        return _Recur(f"FREQ=MONTHLY{interval}", lambda d: True)
    month = _num(groups.get("ym")) if groups.get("ym") else None
    yday = _num(groups.get("yd")) if groups.get("yd") else None
    if month is None or yday is None:
        return _Recur("FREQ=YEARLY", lambda d: True)
    return _Recur(f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={yday}",
                  lambda d: d.month == month and d.day == yday)


_MONTH_DAY_TOKEN: Final = re.compile(rf"(\d{{1,2}}|[{_CN_NUM}]{{1,3}})[号日]")


def _monthly_weekday(groups: dict[str, str | None], interval: str) -> _Recur | None:
    """`每月第一个周一` (BYDAY=1MO), `每月最后一个周五` (-1FR), `每月最后一个工作日`."""
    if groups.get("lwork") is not None:
        return _Recur(f"FREQ=MONTHLY{interval};BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
                      lambda d: d.weekday() < 5 and _last_weekday_of_month(d) == d)
    nth_word, weekday_word = groups.get("nth"), groups.get("nwd") or groups.get("lwd")
    if weekday_word is None:
        return None
    weekday = _WEEKDAY[weekday_word]
    if nth_word is None:
        return _Recur(f"FREQ=MONTHLY{interval};BYDAY=-1{_RRULE_DAY[weekday]}",
                      lambda d: d.weekday() == weekday and (d + timedelta(days=7)).month != d.month)
    nth = _num(nth_word) or 1
    return _Recur(f"FREQ=MONTHLY{interval};BYDAY={nth}{_RRULE_DAY[weekday]}",
                  lambda d: d.weekday() == weekday and (d.day - 1) // 7 == nth - 1)


def _last_weekday_of_month(day: date) -> date:
    last = _last_day(day.year, day.month)
    return last - timedelta(days=max(0, last.weekday() - 4))


def _first_occurrence(recur: _Recur, ctx: _Ctx, tod: _Tod | None) -> date | datetime | None:
    day = ctx.today
    for _ in range(400):
        if recur.matches(day):
            if tod is None:
                return day
            moment = _at(ctx, day, tod)
            if moment >= ctx.now:
                return moment
        day += timedelta(days=1)
    return None


# ---------------------------------------------------------------------------------------------
# Times of day


def _at(ctx: _Ctx, day: date, tod: _Tod) -> datetime:
    base = datetime.combine(day, time(tod.hour % 24, tod.minute, tod.second), ctx.now.tzinfo)
    return base + timedelta(days=tod.extra_days + (1 if tod.hour == 24 else 0))


def _hour_for(period: str | None, hour: int) -> tuple[int, int] | None:
    """Put an hour on the 24-hour clock given its period word; returns (hour, extra_days)."""
    if hour > 24:
        return None
    if period in _AM:
        return (0 if hour == 12 and period == "凌晨" else hour), 0
    if period == "中午":
        return (hour + 12 if hour <= 3 else hour), 0
    if period in _PM:
        if hour == 12 and period not in {"午后", "下午"}:
            return 24, 0  # 晚上12点 is the midnight that ends the evening
        return (hour + 12 if hour < 12 else hour), 0
    if period in _NIGHT:
        if hour == 12:
            return 24, 0
        return (hour + 12 if 6 <= hour < 12 else hour), 0
    # No marker: 1–7 are afternoon hours, 8–23 as written (the contract's rule).
    if 1 <= hour <= 7:
        return hour + 12, 0
    return hour, 0


# `三点建议`, `五点总结` count points, not hours.
_POINTS_NOUN: Final = re.compile(r"\s*(?:建议|总结|意见|要求|内容|原因|问题|想法|说明|看法|体会|心得|注意事项"
                                 r"|理由|好处|事项|共识|改进|结论|不足|措施|原则|目标|思考|感想|收获|反馈)")


def _points_of_a_list(m: re.Match[str], period: str | None, grain: Grain) -> bool:
    """A bare `N点` before a noun such as 建议/总结, with no day or period word, is a count."""
    if period is not None or grain != "hour" or not m.group(0).endswith("点"):
        return False
    before = m.string[m.start() - 1: m.start()]
    if before and before in "天日号末一二三四五六七晚早午":
        return False
    return _POINTS_NOUN.match(m.string, m.end()) is not None


def _time_hit(m: re.Match[str], ctx: _Ctx) -> _Tod | None:
    groups = m.groupdict()
    period = groups.get("per")
    implied = _PERIOD_DAY.get(period) if period else None
    if groups.get("meal"):
        return _Tod(18 if groups["meal"].startswith("晚") else 12, 0, 0, 0, None, "hour")
    if groups.get("eod"):
        end = ctx.workday_end
        return _Tod(end.hour, end.minute, 0, 0, None, "minute")
    if groups.get("alone"):
        word = groups["alone"]
        hour = _PERIOD_ALONE[word]
        return _Tod(hour, 0, 0, 0, _PERIOD_DAY.get(word), "hour")
    if groups.get("hh") is not None:
        hour, minute = int(groups["hh"]), int(groups["mm"])
        second = int(groups["ss"]) if groups.get("ss") else 0
        ampm = (groups.get("ap") or "").lower()
        if ampm == "p" and hour < 12:
            hour += 12
        elif ampm == "a" and hour == 12:
            hour = 0
        elif period is not None:
            placed = _hour_for(period, hour)
            if placed is None:
                return None
            hour = placed[0]
        if hour > 24 or minute > 59:
            return None
        return _Tod(hour, minute, second, 0, implied, "minute", bool(ampm) or period is not None)
    raw_hour = groups["h"]
    hour_value = _num(raw_hour)
    if hour_value is None:
        return None
    minute = 0
    grain: Grain = "hour"
    if groups.get("half"):
        minute, grain = 30, "minute"
    elif groups.get("q"):
        minute, grain = (15 if groups["q"] in "一1" else 45), "minute"
    elif groups.get("mi"):
        parsed = _num(groups["mi"])
        if parsed is None or parsed > 59:
            return None
        minute, grain = parsed, "minute"
    second = _num(groups.get("s")) or 0 if groups.get("s") else 0
    if _points_of_a_list(m, period, grain):
        return None
    # `一点` alone is far more often "a little" (快一点, 晚一点) than one o'clock.
    if raw_hour == "一" and grain == "hour" and period in {None, "早", "晚", "夜"}:
        return None
    placed = _hour_for(period, hour_value)
    if placed is None:
        return None
    if groups.get("less") or groups.get("lessq"):
        # `差五分三点`: five to three.
        less = 15 if groups.get("lessq") else _num(groups["less"])
        if less is None or not 0 < less < 60 or grain != "hour" or placed[0] == 0:
            return None
        return _Tod(placed[0] - 1, 60 - less, 0, placed[1], implied, "minute", period is not None)
    return _Tod(placed[0], minute, second, placed[1], implied, grain, period is not None)


# ---------------------------------------------------------------------------------------------
# Pattern tables

_LUNAR_DAY_P: Final = (r"(?P<ld>初[一二三四五六七八九十]|廿[一二三四五六七八九]?|卅|[二三]?十[一二三四五六七八九]?"
                       r"|[12]\d|30|0?[1-9]|[一二三四五六七八九])")
_LUNAR_MONTH_P: Final = r"(?P<lm>正|冬|腊|十[一二]?|[一二三四五六七八九]|1[0-2]|0?[1-9])"
# Each rule names characters its match must contain, so most rules skip most texts cheaply.
_FESTIVAL_NEED: Final = "农阴" + "".join(sorted({w[0] for w in _FESTIVAL_P.split("|")}))
# Lunar dates are read only when marked as such: 农历/阴历, 正月/腊月, or a day named 初X/廿X.
_LUNAR_RULES: Final[list[tuple[str, re.Pattern[str], _Handler]]] = [
    ("农阴", _c(rf"(?:{_YEARPART}\s*)?(?:农历|阴历)\s*{_LUNAR_MONTH_P}月{_LUNAR_DAY_P}[日号]?"), _h_lunar),
    ("月", _c(rf"(?:{_YEARPART}\s*)?(?P<lm>正|冬|腊)月{_LUNAR_DAY_P}[日号]?"), _h_lunar),
    ("初廿", _c(rf"(?:{_YEARPART}\s*)?{_LUNAR_MONTH_P}月(?P<ld>初[一二三四五六七八九十]|廿[一二三四五六七八九]?)"),
     _h_lunar),
    ("大", _c(rf"(?:{_YEARPART}\s*)?大年初(?P<ld>[一二三四五六七八九十])"), _h_lunar_new_year_day),
    # 十一 is the National Day holiday only where a holiday word or before/after says so.
    ("十", _c(r"(?<![\d零〇一二两三四五六七八九十百千第])十一(?:(?P<hw>(?:小)?长假|假期|黄金周)"
             r"|(?=\s*(?:之前|以前|前|期间|放假))|(?:以后|之后|后))"), _h_national_day),
    # 年前 in a work chat is before the Spring Festival; `3年前`, `去年前` are something else.
    ("年", _c(r"(?<![\d零〇一二两三四五六七八九十百千几多今明去前后本当来这上下每半同某那])年(?=前)"), _h_before_new_year),
    (_FESTIVAL_NEED, _c(rf"(?:{_YEARPART}\s*)?(?:农历|阴历)?(?P<hol>{_FESTIVAL_P})(?:以后|之后|后)?"), _h_festival),
    ("十", _c(rf"(?:{_YEARPART}\s*)?(?P<hol>[8八]月十五)(?:以后|之后|后)?"), _h_festival),
]

_DATE_RULES: Final[list[tuple[str, re.Pattern[str], _Handler]]] = [
    ("月", _c(rf"(?:{_YEARPART}\s*)?(?:{_MONTH_P}\s*月份?|{_MREL_P})\s*的?{_DAY_P}\s*(?P<suf>[日号])?"
        + _NO_SUFFIX_END), _h_ymd),
    ("0123456789", _c(r"(?<![\d.])(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})"
        r"(?:(?!\d)|(?=\d{1,2}:\d))"), _h_numeric_ymd),
    ("0123456789", _c(r"(?<![\d.])(?P<y>\d{4}) (?P<m>\d{2}) (?P<d>\d{2})(?!\d)"), _h_numeric_ymd),
    ("0123456789", _c(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"),
     _h_numeric_ymd),
    ("0123456789", _c(r"(?<![\w.])(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<c>\d{4}|\d{1,2})(?![\d.])"),
     _h_numeric_3),
    # ... also as the end of a range (`12/3-12/5`).
    ("/·", _c(r"(?:(?<![\da-z./\-])|(?<=\d[/·]\d[-~～])|(?<=\d[/·]\d\d[-~～]))(?P<m>1[0-2]|0?[1-9])\s*[/·]\s*"
        r"(?P<d>3[01]|[12]\d|0?[1-9])(?![\da-z/.])"), _h_month_day),
    # The first day of `3-5号`, `20到25日`: the suffix is said once, after the second.
    ("号日", _c(r"(?<![\d.\-/:第])(?P<d>3[01]|[12]\d|0?[1-9])(?=\s*[-~～到至]\s*(?:3[01]|[12]\d|0?[1-9])\s*[号日]"
             r"(?!子|期|楼|线|房|门|厅|馆|机|位|码|店|床|报|志|记|程|元|本))"), _h_day),
    ("-", _c(r"(?<![\da-z./\-])(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?![\da-z/\-])"),
     _h_dash_month_day),
    # `11.30` is a date only where a deadline marker makes it one (`11.30前`, `截止11.30`);
    # otherwise it is a version or a decimal.
    (".", _c(r"(?<![A-Za-z0-9_.])(?P<m>1[0-2]|0?[1-9])\.(?P<d>3[01]|[12]\d|0?[1-9])"
             r"(?:[号日](?![子期])|(?=\s*(?:之前|以前|前|截止|到期)))"), _h_month_day),
    (".", _c(r"(?<=截止)\s*(?P<m>1[0-2]|0?[1-9])\.(?P<d>3[01]|[12]\d|0?[1-9])"
             r"(?![\d.])"), _h_month_day),
    ("日号", _c(rf"(?<![\d第月]){_MREL_P}?{_DAY_P.replace('|初[一二三四五六七八九十]', '')}\s*(?P<suf>[日号])"
        r"(?!子|期|楼|线|房|门|厅|馆|机|位|码|店|床|报|志|记|程|元|本)"), _h_day),
    ("天日儿", _c(r"(?P<w>大大后天|大后天|后天|大前天|前天|今天|今日|本日|当天|当日|今儿个?|明天|明日|明儿个?"
        r"|次日|翌日|隔天|昨天|昨日|昨儿个?|全天)"), _h_rel_day),
    ("周期拜", _c(rf"{_WEEK_PRE}?(?:{_WEEK_UNIT}(?={_WEEK_UNIT}))?{_WEEK_UNIT}(?P<wd>[一二三四五六日天末]|[1-7](?!\d))"
        r"(?![次回遍])"), _h_weekday),
    ("周期拜", _c(rf"{_WEEK_PRE.replace('|今', '')}{_WEEK_UNIT}(?![一二三四五六日天末1-7])"),
     _h_week_period),
    ("月", _c(rf"(?:{_MREL_P}(?P<pos>底|末|初|中旬|上旬|下旬|中)?|月(?P<pos2>底|末|初|中))"),
     _h_month_period),
    ("月", _c(rf"(?:{_YEARPART}\s*)?{_MONTH_P}\s*月份?(?P<pos>底|末|初|中旬|上旬|下旬)?"
        r"(?![\d一二三四五六七八九十廿卅初])"), _h_year_month),
    ("年", _c(rf"{_YEARPART}(?:\s*年(?=底|末|初|中|以?内))?(?P<pos>底|末|初|伊始|开头|中|以内|内)?"), _h_year),
    ("月", _c(rf"{_YEARPART}\s*的?(?:第(?P<mn>1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])个月|(?P<first>首月))"),
     _h_nth_month),
    ("现此", _c(r"(?P<now>现在|此刻)"), _h_now),
    # A stretch of days before 的 describes a thing (`这两天的会议纪要`), it is no deadline.
    ("天日", _c(r"(?:(?P<w>今明|明后)两?[天日]|(?:这|近|最近)(?P<few>一两|两三|两|几|[二三四五六七八九十]|[2-9]"
              r"|[1-9]\d)(?:个)?[天日](?:内|之内|以内)?|(?<![\w])前(?P<ago>两|几)[天日]|过几[天日])(?!\s*的)"),
     _h_few_days),
    ("工", _c(r"(?:下一?个|次)工作日"), _h_next_workday),
    # `第二天上午十点` opening a clause is the next day; `培训第二天` is day two of something.
    ("第", _c(r"(?<![\u3400-\u9fffA-Za-z0-9])第二天"), _h_next_day),
    ("刻", _c(r"(?P<n>[一两三123])\s*刻钟\s*(?:以后|之后|后|以内|之内|内)"), _h_quarter_hours),
    ("最", _c(rf"(?:(?:{_YEARPART}\s*)?{_MONTH_P}\s*月份?|{_MREL_P}|月底|月末)\s*的?最后一(?:个(?P<lwork>工作日)"
            rf"|个?{_WEEK_UNIT}(?P<lwd>[一二三四五六日天1-7])|天)"), _h_month_last),
    ("月", _c(r"(?:(?<!\d)(?P<y>\d{4}|[零〇一二三四五六七八九]{4})\s*年|" + _RY_P + r")\s*的?"
            r"(?P<side>前|后)(?P<n>[一二两三四五六七八九十]{1,2}|1[0-2]|[1-9])个?月"), _h_year_months),
    ("年", _c(r"年(?P<pos>底|末|初|中)"), _h_year_bare),
    ("天季", _c(rf"(?:{_YEARPART}\s*的?)?(?P<season>春|夏|秋|冬)(?:天|季)"), _h_season),
    ("年", _c(rf"(?:{_YEARPART}\s*)?(?P<half>上|下)半年"), _h_half_year),
    ("季", _c(rf"(?:{_YEARPART}\s*)?(?:第?(?P<q>[1-4一二三四首])个?季度|Q(?P<qq>[1-4])季度"
        r"|(?P<pre>本|这个?|当|下一?个?|上一?个?)季度|季度(?=[末底初]))(?P<pos>末|底|初)?"),
     _h_quarter),
    # `Q4` alone is often a name (`Q4总结`); it is a deadline with a year, an edge or 前/内.
    ("Qq", _c(rf"(?:{_YEARPART}\s*的?)?(?<![A-Za-z0-9])Q(?P<qq>[1-4])(?![A-Za-z0-9])(?P<pos>末|底|初)?"),
     _h_quarter_q),
    # `下周的今天`: the same day a week, month or year on.
    ("今", _c(r"(?P<base>下下?个?(?:周|星期|礼拜)|上上?个?(?:周|星期|礼拜)|下下?个?月|上上?个?月|明年|去年|后年)的?今天"),
     _h_same_day),
    ("第", _c(rf"(?:(?:{_YEARPART}\s*)?{_MONTH_P}\s*月份?|{_MREL_P})\s*的?第(?P<n>[1-5一二三四五])个?"
        rf"{_WEEK_UNIT}(?P<wd>[一二三四五六日天])?"), _h_week_of_month),
    ("第", _c(rf"{_YEARPART}\s*的?第(?P<n>\d{{1,2}}|[一二三四五六七八九十]{{1,4}})个?{_WEEK_UNIT}"),
     _h_week_of_year),
    ("第", _c(rf"{_YEARPART}\s*的?第(?P<n>\d{{1,3}}|[一二三四五六七八九十百]{{1,5}})天"), _h_day_of_year),
    ("后前内", _c(rf"(?:大约|大概|约|最近|近)?(?<![\d.]){_NUM_P}\s*(?P<half1>个半)?\s*个?\s*"
        r"(?P<u>分钟|分|小时|钟头|工作日|天|日|周|星期|礼拜|月|年|季度)(?P<half2>半)?\s*"
        r"(?P<dir>以后|之后|过后|后|以内|之内|内|以前|之前|前)"), _h_offset),
    ("过", _c(rf"过(?<![\d.]){_NUM_P}\s*个?\s*(?P<u>分钟|小时|钟头|工作日|天|周|星期|礼拜|月|年)"),
     _h_offset),
    ("来去过接", _c(rf"(?P<dir>未来|接下来|过去)(?<![\d.]){_NUM_P}\s*个?\s*"
                  r"(?P<u>分钟|小时|钟头|工作日|天|周|星期|礼拜|月|年)(?:内|之内|以内|里)?(?!\s*的)"), _h_offset),
    # A bare 月/日 is a month or a day of a date (`12月15日前`) unless a list separator follows.
    ("后前", _c(rf"(?P<parts>(?:(?<![\d.])(?:\d+|[{_CN_NUM}]+)\s*(?:个\s*)?"
              r"(?:分钟|分|小时|钟头|天|周|星期|礼拜|年|个月|(?:月|日)(?=\s*[,，、]))"
              r"\s*[,，、和又零]?\s*){2,6})"
              r"(?P<dir>以后|之后|后|以前|之前|前)"), _h_compound),
]


_RECUR_RULES: Final = [
    ("每", _c(r"每个?工作日|工作日的?每天|工作日每日"), "workday"),
    ("每天", _c(r"每天|每日|天天|每(?=[早晚夜])"), "day"),
    ("每", _c(rf"每隔?(?P<n>\d+|[{_CN_NUM}]+)个?(?:天|日)(?:\s*[一1][次回])?"), "day"),
    ("每", _c(rf"每隔?(?P<n>\d+|[{_CN_NUM}]+)?个?{_WEEK_UNIT}"
        # more days: `每周一三五`, `每周一、三`, `每周一和周四`; not the hour of `每周一 10点`
        rf"(?P<days>[一二三四五六日天1-7](?:(?:\s*[、,，和及与/]\s*{_WEEK_UNIT}?|\s*{_WEEK_UNIT}|)"
        r"[一二三四五六日天1-7](?![点时\d:：]|\s*[apAP]\.?[mM]))*)?"
        r"(?![次回遍])(?:\s*[一1][次回])?"), "week"),
    ("每", _c(rf"每隔?(?P<n>\d+|[{_CN_NUM}]+)?个?月(?:的)?(?:(?P<end>底|末|最后一天)|(?P<begin>初)"
        rf"|(?P<md>(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})[号日](?:\s*[和、,，及与]\s*(?:\d{{1,2}}|[{_CN_NUM}]{{1,3}})[号日])*)"
        rf"|第(?P<nth>[一二三四1-4])个?{_WEEK_UNIT}(?P<nwd>[一二三四五六日天1-7])"
        rf"|最后一个?(?:{_WEEK_UNIT}(?P<lwd>[一二三四五六日天1-7])|(?P<lwork>工作日)))?"), "month"),
    ("每", _c(r"每个?季度"), "quarter"),
    ("隔", _c(rf"隔周的?(?:{_WEEK_UNIT}?(?P<days>[一二三四五六日天1-7])(?![次回遍]))?"), "other-week"),
    ("每", _c(rf"每年(?:(?P<ym>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月(?P<yd>\d{{1,2}}"
        rf"|[{_CN_NUM}]{{1,3}})[号日]?)?"), "year"),
]
_WEEKDAY_CHARS: Final = re.compile(r"[一二三四五六日天1-7]")

_PER_P: Final = (r"(?P<per>凌晨|清晨|早晨|早上|早间|一大早|一早|上午|中午|午后|下午|傍晚|晚上|晚间|夜里|夜间|深夜|半夜"
                 r"|今晚|今早|今晨|今夜|明早|明晚|明晨|昨晚|昨夜|当晚|早|晚|夜)")
_TIME_RULES: Final = [
    # `差五分三点` counts back from the hour.  The hour is a whole numeral, not the weekday
    # before it (周一九点 is 9:00) nor the tail of 三十/三十九.
    ("点时", _c(rf"(?:{_PER_P}\s*)?(?:差\s*(?:(?P<lessq>[一1])刻"
       r"|(?P<less>[0-5]?\d|[零〇一二两三四五六七八九十]{1,3})\s*分钟?)\s*)?"
       r"(?<![周期拜])(?P<h>2[0-4]|[01]?\d|二十[一二三四]?"
       r"|(?:(?<=[周期拜][一二三四五六日天])|(?<![零〇一二两三四五六七八九]))十[一二三四五六七八九]?"
       r"|(?<![十百])[零〇一二两三四五六七八九])\s*(?:点|时)钟?\s*"
       r"(?:(?P<half>半)|(?P<q>[一1三3])刻|(?P<mi>[0-5]?\d|[零〇一二三四五六七八九十]{1,3})\s*分?"
       # `8点整`, `3点左右`; not the 整 of a word after a gap (`8点 @李四 整理发票`)
       r"(?:\s*(?P<s>[0-5]?\d|[零〇一二三四五六七八九十]{1,3})\s*秒)?)?(?:(?<!\s)(?:钟|整|多钟?|许|左右))?")),
    # The first hour of `下午2-4点`, `9到11点`: the 点 is said once, after the second.
    ("点时", _c(rf"(?:{_PER_P}\s*)?(?<![\d:./\-])(?P<h>2[0-4]|[01]?\d|二十[一二三四]?|十[一二三四五六七八九]?"
                  r"|[两三四五六七八九])(?=\s*[-~～到至]\s*(?:2[0-4]|[01]?\d|二十[一二三四]?|十[一二三四五六七八九]?"
                  r"|[一两三四五六七八九])\s*[点时])")),
    (":", _c(rf"(?:{_PER_P}\s*)?(?:(?<![\d:])|(?<=[-/.月]\d\d))(?P<hh>2[0-4]|[01]?\d):(?P<mm>[0-5]\d)(?::(?P<ss>[0-5]\d))?"
       r"(?!\d)(?:\s*(?P<ap>[ap])\.?m\b\.?)?")),
    # `周一早上` is Monday morning, not 周 + `一早`.
    ("晚早晨夜午", _c(r"(?P<alone>今晚|今早|今晨|今夜|明早|明晚|明晨|昨晚|当晚|中午|上午|下午|早上|晚上|傍晚|午夜|半夜"
                        r"|(?<![周期拜])一大早|(?<![周期拜])一早)")),
    ("班工", _c(r"(?P<eod>下班(?:之前|以前|前|时)|收工前)")),
    # Before a meal: lunch is at noon, dinner at six.
    ("饭餐休", _c(r"(?P<meal>午饭|中饭|午餐|午休|晚饭|晚餐)(?=\s*(?:之前|以前|前))")),
    # A lone 晚/早 is a time of day only right after a day (`周五晚`, `明天早`).
    ("晚早", _c(r"(?<=[天日一二三四五六末号])(?P<alone>晚|早)(?![上间饭餐会点了些安])")),
]

# Only texts holding one of these characters can contain a Chinese time expression.
_TRIGGER: Final = re.compile(r"[\d\u4e00-\u9fff]")
_JOIN_GAP: Final = re.compile(r"[\s,，的\-T]*")
# A date restated in brackets: `周五(12/4)`, `12月4日（周五）`.
_OPEN_PAREN: Final = re.compile(r"\s*[(（]\s*")
_CLOSE_PAREN: Final = re.compile(r"\s*[)）]")
_RANGE_GAP: Final = re.compile(r"\s*(?:至|到|~|-|—|–)\s*")
_START_BEFORE: Final = re.compile(r"(?:从|自从|自)\s*$")
_START_AFTER: Final = re.compile(r"\s*(?:开始|起(?![草床飞身来诉码]))")


def _resolve(handler: _Handler, m: re.Match[str], ctx: _Ctx) -> _Result:
    try:
        return handler(m, ctx)
    except (ValueError, OverflowError):
        # Arithmetic past year 9999 or before year 1 (`99999年后`) names no date.
        return None


def _has_any(text: str, chars: str) -> bool:
    return any(ch in text for ch in chars)


def _collect(text: str, ctx: _Ctx) -> list[_Hit]:
    hits: list[_Hit] = []
    for need, pattern, handler in _LUNAR_RULES:
        if not _has_any(text, need):
            continue
        for m in pattern.finditer(text):
            result = _resolve(handler, m, ctx)
            if result is not None:
                hits.append(_Hit(m.start(), m.end(), result[0], result[1]))
    for need, pattern, handler in _DATE_RULES:
        if not _has_any(text, need):
            continue
        for m in pattern.finditer(text):
            result = _resolve(handler, m, ctx)
            # A match that looks like a date but names none (2月30日) still claims its text, so
            # a shorter reading inside it (30日) cannot win.
            hits.append(_Hit(m.start(), m.end(), result[0] if result else None,
                             result[1] if result else "day", weekday_only=handler is _h_weekday,
                             refit=_refit_for(handler, m) if result else None))
    for need, pattern, kind in _RECUR_RULES:
        if not _has_any(text, need):
            continue
        for m in pattern.finditer(text):
            found = _recurrence(m.groupdict(), kind)
            if found is not None:
                # The first occurrence is worked out only for the hits that are kept.
                hits.append(_Hit(m.start(), m.end(), None, "day", "recurrence", recur=found))
    for need, pattern in _TIME_RULES:
        if not _has_any(text, need):
            continue
        for m in pattern.finditer(text):
            if m.end() == m.start():
                continue
            tod = _time_hit(m, ctx)
            if tod is not None:
                hits.append(_Hit(m.start(), m.end(), None, tod.grain, tod=tod))
    return hits


def _select(hits: list[_Hit]) -> list[_Hit]:
    """Keep the longest hits that do not overlap, in text order."""
    chosen: list[_Hit] = []
    if not hits:
        return chosen
    # An occupancy map keeps this linear in the number of hits (long pasted texts).
    used = bytearray(max(h.end for h in hits))
    for hit in sorted(hits, key=lambda h: (-h.size, h.start)):
        if used.find(1, hit.start, hit.end) == -1:
            chosen.append(hit)
            used[hit.start: hit.end] = b"\x01" * hit.size
    return sorted(chosen, key=lambda h: h.start)


def _combine(text: str, hits: list[_Hit], ctx: _Ctx) -> list[_Hit]:
    """Join a date to the weekday or time of day right after it (`6月1日周六早上10点`)."""
    out: list[_Hit] = []
    for hit in hits:
        close = _CLOSE_PAREN.match(text, hit.end)
        if out and close is not None and _OPEN_PAREN.fullmatch(text, out[-1].end, hit.start) \
                and (hit.weekday_only or out[-1].weekday_only) and hit.tod is None \
                and out[-1].tod is None:
            restated = _join(out[-1], hit, ctx)
            if restated is not None:
                out[-1] = replace(restated, end=close.end())
                continue
        if out and _JOIN_GAP.fullmatch(text, out[-1].end, hit.start):
            prev = out[-1]
            try:
                joined = _join(prev, hit, ctx)
            except (ValueError, OverflowError):
                joined = None
            if joined is not None:
                out[-1] = joined
                continue
        if out and hit.tod is not None and out[-1].tod is not None and not hit.tod.marked \
                and hit.value is None and _RANGE_GAP.fullmatch(text, out[-1].end, hit.start):
            hit = _same_half(out[-1].tod, hit)
        if out and hit.refit is not None and _RANGE_GAP.fullmatch(text, out[-1].end, hit.start):
            anchor = out[-1].value
            if isinstance(anchor, date):
                anchor_day = anchor.date() if isinstance(anchor, datetime) else anchor
                try:
                    refitted = hit.refit(period_start(anchor_day, out[-1].grain))
                except (ValueError, OverflowError):
                    refitted = None
                if refitted is not None:
                    hit = replace(hit, value=refitted)
        out.append(hit)
    return out


def _same_half(first: _Tod, hit: _Hit) -> _Hit:
    """`晚上8点到10点`: an unmarked end hour before the start is in the start's half (22:00)."""
    tod = hit.tod
    if tod is None:
        return hit
    if (tod.hour, tod.minute) <= (first.hour, first.minute) and tod.hour < 12 <= first.hour:
        return replace(hit, tod=replace(tod, hour=tod.hour + 12, marked=True))
    return hit


def _join(prev: _Hit, hit: _Hit, ctx: _Ctx) -> _Hit | None:
    if prev.recur is not None and hit.recur is None and hit.tod is None \
            and isinstance(hit.value, date) and not isinstance(hit.value, datetime):
        return _pin_recurrence(prev, hit, ctx)
    if prev.tod is None and hit.tod is not None and hit.tod.implied_day is None:
        if prev.recur is not None:
            value = _first_occurrence(prev.recur, ctx, hit.tod)
            return replace(prev, end=hit.end, value=value, grain=hit.grain, tod=hit.tod)
        if isinstance(prev.value, date) and not isinstance(prev.value, datetime):
            return replace(prev, end=hit.end, value=_at(ctx, prev.value, hit.tod),
                           grain=hit.grain, tod=hit.tod)
    if prev.tod is None and hit.tod is None and prev.recur is None and hit.recur is None:
        # A weekday next to a full date only restates it: `10月12号,星期一`.
        if hit.weekday_only and not prev.weekday_only:
            return replace(prev, end=hit.end)
        if prev.weekday_only and not hit.weekday_only and prev.grain == "day":
            return replace(hit, start=prev.start)
    return None


def _pin_recurrence(prev: _Hit, hit: _Hit, ctx: _Ctx) -> _Hit | None:
    """`每年元旦`, `每隔两周的周五`: a series without its day takes the date that follows."""
    if prev.recur is None or not isinstance(hit.value, date):
        return None
    day = hit.value
    rule = prev.recur.rrule
    if rule == "FREQ=YEARLY":
        recur = _Recur(f"FREQ=YEARLY;BYMONTH={day.month};BYMONTHDAY={day.day}",
                       lambda d: (d.month, d.day) == (day.month, day.day))
    elif rule.startswith("FREQ=WEEKLY") and "BYDAY" not in rule and hit.weekday_only:
        weekday = day.weekday()
        recur = _Recur(f"{rule};BYDAY={_RRULE_DAY[weekday]}", lambda d: d.weekday() == weekday)
    elif rule.startswith("FREQ=MONTHLY") and "BYMONTHDAY" not in rule and hit.grain == "day" \
            and not hit.weekday_only:
        recur = _Recur(f"{rule};BYMONTHDAY={day.day}", lambda d: d.day == day.day)
    else:
        return None
    return replace(prev, end=hit.end, recur=recur, value=None)


def find_times_zh(text: str, now: datetime, calendar: WorkCalendar,
                  workday_end: time = time(18, 0)) -> list[TimeSpan]:
    """Find and resolve every Chinese date/time expression in normalised `text` relative to `now`."""
    if not _TRIGGER.search(text):
        return []
    ctx = _Ctx(now, now.date(), calendar, workday_end)
    hits = _combine(text, _select(_collect(text, ctx)), ctx)
    spans: list[TimeSpan] = []
    for hit in hits:
        try:
            span = _to_span(text, hit, ctx)
        except (ValueError, OverflowError):
            continue  # a date at the edge of the calendar (year 9999) has no next occurrence
        if span is not None:
            spans.append(span)
    return spans


def _to_span(text: str, hit: _Hit, ctx: _Ctx) -> TimeSpan | None:
    start, end = hit.start, hit.end
    value = hit.value
    time_only = False
    if value is None and hit.recur is not None:
        value = _first_occurrence(hit.recur, ctx, hit.tod)
    if hit.tod is not None and value is None:
        tod = hit.tod
        if tod.implied_day is not None:
            value = _at(ctx, ctx.today + timedelta(days=tod.implied_day), tod)
        else:
            value = _at(ctx, ctx.today, tod)
            if value < ctx.now:
                value = _at(ctx, ctx.today + timedelta(days=1), tod)
            time_only = True
    if value is None:
        return None
    kind: SpanKind = hit.kind
    rrule = hit.recur.rrule if hit.recur is not None else None
    if kind == "point":
        before = _START_BEFORE.search(text, max(0, start - 3), start)
        after = _START_AFTER.match(text, end)
        if before is not None or after is not None:
            kind = "start"
            # A period that starts (`从下周开始`) starts on its first day, not its deadline.
            if not isinstance(value, datetime):
                value = period_start(value, hit.grain)
            if before is not None:
                start = before.start()
            if after is not None:
                end = after.end()
    return TimeSpan(start, end, kind, value, hit.grain, time_only=time_only, rrule=rrule)
