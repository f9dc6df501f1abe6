"""Secrets never reach a log line or an error text (issue 10, finding 10): an LLM endpoint that
echoes the key, token-shaped strings, configured values, tracebacks."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from bot.llm import OpenAICompleter
from bot.logs import configure_logging
from bot.redact import Redactor
from core.nlp.llm import LLMError
from tests.fakes.openai_server import FakeOpenAIServer

KEY = "sk-live-abcdefghijklmnop1234"


def test_an_endpoint_that_echoes_the_key_leaves_it_out_of_the_error() -> None:
    with FakeOpenAIServer() as server, OpenAICompleter(
        server.base_url, KEY, "fake-model", timeout=2.0
    ) as completer:
        server.fail(401, message=f"Incorrect API key provided: {KEY}")
        with pytest.raises(LLMError) as caught:
            completer.complete("system", "user", {"type": "object"}, timeout=2.0)
    assert KEY not in str(caught.value)
    assert "***" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "token xoxb-1234567890-abcdefghij leaked",
        "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef&sign=s3cr3tsig",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        "secret SEC0123456789abcdef0123456789abcdef",
        '{"client_secret": "hunter2hunter2"}',
    ],
)
def test_token_shapes_are_masked(text: str) -> None:
    masked = Redactor()(text)
    assert "***" in masked
    for part in ("xoxb-1234567890", "0123456789abcdef&", "s3cr3tsig", "eyJhbGci", "SEC0123",
                 "hunter2"):  # fmt: skip
        assert part not in masked


@pytest.fixture
def restore_logging() -> object:
    previous = structlog.get_config()
    yield None
    structlog.configure(**previous)


@pytest.mark.usefixtures("restore_logging")
def test_log_lines_mask_configured_secrets_even_in_tracebacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    configure_logging("INFO", json=True, secrets=["my-signing-secret-42"])
    log = structlog.get_logger("test")
    log.warning("webhook_failed", url="https://x.example/hook?token=abcdef123456")
    try:
        raise RuntimeError("driver said: password my-signing-secret-42 rejected")
    except RuntimeError:
        log.exception("boom")
    out = err.getvalue()
    assert "my-signing-secret-42" not in out
    assert "abcdef123456" not in out
    assert out.count("***") >= 2
