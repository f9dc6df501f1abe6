"""Slack notifications through the outbox, end to end: the scheduler's sweep sends reminders with
pmbot's `SlackNotifier` (real slack_sdk) to a local Slack Web API that can rate-limit, fail and
time out; buttons on the reminders are pressed through pmbot's real HTTP endpoint."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack.clients import notifier_client
from bot.slack.notifier import SlackNotifier, build_slack_notifier
from core.clock import FixedClock
from core.messages import Button, DeliveryOutcome, Outgoing, Reply
from core.models import Task
from scheduler.sweep import sweep_once
from tests.fakes.slack_harness import SlackHarness

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
REMINDER_AT = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)  # an hour before WEB-1 is due
BOB, BOB_DM = "U0BOB0001", "D0BOB0001"


@pytest.fixture
def clock() -> FixedClock:
    """The test's clock, moved by hand."""
    return FixedClock(START)


@pytest.fixture
def slack(sqlite_engine: Engine, clock: FixedClock) -> Iterator[SlackHarness]:
    """pmbot in front of a fake Slack, with WEB-1 assigned to bob, due today at 15:00."""
    with SlackHarness(sqlite_engine, clock) as harness:
        harness.setup_project()
        harness.command_reply("U0ALICE01", "add WEB Ship the release <@U0BOB0001> due 15:00")
        sweep(harness, clock, START)  # the channel's morning digest goes out first
        harness.api.calls_log.clear()
        yield harness


def sweep(slack: SlackHarness, clock: FixedClock, at: datetime) -> None:
    """Run one scheduler sweep at `at` with pmbot's Slack notifier."""
    clock.set(at)
    sweep_once(slack.engine, {"slack": build_slack_notifier(slack.settings)}, clock)


def reminder(key: str = "task:1:reminder:test", target: str = BOB) -> Outgoing:
    """A reminder for WEB-1, as the outbox hands it to a notifier."""
    return Outgoing(
        dedupe_key=key,
        kind="reminder",
        platform="slack",
        tenant="T0PMBOT01",
        target=target,
        target_type="user",
        reply=Reply(text="⏰ WEB-1 is due", buttons=[Button("Done", "done WEB-1", "primary")]),
        task_key="WEB-1",
    )


def test_done_on_a_reminder_closes_the_task_and_updates_the_message(
    slack: SlackHarness, clock: FixedClock
) -> None:
    sweep(slack, clock, REMINDER_AT)
    [message] = slack.api.posted(BOB_DM)
    assert message["metadata"]["event_payload"]["dedupe_key"].startswith("task:1:reminder:")
    elements = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    buttons = {e["value"]: e for e in elements if "value" in e}
    assert set(buttons) >= {"done WEB-1", "snooze WEB-1 1h", "snooze WEB-1 tomorrow", "show WEB-1"}
    assert [e["type"] for e in elements if "value" not in e] == ["users_select"]  # Reassign
    done = buttons["done WEB-1"]
    press = slack.button_payload(
        BOB,
        channel=BOB_DM,
        message_ts=message["ts"],
        value=done["value"],
        action_id=done["action_id"],
    )
    assert slack.post_interaction(press).status_code == 200
    [update] = slack.api.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (BOB_DM, message["ts"])
    with Session(slack.engine) as session:
        assert session.exec(select(Task.status)).one() == "done"
    [message] = slack.api.posted(BOB_DM)
    assert "WEB-1" in message["text"]
    assert "reopen WEB-1" in str(message["blocks"])


def test_snooze_on_a_reminder_updates_the_message_in_place(
    slack: SlackHarness, clock: FixedClock
) -> None:
    sweep(slack, clock, REMINDER_AT)
    [message] = slack.api.posted(BOB_DM)
    buttons = {
        e["value"]: e
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if "value" in e  # the Reassign person picker has none
    }
    snooze = buttons["snooze WEB-1 1h"]
    press = slack.button_payload(
        BOB,
        channel=BOB_DM,
        message_ts=message["ts"],
        value=snooze["value"],
        action_id=snooze["action_id"],
    )
    assert slack.post_interaction(press).status_code == 200
    [update] = slack.api.wait_for("chat.update")
    assert update.args["ts"] == message["ts"]
    [message] = slack.api.posted(BOB_DM)
    assert message.get("edited")
    assert "WEB-1" in message["text"]
    with Session(slack.engine) as session:
        assert session.exec(select(Task.status)).one() == "todo"


