"""Shapes shared by the natural-language parser's parts (see ../shared/spec/nl-contract.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Grain = Literal["minute", "hour", "day", "week", "month", "quarter", "year"]
SpanKind = Literal["point", "start", "recurrence"]


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """One date/time expression found in a message, already resolved against `now`.

    `start`/`end` are character offsets into the text that was searched, covering the whole
    expression (connectors such as `by`/`before`/`前`/`截止` included) so the title builder can
    cut it out.  `value` is a `date` when only a date was stated and an aware `datetime` (in the
    zone of `now`) when a time of day was stated.  `time_only` marks a bare time of day ("3pm",
    "下午3点"), resolved as today-if-ahead-else-tomorrow, that the parser may attach to a
    neighbouring date span.  `kind="start"` is a start expression (`从下周一开始`, `starting
    Monday`); `kind="recurrence"` carries an RFC 5545 `rrule` and `value` is its first occurrence.
    """

    start: int
    end: int
    kind: SpanKind
    value: date | datetime | None
    grain: Grain
    time_only: bool = False
    rrule: str | None = None
