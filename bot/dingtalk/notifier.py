"""`DingTalkNotifier`: delivers outbox messages through the robot OpenAPI or a group's webhook.

Scheduled sends never use a message's session webhook: it expires after about 90 minutes.
Groups (`target_type="channel"`, target = openConversationId) get `groupMessages/send`, or the
group's custom robot webhook when one is configured; people (`target_type="user"`, target = staff
id) get `oToMessages/batchSend`. A reply with buttons becomes an interactive card when a card
template is configured, so reminders can be marked done, snoozed or handed over in place.

A robot may send 20 messages a minute; a custom robot that sends more is throttled for 10
minutes. The notifier counts its own sends per robot and target and answers `RATE_LIMITED` with
`retry_after` instead of going over, and an `errcode 130101` answer blocks that robot for the
ban's length, so the outbox reschedules rather than hammering a throttled robot.
"""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.dingtalk import render
from bot.dingtalk.openapi import ApiResult, DingTalkOpenAPI, request_json, sign_webhook
from bot.outbound import BlockedAddress, guarded_session, resolve_allowed
from bot.settings import Settings
from core.clock import Clock
from core.errors import InvalidInput
from core.messages import Delivery, DeliveryOutcome, Outgoing
from core.models import Channel
from core.netpolicy import Network, check_url
from storage.db import session_scope

log = structlog.get_logger(__name__)

PLATFORM = "dingtalk"
SENDS_PER_MINUTE = 20

# channel id -> (webhook URL, signing secret or None), for groups that use a custom robot
WebhookLookup = Callable[[str], "tuple[str, str | None] | None"]


class SendLimiter:
    """At most `limit` sends per `window` seconds per key, plus explicit bans; thread-safe."""

    def __init__(
        self,
        limit: int = SENDS_PER_MINUTE,
        window: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._sent: dict[str, deque[float]] = {}
        self._banned_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float | None:
        """Take a slot for one send now; None if granted, else the seconds until one frees up."""
        with self._lock:
            now = self._monotonic()
            banned = self._banned_until.get(key, 0.0)
            if banned > now:
                return banned - now
            sent = self._sent.setdefault(key, deque())
            while sent and sent[0] <= now - self.window:
                sent.popleft()
            if len(sent) >= self.limit:
                return max(0.1, sent[0] + self.window - now)
            sent.append(now)
            return None

    def ban(self, key: str, seconds: float) -> None:
        """Refuse sends for `key` for `seconds` (DingTalk said the robot is throttled)."""
        with self._lock:
            self._banned_until[key] = self._monotonic() + seconds


def out_track_id(dedupe_key: str) -> str:
    """A card id derived from the outbox key, so one notification is always one card."""
    return "pmbot-" + hashlib.sha256(dedupe_key.encode()).hexdigest()[:40]


def _webhook_robot(url: str) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    token = (query.get("access_token") or [url])[0]
    return "webhook:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class DingTalkNotifier:
    """Sends outbox messages to DingTalk groups and people; implements `core.messages.Notifier`."""

    def __init__(
        self,
        api: DingTalkOpenAPI | None,
        *,
        card_template_id: str | None = None,
        webhook_for: WebhookLookup | None = None,
        limiter: SendLimiter | None = None,
        timeout: float = 10.0,
        outbound_allow: Iterable[Network] = (),
    ) -> None:
        self.api = api
        self.card_template_id = card_template_id
        self.webhook_for = webhook_for
        self.limiter = limiter or SendLimiter()
        self.timeout = timeout
        # a group's webhook is typed by a user: public addresses only, unless operators allow
        self.outbound_allow = tuple(outbound_allow)
        self._webhook_session = guarded_session(self.outbound_allow)

    def send(self, message: Outgoing) -> Delivery:
        """Deliver one outbox message; platform trouble is reported in the `Delivery`, not raised."""
        reply = message.reply
        webhook = (
            self.webhook_for(message.target)
            if self.webhook_for is not None and message.target_type == "channel"
            else None
        )
        as_card = bool(reply.buttons and self.card_template_id and self.api is not None)
        if webhook is not None and not as_card:
            robot = _webhook_robot(webhook[0])
            return self._limited(robot, message, lambda: self._send_webhook(webhook, message))
        if self.api is None:
            return Delivery(DeliveryOutcome.PERMANENT, error="no DingTalk app credentials")
        api = self.api
        robot = f"robot:{api.robot_code}:{message.target_type}:{message.target}"
        if as_card:
            assert self.card_template_id is not None
            template = self.card_template_id
            return self._limited(robot, message, lambda: self._send_card(api, template, message))
        return self._limited(robot, message, lambda: self._send_markdown(api, message))

    def find_sent(self, message: Outgoing) -> str | None:
        """DingTalk cannot list what a robot sent, so an uncertain send cannot be confirmed."""
        return None

    # -- internals ---------------------------------------------------------------------------

    def _limited(self, robot: str, message: Outgoing, send: Callable[[], ApiResult]) -> Delivery:
        wait = self.limiter.acquire(robot)
        if wait is not None:
            log.info("dingtalk_send_deferred", key=message.dedupe_key, retry_after=round(wait, 1))
            return Delivery(
                DeliveryOutcome.RATE_LIMITED, retry_after=wait, error="20 messages a minute"
            )
        result = send()
        delivery = result.delivery
        if delivery.outcome is DeliveryOutcome.RATE_LIMITED and delivery.retry_after:
            self.limiter.ban(robot, delivery.retry_after)
        log.info(
            "dingtalk_send",
            key=message.dedupe_key,
            outcome=delivery.outcome.value,
            status=result.status,
            error=delivery.error,
        )
        return delivery

    def _send_markdown(self, api: DingTalkOpenAPI, message: Outgoing) -> ApiResult:
        mentions = message.reply.mentions if message.target_type == "channel" else []
        title, text = render.to_markdown(
            message.reply, lang=render.guess_lang(message.reply), mentions=mentions
        )
        param = {"title": title, "text": text}
        if message.target_type == "user":
            return api.send_users([message.target], "sampleMarkdown", param)
        return api.send_group(message.target, "sampleMarkdown", param)

    def _send_card(self, api: DingTalkOpenAPI, template: str, message: Outgoing) -> ApiResult:
        return api.deliver_card(
            template_id=template,
            out_track_id=out_track_id(message.dedupe_key),
            params=render.to_card_params(message.reply, lang=render.guess_lang(message.reply)),
            target=message.target,
            target_type=message.target_type,
            at_user_ids=list(message.reply.mentions),
        )

    def _send_webhook(self, webhook: tuple[str, str | None], message: Outgoing) -> ApiResult:
        url, secret = webhook
        title, text = render.to_markdown(
            message.reply, lang=render.guess_lang(message.reply), mentions=message.reply.mentions
        )
        body: dict[str, Any] = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": text},
            "at": {"atUserIds": list(message.reply.mentions), "isAtAll": False},
        }
        signed = sign_webhook(url, secret) if secret else url
        try:
            check_url(url, self.outbound_allow)
            resolve_allowed(url, self.outbound_allow)
        except (InvalidInput, BlockedAddress) as exc:
            return ApiResult(Delivery(DeliveryOutcome.PERMANENT, error=f"webhook refused: {exc}"))
        return request_json(
            "POST", signed, body, timeout=self.timeout, session=self._webhook_session
        )


