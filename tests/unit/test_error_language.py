"""Errors reach a user in their language: every literal error message carries its Chinese.

`NotFound` and `PermissionDenied` are localised from their fields (kind, name, action, role);
every other `PMError` raised with a sentence carries `zh=` (and `hint_zh=` with a hint), so a
Chinese user never gets an English-only refusal.
"""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import core.errors
from bot.commands.natural import make_handler
from bot.console import ConsoleChat
from bot.i18n import error_text
from bot.router import Router
from bot.settings import Settings
from core.calendar import calendar_for
from core.clock import FixedClock
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PMError

ROOT = Path(__file__).resolve().parents[2]
# localised in bot/i18n.py from their fields, not from a sentence
_FROM_FIELDS = {NotFound.__name__, PermissionDenied.__name__}


def _error_classes() -> set[str]:
    """Every `PMError` subclass in core/errors.py, by name."""
    return {
        name
        for name, cls in inspect.getmembers(core.errors, inspect.isclass)
        if issubclass(cls, PMError)
    }


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _english_only_raises() -> tuple[int, list[str]]:
    """How many literal `raise <PMError>(...)` there are, and those missing their Chinese."""
    checked = _error_classes() - _FROM_FIELDS
    seen, missing = 0, []
    for package in ("core", "bot"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                call = node.exc
                func = call.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name not in checked or not call.args or not _is_text(call.args[0]):
                    continue
                seen += 1
                keywords = {k.arg for k in call.keywords}
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if "zh" not in keywords:
                    missing.append(f"{where}: {name} without zh=")
                if "hint" in keywords and "hint_zh" not in keywords:
                    missing.append(f"{where}: {name} has hint= but no hint_zh=")
    return seen, missing


def test_every_error_sentence_raised_in_core_and_bot_has_its_chinese() -> None:
    seen, missing = _english_only_raises()
    assert seen > 50, "the walk found almost no raise sites; is it looking in the right place?"
    assert not missing, "English-only errors:\n" + "\n".join(missing)


def test_the_walk_knows_every_error_class() -> None:
    assert {"InvalidInput", "Conflict", "ParseError"} <= _error_classes() - _FROM_FIELDS


def test_chinese_message_and_hint_are_used_for_a_chinese_user() -> None:
    err = InvalidInput("x", zh="中文", hint="h", hint_zh="提示")
    assert error_text("zh", err) == "⚠️ 中文\n提示"
    assert error_text("en", err) == "⚠️ x\nh"
    assert str(err) == "x\nh"
    assert err.message == "x"
    assert err.hint == "h"


def test_without_chinese_the_english_sentence_is_shown() -> None:
    assert error_text("zh", Conflict("busy", hint="retry")) == "⚠️ busy\nretry"
    assert error_text("zh", Conflict("busy", zh="忙")) == "⚠️ 忙"
    assert error_text("zh", InvalidInput("bad", hint="h", zh="不对")) == "⚠️ 不对\nh"


def test_not_found_and_permission_denied_still_come_from_their_fields() -> None:
    assert error_text("zh", NotFound("task", "WEB-9")) == "找不到任务 WEB-9"
    assert error_text("zh", PermissionDenied("delete tasks", "manager")).startswith("没有权限")


# ---------------------------------------------------------------------------------------------
# end to end: a Chinese chat, through the real router and the natural-language handler

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai


@pytest.fixture
def zh_chat(engine: Engine) -> ConsoleChat:
    settings = Settings(_env_file=None, llm_base_url=None, llm_model=None)  # type: ignore[call-arg]
    router = Router(
        engine,
        FixedClock(NOW),
        calendar=calendar_for("CN"),
        default_timezone="Asia/Shanghai",
        default_language="zh",
        natural_language=make_handler(settings),
    )
    chat = ConsoleChat(router)
    reply = chat.say("alice", "project new WEB Website")
    assert reply is not None
    assert reply.ok, reply.text
    return chat


def test_a_chinese_user_is_told_in_chinese_that_the_assignee_is_not_a_member(
    zh_chat: ConsoleChat,
) -> None:
    reply = zh_chat.say("alice", "明天下午3点前 @dave 完成季度报告 #WEB")
    assert reply is not None
    assert not reply.ok
    assert reply.error == "invalid_input"
    assert reply.text == "⚠️ dave 不是 WEB 的成员\n先添加：member add WEB @dave member"


def test_a_chinese_user_gets_a_malformed_argument_in_chinese_with_the_usage(
    zh_chat: ConsoleChat,
) -> None:
    reply = zh_chat.say("alice", "add WEB 写周报")
    assert reply is not None
    assert reply.ok, reply.text
    reply = zh_chat.say("alice", "log WEB-1 lots")
    assert reply is not None
    assert not reply.ok
    lines = reply.text.splitlines()
    assert lines[0] == "⚠️ 'lots' 不是有效的时长"
    assert lines[1] == "例如 2h、30m、1.5h、1d、2h30m"
    assert lines[2].startswith("usage: log ")
