"""Fixtures for whole conversations: a FakeChat (the console) over each backend."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from bot.console import ConsoleChat
from tests.support.chat import make_chat
from tests.support.db import module_engine

__all__ = ["module_engine"]


def _cast(engine: Engine) -> ConsoleChat:
    chat = make_chat(engine)
    for user, text in [
        ("alice", "whoami"),
        ("alice", "project new WEB Website"),
        ("alice", "member add WEB @bob member"),
        ("alice", "member add WEB @carol guest"),
        ("alice", "member add WEB @fred finance"),
        ("alice", "member add WEB @mia manager"),
    ]:
        reply = chat.say(user, text)
        assert reply is not None
        assert reply.ok, reply.text
    chat.transcript.clear()
    return chat


@pytest.fixture
def chat(engine: Engine) -> ConsoleChat:
    """A console chat over a fresh database, replying in English; alice is admin and manager of
    WEB, bob a member, carol a guest, fred finance and mia a second manager."""
    return _cast(engine)


@pytest.fixture(scope="module")
def shared_chat(module_engine: Engine) -> ConsoleChat:
    """The same cast over one database per module, for refusals (which change nothing).

    WEB-1 "Guarded" (assigned to bob) and WEB-2 "Second" exist.
    """
    chat = _cast(module_engine)
    for text in ("add WEB Guarded @bob", "add WEB Second"):
        reply = chat.say("alice", text)
        assert reply is not None
        assert reply.ok, reply.text
    return chat
