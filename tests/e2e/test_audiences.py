"""Answers that need more than a channel may see go to the asker alone (issue 10, finding 7):
budget, comments and history are sent privately with a short public pointer, and a press on a
shared message never replaces it with private content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from bot.app import App
from bot.dingtalk.stream import DingTalkBot
from core.clock import FixedClock
from tests.e2e.test_slack_http import ALICE, BOB, block_texts, send_reminder
from tests.fakes.dingtalk_gateway import FakeDingTalk
from tests.fakes.dingtalk_harness import MANAGER, app_for, replies, running_bot, say
from tests.fakes.slack_harness import CHANNEL, SlackHarness

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
OTO = "/v1.0/robot/oToMessages/batchSend"
FIN = "U0FIN0001"


@pytest.fixture
def slack(sqlite_engine: Engine) -> Iterator[SlackHarness]:
    with SlackHarness(sqlite_engine, FixedClock(NOW)) as harness:
        yield harness


def test_finance_asking_for_the_budget_in_a_channel_gets_it_privately(slack: SlackHarness) -> None:
    slack.setup_project()
    slack.command_reply(ALICE, "project set WEB budget 120000")
    slack.command_reply(ALICE, f"member add WEB <@{FIN}> finance")
    assert slack.post_event(slack.mention_payload(FIN, "project show WEB")).status_code == 200
    [private] = slack.api.wait_for("chat.postEphemeral")
    assert private.args["user"] == FIN
    assert "120,000" in json.dumps(private.args, ensure_ascii=False)
    public = [
        c.args for c in slack.api.wait_for("chat.postMessage") if c.args["channel"] == CHANNEL
    ]
    assert public
    assert all("120,000" not in json.dumps(p, ensure_ascii=False) for p in public)
    assert any("privately" in p["text"] or "私信" in p["text"] for p in public)


def test_a_task_without_budget_or_comments_is_answered_in_the_channel(slack: SlackHarness) -> None:
    slack.setup_project()
    slack.command_reply(ALICE, "add WEB Ship the release")
    slack.post_event(slack.mention_payload(BOB, "show WEB-1"))
    [posted] = slack.api.wait_for("chat.postMessage")
    assert "Ship the release" in json.dumps(posted.args, ensure_ascii=False)
    assert slack.api.calls("chat.postEphemeral") == []


def test_open_on_a_shared_reminder_shows_comments_to_the_presser_only(slack: SlackHarness) -> None:
    slack.setup_project()
    slack.command_reply(ALICE, "add WEB Ship the release <@U0BOB0001>")
    slack.command_reply(ALICE, "comment WEB-1 the vendor wants 20% more, keep it quiet")
    message = send_reminder(slack)
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    open_button = actions["elements"][2]
    press = slack.button_payload(
        BOB,
        channel=CHANNEL,
        message_ts=message["ts"],
        value=open_button["value"],
        action_id=open_button["action_id"],
    )
    assert slack.post_interaction(press).status_code == 200
    [private] = slack.api.wait_for("chat.postEphemeral")
    assert private.args["user"] == BOB
    assert "20% more" in json.dumps(private.args, ensure_ascii=False)
    assert slack.api.calls("chat.update") == []  # the channel's reminder stays as it was
    [shared] = slack.api.posted(CHANNEL)
    assert "20% more" not in block_texts(shared["blocks"])


@pytest.fixture
def gateway() -> Iterator[FakeDingTalk]:
    with FakeDingTalk() as gw:
        yield gw


@pytest.fixture
def app(gateway: FakeDingTalk, sqlite_engine: Engine) -> App:
    return app_for(gateway, sqlite_engine)


@pytest.fixture
def bot(app: App, gateway: FakeDingTalk) -> Iterator[DingTalkBot]:
    with running_bot(app) as bot:
        gateway.wait_connected()
        say(gateway, "project new WEB 官网")
        say(gateway, "channel bind WEB")
        say(gateway, "project set WEB budget 5000")
        gateway.requests.clear()
        yield bot


def test_dingtalk_budget_and_history_go_one_to_one_with_a_pointer_in_the_group(
    bot: DingTalkBot, gateway: FakeDingTalk
) -> None:
    say(gateway, "project show WEB")
    gateway.wait_for(lambda: gateway.received(OTO))
    [oto] = gateway.received(OTO)
    assert oto.body["userIds"] == [MANAGER]
    assert "5,000" in oto.body["msgParam"]
    [group] = replies(gateway)
    assert "5,000" not in group["markdown"]["text"]
    assert "私信" in group["markdown"]["text"]
