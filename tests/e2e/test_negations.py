"""Negations and hypotheticals never complete, reassign or postpone (issue 10, finding 8)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.console import ConsoleChat
from core.clock import FixedClock
from core.models import Task
from core.nlp import parse_message
from tests.support.chat import make_chat, ok

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
NEGATIONS = [
    "WEB-1 还没完成",
    "WEB-1 未完成",
    "WEB-1 没做完",
    "WEB-1 is not done yet",
    "WEB-1 isn't finished",
    "don't mark WEB-1 done",
    "do not close WEB-1",
    "if WEB-1 slips",
    "WEB-1 先别推迟",
    "别把 WEB-1 交给 @bob",
    "WEB-1 hasn't been completed",
]


@pytest.mark.parametrize("text", NEGATIONS)
def test_the_parser_reads_a_negation_as_no_change(text: str) -> None:
    result = parse_message(text, NOW)
    assert result.intent == "unknown", result
    assert result.task_ref is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("WEB-1 完成了", "complete"),
        ("WEB-1 done", "complete"),
        ("API-21 延期一周，客户还没给数据", "postpone"),
        ("WEB-3 搞定了，没问题", "complete"),
        ("WEB-1 完成了吗?", "query"),
    ],
)
def test_affirmatives_and_reasons_with_a_no_in_them_still_act(text: str, intent: str) -> None:
    assert parse_message(text, NOW).intent == intent


@pytest.fixture
def chat(engine: Engine) -> ConsoleChat:
    chat = make_chat(engine, FixedClock(NOW), language="zh", timezone="Asia/Shanghai", natural=True)
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "member add WEB @bob member")
    ok(chat, "alice", "add WEB 季度报告 @alice due 2026-12-10")
    return chat


def _state(engine: Engine) -> tuple[str, date | None, int, int]:
    with Session(engine) as session:
        task = session.exec(select(Task)).one()
        owners = len(ok_assignees(session, task))
        return task.status, task.due_date, task.version, owners


def ok_assignees(session: Session, task: Task) -> list[int]:
    from core.models import TaskAssignee

    return list(session.exec(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task.id)))


def test_said_in_chat_the_negations_change_nothing(chat: ConsoleChat, engine: Engine) -> None:
    before = _state(engine)
    for text in NEGATIONS:
        chat.say("alice", text)
    assert _state(engine) == before
    assert before[:2] == ("todo", date(2026, 12, 10))
