"""DingTalkNotifier and the OpenAPI client against the fake DingTalk's HTTP side: token caching,
message shapes, the 20-a-minute limit, and how each kind of answer is classified."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from bot.dingtalk.notifier import DingTalkNotifier, SendLimiter, build_dingtalk_notifier
from bot.dingtalk.openapi import DingTalkOpenAPI
from core.messages import Button, DeliveryOutcome, Outgoing, Reply
from core.netpolicy import parse_allow
from tests.fakes.dingtalk_gateway import (
    CLIENT_ID,
    CLIENT_SECRET,
    WEBHOOK_SECRET,
    FakeDingTalk,
)
from tests.fakes.dingtalk_harness import GROUP, LISI, dingtalk_settings

GROUP_SEND = "/v1.0/robot/groupMessages/send"
OTO_SEND = "/v1.0/robot/oToMessages/batchSend"
TOKEN = "/v1.0/oauth2/accessToken"
WEBHOOK = "/robot/send"
# The fake listens on loopback, which user-set webhooks may reach only when an operator says so.
LOCAL = parse_allow(["127.0.0.1/32"])


class Ticker:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway() -> Iterator[FakeDingTalk]:
    """The fake DingTalk."""
    with FakeDingTalk() as gw:
        yield gw


def _api(gateway: FakeDingTalk, ticker: Ticker | None = None, **kw: float) -> DingTalkOpenAPI:
    return DingTalkOpenAPI(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        endpoint=gateway.base_url,
        monotonic=ticker or Ticker(),
        **kw,
    )


def _message(
    n: int = 1, *, target: str = GROUP, target_type: str = "channel", **reply: object
) -> Outgoing:
    return Outgoing(
        dedupe_key=f"digest:1:2026-11-{n:02d}",
        kind="digest",
        platform="dingtalk",
        tenant="",
        target=target,
        target_type=target_type,
        reply=Reply(text=reply.pop("text", "📋 官网 每日简报"), **reply),  # type: ignore[arg-type]
    )


def test_access_token_is_cached_until_five_minutes_before_it_expires(
    gateway: FakeDingTalk,
) -> None:
    ticker = Ticker()
    api = _api(gateway, ticker)
    for _ in range(3):
        assert api.send_group(GROUP, "sampleText", {"content": "hi"}).ok
    assert gateway.tokens_issued == 1

    ticker.now += 7200 - 300 - 1
    assert api.send_group(GROUP, "sampleText", {"content": "hi"}).ok
    assert gateway.tokens_issued == 1
    ticker.now += 2  # within the last five minutes: refreshed
    assert api.send_group(GROUP, "sampleText", {"content": "hi"}).ok
    assert gateway.tokens_issued == 2
    assert [r.body for r in gateway.received(TOKEN)][-1] == {
        "appKey": CLIENT_ID,
        "appSecret": CLIENT_SECRET,
    }
    assert CLIENT_SECRET not in repr(api)


def test_a_rejected_token_is_refreshed_once_and_the_call_retried(gateway: FakeDingTalk) -> None:
    api = _api(gateway)
    assert api.send_group(GROUP, "sampleText", {"content": "hi"}).ok
    gateway.revoke_tokens()  # DingTalk expired it early

    assert api.send_group(GROUP, "sampleText", {"content": "hi"}).ok
    assert gateway.tokens_issued == 2
    assert len(gateway.received(GROUP_SEND)) == 3  # one 401, then the retry


def test_bad_credentials_do_not_kill_the_message(gateway: FakeDingTalk) -> None:
    api = DingTalkOpenAPI(client_id=CLIENT_ID, client_secret="wrong", endpoint=gateway.base_url)
    result = api.send_group(GROUP, "sampleText", {"content": "hi"})
    assert result.delivery.outcome is DeliveryOutcome.TRANSIENT
    assert "access token" in (result.delivery.error or "")
    assert gateway.received(GROUP_SEND) == []


def test_channel_and_user_messages_use_the_robot_openapi_in_markdown(
    gateway: FakeDingTalk,
) -> None:
    notifier = build_dingtalk_notifier(dingtalk_settings(gateway))
    reply = {"fields": [("负责人", "@李四")], "mentions": [LISI]}

    group = notifier.send(_message(1, **reply))
    person = notifier.send(_message(2, target=LISI, target_type="user", **reply))

    assert group.outcome is DeliveryOutcome.SENT
    assert group.external_ref  # the processQueryKey
    assert person.outcome is DeliveryOutcome.SENT
    [g] = gateway.received(GROUP_SEND)
    assert g.body["openConversationId"] == GROUP
    text = json.loads(g.body["msgParam"])["text"]
    assert "- **负责人**：@李四" in text
    assert text.endswith(f"@{LISI}")
    [u] = gateway.received(OTO_SEND)
    assert u.body["userIds"] == [LISI]
    assert u.body["msgKey"] == "sampleMarkdown"
    assert json.loads(u.body["msgParam"])["title"] == "📋 官网 每日简报"


def test_buttons_without_a_card_template_become_command_hints(gateway: FakeDingTalk) -> None:
    notifier = build_dingtalk_notifier(dingtalk_settings(gateway))
    message = _message(
        buttons=[Button("完成", "done WEB-1"), Button("明天提醒", "snooze WEB-1 tomorrow")]
    )

    assert notifier.send(message).outcome is DeliveryOutcome.SENT
    text = json.loads(gateway.received(GROUP_SEND)[0].body["msgParam"])["text"]
    assert "`done WEB-1`（完成）" in text
    assert "`snooze WEB-1 tomorrow`（明天提醒）" in text


def test_no_more_than_twenty_a_minute_per_robot_and_group(gateway: FakeDingTalk) -> None:
    ticker = Ticker()
    notifier = DingTalkNotifier(_api(gateway), limiter=SendLimiter(monotonic=ticker))
    outcomes = [notifier.send(_message(n)).outcome for n in range(1, 22)]

    assert outcomes[:20] == [DeliveryOutcome.SENT] * 20
    assert outcomes[20] is DeliveryOutcome.RATE_LIMITED
    assert len(gateway.received(GROUP_SEND)) == 20  # the 21st never left
    late = notifier.send(_message(22))
    assert late.retry_after is not None
    assert 0 < late.retry_after <= 60
    # another group has its own allowance
    assert notifier.send(_message(23, target="cidOther==")).outcome is DeliveryOutcome.SENT
    ticker.now += 60
    assert notifier.send(_message(24)).outcome is DeliveryOutcome.SENT


def test_errcode_130101_is_rate_limited_for_ten_minutes_and_not_retried_sooner(
    gateway: FakeDingTalk,
) -> None:
    ticker = Ticker()
    notifier = DingTalkNotifier(_api(gateway), limiter=SendLimiter(monotonic=ticker))
    gateway.script(
        GROUP_SEND, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    )

    first = notifier.send(_message(1))
    assert first.outcome is DeliveryOutcome.RATE_LIMITED
    assert first.retry_after == 600
    ticker.now += 300
    second = notifier.send(_message(2))
    assert second.outcome is DeliveryOutcome.RATE_LIMITED
    assert second.retry_after == pytest.approx(300)
    assert len(gateway.received(GROUP_SEND)) == 1  # the robot was left alone while banned
    ticker.now += 301
    assert notifier.send(_message(3)).outcome is DeliveryOutcome.SENT


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (500, {"code": "ServiceUnavailable", "message": "系统繁忙"}, DeliveryOutcome.TRANSIENT),
        (503, {}, DeliveryOutcome.TRANSIENT),
        (
            400,
            {"code": "invalidParameter.robotCode.notExist", "message": "robotCode不存在"},
            DeliveryOutcome.PERMANENT,
        ),
        (
            400,
            {"code": "msgParam.invalid", "message": "msgParam格式不正确"},
            DeliveryOutcome.PERMANENT,
        ),
        (
            403,
            {"code": "Forbidden.AccessDenied.QpsLimitForApi", "message": "调用太频繁"},
            DeliveryOutcome.RATE_LIMITED,
        ),
        (429, {"code": "Throttling", "message": "too many requests"}, DeliveryOutcome.RATE_LIMITED),
        (200, {"errcode": 400007, "errmsg": "非应用创建者"}, DeliveryOutcome.PERMANENT),
    ],
)
def test_answers_are_classified_from_the_body_and_the_status(
    gateway: FakeDingTalk, status: int, body: dict[str, object], outcome: DeliveryOutcome
) -> None:
    notifier = DingTalkNotifier(_api(gateway))
    gateway.script(GROUP_SEND, body, status=status)
    delivery = notifier.send(_message())
    assert delivery.outcome is outcome
    assert delivery.error


def test_a_timeout_is_unknown_and_a_refused_connection_transient(gateway: FakeDingTalk) -> None:
    api = _api(gateway, timeout=0.3)
    api.access_token()
    gateway.script(GROUP_SEND, {"processQueryKey": "late"}, delay=1.0)
    assert DingTalkNotifier(api).send(_message()).outcome is DeliveryOutcome.UNKNOWN

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = DingTalkOpenAPI(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, endpoint=f"http://127.0.0.1:{port}"
    )
    assert DingTalkNotifier(dead).send(_message()).outcome is DeliveryOutcome.TRANSIENT


def test_a_groups_custom_robot_webhook_is_signed_and_limited(gateway: FakeDingTalk) -> None:
    ticker = Ticker()
    hooks = {GROUP: (gateway.webhook_url, WEBHOOK_SECRET)}
    notifier = DingTalkNotifier(
        None, webhook_for=hooks.get, limiter=SendLimiter(monotonic=ticker), outbound_allow=LOCAL
    )

    sent = notifier.send(_message(1, mentions=[LISI]))
    assert sent.outcome is DeliveryOutcome.SENT, sent.error
    [request] = gateway.received(WEBHOOK)
    assert request.query["timestamp"].isdigit()
    assert request.body["msgtype"] == "markdown"
    assert request.body["at"]["atUserIds"] == [LISI]

    gateway.script(
        WEBHOOK, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
    )
    throttled = notifier.send(_message(2))
    assert throttled.outcome is DeliveryOutcome.RATE_LIMITED
    assert throttled.retry_after == 600

    wrong = DingTalkNotifier(
        None, webhook_for={GROUP: (gateway.webhook_url, "SECwrong")}.get, outbound_allow=LOCAL
    )
    refused = wrong.send(_message(3))
    assert refused.outcome is DeliveryOutcome.PERMANENT
    assert "310000" in (refused.error or "")
