"""A FakeChat over the real router: `ConsoleChat` with a fixed clock and a transcript.

chat = make_chat(engine)
reply = chat.say("alice", "project new WEB Website")
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.console import ConsoleChat
from bot.router import Router
from core.clock import FixedClock
from core.messages import Reply
from tests.support.notify import public_holidays_csv

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def make_chat(
    engine: Engine,
    clock: FixedClock | None = None,
    *,
    language: str = "en",
    timezone: str = "UTC",
    natural: bool = False,
) -> ConsoleChat:
    """A console chat over `engine`, replying in `language` to new users; `natural=True` reads
    plain words with the rule parser (no LLM), as `pmbot run` does."""
    handler = None
    if natural:
        from bot.commands.natural import make_handler
        from bot.settings import Settings

        settings = Settings(_env_file=None, llm_base_url=None, llm_model=None)  # type: ignore[call-arg]
        handler = make_handler(settings)
    router = Router(
        engine,
        clock or FixedClock(NOON),
        default_language=language,
        default_timezone=timezone,
        natural_language=handler,
    )
    return ConsoleChat(router)


def supply_schedule(chat: ConsoleChat, admin: str, years: range) -> None:
    """`admin` imports the public holidays of `years` as their official schedule, in chat (as a
    configured installation has: no weekly notice that the calendar is incomplete)."""
    schedule = public_holidays_csv(years)
    if schedule:
        ok(chat, admin, "calendar import\n" + schedule)


def ok(chat: ConsoleChat, user: str, text: str, **kw: object) -> Reply:
    """Say `text` and insist the bot accepted it; returns the reply."""
    reply = chat.say(user, text, **kw)  # type: ignore[arg-type]  # keyword pass-through
    assert reply is not None, f"{text!r} was treated as a duplicate"
    assert reply.ok, f"{user}> {text}\n{reply.text}"
    return reply


def refused(chat: ConsoleChat, user: str, text: str, **kw: object) -> Reply:
    """Say `text` and insist the bot refused it politely (no traceback, an error code)."""
    reply = chat.say(user, text, **kw)  # type: ignore[arg-type]  # keyword pass-through
    assert reply is not None, f"{text!r} was treated as a duplicate"
    assert not reply.ok, f"{user}> {text} was accepted:\n{reply.text}"
    assert reply.error, reply
    assert "Traceback" not in reply.text
    return reply