def test_a_429_is_retried_after_retry_after_and_the_notification_arrives_once(
    slack: SlackHarness, clock: FixedClock
) -> None:
    slack.api.fail("chat.postMessage", 429, headers={"Retry-After": "1"})
    sweep(slack, clock, REMINDER_AT)
    first, second = slack.api.calls("chat.postMessage")
    assert first.args["channel"] == second.args["channel"] == BOB
    assert second.at - first.at >= 1.0  # waited for Retry-After
    assert len(slack.api.posted(BOB_DM)) == 1


def test_a_long_rate_limit_goes_back_to_the_outbox_and_arrives_once_later(
    slack: SlackHarness, clock: FixedClock
) -> None:
    slack.api.fail("chat.postMessage", 429, headers={"Retry-After": "30"})
    started = time.monotonic()
    sweep(slack, clock, REMINDER_AT)
    assert time.monotonic() - started < 5  # the sweep does not sleep 30 s
    assert slack.api.posted(BOB_DM) == []
    sweep(slack, clock, REMINDER_AT + timedelta(seconds=10))  # too early: still waiting
    assert slack.api.posted(BOB_DM) == []
    sweep(slack, clock, REMINDER_AT + timedelta(seconds=31))
    assert len(slack.api.posted(BOB_DM)) == 1


def test_a_send_with_unknown_outcome_is_found_by_its_metadata_not_posted_twice(
    slack: SlackHarness, clock: FixedClock
) -> None:
    slack.api.fail("chat.postMessage", 500, commit=True)  # posted, then an error came back
    sweep(slack, clock, REMINDER_AT)
    assert len(slack.api.posted(BOB_DM)) == 1
    sweep(slack, clock, REMINDER_AT + timedelta(minutes=30))
    assert len(slack.api.posted(BOB_DM)) == 1
    history = slack.api.calls("conversations.history")
    assert history
    assert history[-1].args["include_all_metadata"] in ("1", "true", True)


def test_outcomes_are_classified_for_the_outbox(slack: SlackHarness) -> None:
    notifier = build_slack_notifier(slack.settings)
    sent = notifier.send(reminder("k:sent"))
    assert sent.outcome is DeliveryOutcome.SENT
    assert sent.external_ref == f"{BOB_DM}:{slack.api.posted(BOB_DM)[-1]['ts']}"
    assert notifier.find_sent(reminder("k:sent")) == sent.external_ref
    assert notifier.find_sent(reminder("k:never")) is None

    slack.api.fail("chat.postMessage", 200, error="channel_not_found")
    gone = notifier.send(reminder("k:gone", target="C0GONE001"))
    assert (gone.outcome, gone.error) == (DeliveryOutcome.PERMANENT, "channel_not_found")

    slack.api.fail("chat.postMessage", 503)
    assert notifier.send(reminder("k:503")).outcome is DeliveryOutcome.UNKNOWN

    slack.api.fail("chat.postMessage", 429, headers={"Retry-After": "45"})
    limited = notifier.send(reminder("k:limited"))
    assert (limited.outcome, limited.retry_after) == (DeliveryOutcome.RATE_LIMITED, 45.0)


def test_a_timeout_is_unknown_and_a_refused_connection_is_transient(slack: SlackHarness) -> None:
    client = notifier_client(slack.settings, "xoxb-1111-2222-pmbottest")
    client.timeout = 0.3
    slack.api.fail("chat.postMessage", 200, delay=1.0)
    assert SlackNotifier(lambda _t: client).send(reminder()).outcome is DeliveryOutcome.UNKNOWN

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    nowhere = notifier_client(
        slack.settings.model_copy(update={"slack_api_url": f"http://127.0.0.1:{closed_port}/api/"}),
        "xoxb-1111-2222-pmbottest",
    )
    refused = SlackNotifier(lambda _t: nowhere).send(reminder())
    assert refused.outcome is DeliveryOutcome.TRANSIENT
