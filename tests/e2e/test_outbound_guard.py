"""User-set webhooks cannot reach the machine or the company's network (issue 10, finding 4):
refused when set, refused when sent (after DNS), redirects never followed, addresses checked on
the connection itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from sqlalchemy.engine import Engine

from bot.dingtalk.notifier import DingTalkNotifier
from bot.outbound import BlockedAddress, guarded_session
from core.errors import InvalidInput
from core.messages import DeliveryOutcome, Outgoing, Reply
from core.netpolicy import address_allowed, check_url, parse_allow
from tests.fakes.dingtalk_gateway import FakeDingTalk
from tests.support.chat import make_chat, ok, refused


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/robot/send",
        "http://localhost/robot/send",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://172.16.3.4/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://user:pw@oapi.dingtalk.com/robot/send",
        "ftp://oapi.dingtalk.com/robot/send",
        "http://metadata.internal/",
    ],
)
def test_a_local_or_private_webhook_is_refused_when_set(url: str) -> None:
    with pytest.raises(InvalidInput):
        check_url(url)


def test_public_addresses_pass_and_an_operator_may_allow_a_network() -> None:
    assert check_url("https://oapi.dingtalk.com/robot/send?access_token=x")
    assert address_allowed("8.8.8.8")
    assert not address_allowed("10.1.2.3")
    assert address_allowed("10.1.2.3", parse_allow(["10.0.0.0/8"]))
    assert check_url("http://10.1.2.3/hook", parse_allow(["10.0.0.0/8"]))


def test_in_chat_the_webhook_command_refuses_loopback(engine: Engine) -> None:
    chat = make_chat(engine)
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "channel bind WEB", channel="ops")
    reply = refused(
        chat, "alice", "channel webhook http://127.0.0.1:9000/robot/send", channel="ops"
    )
    assert "private" in reply.text or "local" in reply.text
    ok(
        chat,
        "alice",
        "channel webhook https://oapi.dingtalk.com/robot/send?access_token=t",
        channel="ops",
    )


def _message() -> Outgoing:
    return Outgoing(
        dedupe_key="digest:1:2026-12-08",
        kind="digest",
        platform="dingtalk",
        tenant="",
        target="cidGROUP",
        target_type="channel",
        reply=Reply(text="每日简报"),
    )


@pytest.fixture
def gateway() -> Iterator[FakeDingTalk]:
    with FakeDingTalk() as gw:
        yield gw


def test_a_stored_webhook_to_loopback_is_refused_at_send_and_nothing_arrives(
    gateway: FakeDingTalk,
) -> None:
    # stored before the check existed, or by hand: the sender checks again, after DNS
    for url in (gateway.webhook_url, gateway.webhook_url.replace("127.0.0.1", "localhost")):
        notifier = DingTalkNotifier(None, webhook_for={"cidGROUP": (url, None)}.get)
        sent = notifier.send(_message())
        assert sent.outcome is DeliveryOutcome.PERMANENT
        assert "refused" in (sent.error or "")
    assert gateway.received("/robot/send") == []


class _Redirect(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.send_response(307)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_a_redirect_to_an_internal_address_is_not_followed(gateway: FakeDingTalk) -> None:
    # 127.0.0.2 stands for a public host the operator allows; it redirects to the internal one
    server = HTTPServer(("127.0.0.2", 0), _Redirect)
    _Redirect.target = gateway.webhook_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.2:{server.server_address[1]}/robot/send"
        notifier = DingTalkNotifier(
            None,
            webhook_for={"cidGROUP": (url, None)}.get,
            outbound_allow=parse_allow(["127.0.0.2"]),
        )
        sent = notifier.send(_message())
    finally:
        server.shutdown()
        server.server_close()
    assert sent.outcome is DeliveryOutcome.PERMANENT
    assert "redirect" in (sent.error or "")
    assert gateway.received("/robot/send") == []


def test_the_connection_itself_refuses_a_blocked_address(gateway: FakeDingTalk) -> None:
    # what a name that resolved to a public address a moment ago and to loopback now would meet
    with pytest.raises(requests.ConnectionError) as caught:
        guarded_session().post(gateway.webhook_url, json={}, timeout=5)
    assert isinstance(caught.value, BlockedAddress) or "blocked" in str(caught.value)
    assert gateway.received("/robot/send") == []
    session = guarded_session(parse_allow(["127.0.0.1/32"]))
    assert session.post(gateway.webhook_url, json={}, timeout=5).status_code < 500
