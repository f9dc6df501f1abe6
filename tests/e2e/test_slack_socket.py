"""Slack in Socket Mode, end to end: the real slack_sdk Socket Mode client, opened by pmbot's
adapter through `apps.connections.open` on the fake Web API, connected to a local websocket
server that pushes envelopes the way Slack does and records the acks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack.socket import socket_handler
from core.clock import FixedClock
from core.models import Task
from tests.fakes.slack_harness import APP_TOKEN, CHANNEL, SlackHarness
from tests.fakes.slack_socket import FakeSocketMode

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def socket_mode(sqlite_engine: Engine) -> Iterator[tuple[SlackHarness, FakeSocketMode]]:
    """pmbot connected over Socket Mode to the fake (no HTTP endpoint at all)."""
    with (
        FakeSocketMode() as sock,
        SlackHarness(sqlite_engine, FixedClock(NOW), http=False) as slack,
    ):
        slack.api.socket_url = sock.url
        handler = socket_handler(slack.adapter, APP_TOKEN)
        handler.connect()
        try:
            sock.wait_connected()
            yield slack, sock
        finally:
            handler.close()


def command(slack: SlackHarness, sock: FakeSocketMode, text: str) -> dict[str, object]:
    """Push a `/pm` slash command envelope and wait for pmbot's reply on its response_url."""
    payload = slack.command_payload("U0ALICE01", text)
    envelope_id = sock.push("slash_commands", payload)
    sock.wait_ack(envelope_id)
    name = "response:" + str(payload["response_url"]).rsplit("/", 1)[1]
    return slack.api.wait_for(name)[0].args


def test_socket_mode_runs_commands_acts_once_reconnects_and_opens_the_modal(
    socket_mode: tuple[SlackHarness, FakeSocketMode],
) -> None:
    slack, sock = socket_mode
    assert slack.api.calls("apps.connections.open")[0].token == APP_TOKEN
    assert "WEB" in str(command(slack, sock, "project new WEB Website")["text"])
    command(slack, sock, "channel bind WEB")

    event = slack.mention_payload("U0ALICE01", "明天下午3点前 写周报")
    pushed = time.monotonic()
    first = sock.push("events_api", event)
    sock.wait_ack(first)
    assert time.monotonic() - pushed < 3
    [posted] = slack.api.wait_for("chat.postMessage")
    assert posted.args["channel"] == CHANNEL
    assert posted.args["thread_ts"] == event["event"]["ts"]

    # A reconnect redelivers the same event with a retry count: acked, but acted on once.
    again = sock.push("events_api", event, retry_attempt=1, retry_reason="timeout")
    sock.wait_ack(again)
    slack.adapter.drain()
    with Session(slack.engine) as session:
        [task] = session.exec(select(Task)).all()
    assert task.due_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert len(slack.api.calls("chat.postMessage")) == 1

    # Slack drops the connection; the client opens a new one and events keep coming.
    sock.drop()
    slack.api.wait_for("apps.connections.open", count=2, timeout=15)
    sock.wait_connected()
    later = slack.mention_payload("U0ALICE01", "后天 写总结")
    sock.wait_ack(sock.push("events_api", later), timeout=10)
    slack.api.wait_for("chat.postMessage", count=2)

    # `/pm` alone opens the modal, within the trigger's 3 seconds.
    payload = slack.command_payload("U0ALICE01", "")
    sock.wait_ack(sock.push("slash_commands", payload))
    [opened] = slack.api.wait_for("views.open")
    assert opened.args["trigger_id"] == payload["trigger_id"]
