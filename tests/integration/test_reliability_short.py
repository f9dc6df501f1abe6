"""The short reliability run: 3 sweeper processes, kill -9, a flaky chat API; nothing lost or doubled."""

from __future__ import annotations

import os

import pytest

from bench.reliability import run


@pytest.mark.postgres
@pytest.mark.slow
def test_three_processes_killed_at_random_lose_nothing_and_send_nothing_twice(
    postgres_url: str,  # skips (or fails on CI) when PostgreSQL is unreachable
) -> None:
    os.environ.setdefault("PMBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    report = run(200, 3, kill_every=0.6, timeout=180)
    assert report.kills == 3
    assert report.statuses == {"sent": 200}
    assert report.counts["rate_limited"] > 0
    assert report.counts["server_errors"] > 0
    assert report.counts["early_retries"] == 0  # no message retried before its Retry-After
    assert (report.lost, report.duplicates) == (0, 0)
