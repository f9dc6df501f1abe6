"""Where the current time comes from, so tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current aware datetime in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current aware datetime in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and `pmbot tick --now`."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        """Return the fixed time."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to `at`."""
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        """Move the clock forward by a `timedelta(**delta)`."""
        self._at += timedelta(**delta)
