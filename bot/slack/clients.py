"""Web API clients: where they point, and how they retry.

Interactive replies retry on connection errors and on 429s (sleeping for `Retry-After`), which is
what `slack_sdk`'s default handlers leave out. The notifier's client retries a 429 only when the
wait is short, and never on connection errors: a post whose fate is unknown goes back to the
outbox, which looks for it with `find_sent` before sending again, instead of posting it twice.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.settings import Settings

DEFAULT_TIMEOUT = 10


class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retries a 429 after `Retry-After`, but only when that wait is at most `max_wait` seconds."""

    def __init__(self, *, max_retry_count: int = 2, max_wait: float = 5.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(
        self, *, state: Any, request: Any, response: Any = None, error: Any = None
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return retry_after(response.headers) <= self.max_wait


def retry_after(headers: Any, default: float = 1.0) -> float:
    """The `Retry-After` seconds in a response's headers (values may be lists), else `default`."""
    if not headers:
        return default
    for key, value in dict(headers).items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return default
    return default


def api_base_url(settings: Settings) -> str:
    """The Web API base URL: `PMBOT_SLACK_API_URL` (ending in `/`) or Slack's own."""
    url = settings.slack_api_url or WebClient.BASE_URL
    return url if url.endswith("/") else url + "/"


def interactive_client(settings: Settings, token: str | None) -> WebClient:
    """A client for replies to users: retries connection errors and rate limits."""
    return WebClient(
        token=token,
        base_url=api_base_url(settings),
        timeout=DEFAULT_TIMEOUT,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


def notifier_client(settings: Settings, token: str | None, *, max_wait: float = 5.0) -> WebClient:
    """A client for outbox sends: short 429 waits only; no blind resend on connection errors."""
    return WebClient(
        token=token,
        base_url=api_base_url(settings),
        timeout=DEFAULT_TIMEOUT,
        retry_handlers=[BoundedRateLimitRetryHandler(max_wait=max_wait)],
    )
