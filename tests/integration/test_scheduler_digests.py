"""Daily digests, weekly summaries and personal digests: when they go out, once, and what they say."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.models import CalendarOverride, Project
from core.services import notifications as notify
from core.services import tasks
from core.services.digests import build_daily_digest
from storage.db import session_scope
from tests.support.notify import World

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int, mm: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.fixture
def world(engine: Engine) -> World:
    w = World(engine, at(2026, 11, 30, 8))
    w.user("alice")
    w.user("bob")
    w.project("WEB", "alice", members=("bob",))
    w.bind("alice", "WEB", "general")
    return w


def test_the_digest_says_what_is_due_late_done_blocked_at_risk_and_per_person(world: World) -> None:
    world.task("alice", "WEB", "今天的活", assignees=("bob",), due_date=date(2026, 12, 2))
    late = world.task(
        "alice",
        "WEB",
        "接口",
        assignees=("bob",),
        due_date=date(2026, 11, 30),
        start_date=date(2026, 11, 27),
    )
    launch = world.task("alice", "WEB", "上线", due_date=date(2026, 12, 1), is_milestone=True)
    stuck = world.task("alice", "WEB", "联调", assignees=("alice",))
    done = world.task("alice", "WEB", "需求评审", assignees=("alice",))
    with world.ctx("alice") as ctx:
        tasks.add_dependency(ctx, launch, late)
        tasks.set_status(ctx, stuck, "blocked")
    world.sweep(at(2026, 12, 1, 9, 30))  # Tuesday's digest
    world.chat.clear()
    world.clock.set(at(2026, 12, 1, 15))
    with world.ctx("alice") as ctx:
        tasks.complete_task(ctx, done)
    result = world.sweep(at(2026, 12, 2, 9, 30))
    digests = [s for s in result.sent if s.kind == "digest"]
    assert [(s.to, s.task) for s in digests] == [("general", None)]
    assert digests[0].text == "\n".join(
        [
            "📋 WEB project 每日简报 · 12月2日 周三",
            "",
            "*今天到期* (1)",
            "• WEB-1 今天的活 — @bob",
            "",
            "*逾期* (2)",
            "• WEB-2 接口 — 逾期2个工作日 — @bob",
            "• WEB-3 上线 — 逾期1个工作日 — 未分配",
            "",
            "*上次简报以来完成* (1)",
            "• WEB-5 需求评审 — @alice",
            "",
            "*受阻* (1)",
            "• WEB-4 联调 — @alice",
            "",
            "*里程碑风险* (1)",
            '• "上线" 计划12月1日，最早12月3日',
            "",
            "*按人统计*",
            "• bob：2项未完成（1项逾期，1项今天到期）",
            "• alice：1项未完成（0项逾期，0项今天到期）",
            "共 4 项未完成",
        ]
    )
    assert world.sweep(at(2026, 12, 2, 9, 45)).sent == []


def test_digests_follow_chinas_working_days_with_make_up_days(world: World) -> None:
    sent: list[str] = []
    for day in (13, 14, 15, 16):  # Fri, make-up Sat, Sun, Spring Festival Mon
        result = world.sweep(at(2026, 2, day, 9, 30))
        sent += [key for key in result.planned if key.startswith("digest:")]
    assert sent == ["digest:1:2026-02-13", "digest:1:2026-02-14"]


def test_a_digest_up_to_six_hours_late_is_sent_once_and_later_ones_are_skipped(
    world: World,
) -> None:
    assert [s.kind for s in world.sweep(at(2026, 12, 1, 15, 29)).sent] == ["digest"]
    assert world.sweep(at(2026, 12, 1, 15, 31)).sent == []
    assert world.sweep(at(2026, 12, 2, 15, 31)).sent == []  # 6 h 1 min late: that day is skipped
    assert [s.kind for s in world.sweep(at(2026, 12, 3, 9, 30)).sent] == ["digest"]


def test_the_weekly_summary_comes_on_the_last_working_day_with_rates(world: World) -> None:
    on_time = world.task("alice", "WEB", "A", assignees=("bob",), due_date=date(2026, 12, 2))
    late = world.task("alice", "WEB", "B", assignees=("bob",), due_date=date(2026, 12, 2))
    world.task("alice", "WEB", "C", assignees=("bob",), due_date=date(2026, 12, 3))
    world.clock.set(at(2026, 12, 2, 17))
    with world.ctx("bob") as ctx:
        tasks.complete_task(ctx, on_time)
    world.clock.set(at(2026, 12, 3, 10))
    with world.ctx("bob") as ctx:
        tasks.complete_task(ctx, late)
    assert "weekly" not in [s.kind for s in world.sweep(at(2026, 12, 3, 9, 30)).sent]
    weekly = [s for s in world.sweep(at(2026, 12, 4, 9, 30)).sent if s.kind == "weekly"]
    assert [s.to for s in weekly] == ["general"]
    assert weekly[0].text.splitlines()[1:] == [
        "本周到期 3 项，已完成 2 项（完成率 67%）",
        "按时完成 1 项（按时率 50%）",
        "本周共完成 2 项；仍未完成 1 项，其中逾期 1 项",
    ]


def test_a_personal_digest_arrives_by_direct_message_for_those_who_ask(world: World) -> None:
    world.task("alice", "WEB", "写周报", assignees=("bob",), due_date=date(2026, 12, 1))
    with world.ctx("bob") as ctx:
        notify.set_personal_digest(ctx, True)
    sent = [s for s in world.sweep(at(2026, 12, 1, 9, 5)).sent if s.kind == "pdigest"]
    assert [s.to for s in sent] == ["bob"]
    assert "WEB-1 写周报" in sent[0].text
    assert [s.kind for s in world.sweep(at(2026, 12, 1, 9, 10)).sent] == []


def test_channel_digest_can_be_moved_and_turned_off(world: World) -> None:
    with world.ctx("alice") as ctx:
        assert (
            notify.set_channel_digest(
                ctx, platform="console", tenant="", channel_id="general", at="10:15"
            )
            == "10:15"
        )
    assert world.sweep(at(2026, 12, 1, 10, 14)).planned == []
    assert world.sweep(at(2026, 12, 1, 10, 15)).planned == ["digest:1:2026-12-01"]
    with world.ctx("alice") as ctx:
        notify.set_channel_digest(ctx, platform="console", tenant="", channel_id="general", at=None)
    assert world.sweep(at(2026, 12, 2, 10, 15)).planned == []


def _utc_steps(start: datetime, hours: int, minutes: int) -> Iterator[datetime]:
    t = start.astimezone(UTC)
    end = t + timedelta(hours=hours)
    while t <= end:
        yield t
        t += timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("tz", "times", "change_days"),
    [
        ("America/New_York", ("01:30", "02:30"), (date(2026, 3, 8), date(2026, 11, 1))),
        ("Europe/Berlin", ("02:30", "09:30"), (date(2026, 3, 29), date(2026, 10, 25))),
    ],
)
def test_one_digest_per_local_date_across_both_clock_changes(
    engine: Engine, tz: str, times: tuple[str, str], change_days: tuple[date, date]
) -> None:
    zone = ZoneInfo(tz)
    w = World(engine, datetime(2026, 1, 5, 12, tzinfo=zone))
    w.user("ann", tz=tz, locale="en")
    w.project("DST", "ann", tz=tz, calendar="none")
    w.bind("ann", "DST", "early", tz=tz, language="en", digest=times[0])
    w.bind("ann", "DST", "late", tz=tz, language="en", digest=times[1])
    with session_scope(engine) as session:  # the clocks change on Sundays: make them workdays
        project = session.exec(select(Project)).one()
        for day in change_days:
            session.add(CalendarOverride(project_id=project.id, day=day, is_workday=True))
    for day in change_days:
        before = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=zone)
        keys: list[str] = []
        for now in _utc_steps(before, 60, 30):
            keys += w.sweep(now).planned
        per_channel_day = Counter(
            k.rsplit(":", 1)[0] + ":" + k.rsplit(":", 1)[1] for k in keys if k.startswith("digest:")
        )
        expected_days = [
            (day + timedelta(days=i)).isoformat()
            for i in (-1, 0, 1)
            if (day + timedelta(days=i)).weekday() < 5 or i == 0
        ]
        assert sorted(per_channel_day) == sorted(
            f"digest:{ch}:{d}" for ch in (1, 2) for d in expected_days
        )
        assert set(per_channel_day.values()) == {1}
    assert len(w.chat.texts("digest")) == 2 * sum(
        len([i for i in (-1, 0, 1) if (d + timedelta(days=i)).weekday() < 5 or i == 0])
        for d in change_days
    )


def test_building_a_digest_takes_the_same_number_of_queries_for_3_or_26_tasks(world: World) -> None:
    counts = []
    for n in (3, 23):
        for i in range(n):
            world.task(
                "alice", "WEB", f"t{i}", assignees=("bob",), due_date=date(2026, 12, 1 + i % 3)
            )
        with session_scope(world.engine) as session:
            project = session.exec(select(Project)).one()
            queries: list[str] = []

            def count(*args: object, queries: list[str] = queries) -> None:
                queries.append(str(args[2]))

            sa.event.listen(world.engine, "before_cursor_execute", count)
            try:
                reply = build_daily_digest(
                    session,
                    project,
                    at(2026, 12, 2, 9, 30),
                    tz="Asia/Shanghai",
                    lang="en",
                    since=at(2026, 12, 1, 9, 30),
                )
            finally:
                sa.event.remove(world.engine, "before_cursor_execute", count)
        assert "daily digest" in reply.text
        counts.append(len(queries))
    assert counts[0] == counts[1]
