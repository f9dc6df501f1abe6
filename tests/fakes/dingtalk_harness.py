"""pmbot's real DingTalk adapter, built by `build_app`, running against the fake DingTalk.

    with FakeDingTalk() as gateway, running_bot(app_for(gateway, engine)) as bot:
        gateway.send_frame(gateway.robot_message("新建 WEB 写周报"))
        bodies = replies(gateway)

The bot runs `DingTalkBot.run()` (what `run_dingtalk` runs) in a thread, and is stopped with
`DingTalkBot.stop()`, the same call the signal handlers make.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.app import App, build_app
from bot.dingtalk.stream import Backoff, DingTalkBot
from bot.settings import Settings, load_settings
from core.clock import Clock, FixedClock
from tests.fakes.dingtalk_gateway import CLIENT_ID, CLIENT_SECRET, ROBOT_CODE, FakeDingTalk

SESSION_PATH = "/robot/sendBySession"
GROUP = "cidqO9Rj3vZ1fXb2Yw8kL0mTQ=="
MANAGER = "manager4521"
LISI = "lisi0207"
LISI_AT = {"dingtalkId": "$:LWCP_v1:$q7Wm2Zx9Lk4Pb8Nv3Cr6Ty1Ud5Ej0Sa", "staffId": LISI}


def dingtalk_settings(gateway: FakeDingTalk, **extra: Any) -> Settings:
    """Settings for an app whose DingTalk is the fake."""
    return load_settings(
        DINGTALK_CLIENT_ID=CLIENT_ID,
        DINGTALK_CLIENT_SECRET=CLIENT_SECRET,
        DINGTALK_ROBOT_CODE=ROBOT_CODE,
        DINGTALK_OPENAPI_ENDPOINT=gateway.base_url,
        timezone="Asia/Shanghai",
        language="zh",
        # the fake's custom-robot webhook listens on loopback, as an operator's allowed network
        outbound_allow="127.0.0.1/32",
        **extra,
    )


def app_for(gateway: FakeDingTalk, engine: Engine, clock: Clock | None = None) -> App:
    """The composition root's app, on `engine`, talking to the fake."""
    clock = clock or FixedClock(datetime.fromisoformat("2026-11-26T08:30:00+08:00"))
    return build_app(dingtalk_settings(gateway), clock=clock, engine=engine, migrate=False)


@contextmanager
def running_bot(
    app: App, *, backoff: Backoff | None = None, **options: float
) -> Iterator[DingTalkBot]:
    """Run the adapter in a thread until the block ends; fail loudly if it does not stop."""
    bot = DingTalkBot(app, backoff=backoff or Backoff(base=0.05, cap=0.5), **options)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            bot.run()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=run, name="dingtalk-bot", daemon=True)
    thread.start()
    assert bot.wait_ready(5)
    try:
        yield bot
    finally:
        bot.stop()
        thread.join(15)
        assert not thread.is_alive(), "the DingTalk bot did not stop"
        if errors:
            raise errors[0]


def replies(gateway: FakeDingTalk, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
    """Wait for `count` replies on session webhooks; return their JSON bodies."""
    gateway.wait_for(lambda: len(gateway.received(SESSION_PATH)) >= count, timeout)
    return [r.body for r in gateway.received(SESSION_PATH)]


def say(
    gateway: FakeDingTalk, text: str, *, expect: int | None = None, **kw: Any
) -> dict[str, Any]:
    """Send a robot message and wait until the session webhook has `expect` replies in all."""
    before = len(gateway.received(SESSION_PATH))
    frame = gateway.robot_message(text, **kw)
    gateway.send_frame(frame)
    replies(gateway, expect if expect is not None else before + 1)
    return frame