def build_dingtalk_notifier(
    settings: Settings,
    *,
    clock: Clock | None = None,
    webhook_for: WebhookLookup | None = None,
    card_template_id: str | None = None,
) -> DingTalkNotifier:
    """The notifier for `app.notifiers["dingtalk"]`, from DINGTALK_* settings.

    Pass the app's `clock` so the 20-a-minute window and a throttled robot's 10-minute ban run
    on the same time as the outbox that reschedules. `card_template_id` defaults to the
    `dingtalk_card_template_id` setting when it exists; without one, buttons are written as
    command hints in markdown.
    """
    limiter = SendLimiter(monotonic=lambda: clock.now().timestamp()) if clock is not None else None
    return DingTalkNotifier(
        build_openapi(settings),
        card_template_id=card_template_id or getattr(settings, "dingtalk_card_template_id", None),
        webhook_for=webhook_for,
        limiter=limiter,
        outbound_allow=settings.outbound_networks,
    )


def channel_webhooks(engine: Engine) -> WebhookLookup:
    """Look up a DingTalk group's custom robot webhook (URL, signing secret) in its channel row."""

    def lookup(channel_id: str) -> tuple[str, str | None] | None:
        with session_scope(engine) as session:
            channel = session.exec(
                select(Channel).where(
                    Channel.platform == PLATFORM, Channel.channel_id == channel_id
                )
            ).first()
            if channel is None or not channel.webhook_url:
                return None
            return channel.webhook_url, channel.webhook_secret or None

    return lookup


def build_openapi(settings: Settings) -> DingTalkOpenAPI | None:
    """The OpenAPI client for the configured app, or None without credentials."""
    if not settings.dingtalk_client_id or settings.dingtalk_client_secret is None:
        return None
    return DingTalkOpenAPI(
        client_id=settings.dingtalk_client_id,
        client_secret=settings.dingtalk_client_secret.get_secret_value(),
        robot_code=settings.dingtalk_robot_code,
        endpoint=settings.dingtalk_openapi_endpoint,
    )
