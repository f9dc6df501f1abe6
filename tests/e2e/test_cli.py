"""`pmbot chat --as NAME -c CMD --json`: one command, its reply as JSON, in a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

# the installed console script, as a user runs it (the module form when it is not installed)
_SCRIPT = Path(sys.executable).with_name("pmbot")
PMBOT = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
)
REPO = Path(__file__).resolve().parents[2]
KEYS = {"ok", "text", "fields", "buttons", "error"}


def pmbot(args: list[str], *, cwd: Path, **env: str) -> tuple[int, dict[str, Any]]:
    """Run the CLI with a clean PMBOT_ environment; return its exit code and parsed JSON."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PMBOT_", "SLACK_"))}
    clean = {k: v for k, v in clean.items() if not k.startswith("DINGTALK_")}
    clean |= {"PMBOT_LANGUAGE": "en", "PMBOT_TIMEZONE": "UTC", "PYTHONPATH": str(REPO)}
    clean |= env
    done = subprocess.run(
        [*PMBOT, *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=120
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(lines[-1])


def test_chat_prints_one_reply_as_json_into_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, reply = pmbot(
        ["chat", "--as", "alice", "-c", "project new WEB Website", "--json"],
        cwd=tmp_path,
        PMBOT_DATA_DIR=str(data),
    )
    assert code == 0
    assert set(reply) >= KEYS
    assert reply["ok"] is True
    assert reply["error"] is None
    assert reply["text"].startswith("Created project WEB (Website).")
    assert {"label": "Your role", "value": "admin"} in reply["fields"]
    assert reply["buttons"] == []
    assert (data / "pmbot.db").is_file()

    code, reply = pmbot(
        ["chat", "--as", "alice", "-c", "add WEB Ship the CLI p1", "--json"],
        cwd=tmp_path,
        PMBOT_DATA_DIR=str(data),
    )
    assert code == 0
    assert reply["text"] == "Created WEB-1: Ship the CLI"
    assert {"label": "Priority", "value": "P1"} in reply["fields"]
    assert {"label": "Done", "action": "done WEB-1"} in reply["buttons"]


def test_a_refused_command_prints_its_error_and_exits_non_zero(tmp_path: Path) -> None:
    code, reply = pmbot(
        ["chat", "--as", "alice", "-c", "show WEB-9", "--json"],
        cwd=tmp_path,
        PMBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert code == 1
    assert reply["ok"] is False
    assert reply["error"] == "not_found"
    assert reply["text"] == "task 'WEB-9' not found"


@pytest.mark.postgres
def test_chat_talks_to_the_database_url_it_is_given(engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the SQLite path is covered above")
    url = engine.url.render_as_string(hide_password=False)
    code, reply = pmbot(
        ["chat", "--as", "zoe", "-c", "whoami", "--json"], cwd=tmp_path, PMBOT_DATABASE_URL=url
    )
    assert code == 0
    assert reply["text"] == "You are zoe."
    assert {"label": "Admin", "value": "yes"} in reply["fields"]


def test_an_unreachable_database_is_named_without_a_traceback(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PMBOT_", "SLACK_"))}
    clean |= {
        "PMBOT_DATABASE_URL": "postgresql://postgres:s3cret@127.0.0.1:1/nowhere",
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        [*PMBOT, "chat", "--as", "alice", "-c", "whoami"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert (
        "cannot open the database at postgresql://postgres:***@127.0.0.1:1/nowhere" in done.stderr
    )
    assert "s3cret" not in done.stderr
    assert "Traceback" not in done.stderr
