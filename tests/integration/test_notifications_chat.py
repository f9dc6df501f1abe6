"""The reminder and digest commands as a conversation: say them, sweep, read what pmbot said."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

import bot.commands.notify  # noqa: F401  # registers the commands under test
from bot.console import ConsoleChat
from core.clock import FixedClock
from scheduler.sweep import Sweeper
from tests.support.chat import make_chat, ok, refused, supply_schedule

MON = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MON)


@pytest.fixture
def chat(engine: Engine, clock: FixedClock) -> ConsoleChat:
    chat = make_chat(engine, clock, timezone="Asia/Shanghai")
    ok(chat, "alice", "whoami")
    supply_schedule(chat, "alice", range(2026, 2028))
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "member add WEB @bob member")
    ok(chat, "bob", "whoami")
    chat.transcript.clear()
    return chat


def _sweep(chat: ConsoleChat, clock: FixedClock, at: str) -> list[str]:
    clock.set(datetime.fromisoformat(at))
    before = len(chat.transcript)
    Sweeper(chat.router.engine, {"console": chat}, clock).sweep()
    return [line.text for line in chat.transcript[before:]]


def test_remind_snooze_and_done_from_the_chat(chat: ConsoleChat, clock: FixedClock) -> None:
    ok(chat, "alice", "add WEB Release notes @bob due 2026-12-02 15:00")
    reply = ok(chat, "bob", "remind WEB-1 1d before")
    assert reply.text == "WEB-1 will remind: 1d before."
    assert _sweep(chat, clock, "2026-12-01T14:59+08:00") == []
    said = _sweep(chat, clock, "2026-12-01T15:00+08:00")
    assert said == ["⏰ Reminder: WEB-1 Release notes is due Dec 2 15:00"]
    reply = ok(chat, "bob", "snooze WEB-1 2h")
    assert reply.text == "I'll remind you of WEB-1 at Dec 1 17:00."
    assert _sweep(chat, clock, "2026-12-01T17:00+08:00") == [
        "⏰ Reminder: WEB-1 Release notes is due Dec 2 15:00"
    ]
    ok(chat, "bob", "done WEB-1")
    assert _sweep(chat, clock, "2026-12-03T18:00+08:00") == []


def test_chinese_offsets_and_quiet_hours(chat: ConsoleChat, clock: FixedClock) -> None:
    ok(chat, "alice", "add WEB 上线检查 @bob due 2026-12-01 09:00")
    assert ok(chat, "bob", "提醒 WEB-1 提前2小时提醒").text == "WEB-1 will remind: 2h before."
    assert ok(chat, "bob", "quiet 22:00-08:00").text.startswith("Quiet hours 22:00–08:00")
    assert _sweep(chat, clock, "2026-12-01T07:00+08:00") == []
    assert _sweep(chat, clock, "2026-12-01T08:00+08:00") == [
        "⏰ Reminder: WEB-1 上线检查 is due Dec 1 09:00"
    ]


def test_channel_digest_time_and_off(chat: ConsoleChat, clock: FixedClock) -> None:
    ok(chat, "alice", "channel bind WEB", channel="web")
    refused(chat, "bob", "channel digest 10:00", channel="web")
    reply = ok(chat, "alice", "channel digest 10:00", channel="web")
    assert reply.text == "The daily digest arrives here at 10:00 on working days."
    ok(chat, "alice", "add WEB Fix login @bob due 2026-12-01")
    assert _sweep(chat, clock, "2026-12-01T09:59+08:00") == [
        "⏰ Reminder: WEB-1 Fix login is due Dec 1"  # bob's own reminder at 09:00
    ]
    said = _sweep(chat, clock, "2026-12-01T10:00+08:00")
    assert len(said) == 1
    assert said[0].startswith("📋 Website daily digest · Tue Dec 1")
    assert "WEB-1 Fix login — @bob" in said[0]
    ok(chat, "alice", "channel digest off", channel="web")
    assert [s for s in _sweep(chat, clock, "2026-12-02T10:00+08:00") if "digest" in s] == []


def test_personal_digest_on_request(chat: ConsoleChat, clock: FixedClock) -> None:
    ok(chat, "alice", "add WEB Fix login @bob due 2026-12-01")
    assert "on" in ok(chat, "bob", "digest me on").text
    said = _sweep(chat, clock, "2026-12-01T09:00+08:00")
    assert [s.splitlines()[0] for s in said if "bob's day" in s] == ["☀️ bob's day · Tue Dec 1"]
    assert ok(chat, "bob", "digest me off").text == "Your personal digest is off."
