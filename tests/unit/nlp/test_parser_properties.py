"""Whatever people type, the rule parser answers with a valid `ParseResult` and never raises.

`parse_message` catches a crash of the grammar and answers `unknown` (logging
`rule_parse_failed`), so "never raises" is checked on that log event too: a swallowed
exception is still a bug.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from core.nlp import parse_message
from core.nlp.schema import ParseResult

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")
# CJK ideographs, the supplementary planes (𠮷, U+20BB7) included.
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

# Pieces real messages are made of, so the generator reaches the parser's interesting paths.
# fmt: off
FRAGMENTS = [
    "明天", "下午3点", "前", "@张三", "<@U0ABC|bob>", "#市场", "#12", "紧急", "p1", "!!!",
    "每周一", "每月底", "预计3小时", "推迟两天", "WEB-12", "完成", "下周五", "本周", "月底",
    "tomorrow", "3pm", "by", "next Friday", "every weekday", "in 2 hours", "EOD", "~2h",
    "remind @bob to", "done", "postpone", "what's due this week?", "廿三号", "１２点",
    "十五分钟后", "3 days ago", "Feb 30", "25:61", "第99周", "2026-02-29", "9999-12-31",
    "0000-01-01", "\u200f", "\u202e", "\u200b", "\ufeff", "😀", "👩‍💻", "\x00", "\x1b[31m",
    "\r\n", "\t", "\u3000", "ﾃｽﾄ", "𠀀", "#", "@", "<@", "每", "每两", "个工作日后",
]
# fmt: on
SPECIAL = st.sampled_from(["\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\x00", "\x7f"])
TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8), SPECIAL), max_size=25).map(
        " ".join
    ),
    st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join),
)
IANA = st.sampled_from(
    [
        ZoneInfo("Asia/Shanghai"),
        ZoneInfo("America/New_York"),
        ZoneInfo("Europe/London"),
        ZoneInfo("Pacific/Kiritimati"),
        ZoneInfo("Pacific/Pago_Pago"),
    ]
)
OFFSETS = st.sampled_from(
    [timezone(timedelta(hours=5, minutes=45)), UTC, timezone(-timedelta(hours=9, minutes=30))]
)
NOWS = st.datetimes(
    min_value=datetime(1971, 1, 1),
    max_value=datetime(2098, 12, 31),
    timezones=st.one_of(IANA, OFFSETS),
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse(text: str, now: datetime, tz: ZoneInfo | None = None) -> ParseResult:
    with capture_logs() as logs:
        result = parse_message(text, now, tz=tz, workday_end=time(17, 30))
    crashes = [entry for entry in logs if entry.get("event") == "rule_parse_failed"]
    assert not crashes, crashes
    return result


def check(result: ParseResult, text: str) -> None:
    assert isinstance(result, ParseResult)
    again = ParseResult.model_validate(result.model_dump(mode="json"))
    assert again == result
    assert result.source == "rules"
    assert 0.0 <= result.confidence <= 1.0
    # Unassigned code points inside the CJK blocks are ideographs only in later Unicode versions.
    if not any(CJK.match(ch) and unicodedata.category(ch) == "Cn" for ch in text):
        assert result.lang == ("zh" if CJK.search(text) else "en")
    for value in (result.due, result.start):
        assert value is None or DATE.fullmatch(value) or DATETIME.fullmatch(value), value
    assert all(name and not name.startswith("@") for name in result.assignees)
    assert result.project is None or not result.project.startswith("#")


@FAST
@given(text=TEXT, now=NOWS)
def test_any_text_gives_a_valid_result(text: str, now: datetime) -> None:
    check(parse(text, now), text)


@FAST
@given(text=TEXT, now=NOWS, zone=IANA)
def test_any_text_in_any_zone_gives_a_valid_result(
    text: str, now: datetime, zone: ZoneInfo
) -> None:
    check(parse(text, now, zone), text)


@settings(max_examples=10, deadline=None)
@given(
    piece=st.sampled_from([*FRAGMENTS, "x", "明天下午3点前 @张三 完成季度报告 #市场 紧急 "]),
    repeat=st.integers(min_value=200, max_value=2000),
)
def test_very_long_messages_give_a_valid_result(piece: str, repeat: int) -> None:
    text = (piece + " ") * repeat
    text = text[:20_000]
    check(parse(text, datetime(2026, 11, 24, 9, 30, tzinfo=UTC)), text)


def test_supplementary_plane_ideographs_make_a_message_chinese() -> None:
    assert parse("𠮷", datetime(2026, 11, 24, 9, 30, tzinfo=UTC)).lang == "zh"


def test_clock_time_before_a_recurrence_with_its_own_time_does_not_crash() -> None:
    # Found by the properties above: a datetime was compared with a date.
    parse("0点每周上午", datetime(2026, 11, 24, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
