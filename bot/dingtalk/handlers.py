"""Stream handlers: a robot message or a card button press in, an `Inbound` to the router, a reply out.

Robot messages are acked at once and handled in the background: DingTalk redelivers a message
whose ack is late (reports say after 16 to 60 seconds), and the router already acts once per
message id under a unique constraint, so a fast ack plus that dedupe is safe even when a message
arrives twice or on two connections. A message lost after its ack (a crash mid-command) gets no
reply, and the user can simply send it again.

Card presses are different: the card's update travels in the ack itself, so the command runs
first, in a thread, for at most `CARD_ACK_SECONDS`. If it takes longer the ack goes out empty and
the card is updated through the OpenAPI when the command finishes.

The router is synchronous and talks to the database, so it always runs via `asyncio.to_thread`;
so do the blocking HTTP calls (`requests`) that post the replies.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

import structlog
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage

from bot.dingtalk import render
from bot.dingtalk.openapi import ApiResult, DingTalkOpenAPI, request_json
from bot.router import Inbound, Router
from core.messages import Delivery, DeliveryOutcome, Reply

log = structlog.get_logger(__name__)

PLATFORM = "dingtalk"
CARD_ACK_SECONDS = 3.0
_HANDLE = re.compile(r"@([^\s@,，。;；:：!！?？()（）<>]+)")

Spawn = Callable[[Coroutine[Any, Any, None]], None]


def message_inbound(data: dict[str, Any], *, message_id: str | None = None) -> Inbound | None:
    """Translate a robot message (`/v1.0/im/bot/messages/get` data) into an `Inbound`.

    Users are their staff id within their corp id. The text's @names are matched to the
    message's at-user list in order when the counts agree (DingTalk lists the people but not
    the names they were written as); otherwise the router resolves names itself. Returns None
    for messages that carry no text (pictures, files).
    """
    text = _text_of(data)
    if text is None:
        return None
    staff_id = str(data.get("senderStaffId") or data.get("senderId") or "")
    tenant = str(data.get("senderCorpId") or data.get("chatbotCorpId") or "")
    is_direct = str(data.get("conversationType", "")) == "1"
    bot_ids = {data.get("chatbotUserId"), data.get("robotCode")}
    at_users = [
        str(u.get("staffId"))
        for u in data.get("atUsers") or []
        if isinstance(u, dict) and u.get("staffId") and u.get("dingtalkId") not in bot_ids
    ]
    handles = list(_HANDLE.findall(text))
    mention_ids = dict(zip(handles, at_users, strict=True)) if len(handles) == len(at_users) else {}
    # A mention typed as the staff id itself (`@manager4521`) is certain whatever the order.
    mention_ids.update({sid: sid for sid in at_users if sid in handles})
    return Inbound(
        platform=PLATFORM,
        tenant=tenant,
        user_id=staff_id,
        text=text,
        channel_id="" if is_direct else str(data.get("conversationId") or ""),
        user_name=str(data["senderNick"]) if data.get("senderNick") else None,
        event_id=message_id or (str(data["msgId"]) if data.get("msgId") else None),
        is_direct=is_direct,
        channel_name="" if is_direct else str(data.get("conversationTitle") or ""),
        mention_ids=mention_ids,
    )


def _text_of(data: dict[str, Any]) -> str | None:
    kind = data.get("msgtype")
    if kind == "text":
        content = (data.get("text") or {}).get("content")
        return str(content).strip() if content is not None else None
    if kind == "richText":
        items = (data.get("content") or {}).get("richText") or []
        parts = [str(i["text"]) for i in items if isinstance(i, dict) and "text" in i]
        return " ".join(parts).strip() if parts else None
    return None


def card_inbound(data: dict[str, Any], *, message_id: str | None) -> tuple[str, Inbound] | None:
    """Translate a card button press into `(outTrackId, Inbound)`; None when it names no action.

    The button posts back `{"action": "<router command>"}`, which runs as the person who pressed.
    """
    content = _json_field(data.get("content")) or _json_field(data.get("value")) or {}
    private = content.get("cardPrivateData") or {}
    params = private.get("params") or {}
    action = str(params.get("action") or "").strip()
    user_id = str(data.get("userId") or "")
    track_id = str(data.get("outTrackId") or "")
    if not action or not user_id:
        return None
    space_id = str(data.get("spaceId") or "")
    in_group = (
        str(data.get("spaceType") or "").lower() in ("im", "im_group", "imgroup")
        and bool(space_id)
        and not space_id.startswith("dtv1.card//IM_ROBOT")
    )
    channel = space_id.removeprefix("dtv1.card//IM_GROUP.") if in_group else ""
    inbound = Inbound(
        platform=PLATFORM,
        tenant=str(data.get("corpId") or ""),
        user_id=user_id,
        text=action,
        channel_id=channel,
        event_id=f"card:{message_id}" if message_id else None,
        is_direct=not channel,
    )
    return track_id, inbound


def _json_field(value: Any) -> dict[str, Any] | None:
    import json

    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None


def _mentioned(inbound: Inbound, reply: Reply) -> list[str]:
    """Staff ids for the reply's mentions, which the router gives as ids or as @handles.

    Only people in the message's at-user list are @-mentioned: an unknown name is left out
    rather than sent to DingTalk as if it were an id.
    """
    known = set(inbound.mention_ids.values())
    ids = [inbound.mention_ids.get(m.lstrip("@"), m) for m in reply.mentions]
    return [i for i in ids if i in known]


def _without_mentions(reply: Reply) -> Reply:
    return replace(reply, mentions=[])


class RobotMessageHandler(CallbackHandler):  # type: ignore[misc]  # the SDK is untyped
    """`/v1.0/im/bot/messages/get`: ack at once, then run the router and answer in the chat."""

    def __init__(self, router: Router, api: DingTalkOpenAPI | None, spawn: Spawn) -> None:
        super().__init__()
        self.router = router
        self.api = api
        self.spawn = spawn

    async def raw_process(self, callback_message: CallbackMessage) -> AckMessage:
        """Schedule the work and return the ack without waiting for it."""
        data = callback_message.data if isinstance(callback_message.data, dict) else {}
        message_id = callback_message.headers.message_id
        self.spawn(self.handle(data, message_id))
        ack = AckMessage()
        ack.code = AckMessage.STATUS_OK
        ack.headers.message_id = message_id
        ack.headers.content_type = "application/json"
        ack.message = "OK"
        ack.data = {"response": "OK"}
        return ack

    async def handle(self, data: dict[str, Any], message_id: str | None) -> None:
        """Run one message through the router and post the reply."""
        # The payload's msgId names the message itself; the frame id may differ per delivery.
        inbound = message_inbound(data, message_id=data.get("msgId") or message_id)
        if inbound is None or not inbound.user_id:
            log.info("dingtalk_message_ignored", msgtype=data.get("msgtype"))
            return
        reply = await asyncio.to_thread(self.router.handle, inbound)
        if reply is None:
            return  # a redelivery of a message already answered
        result = await asyncio.to_thread(self._post_reply, data, inbound, reply)
        log.info(
            "dingtalk_reply",
            outcome=result.delivery.outcome.value,
            status=result.status,
            error=result.delivery.error,
        )

    def _post_reply(self, data: dict[str, Any], inbound: Inbound, reply: Reply) -> ApiResult:
        if reply.private and not inbound.is_direct:
            # the answer goes one-to-one; the group reads only where it went
            sent = self._send_privately(inbound, reply)
            pointer = reply.pointer if sent.ok else _NO_PRIVATE_CHANNEL
            self._post_public(data, inbound, Reply(text=pointer))
            return sent
        return self._post_public(data, inbound, reply)

    def _send_privately(self, inbound: Inbound, reply: Reply) -> ApiResult:
        if self.api is None:
            return ApiResult(Delivery(DeliveryOutcome.PERMANENT, error="no API for 1:1 messages"))
        title, text = render.to_markdown(_without_mentions(reply), lang=render.guess_lang(reply))
        return self.api.send_users(
            [inbound.user_id], "sampleMarkdown", {"title": title, "text": text}
        )

    def _post_public(self, data: dict[str, Any], inbound: Inbound, reply: Reply) -> ApiResult:
        mentions = [] if inbound.is_direct else [inbound.user_id, *_mentioned(inbound, reply)]
        title, text = render.to_markdown(
            _without_mentions(reply), lang=render.guess_lang(reply), mentions=mentions
        )
        webhook = str(data.get("sessionWebhook") or "")
        expires_ms = int(data.get("sessionWebhookExpiredTime") or 0)
        at_ids = list(dict.fromkeys(mentions))
        result = ApiResult(Delivery(DeliveryOutcome.PERMANENT, error="no session webhook or API"))
        if webhook and (not expires_ms or expires_ms > time.time() * 1000 + 5000):
            result = request_json(
                "POST",
                webhook,
                {
                    "msgtype": "markdown",
                    "markdown": {"title": title, "text": text},
                    "at": {"atUserIds": at_ids, "isAtAll": False},
                },
            )
            # Sent, or perhaps sent (a timeout): posting again could say it twice.
            if result.delivery.outcome in (DeliveryOutcome.SENT, DeliveryOutcome.UNKNOWN):
                return result
            log.warning("dingtalk_session_webhook_failed", error=result.delivery.error)
        # The session webhook is gone (about 90 minutes after the message) or failing: the
        # OpenAPI reaches the same chat.
        if self.api is None:
            return result
        param = {"title": title, "text": text}
        if inbound.is_direct:
            return self.api.send_users([inbound.user_id], "sampleMarkdown", param)
        return self.api.send_group(inbound.channel_id, "sampleMarkdown", param)


_NO_PRIVATE_CHANNEL = (
    "📩 这条回复只能私聊发送，请单独和我聊 / Ask me in a one-to-one chat for this."
)


class CardCallbackHandler(CallbackHandler):  # type: ignore[misc]  # the SDK is untyped
    """`/v1.0/card/instances/callback`: run the pressed button's command, update the card."""

    def __init__(
        self,
        router: Router,
        api: DingTalkOpenAPI | None,
        spawn: Spawn,
        ack_seconds: float = CARD_ACK_SECONDS,
    ) -> None:
        super().__init__()
        self.router = router
        self.api = api
        self.spawn = spawn
        self.ack_seconds = ack_seconds

    async def process(self, callback: CallbackMessage) -> tuple[int, dict[str, Any]]:
        """The ack's answer: the card's new parameters, or nothing when there is nothing to change."""
        data = callback.data if isinstance(callback.data, dict) else {}
        parsed = card_inbound(data, message_id=callback.headers.message_id)
        if parsed is None:
            return AckMessage.STATUS_OK, {}
        track_id, inbound = parsed
        work = asyncio.ensure_future(asyncio.to_thread(self.router.handle, inbound))
        try:
            reply = await asyncio.wait_for(asyncio.shield(work), self.ack_seconds)
        except TimeoutError:
            self.spawn(self._update_later(track_id, inbound, work))
            log.warning("dingtalk_card_slow", out_track_id=track_id)
            return AckMessage.STATUS_OK, {}
        if reply is None:
            return AckMessage.STATUS_OK, {}  # the same press delivered twice
        return AckMessage.STATUS_OK, {
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            "cardData": {"cardParamMap": await self._card_params(inbound, reply)},
        }

    async def _card_params(self, inbound: Inbound, reply: Reply) -> dict[str, str]:
        """What the shared card shows after a press: a private answer goes to the presser alone,
        and the card keeps its content with a notice saying so."""
        if reply.private and reply.ok:
            if self.api is not None:
                title, text = render.to_markdown(reply, lang=render.guess_lang(reply))
                param = {"title": title, "text": text}
                await asyncio.to_thread(
                    self.api.send_users, [inbound.user_id], "sampleMarkdown", param
                )
                return {"notice": reply.pointer}
            return {"notice": _NO_PRIVATE_CHANNEL}
        return render.card_update(reply, lang=render.guess_lang(reply))

    async def _update_later(
        self, track_id: str, inbound: Inbound, work: asyncio.Future[Reply | None]
    ) -> None:
        reply = await work
        if reply is None or self.api is None:
            return
        params = await self._card_params(inbound, reply)
        result = await asyncio.to_thread(self.api.update_card, track_id, params)
        log.info("dingtalk_card_updated", outcome=result.delivery.outcome.value)
