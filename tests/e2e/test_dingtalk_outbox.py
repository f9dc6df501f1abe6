"""Scheduled messages to DingTalk: the real outbox sweep, pmbot's DingTalk notifier, the fake.

Tasks are made by talking to the bot over the stream; reminders and digests are queued by the
core and delivered by `scheduler.sweep.Sweeper` through `build_dingtalk_notifier`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import App
from bot.dingtalk.notifier import build_dingtalk_notifier, channel_webhooks, out_track_id
from bot.dingtalk.stream import DingTalkBot
from core.clock import FixedClock
from core.messages import Button, DeliveryOutcome, Outgoing, Reply
from core.models import Channel, Notification, Task
from core.timeutil import zone
from scheduler.sweep import Sweeper
from tests.fakes.dingtalk_gateway import WEBHOOK_SECRET, FakeDingTalk
from tests.fakes.dingtalk_harness import (
    GROUP,
    LISI,
    LISI_AT,
    app_for,
    running_bot,
    say,
)

GROUP_SEND = "/v1.0/robot/groupMessages/send"
CARD_DELIVER = "/v1.0/card/instances/createAndDeliver"
TEMPLATE = "c8d1e2f3-0a4b-4c5d-9e6f-7a8b9c0d1e2f.schema"
THROTTLED = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}

# Dedupe and the outbox differ by backend and run on both; the rest only on SQLite, for time.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture
def gateway() -> Iterator[FakeDingTalk]:
    """The fake DingTalk."""
    with FakeDingTalk() as gw:
        yield gw


@pytest.fixture
def clock() -> FixedClock:
    """Thursday 26 November 2026, 08:30 in Shanghai (a working day)."""
    return FixedClock(datetime.fromisoformat("2026-11-26T08:30:00+08:00"))


@pytest.fixture
def app(gateway: FakeDingTalk, engine: Engine, clock: FixedClock) -> App:
    """pmbot on each backend, with the fixed clock."""
    return app_for(gateway, engine, clock)


@pytest.fixture
def bot(app: App, gateway: FakeDingTalk) -> Iterator[DingTalkBot]:
    """The adapter in a group bound to WEB, where 张三 manages and 李四 has task WEB-1."""
    with running_bot(app) as bot:
        gateway.wait_connected()
        say(gateway, "project new WEB 官网")
        say(gateway, "member add WEB @李四 member", at_users=[LISI_AT])
        say(gateway, "channel bind WEB")
        say(gateway, "新建 写周报 @李四 截止 明天", at_users=[LISI_AT])
        gateway.requests.clear()
        yield bot


def _sweeper(app: App, clock: FixedClock, **kw: str) -> Sweeper:
    notifier = build_dingtalk_notifier(app.settings, clock=clock, **kw)
    return Sweeper(app.engine, {"dingtalk": notifier}, clock)


def _digest_time(engine: Engine) -> datetime:
    with Session(engine) as session:
        channel = session.exec(select(Channel).where(Channel.channel_id == GROUP)).one()
        assert channel.digest_time is not None
        hh, mm = (int(x) for x in channel.digest_time.split(":"))
        local = datetime(2026, 11, 26, hh, mm, tzinfo=zone(channel.timezone))
    return local + timedelta(minutes=5)


def _rows(engine: Engine, kind: str) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).where(Notification.kind == kind)).all())


def test_daily_digest_reaches_the_bound_group_through_the_openapi(
    bot: DingTalkBot, app: App, gateway: FakeDingTalk, clock: FixedClock
) -> None:
    clock.set(_digest_time(app.engine))
    result = _sweeper(app, clock).sweep()

    assert any(key.startswith("digest:") for key in result.planned)
    [request] = gateway.received(GROUP_SEND)
    body = request.body
    assert body["openConversationId"] == GROUP
    assert body["robotCode"] == gateway.client_id
    assert body["msgKey"] == "sampleMarkdown"
    param = json.loads(body["msgParam"])  # msgParam is a JSON string, as DingTalk wants
    assert "每日简报" in param["text"]
    assert "- 李四：1项未完成" in param["text"]
    assert "**按人统计**" in param["text"]
    assert param["title"].startswith("📋 官网 每日简报")
    assert request.headers["x-acs-dingtalk-access-token"].startswith("fake-token-")
    [row] = _rows(app.engine, "digest")
    assert row.status == "sent"
    # a second sweep the same day sends nothing more
    clock.advance(minutes=10)
    _sweeper(app, clock).sweep()
    assert len(gateway.received(GROUP_SEND)) == 1


def test_a_130101_answer_is_rescheduled_and_delivered_later_once(
    bot: DingTalkBot, app: App, gateway: FakeDingTalk, clock: FixedClock
) -> None:
    gateway.script(GROUP_SEND, THROTTLED)
    clock.set(_digest_time(app.engine))
    sweeper = _sweeper(app, clock)

    sweeper.sweep()
    [row] = _rows(app.engine, "digest")
    assert row.status == "pending"
    assert row.next_attempt_at >= clock.now() + timedelta(minutes=9)
    assert "130101" in (row.last_error or "")

    clock.advance(minutes=5)  # still throttled: nothing is sent
    sweeper.sweep()
    assert len(gateway.received(GROUP_SEND)) == 1

    clock.advance(minutes=6)
    sweeper.sweep()
    clock.advance(minutes=30)
    sweeper.sweep()
    requests = gateway.received(GROUP_SEND)
    assert len(requests) == 2  # the throttled try, then exactly one delivery
    [row] = _rows(app.engine, "digest")
    assert row.status == "sent"


def test_a_reminder_card_button_marks_the_task_done_and_the_card_updates(
    bot: DingTalkBot, app: App, gateway: FakeDingTalk, clock: FixedClock
) -> None:
    [reminder] = _rows(app.engine, "reminder")
    assert reminder.target == LISI
    clock.set(reminder.next_attempt_at)
    _sweeper(app, clock, card_template_id=TEMPLATE).sweep()

    [request] = gateway.received(CARD_DELIVER)
    assert request.body["openSpaceId"] == f"dtv1.card//IM_ROBOT.{LISI}"
    assert request.body["callbackType"] == "STREAM"
    track = out_track_id(reminder.dedupe_key)
    card = gateway.cards[track]
    assert "WEB-1" in card["markdown"]
    assert (card["btn0_label"], card["btn0_action"]) == ("完成", "done WEB-1")

    press = gateway.press(track, 0, user_id=LISI)
    ack = gateway.wait_ack(press["headers"]["messageId"])

    assert ack["code"] == 200
    card = gateway.cards[track]  # updated in place from the ack
    assert "WEB-1" in card["markdown"]
    assert "已完成" in card["markdown"]
    assert card["btn0_action"] == "reopen WEB-1"
    assert card["btn1_visible"] == "false"
    with Session(app.engine) as session:
        assert session.exec(select(Task)).one().status == "done"

    # pressing again (or a redelivered press) changes nothing and leaves the card as it is
    again = gateway.press(track, 0, user_id=LISI, message_id=press["headers"]["messageId"])
    mid = again["headers"]["messageId"]
    gateway.wait_for(lambda: sum(a["headers"]["messageId"] == mid for a in gateway.acks) == 2)
    assert gateway.cards[track] == card


@SQLITE_ONLY
def test_a_press_by_someone_without_permission_is_refused_on_the_card(
    bot: DingTalkBot, app: App, gateway: FakeDingTalk, clock: FixedClock
) -> None:
    [reminder] = _rows(app.engine, "reminder")
    clock.set(reminder.next_attempt_at)
    _sweeper(app, clock, card_template_id=TEMPLATE).sweep()
    track = out_track_id(reminder.dedupe_key)

    press = gateway.press(track, 0, user_id="outsider9981")
    gateway.wait_ack(press["headers"]["messageId"])

    card = gateway.cards[track]
    assert card["notice"]  # why it was refused, shown on the card
    assert card["btn0_action"] == "done WEB-1"  # the buttons stay
    with Session(app.engine) as session:
        assert session.exec(select(Task)).one().status != "done"


@SQLITE_ONLY
def test_a_group_with_a_custom_robot_gets_its_digest_through_the_signed_webhook(
    bot: DingTalkBot, app: App, gateway: FakeDingTalk, clock: FixedClock
) -> None:
    with Session(app.engine) as session:
        channel = session.exec(select(Channel).where(Channel.channel_id == GROUP)).one()
        channel.webhook_url = gateway.webhook_url
        channel.webhook_secret = WEBHOOK_SECRET
        session.add(channel)
        session.commit()
    clock.set(_digest_time(app.engine))
    notifier = build_dingtalk_notifier(
        app.settings, clock=clock, webhook_for=channel_webhooks(app.engine)
    )
    Sweeper(app.engine, {"dingtalk": notifier}, clock).sweep()

    [request] = gateway.received("/robot/send")  # the fake checked timestamp and sign
    assert "每日简报" in request.body["markdown"]["text"]
    assert gateway.received(GROUP_SEND) == []
    [row] = _rows(app.engine, "digest")
    assert row.status == "sent"


def test_a_slow_press_is_acked_at_once_and_the_card_updated_afterwards(
    gateway: FakeDingTalk, sqlite_engine: Engine, clock: FixedClock
) -> None:
    app = app_for(gateway, sqlite_engine, clock)
    with running_bot(app, card_ack_seconds=0.3):
        gateway.wait_connected()
        say(gateway, "project new WEB 官网")
        say(gateway, "member add WEB @李四 member", at_users=[LISI_AT])
        say(gateway, "新建 WEB 写周报 @李四 截止 明天", at_users=[LISI_AT])
        [reminder] = _rows(app.engine, "reminder")
        clock.set(reminder.next_attempt_at)
        _sweeper(app, clock, card_template_id=TEMPLATE).sweep()
        track = out_track_id(reminder.dedupe_key)

        # Another writer holds the database for a second, so the command is slow.
        path = sqlite_engine.url.database
        assert path is not None
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            sent = time.monotonic()
            press = gateway.press(track, 0, user_id=LISI)
            ack = gateway.wait_ack(press["headers"]["messageId"])
            assert gateway.ack_times[press["headers"]["messageId"]] - sent < 0.9
            assert json.loads(ack["data"])["response"] == {}  # nothing to update yet
            time.sleep(0.7)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()

        [update] = gateway.wait_for(lambda: gateway.received("/v1.0/card/instances"))
        assert update.method == "PUT"
        assert update.body["outTrackId"] == track
        assert gateway.cards[track]["btn0_action"] == "reopen WEB-1"


@SQLITE_ONLY
def test_open_on_a_card_sends_the_comments_one_to_one_and_keeps_the_card(
    bot: DingTalkBot, app: App, gateway: FakeDingTalk, clock: FixedClock
) -> None:
    say(gateway, "评论 WEB-1 报价别外传：供应商要加价两成")
    gateway.requests.clear()
    notifier = build_dingtalk_notifier(app.settings, clock=clock, card_template_id=TEMPLATE)
    card_reply = Reply(text="⏰ WEB-1 写周报 明天到期", buttons=[Button("查看", "show WEB-1")])
    sent = notifier.send(
        Outgoing(
            dedupe_key="task:1:reminder:open",
            kind="reminder",
            platform="dingtalk",
            tenant="",
            target=GROUP,
            target_type="channel",
            reply=card_reply,
            task_key="WEB-1",
        )
    )
    assert sent.outcome is DeliveryOutcome.SENT, sent.error
    track = out_track_id("task:1:reminder:open")
    before = dict(gateway.cards[track])
    assert before["btn0_action"] == "show WEB-1"

    press = gateway.press(track, 0, user_id=LISI)
    gateway.wait_ack(press["headers"]["messageId"])

    gateway.wait_for(lambda: gateway.received("/v1.0/robot/oToMessages/batchSend"))
    [oto] = gateway.received("/v1.0/robot/oToMessages/batchSend")
    assert oto.body["userIds"] == [LISI]
    assert "加价两成" in oto.body["msgParam"]
    card = gateway.cards[track]
    assert "加价两成" not in card["markdown"]
    assert card["markdown"] == before["markdown"]  # the group's card shows what it showed
    assert "私信" in card["notice"]
