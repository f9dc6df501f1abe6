"""Per-destination send rates: a token bucket for each (platform, target).

Slack allows about one message a second per channel; a DingTalk custom robot 20 a minute, and
going over bans it for ten minutes. The sweep asks before each send; a row that would exceed the
rate is rescheduled for when a token frees up, not sent. Buckets are per process: several
processes can together exceed a limit briefly, which the platform's own 429 then reschedules.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Rate:
    """`count` messages per `seconds`."""

    count: int
    seconds: float


DEFAULT_RATES: dict[str, Rate] = {
    "slack": Rate(1, 1.0),
    "dingtalk": Rate(20, 60.0),
}


class RateLimiter:
    """Token buckets keyed by destination; thread-safe."""

    def __init__(self, rates: dict[str, Rate] | None = None) -> None:
        self._rates = dict(DEFAULT_RATES if rates is None else rates)
        self._tokens: dict[tuple[str, str], tuple[float, float]] = {}
        self._blocked: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def acquire(self, platform: str, target: str, now: datetime) -> float:
        """Take a token for a send to `target` at `now`; return 0, or the seconds to wait."""
        rate = self._rates.get(platform)
        key = (platform, target)
        t = now.timestamp()
        with self._lock:
            blocked = self._blocked.get(key, 0.0)
            if blocked > t:
                return blocked - t
            if rate is None:
                return 0.0
            per_token = rate.seconds / rate.count
            tokens, last = self._tokens.get(key, (float(rate.count), t))
            tokens = min(float(rate.count), tokens + max(t - last, 0.0) / per_token)
            if tokens >= 1.0:
                self._tokens[key] = (tokens - 1.0, t)
                return 0.0
            self._tokens[key] = (tokens, t)
            return (1.0 - tokens) * per_token

    def block(self, platform: str, target: str, until: datetime) -> None:
        """Hold every send to `target` until `until` (after the platform said 429)."""
        with self._lock:
            key = (platform, target)
            self._blocked[key] = max(self._blocked.get(key, 0.0), until.timestamp())
