"""One hostile message cannot hold the writer: shifts, dates and recurrences are bounded, and the
role is checked before any arithmetic (issue 10, finding 2)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine

from bot.console import ConsoleChat
from core.clock import FixedClock
from core.errors import InvalidInput
from core.schemas import TaskDraft, TaskFilter
from core.services import tasks
from tests.support.chat import make_chat, ok, refused
from tests.support.notify import World

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


@pytest.fixture
def chat(sqlite_engine: Engine) -> ConsoleChat:
    chat = make_chat(
        sqlite_engine, FixedClock(NOW), language="zh", timezone="Asia/Shanghai", natural=True
    )
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "member add WEB @bob member")
    ok(chat, "alice", "member add WEB @gus guest")
    ok(chat, "alice", "add WEB 季度报告 @bob due 2026-12-10")
    return chat


def _timed(chat: ConsoleChat, who: str, text: str) -> tuple[float, str]:
    started = time.perf_counter()
    reply = refused(chat, who, text)
    return time.perf_counter() - started, reply.text


def test_two_million_working_days_is_refused_at_once_for_a_guest_and_a_member(
    chat: ConsoleChat,
) -> None:
    took, text = _timed(chat, "gus", "WEB-1 推迟2000000个工作日")
    assert "没有权限" in text
    assert took < 0.5
    took, text = _timed(chat, "bob", "WEB-1 推迟2000000个工作日")
    assert "100 年" in text
    assert took < 0.5
    ok(chat, "bob", "WEB-1 推迟3个工作日")  # an ordinary shift still works


@pytest.mark.parametrize("text", ["due WEB-1 9999-12-31", "due WEB-1 1800-01-01"])
def test_a_date_outside_the_calendar_is_a_clear_refusal_not_an_internal_error(
    chat: ConsoleChat, text: str
) -> None:
    reply = refused(chat, "bob", text)
    assert reply.error == "invalid_input"
    assert "超出了日历范围" in reply.text


def test_other_writers_carry_on_while_hostile_messages_arrive(chat: ConsoleChat) -> None:
    # A second person keeps writing while another sends every expensive message we know of;
    # no write of theirs waits long for the database.
    waits: list[float] = []
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 200:
            started = time.perf_counter()
            ok(chat, "alice", f"comment WEB-1 note {n}")
            waits.append(time.perf_counter() - started)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for text in ["WEB-1 推迟2000000个工作日", "WEB-1 推迟999999999天", "due WEB-1 9999-12-31",
                     "WEB-1 postpone 5000000 working days"] * 5:  # fmt: skip
            chat.say("bob", text)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert waits
    assert max(waits) < 1.0, max(waits)


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "at most daily"),
        ("FREQ=MINUTELY", "at most daily"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never happens"),
        ("FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31;COUNT=3", "never happens"),
        ("FREQ=BOGUS", "not a recurrence rule"),
    ],
)
def test_a_recurrence_that_cannot_recur_is_refused_quickly(
    sqlite_engine: Engine, rule: str, says: str
) -> None:
    w = World(sqlite_engine, NOW)
    w.user("alice")
    w.project("WEB", "alice")
    started = time.perf_counter()
    with pytest.raises(InvalidInput, match=says), w.ctx("alice") as ctx:
        tasks.create_task(ctx, TaskDraft(project_key="WEB", title="x", recurrence=rule))
    assert time.perf_counter() - started < 1.0


def test_a_rare_but_real_recurrence_still_works(sqlite_engine: Engine) -> None:
    w = World(sqlite_engine, NOW)
    w.user("alice")
    w.project("WEB", "alice")
    with w.ctx("alice") as ctx:
        out = tasks.create_task(
            ctx,
            TaskDraft(
                project_key="WEB",
                title="闰日检查",
                due_date=date(2027, 2, 28),
                recurrence="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
            ),
        )
        done = tasks.complete_task(ctx, out.key)
    assert done.status == "done"
    with w.ctx("alice") as ctx:
        page = tasks.list_tasks(ctx, TaskFilter(project_key="WEB"))
    assert [t.due_date for t in page.tasks] == [date(2028, 2, 29)]
