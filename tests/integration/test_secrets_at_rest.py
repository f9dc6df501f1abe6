"""What the database and its errors give away (issue 10, finding 10): the SQLite file is the
owner's alone, and SQL parameters (tokens, webhook secrets) never reach an error or a log."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.models import Channel
from storage.db import make_engine, session_scope
from storage.migrate import upgrade

SECRET = "SECd0n0tl0gme4242"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_file_and_its_new_directory_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "pmbot.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            session.add(Channel(platform="dingtalk", channel_id="cid1", webhook_secret=SECRET))
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
        wal = path.with_name("pmbot.db-wal")
        if wal.exists():
            assert _mode(wal) == 0o600
    finally:
        engine.dispose()


def test_an_existing_world_readable_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "pmbot.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600


def test_a_database_error_does_not_carry_the_secret(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(Channel(platform="dingtalk", channel_id="cid1", webhook_secret=SECRET))
    with pytest.raises(IntegrityError) as caught, session_scope(engine) as session:
        session.add(Channel(platform="dingtalk", channel_id="cid1", webhook_secret=SECRET))
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
