"""DingTalk conversations end to end: the real dingtalk-stream client, pmbot's adapter and router,
and the fake DingTalk speaking the stream protocol and the session webhooks."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.app import App
from bot.dingtalk.stream import DingTalkBot
from core.models import Identity, Task, TaskAssignee
from tests.fakes.dingtalk_gateway import CORP_ID, FakeDingTalk, frame_data
from tests.fakes.dingtalk_harness import (
    GROUP,
    LISI,
    LISI_AT,
    MANAGER,
    SESSION_PATH,
    app_for,
    replies,
    running_bot,
    say,
)

# Dedupe and the outbox differ by backend and run on both; the rest only on SQLite, for time.
SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


@pytest.fixture
def gateway() -> Iterator[FakeDingTalk]:
    """The fake DingTalk."""
    with FakeDingTalk() as gw:
        yield gw


@pytest.fixture
def app(gateway: FakeDingTalk, engine: Engine) -> App:
    """pmbot built by the composition root, on each database backend."""
    return app_for(gateway, engine)


@pytest.fixture
def bot(app: App, gateway: FakeDingTalk) -> Iterator[DingTalkBot]:
    """The adapter, connected, in a group bound to project WEB."""
    with running_bot(app) as bot:
        gateway.wait_connected()
        say(gateway, "project new WEB 官网")
        say(gateway, "member add WEB @李四 member", at_users=[LISI_AT])
        say(gateway, "channel bind WEB")
        gateway.requests.clear()
        yield bot


def _tasks(engine: Engine) -> list[Task]:
    with Session(engine) as session:
        return list(session.exec(select(Task)).all())


def test_group_message_creates_a_task_and_the_reply_reaches_the_session_webhook(
    bot: DingTalkBot, gateway: FakeDingTalk, engine: Engine
) -> None:
    frame = say(gateway, "新建 写周报 @李四 截止 明天", at_users=[LISI_AT])

    [body] = replies(gateway)
    assert body["msgtype"] == "markdown"
    assert "已创建 WEB-1" in body["markdown"]["text"]
    assert "写周报" in body["markdown"]["text"]
    # the sender is @-mentioned, by staff id in atUserIds and in the text
    assert body["at"]["atUserIds"][0] == MANAGER
    assert f"@{MANAGER}" in body["markdown"]["text"]
    # the reply went to this message's own session webhook
    [request] = gateway.received(SESSION_PATH)
    assert request.query["session"] == "sess"
    # the ack went out, with the frame's messageId
    ack = gateway.wait_ack(frame["headers"]["messageId"])
    assert ack["code"] == 200

    [task] = _tasks(engine)
    assert task.title == "写周报"
    with Session(engine) as session:
        assignees = session.exec(
            select(Identity)
            .join(TaskAssignee, TaskAssignee.user_id == Identity.user_id)
            .where(TaskAssignee.task_id == task.id)
        ).all()
    # 李四 is the at-user of the message: their staff id within the sender's corp
    assert [(i.platform, i.tenant, i.external_id) for i in assignees] == [
        ("dingtalk", CORP_ID, LISI)
    ]


@SQLITE_ONLY
def test_one_to_one_message_is_answered_without_mentions(
    bot: DingTalkBot, gateway: FakeDingTalk
) -> None:
    say(gateway, "新建 写周报", expect=1)
    gateway.requests.clear()

    say(gateway, "列表 WEB", fixture="direct_message", senderStaffId=MANAGER, senderNick="张三")

    [body] = replies(gateway)
    assert "WEB-1" in body["markdown"]["text"]
    assert body["at"]["atUserIds"] == []
    assert "@" not in body["markdown"]["text"]


def test_a_duplicated_or_redelivered_message_creates_one_task(
    bot: DingTalkBot, gateway: FakeDingTalk, engine: Engine
) -> None:
    frame = gateway.robot_message("新建 写周报")
    gateway.send_frame(frame)
    gateway.send_frame(frame)  # the same frame twice
    # a redelivery after a late ack: a new frame id, the same message id
    redelivered = gateway.robot_message("新建 写周报", msg_id=frame_data(frame)["msgId"])
    gateway.send_frame(redelivered)

    gateway.wait_for(
        lambda: (
            gateway.ack_for(redelivered["headers"]["messageId"])
            and gateway.ack_for(frame["headers"]["messageId"])
        )
    )
    replies(gateway, 1)
    time.sleep(0.5)  # give a wrong second reply time to arrive
    assert len(gateway.received(SESSION_PATH)) == 1
    assert [t.key for t in _tasks(engine)] == ["WEB-1"]
    # every delivery was acked, the duplicates too, so DingTalk stops redelivering
    acked = [a["headers"]["messageId"] for a in gateway.acks]
    assert acked.count(frame["headers"]["messageId"]) == 2


@SQLITE_ONLY
def test_ack_goes_out_before_the_reply_is_posted(bot: DingTalkBot, gateway: FakeDingTalk) -> None:
    gateway.script(SESSION_PATH, {"errcode": 0, "errmsg": "ok"}, delay=1.0)  # a slow DingTalk
    frame = gateway.robot_message("新建 写周报")
    sent = time.monotonic()
    gateway.send_frame(frame)

    gateway.wait_ack(frame["headers"]["messageId"])
    assert gateway.ack_times[frame["headers"]["messageId"]] - sent < 0.5
    replies(gateway, 1)


def test_a_message_delivered_to_two_connections_acts_once(
    gateway: FakeDingTalk, engine: Engine, app: App
) -> None:
    # Two pmbot processes on one database, each with its own stream connection.
    other = app_for(gateway, engine)
    with running_bot(app), running_bot(other):
        gateway.wait_connected(2)
        say(gateway, "project new WEB 官网")
        frame = gateway.robot_message("新建 WEB 写周报")
        gateway.send_frame(frame, every_socket=True)
        gateway.wait_for(lambda: len(gateway.acks) >= 3)
        replies(gateway, 2)
        time.sleep(0.5)
        assert len(gateway.received(SESSION_PATH)) == 2  # project new + one task reply
    assert [t.key for t in _tasks(engine)] == ["WEB-1"]


@SQLITE_ONLY
def test_expired_session_webhook_falls_back_to_the_openapi(
    bot: DingTalkBot, gateway: FakeDingTalk
) -> None:
    frame = gateway.robot_message("新建 写周报")
    data = frame_data(frame)
    data["sessionWebhookExpiredTime"] = int(time.time() * 1000) - 1000
    frame["data"] = json.dumps(data, ensure_ascii=False)
    gateway.send_frame(frame)

    gateway.wait_for(lambda: gateway.received("/v1.0/robot/groupMessages/send"))
    [request] = gateway.received("/v1.0/robot/groupMessages/send")
    assert request.body["openConversationId"] == GROUP
    assert "WEB-1" in request.body["msgParam"]
    assert gateway.received(SESSION_PATH) == []


@SQLITE_ONLY
def test_natural_language_in_a_group_creates_a_task_for_the_person_mentioned(
    bot: DingTalkBot, gateway: FakeDingTalk, engine: Engine
) -> None:
    say(gateway, "明天下午3点前 @李四 完成季度报告", at_users=[LISI_AT])

    [body] = replies(gateway)
    [task] = _tasks(engine)
    assert task.key in body["markdown"]["text"]
    # the sender and the new assignee are @-mentioned by staff id
    assert body["at"]["atUserIds"] == [MANAGER, LISI]
    assert body["markdown"]["text"].endswith(f"@{MANAGER} @{LISI}")
    assert "季度报告" in task.title
    assert task.due_at is not None
    with Session(engine) as session:
        [ident] = session.exec(
            select(Identity)
            .join(TaskAssignee, TaskAssignee.user_id == Identity.user_id)
            .where(TaskAssignee.task_id == task.id)
        ).all()
    assert ident.external_id == LISI


@SQLITE_ONLY
def test_a_session_webhook_error_in_the_body_is_noticed_and_the_openapi_used(
    bot: DingTalkBot, gateway: FakeDingTalk
) -> None:
    # HTTP 200, but DingTalk says the session is gone
    gateway.script(SESSION_PATH, {"errcode": 300001, "errmsg": "session 不存在"})
    gateway.send_frame(gateway.robot_message("新建 写周报"))

    gateway.wait_for(lambda: gateway.received("/v1.0/robot/groupMessages/send"))
    assert len(gateway.received(SESSION_PATH)) == 1
    [request] = gateway.received("/v1.0/robot/groupMessages/send")
    assert "WEB-1" in json.loads(request.body["msgParam"])["text"]
