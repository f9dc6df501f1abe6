"""HTTP mode before authentication: a body cap enforced while reading, and malformed input
answered with 400 in one log line (issue 10, finding 5)."""

from __future__ import annotations

import socket
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import Engine
from structlog.testing import capture_logs

from bot.slack.http import MAX_BODY_BYTES
from core.clock import FixedClock
from tests.fakes.slack_harness import SlackHarness

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def slack(sqlite_engine: Engine) -> Iterator[SlackHarness]:
    with SlackHarness(sqlite_engine, FixedClock(NOW)) as harness:
        yield harness


def _stream(url: str, total: int, *, declared: bool) -> tuple[bytes, int]:
    """POST `total` bytes of junk in 1 MB chunks; return the response head and bytes sent."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        + (f"Content-Length: {total}\r\n" if declared else "Transfer-Encoding: chunked\r\n")
        + "\r\n"
    )
    sock.sendall(head.encode())
    chunk = b"a" * (1024 * 1024)
    sent = 0
    response = b""
    sock.settimeout(0.05)
    try:
        while sent < total:
            try:
                response += sock.recv(4096)
                if response:
                    break
            except TimeoutError:
                pass
            try:
                if declared:
                    sock.sendall(chunk)
                else:
                    sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:
                break
            sent += len(chunk)
        sock.settimeout(5)
        while b"\r\n" not in response:
            data = sock.recv(4096)
            if not data:
                break
            response += data
    finally:
        sock.close()
    return response, sent


@pytest.mark.parametrize("declared", [True, False])
def test_a_300_mb_unsigned_body_is_refused_without_being_read(
    slack: SlackHarness, declared: bool
) -> None:
    assert slack.server is not None
    tracemalloc.start()
    try:
        response, sent = _stream(slack.server.url, 300 * 1024 * 1024, declared=declared)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.startswith(b"HTTP/1.1 413"), response[:80]
    assert sent < 300 * 1024 * 1024  # the server stopped it long before the end
    assert peak < 20 * 1024 * 1024, peak


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"payload=%7Bnot-json", 400),
        (b"payload=" + b"%FF%FE" * 10, 400),
        (b"\xff\xfe\x00garbage", 400),
        (b"command=/pm&text=" + b"x" * 100, 401),  # readable, but unsigned
    ],
)
def test_malformed_bodies_get_400_and_one_log_line(
    slack: SlackHarness, body: bytes, status: int
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with capture_logs() as logs:
        response = slack.http.post("/slack/events", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    assert not [e for e in logs if e.get("log_level") == "error"]


def test_a_signed_body_under_the_cap_still_works(slack: SlackHarness) -> None:
    slack.setup_project()
    response, _ = slack.command("U0ALICE01", "help")
    assert response.status_code == 200
    assert MAX_BODY_BYTES == 1024 * 1024
