"""What a `query` message asks about: its scope in time and people (the parse contract leaves
queries' `due` empty, so the scope is read here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Period = Literal["today", "tomorrow", "week", "next_week", "month"]

_OVERDUE = re.compile(r"overdue|late\b|past due|逾期|过期|超期|延期|拖期|晚了")
_PERIODS: tuple[tuple[Period, re.Pattern[str]], ...] = (
    ("tomorrow", re.compile(r"tomorrow|明天|明日")),
    ("today", re.compile(r"today|tonight|今天|今日|今晚")),
    ("next_week", re.compile(r"next week|下周|下星期|下礼拜")),
    ("week", re.compile(r"this week|the week|本周|这周|这星期|本星期|这礼拜|一周内")),
    ("month", re.compile(r"this month|本月|这个月")),
)
_TEAM = re.compile(r"\b(?:team|everyone|all|project)\b|大家|团队|所有人|全部|项目")
_DONE = re.compile(r"\b(?:done|finished|completed|closed)\b|完成了|已完成|做完")


@dataclass(frozen=True, slots=True)
class QueryScope:
    """The scope of a question about tasks."""

    overdue: bool = False
    period: Period | None = None
    team: bool = False
    done: bool = False


def query_scope(text: str) -> QueryScope:
    """Read which tasks a question is about: overdue ones, a period, the whole team, done ones."""
    low = text.lower()
    period = next((name for name, pattern in _PERIODS if pattern.search(low)), None)
    return QueryScope(
        overdue=bool(_OVERDUE.search(low)),
        period=period,
        team=bool(_TEAM.search(low)),
        done=bool(_DONE.search(low)),
    )
