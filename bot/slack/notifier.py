"""`SlackNotifier`: delivers outbox messages as Block Kit messages and says how it went.

Each message carries `metadata={"event_type": "pmbot_notification", "event_payload":
{"dedupe_key": ...}}`, so a send whose outcome is unknown (a timeout, a 5xx) can be found again
with `conversations.history(include_all_metadata=True)` rather than posted twice.

How a send is classified:
- `ok` → SENT, `external_ref` = `channel:ts`;
- HTTP 429 / `ratelimited` → RATE_LIMITED with `Retry-After` (short waits are retried in place);
- timeouts, 5xx, `internal_error`-like errors → UNKNOWN (may have been posted: reconcile);
- connection refused, DNS failures → TRANSIENT (never reached Slack);
- any other `ok: false` (`channel_not_found`, `not_in_channel`, `invalid_auth`...) → PERMANENT.
"""

from __future__ import annotations

import socket
import urllib.error
from collections.abc import Callable
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.settings import Settings
from bot.slack.blocks import fallback_text, reply_blocks
from bot.slack.clients import notifier_client, retry_after
from core.messages import Delivery, DeliveryOutcome, Outgoing

log = structlog.get_logger(__name__)

EVENT_TYPE = "pmbot_notification"
HISTORY_LIMIT = 200
# Slack errors that mean "our side of Slack failed", after which the post may or may not exist.
_UNKNOWN_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
_RATE_LIMITED_ERRORS = {"ratelimited", "rate_limited", "message_limit_exceeded"}

ClientFor = Callable[[str], WebClient | None]


class SlackNotifier:
    """Sends `Outgoing` messages through `chat.postMessage`; implements `core.messages.Notifier`."""

    def __init__(self, client_for: ClientFor) -> None:
        """`client_for(tenant)` gives a client holding that workspace's bot token (None: unknown)."""
        self._client_for = client_for

    def send(self, message: Outgoing) -> Delivery:
        """Post `message`; platform errors are reported in the `Delivery`, never raised."""
        client = self._client_for(message.tenant)
        if client is None:
            return Delivery(DeliveryOutcome.PERMANENT, error="no_installation")
        try:
            response = client.chat_postMessage(
                channel=message.target,
                text=fallback_text(message.reply),
                blocks=reply_blocks(message.reply),
                metadata={
                    "event_type": EVENT_TYPE,
                    "event_payload": {"dedupe_key": message.dedupe_key, "kind": message.kind},
                },
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            return _classify_api_error(exc, message)
        except Exception as exc:  # every failure must become a Delivery
            return _classify_transport_error(exc, message)
        ref = f"{response.get('channel')}:{response.get('ts')}"
        log.info("slack_notification_sent", key=message.dedupe_key, kind=message.kind)
        return Delivery(DeliveryOutcome.SENT, external_ref=ref)

    def find_sent(self, message: Outgoing) -> str | None:
        """`channel:ts` of an earlier post of this message (matched by dedupe key), else None."""
        client = self._client_for(message.tenant)
        if client is None:
            return None
        try:
            channel = message.target
            if message.target_type == "user" or channel.startswith(("U", "W")):
                channel = client.conversations_open(users=message.target)["channel"]["id"]
            history = client.conversations_history(
                channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            # Not knowing is not finding: the outbox decides what to do with an unconfirmed send.
            log.warning("slack_find_sent_failed", key=message.dedupe_key, error=type(exc).__name__)
            return None
        for item in history.get("messages") or []:
            metadata = item.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == EVENT_TYPE
                and payload.get("dedupe_key") == message.dedupe_key
            ):
                return f"{channel}:{item.get('ts')}"
        return None


def _classify_api_error(exc: SlackApiError, message: Outgoing) -> Delivery:
    response: Any = exc.response
    status = int(getattr(response, "status_code", 200) or 200)
    error = str((response.data or {}).get("error", "")) if isinstance(response.data, dict) else ""
    if status == 429 or error in _RATE_LIMITED_ERRORS:
        wait = retry_after(getattr(response, "headers", None))
        log.info("slack_notification_rate_limited", key=message.dedupe_key, retry_after=wait)
        return Delivery(
            DeliveryOutcome.RATE_LIMITED, retry_after=wait, error=error or "ratelimited"
        )
    if status >= 500 or error in _UNKNOWN_ERRORS:
        log.warning(
            "slack_notification_unknown", key=message.dedupe_key, status=status, error=error
        )
        return Delivery(DeliveryOutcome.UNKNOWN, error=error or f"http_{status}")
    log.warning("slack_notification_failed", key=message.dedupe_key, error=error)
    return Delivery(DeliveryOutcome.PERMANENT, error=error or f"http_{status}")


def _classify_transport_error(exc: Exception, message: Outgoing) -> Delivery:
    reason: Any = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        outcome = DeliveryOutcome.UNKNOWN  # the request left; Slack may have posted it
    elif isinstance(reason, ConnectionRefusedError | socket.gaierror) or (
        isinstance(exc, urllib.error.URLError) and not isinstance(reason, ConnectionResetError)
    ):
        outcome = DeliveryOutcome.TRANSIENT  # never reached Slack
    else:
        outcome = DeliveryOutcome.UNKNOWN  # reset or dropped mid-request: cannot tell
    log.warning(
        "slack_notification_transport_error",
        key=message.dedupe_key,
        outcome=outcome.value,
        error=type(reason).__name__,
    )
    return Delivery(outcome, error=type(reason).__name__)


def build_slack_notifier(settings: Settings, *, engine: Any = None) -> SlackNotifier:
    """The notifier for the configured workspace(s): the bot token, or OAuth installations."""
    if settings.slack_client_id and settings.slack_client_secret and engine is not None:
        from bot.slack.oauth import installation_store

        store = installation_store(settings, engine)
        clients: dict[str, WebClient] = {}

        def client_for(tenant: str) -> WebClient | None:
            bot = store.find_bot(enterprise_id=None, team_id=tenant)
            if bot is None or not bot.bot_token:
                return None
            cached = clients.get(tenant)
            if cached is None or cached.token != bot.bot_token:
                cached = clients[tenant] = notifier_client(settings, bot.bot_token)
            return cached

        return SlackNotifier(client_for)
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) is needed")
    client = notifier_client(settings, settings.slack_bot_token.get_secret_value())
    return SlackNotifier(lambda _tenant: client)
