"""English date and time expressions (placeholder until the English resolver lands)."""

from __future__ import annotations

from datetime import datetime

from core.calendar import WorkCalendar
from core.nlp.types import TimeSpan


def find_times_en(text: str, now: datetime, calendar: WorkCalendar) -> list[TimeSpan]:
    """Find and resolve every English date/time expression in `text` relative to `now`."""
    return []
