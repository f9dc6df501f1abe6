"""The stream connection against the fake gateway: reconnect backoff, pings, disconnects, stopping.

dingtalk-stream 0.24.3 reconnects in a tight loop when the server closes the socket cleanly.
The first test shows the installed SDK still does; the next shows pmbot's client does not.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from itertools import pairwise

import pytest
from dingtalk_stream import CallbackHandler, ChatbotMessage, Credential, DingTalkStreamClient
from dingtalk_stream.version import VERSION_STRING
from sqlalchemy.engine import Engine

from bot.dingtalk.stream import Backoff, configure_sdk_endpoint
from tests.fakes.dingtalk_gateway import CLIENT_ID, CLIENT_SECRET, FakeDingTalk, load_fixture
from tests.fakes.dingtalk_harness import app_for, running_bot


@pytest.fixture
def gateway() -> Iterator[FakeDingTalk]:
    """The fake DingTalk."""
    with FakeDingTalk() as gw:
        yield gw


def _connects_within(gateway: FakeDingTalk, seconds: float) -> list[float]:
    first = gateway.connects[0]
    return [t - first for t in gateway.connects if t - first <= seconds]


def test_the_installed_sdk_alone_reconnects_in_a_storm(gateway: FakeDingTalk) -> None:
    """Why pmbot replaces the SDK's loop: 0.24.3 reconnects at once after a clean close."""
    assert VERSION_STRING == "0.24.3"  # a release with its own backoff would make this fail
    gateway.close_on_connect = True
    configure_sdk_endpoint(gateway.base_url)
    client = DingTalkStreamClient(Credential(CLIENT_ID, CLIENT_SECRET))
    client.register_callback_handler(ChatbotMessage.TOPIC, CallbackHandler())
    stop = threading.Event()
    original_open = client.open_connection

    def open_until_stopped() -> object:
        if stop.is_set():
            # The SDK swallows CancelledError; KeyboardInterrupt is the one way out of its loop.
            raise KeyboardInterrupt
        return original_open()

    client.open_connection = open_until_stopped
    thread = threading.Thread(target=lambda: asyncio.run(client.start()), daemon=True)
    thread.start()
    gateway.wait_for(lambda: gateway.connects)
    time.sleep(1.0)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    storm = len(_connects_within(gateway, 1.0))
    assert storm > 20, storm


def test_pmbot_reconnects_with_growing_jittered_waits_not_in_a_storm(
    gateway: FakeDingTalk, sqlite_engine: Engine
) -> None:
    gateway.close_on_connect = True
    app = app_for(gateway, sqlite_engine)
    with running_bot(app, backoff=Backoff(base=0.2, cap=2.0)):
        gateway.wait_for(lambda: gateway.connects)
        time.sleep(2.5)
    connects = _connects_within(gateway, 2.5)
    # waits of 0.1-0.2, 0.2-0.4, 0.4-0.8, 0.8-1.6 s: at most 5 connects in 2.5 s
    assert 3 <= len(connects) <= 6, connects
    gaps = [b - a for a, b in pairwise(connects)]
    assert all(gap >= 0.09 for gap in gaps)
    assert all(later >= earlier * 0.9 for earlier, later in pairwise(gaps))


def test_a_frame_resets_the_backoff_and_pings_are_echoed(
    gateway: FakeDingTalk, sqlite_engine: Engine
) -> None:
    app = app_for(gateway, sqlite_engine)
    backoff = Backoff(base=0.1, cap=5.0)
    backoff.attempt = 6  # as after a long outage
    with running_bot(app, backoff=backoff):
        gateway.wait_connected(1)
        ping = load_fixture("ping")
        gateway.send_frame(ping)
        ack = gateway.wait_ack(ping["headers"]["messageId"])
        assert ack["code"] == 200
        assert json.loads(ack["data"]) == json.loads(ping["data"])  # the opaque is echoed
        assert backoff.attempt == 0

        dropped = time.monotonic()
        gateway.drop_connections()
        gateway.wait_connected(2)
        assert gateway.connects[1] - dropped < 1.0  # back to the base wait, not 6.4 s


def test_a_disconnect_frame_is_acked_and_the_client_reconnects(
    gateway: FakeDingTalk, sqlite_engine: Engine
) -> None:
    app = app_for(gateway, sqlite_engine)
    with running_bot(app):
        gateway.wait_connected(1)
        frame = load_fixture("disconnect")
        gateway.send_frame(frame)
        gateway.wait_ack(frame["headers"]["messageId"])
        gateway.wait_connected(2)
        # each connection used a fresh ticket and subscribed to messages and card presses
        topics = [{s["topic"] for s in body["subscriptions"]} for body in gateway.open_requests]
        assert topics[-1] == {"/v1.0/im/bot/messages/get", "/v1.0/card/instances/callback"}
        assert all(body["clientId"] == CLIENT_ID for body in gateway.open_requests)


def test_stop_ends_the_client_promptly_even_while_waiting_to_reconnect(
    gateway: FakeDingTalk, sqlite_engine: Engine
) -> None:
    gateway.close_on_connect = True
    app = app_for(gateway, sqlite_engine)
    with running_bot(app, backoff=Backoff(base=30.0, cap=60.0)) as bot:
        gateway.wait_for(lambda: gateway.connects)
        time.sleep(0.2)  # now in a 15-30 s wait
        started = time.monotonic()
        bot.stop()
        assert bot.client is not None
        gateway.wait_for(lambda: bot.client is not None and bot.client.websocket is None)
    assert time.monotonic() - started < 2.0


def test_the_openapi_endpoint_setting_is_applied_to_the_sdk_when_the_client_is_built(
    gateway: FakeDingTalk, sqlite_engine: Engine
) -> None:
    import dingtalk_stream.card_replier
    import dingtalk_stream.chatbot
    import dingtalk_stream.stream
    import dingtalk_stream.utils

    configure_sdk_endpoint(None)  # as imported without the environment variable
    assert dingtalk_stream.chatbot.DINGTALK_OPENAPI_ENDPOINT == "https://api.dingtalk.com"
    app = app_for(gateway, sqlite_engine)
    with running_bot(app):
        gateway.wait_connected(1)
        for module in (
            dingtalk_stream.utils,
            dingtalk_stream.stream,
            dingtalk_stream.chatbot,
            dingtalk_stream.card_replier,
        ):
            assert gateway.base_url == module.DINGTALK_OPENAPI_ENDPOINT
        assert DingTalkStreamClient.OPEN_CONNECTION_API.startswith(gateway.base_url)
