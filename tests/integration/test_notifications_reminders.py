"""Reminders, overdue alerts, escalations and delay alerts, end to end through the sweep."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from core.errors import PermissionDenied
from core.services import notifications as notify
from core.services import tasks
from tests.support.notify import World

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=tz)


@pytest.fixture
def world(engine: Engine) -> World:
    w = World(engine, at(1, 8))
    w.user("alice")
    w.user("bob")
    w.user("carol", tz="Europe/Berlin", locale="en")
    w.project("WEB", "alice", members=("bob", "carol"))
    return w


def test_a_timed_task_reminds_an_hour_before_and_at_the_time(world: World) -> None:
    world.task("alice", "WEB", "写周报", assignees=("bob",), due_at=at(1, 15))
    assert world.sweep(at(1, 13, 59)).sent == []
    first = world.sweep(at(1, 14)).sent
    assert [(s.kind, s.to, s.task) for s in first] == [("reminder", "bob", "WEB-1")]
    assert first[0].text == "⏰ 提醒：WEB-1 写周报 将于 12月1日 15:00 到期"
    buttons = world.chat.messages[0].reply.buttons
    assert [b.action for b in buttons] == [
        "done WEB-1",
        "snooze WEB-1 1h",
        "snooze WEB-1 tomorrow",
        "assign WEB-1 {user}",
        "show WEB-1",
    ]
    assert [s.text for s in world.sweep(at(1, 15)).sent] == ["⏰ 提醒：WEB-1 写周报 现在到期"]
    assert world.sweep(at(1, 15, 30)).sent == []


def test_a_dated_task_reminds_at_nine_in_the_assignees_zone_in_their_language(world: World) -> None:
    world.task("alice", "WEB", "Ship the API", assignees=("carol",), due_date=date(2026, 12, 3))
    assert world.sweep(datetime(2026, 12, 3, 8, 59, tzinfo=BERLIN)).sent == []
    sent = world.sweep(datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)).sent
    assert [(s.to, s.text) for s in sent] == [
        ("carol", "⏰ Reminder: WEB-1 Ship the API is due Dec 3")
    ]


def test_overdue_goes_to_assignees_once_then_escalates_to_managers(world: World) -> None:
    world.task("alice", "WEB", "写周报", assignees=("bob",), due_date=date(2026, 12, 1))
    world.sweep(at(1, 9))
    world.chat.clear()
    assert world.sweep(at(1, 17, 59)).sent == []
    overdue = world.sweep(at(1, 18)).sent
    assert [(s.kind, s.to) for s in overdue] == [("overdue", "bob")]
    assert "已逾期：WEB-1 写周报" in overdue[0].text
    assert world.sweep(at(2, 9)).sent == []  # one alert, not a stream
    escalated = world.sweep(at(2, 18)).sent
    assert [(s.kind, s.to) for s in escalated] == [("escalation", "alice")]
    assert "已逾期 1 个工作日" in escalated[0].text
    assert "负责人：bob" in escalated[0].text
    assert world.sweep(at(9, 18)).sent == []


def test_done_cancels_pending_reminders_and_alerts(world: World) -> None:
    key = world.task("alice", "WEB", "写周报", assignees=("bob",), due_at=at(1, 15))
    with world.ctx("bob") as ctx:
        tasks.complete_task(ctx, key)
    assert world.sweep(at(5, 12)).sent == []
    assert {r.status for r in world.rows()} == {"cancelled"}


def test_moving_the_due_moves_its_reminders(world: World) -> None:
    key = world.task("alice", "WEB", "写周报", assignees=("bob",), due_at=at(1, 15))
    with world.ctx("alice") as ctx:
        tasks.set_due(ctx, key, None, at(2, 11))
    assert world.sweep(at(1, 16)).sent == []
    sent = world.sweep(at(2, 10)).sent
    assert [s.text for s in sent] == ["⏰ 提醒：WEB-1 写周报 将于 12月2日 11:00 到期"]


def test_reassigning_moves_reminders_to_the_new_assignee(world: World) -> None:
    key = world.task("alice", "WEB", "Review", assignees=("bob",), due_at=at(1, 15))
    with world.ctx("alice") as ctx:
        tasks.assign_task(ctx, key, [world.users["carol"]])
    assert [s.to for s in world.sweep(at(1, 14)).sent] == ["carol"]


def test_deleting_cancels_everything(world: World) -> None:
    key = world.task("alice", "WEB", "Review", assignees=("bob",), due_at=at(1, 15))
    with world.ctx("alice") as ctx:
        tasks.delete_task(ctx, key)
    assert world.sweep(at(8, 15)).sent == []


def test_a_task_can_have_its_own_reminders(world: World) -> None:
    key = world.task("alice", "WEB", "发版", assignees=("bob",), due_at=at(3, 15))
    with world.ctx("bob") as ctx:
        out = notify.set_task_reminders(ctx, key, "提前1天")
    assert out.offsets == [1440]
    assert out.text == "提前1天"
    assert world.sweep(at(2, 14)).sent == []
    assert [s.text for s in world.sweep(at(2, 15)).sent] == [
        f"⏰ 提醒：{key} 发版 将于 12月3日 15:00 到期"
    ]
    assert world.sweep(at(3, 15)).sent == []


def test_a_users_default_offsets_apply_to_their_tasks(world: World) -> None:
    with world.ctx("bob") as ctx:
        notify.set_my_reminders(ctx, "30m before")
    world.task("alice", "WEB", "Demo", assignees=("bob",), due_at=at(1, 15))
    assert world.sweep(at(1, 14)).sent == []
    assert len(world.sweep(at(1, 14, 30)).sent) == 1


def test_snooze_an_hour_then_until_tomorrow_morning(world: World) -> None:
    key = world.task("alice", "WEB", "写周报", assignees=("bob",), due_date=date(2026, 12, 4))
    assert len(world.sweep(at(4, 9)).sent) == 1
    with world.ctx("bob") as ctx:
        out = notify.snooze(ctx, key, "1h")
    assert out.until == at(4, 10)
    assert world.sweep(at(4, 9, 59)).sent == []
    again = world.sweep(at(4, 10)).sent
    assert [(s.kind, s.to, s.task) for s in again] == [("reminder", "bob", key)]
    with world.ctx("bob") as ctx:
        notify.snooze(ctx, key, "tomorrow")
    assert world.sweep(at(4, 17)).sent == []
    # By tomorrow morning the task is overdue too: the alert and the snoozed reminder both arrive.
    assert sorted(s.kind for s in world.sweep(at(5, 9)).sent) == ["overdue", "reminder"]


def test_quiet_hours_delay_a_reminder_until_they_end(world: World) -> None:
    with world.ctx("bob") as ctx:
        notify.set_quiet_hours(ctx, "22:00", "08:00")
    world.task("alice", "WEB", "Night deploy", assignees=("bob",), due_at=at(2, 0, 30))
    assert world.sweep(at(1, 23, 30)).sent == []
    assert world.sweep(at(2, 0, 30)).sent == []
    sent = world.sweep(at(2, 8)).sent
    # Both reminders fell in the night; the overdue alert (01:30) is what remains to say at 08:00.
    assert [s.kind for s in sent] == ["overdue"]


def test_after_downtime_a_missed_reminder_becomes_one_overdue_alert(world: World) -> None:
    world.task("alice", "WEB", "写周报", assignees=("bob",), due_at=at(1, 15))
    sent = world.sweep(at(1, 20)).sent
    assert [(s.kind, s.to) for s in sent] == [("overdue", "bob")]
    assert world.sweep(at(1, 21)).sent == []


def test_a_slip_alerts_successor_owners_and_milestone_managers(world: World) -> None:
    design = world.task(
        "alice",
        "WEB",
        "设计稿",
        assignees=("bob",),
        due_date=date(2026, 11, 27),
        start_date=date(2026, 11, 23),
    )
    dev = world.task(
        "alice",
        "WEB",
        "开发",
        assignees=("carol",),
        due_date=date(2026, 12, 4),
        start_date=date(2026, 11, 30),
    )
    launch = world.task("alice", "WEB", "上线", due_date=date(2026, 12, 4), is_milestone=True)
    with world.ctx("alice") as ctx:
        tasks.add_dependency(ctx, dev, design)
        tasks.add_dependency(ctx, launch, dev, "ff")
    world.sweep(at(1, 8))
    world.chat.clear()
    with world.ctx("bob") as ctx:
        tasks.set_due(ctx, design, date(2026, 12, 1))
    sent = world.sweep(at(1, 8, 1)).sent
    by_person = {s.to: s.text for s in sent if s.kind == "delay"}
    assert by_person["alice"] == '📉 设计稿 延期2天 → 开发 最早开始 12月2日 → 里程碑 "上线" 有风险'
    assert by_person["carol"] == (
        '📉 设计稿 slipped 2 working days → 开发 earliest start Dec 2 → milestone "上线" at risk'
    )
    assert "bob" not in by_person  # who moved it knows


def test_operators_list_retry_and_cancel_only_as_admin(world: World) -> None:
    world.task("alice", "WEB", "写周报", assignees=("bob",), due_at=at(1, 15))
    with world.ctx("bob") as ctx, pytest.raises(PermissionDenied):
        notify.list_notifications(ctx)
    with world.ctx("alice") as ctx:  # the first user is the admin
        rows = notify.list_notifications(ctx, status="pending")
        assert [r.kind for r in rows] == ["escalation", "overdue", "reminder", "reminder"]
        cancelled = notify.cancel_notification(ctx, rows[-1].dedupe_key)
        assert cancelled.status == "cancelled"
        assert notify.retry_notification(ctx, str(cancelled.id)).status == "pending"


def test_reopening_after_the_due_brings_back_only_the_overdue_alert(world: World) -> None:
    key = world.task("alice", "WEB", "写周报", assignees=("bob",), due_at=at(1, 15))
    world.clock.set(at(1, 13))
    with world.ctx("bob") as ctx:
        tasks.complete_task(ctx, key)
    world.clock.set(at(1, 17))
    with world.ctx("bob") as ctx:
        tasks.reopen_task(ctx, key)
    assert [s.kind for s in world.sweep(at(1, 17)).sent] == ["overdue"]


def test_work_that_runs_late_alerts_the_chain_once(world: World) -> None:
    design = world.task("alice", "WEB", "设计稿", assignees=("bob",), due_date=date(2026, 12, 1),
                        start_date=date(2026, 11, 30))  # fmt: skip
    dev = world.task("alice", "WEB", "开发", assignees=("carol",), due_date=date(2026, 12, 3),
                     start_date=date(2026, 12, 2))  # fmt: skip
    with world.ctx("alice") as ctx:
        tasks.add_dependency(ctx, dev, design)
    world.sweep(at(1, 9))
    world.chat.clear()
    sent = world.sweep(at(1, 18)).sent
    assert sorted((s.kind, s.to) for s in sent) == [("delay", "carol"), ("overdue", "bob")]
    (late,) = [s for s in sent if s.kind == "delay"]
    assert late.text == "📉 设计稿 is overdue → 开发 earliest start Dec 3"
    assert world.sweep(at(1, 19)).sent == []
    assert world.sweep(at(2, 9)).sent == []
