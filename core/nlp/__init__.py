"""Natural-language task entry: `parse_message` turns one chat message into a `ParseResult`."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import structlog

from core.calendar import WorkCalendar
from core.nlp.parser import is_broadcast, parse
from core.nlp.schema import ParseResult
from core.nlp.text import has_cjk

__all__ = ["ParseResult", "is_broadcast", "parse_message"]

_log = structlog.get_logger(__name__)


def parse_message(
    text: str,
    now: datetime,
    tz: ZoneInfo | None = None,
    calendar: WorkCalendar | None = None,
    workday_end: time = time(18, 0),
) -> ParseResult:
    """Parse one message with the rule parser; never raises, junk gives intent `unknown`."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if now.tzinfo is None:
        now = now.replace(tzinfo=tz or UTC)
    try:
        return parse(text, now, tz, calendar, workday_end)
    except Exception:  # the contract promises an answer for every input; a bug must not 500
        _log.warning("rule_parse_failed", length=len(text), exc_info=True)
        return ParseResult(intent="unknown", lang="zh" if has_cjk(text[:4000]) else "en",
                           confidence=0.0)
