"""The smaller holes of the security probe (issue 10, finding 11): guests cannot snooze, the last
manager cannot demote themselves, a clock that jumps back sends no older digest, and one flooded
channel does not hold back another destination's reminder."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from bench.reliability import flooded
from core.errors import Conflict, PermissionDenied
from core.services import notifications as notify
from core.services import projects
from tests.support.notify import World

SH = ZoneInfo("Asia/Shanghai")


def at(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 12, d, hh, mm, tzinfo=SH)


@pytest.fixture
def world(engine: Engine) -> World:
    w = World(engine, at(1, 8))
    w.user("alice")
    w.user("bob")
    w.user("gus")
    w.project("WEB", "alice", members=("bob",))
    with w.ctx("alice") as ctx:
        projects.add_member(ctx, "WEB", w.users["gus"], "guest")
    w.task("alice", "WEB", "写周报", assignees=("bob",), due_date=date(2026, 12, 3))
    return w


def test_a_guest_cannot_snooze(world: World) -> None:
    with pytest.raises(PermissionDenied), world.ctx("gus") as ctx:
        notify.snooze(ctx, "WEB-1", "1h")
    with world.ctx("bob") as ctx:
        assert notify.snooze(ctx, "WEB-1", "1h").task_key == "WEB-1"


def test_the_last_manager_cannot_demote_themselves(world: World) -> None:
    with pytest.raises(Conflict, match="last manager"), world.ctx("alice") as ctx:
        # alice is admin, but the project still needs a manager
        projects.add_member(ctx, "WEB", world.users["alice"], "guest")
    with world.ctx("alice") as ctx:
        projects.add_member(ctx, "WEB", world.users["bob"], "manager")
        projects.add_member(ctx, "WEB", world.users["alice"], "member")  # now someone remains


def test_a_clock_that_jumps_back_a_day_sends_no_older_digest(world: World) -> None:
    world.bind("alice", "WEB", "general")
    assert [k for k in world.sweep(at(2, 9, 30)).planned if k.startswith("digest:")] == [
        "digest:1:2026-12-02"
    ]
    # 25 hours back: yesterday's digest time, yesterday's digest never sent
    assert [k for k in world.sweep(at(1, 9, 31)).planned if k.startswith("digest:")] == []
    assert [k for k in world.sweep(at(3, 9, 30)).planned if k.startswith("digest:")] == [
        "digest:1:2026-12-03"
    ]


def test_a_reminder_for_another_destination_goes_in_the_first_sweep_of_a_flood(
    engine: Engine,
) -> None:
    sweep, _took, _retried = flooded(engine, 3_000)
    assert sweep == 1
