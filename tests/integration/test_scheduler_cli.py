"""`pmbot tick` and `pmbot notifications` from the shell, over a SQLite file."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from storage.db import make_engine
from storage.migrate import upgrade
from tests.support.notify import World

SH = ZoneInfo("Asia/Shanghai")


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


def test_tick_prints_what_it_sent_as_json_once(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tick", "--now", "2026-12-01T09:00+08:00", "--json"]) == 0
    sent = json.loads(capsys.readouterr().out)
    assert sent == [
        {
            "kind": "reminder",
            "to": "bob",
            "task": "WEB-1",
            "text": "⏰ 提醒：WEB-1 写周报 将于 12月1日 到期",
        }
    ]
    assert main(["tick", "--now", "2026-12-01T09:01+08:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_operators_list_cancel_and_retry(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notifications", "list", "--kind", "overdue", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["status"] == "pending"
    assert main(["notifications", "cancel", row["dedupe_key"]]) == 0
    assert capsys.readouterr().out.split() == [str(row["id"]), "cancelled", row["dedupe_key"]]
    assert main(["tick", "--now", "2026-12-01T18:00+08:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["notifications", "retry", str(row["id"])]) == 0
    capsys.readouterr()
    assert main(["tick", "--now", "2026-12-01T18:01+08:00", "--json"]) == 0
    assert [s["kind"] for s in json.loads(capsys.readouterr().out)] == ["overdue"]
    assert main(["notifications", "list", "--as", "bob"]) == 1
    assert "admin" in capsys.readouterr().err
