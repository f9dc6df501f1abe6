"""`pmbot tick` and `pmbot notifications` from the shell, over a SQLite file."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import structlog

from bot.cli import main
from storage.db import make_engine
from storage.migrate import upgrade
from tests.support.notify import World

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    # The CLI configures structlog for the process, binding the current sys.stderr. The tests
    # leave stderr to pytest's session-wide capture (capsys would hand structlog a per-test
    # stream that is closed afterwards) and put the previous configuration back.
    previous = structlog.get_config()
    yield
    structlog.configure(**previous)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'pmbot.db'}"
    monkeypatch.setenv("PMBOT_DATABASE_URL", url)
    monkeypatch.setenv("PMBOT_DATA_DIR", str(tmp_path))
    engine = make_engine(url)
    try:
        upgrade(engine)
        w = World(engine, datetime(2026, 12, 1, 8, tzinfo=SH))
        w.user("alice")
        w.user("bob")
        w.project("WEB", "alice", members=("bob",))
        w.task("alice", "WEB", "写周报", assignees=("bob",), due_date=date(2026, 12, 1))
    finally:
        engine.dispose()
    return url


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_tick_prints_what_it_sent_as_json_once(db_url: str) -> None:
    code, out = _run("tick", "--now", "2026-12-01T09:00+08:00", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "kind": "reminder",
            "to": "bob",
            "task": "WEB-1",
            "text": "⏰ 提醒：WEB-1 写周报 将于 12月1日 到期",
        }
    ]
    assert _run("tick", "--now", "2026-12-01T09:01+08:00", "--json") == (0, "[]\n")


def test_operators_list_cancel_and_retry(db_url: str) -> None:
    code, out = _run("notifications", "list", "--kind", "overdue", "--json")
    (row,) = json.loads(out)
    assert (code, row["status"]) == (0, "pending")
    code, out = _run("notifications", "cancel", row["dedupe_key"])
    assert out.split() == [str(row["id"]), "cancelled", row["dedupe_key"]]
    assert _run("tick", "--now", "2026-12-01T18:00+08:00", "--json") == (0, "[]\n")
    # The retried row is due at the operator's now; the test's now is the frozen 18:00.
    assert _run("notifications", "retry", str(row["id"]), "--now", "2026-12-01T18:00+08:00")[0] == 0
    code, out = _run("tick", "--now", "2026-12-01T18:01+08:00", "--json")
    assert [s["kind"] for s in json.loads(out)] == ["overdue"]
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert _run("notifications", "list", "--as", "bob")[0] == 1
    assert "admin" in err.getvalue()
