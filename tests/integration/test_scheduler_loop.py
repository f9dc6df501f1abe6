"""The APScheduler loop drives the sweep on an interval and stops cleanly."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from scheduler.loop import build_scheduler, run_until_stopped
from tests.support.notify import World

SH = ZoneInfo("Asia/Shanghai")


def test_the_background_loop_sweeps_until_shut_down(sqlite_engine: Engine) -> None:
    w = World(sqlite_engine, datetime(2026, 12, 1, 9, 0, tzinfo=SH))
    w.user("alice")
    w.user("bob")
    w.project("WEB", "alice", members=("bob",))
    w.task("alice", "WEB", "写周报", assignees=("bob",), due_date=date(2026, 12, 1))
    scheduler = build_scheduler(sqlite_engine, {"console": w.chat}, w.clock, interval_seconds=0.1)
    stop = threading.Event()
    runner = threading.Thread(target=run_until_stopped, args=(scheduler, stop))
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while not w.chat.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # several more sweeps: nothing more to say
    finally:
        stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
    assert not scheduler.running
    assert w.chat.texts() == ["⏰ 提醒：WEB-1 写周报 将于 12月1日 到期"]
    job = scheduler.get_jobs()
    assert job == []  # shut down: the memory store is empty, nothing persisted
