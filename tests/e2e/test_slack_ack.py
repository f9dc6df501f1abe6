"""Acknowledge first: a slow language model (a local OpenAI-compatible server that takes two
seconds and a half) delays pmbot's answer, never its ack to Slack."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from core.clock import FixedClock
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.slack_harness import SlackHarness

LLM_DELAY = 1.5


@pytest.fixture
def slow_llm() -> Iterator[FakeOpenAIServer]:
    """An LLM endpoint that answers slowly."""
    server = FakeOpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_a_slow_llm_delays_the_answer_but_not_the_ack(
    sqlite_engine: Engine, slow_llm: FakeOpenAIServer
) -> None:
    llm = {"llm_base_url": slow_llm.base_url, "llm_model": "fake", "llm_api_key": "sk-test"}
    with SlackHarness(
        sqlite_engine, FixedClock(datetime(2026, 11, 25, 2, tzinfo=UTC)), settings=llm
    ) as slack:
        for _ in range(2):
            slow_llm.answer({"intent": "unknown"}, delay=LLM_DELAY)
        acks = []
        for text in ("???", "👍👍"):  # messages the rules cannot read: the LLM is asked
            started = time.monotonic()
            response = slack.post_event(slack.mention_payload("U0ALICE01", text))
            acks.append(time.monotonic() - started)
            assert response.status_code == 200
        assert max(acks) < 1.0, acks  # both acked while the LLM was still thinking
        slack.api.wait_for("chat.postMessage", count=2, timeout=15)
        assert len(slow_llm.requests) == 2
        replied = [c.at for c in slack.api.calls("chat.postMessage")]
        assert min(replied) - started >= LLM_DELAY - 1.0  # the answers waited for the LLM
