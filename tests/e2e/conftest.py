"""Fixtures for whole conversations: a FakeChat (the console) over each backend."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from bot.console import ConsoleChat
from tests.support.chat import make_chat


@pytest.fixture
def chat(engine: Engine) -> ConsoleChat:
    """A console chat over a fresh database, replying in English; alice is admin, bob a member
    of WEB, carol a guest, fred finance, mia a second manager."""
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
