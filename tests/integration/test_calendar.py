"""The working calendar past 2026, as a team would meet it: postpones, lateness, digests and
reminders on the right days, admins' make-up days and imports, and a weekly word when a year is
incomplete. The clock is always frozen; never the real date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.console import ConsoleChat
from core.clock import FixedClock
from core.models import AuditEvent, Notification, Task
from core.services import calendars
from scheduler.sweep import Sweeper
from tests.support.chat import make_chat, ok, refused
from tests.support.notify import World

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def _chat(engine: Engine, clock: FixedClock) -> ConsoleChat:
    chat = make_chat(engine, clock, language="zh", timezone="Asia/Shanghai", natural=True)
    ok(chat, "alice", "whoami")  # the first user: the organisation's admin
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "member add WEB @bob member")
    return chat


def _due(engine: Engine, key: str) -> date | None:
    number = int(key.split("-")[1])
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.number == number)).one()
        return task.due_date


def test_postponing_a_working_day_from_new_years_eve_lands_on_monday(engine: Engine) -> None:
    clock = FixedClock(at(2026, 12, 30))
    chat = _chat(engine, clock)
    ok(chat, "alice", "add WEB 年终总结 @bob due 2026-12-31")
    ok(chat, "alice", "WEB-1 推迟1个工作日")
    assert _due(engine, "WEB-1") == date(2027, 1, 4)  # Friday is 元旦, then the weekend


def test_an_entered_make_up_saturday_counts_for_postpone_lateness_and_the_digest(
    engine: Engine,
) -> None:
    clock = FixedClock(at(2027, 1, 6))
    chat = _chat(engine, clock)
    ok(chat, "alice", "channel bind WEB", channel="general")
    reply = ok(chat, "alice", "日历 补班 2027-01-09 调休上班")
    assert "2027-01-09" in reply.text
    ok(chat, "alice", "add WEB 发布说明 @bob due 2027-01-08")
    ok(chat, "alice", "add WEB 季度复盘 @bob due 2027-01-08")
    ok(chat, "alice", "WEB-1 推迟1个工作日")
    assert _due(engine, "WEB-1") == date(2027, 1, 9)  # the make-up Saturday

    sweeper = Sweeper(engine, {"console": chat}, clock)
    clock.set(at(2027, 1, 9, 9, 30))  # the Saturday is a working day: its digest goes out
    chat.transcript.clear()
    sweeper.sweep()
    digests = [line.text for line in chat.transcript if "每日简报" in line.text]
    assert len(digests) == 1
    clock.set(at(2027, 1, 10, 9, 30))  # Sunday: nothing
    chat.transcript.clear()
    sweeper.sweep()
    assert not [line for line in chat.transcript if "每日简报" in line.text]
    clock.set(at(2027, 1, 11, 9, 30))  # Monday: WEB-2 is two working days late (Sat + Mon)
    chat.transcript.clear()
    sweeper.sweep()
    (monday,) = [line.text for line in chat.transcript if "每日简报" in line.text]
    assert "逾期2个工作日" in monday


def test_a_digest_due_on_new_years_day_is_skipped_and_the_next_goes_on_monday(
    engine: Engine,
) -> None:
    w = World(engine, at(2026, 12, 31, 8))
    w.user("alice")
    w.project("WEB", "alice")
    w.bind("alice", "WEB", "general")
    planned: list[str] = []
    day = datetime(2026, 12, 31, 9, 30, tzinfo=SH)
    for _ in range(5):  # Thursday to Monday, at the digest time
        planned += [k for k in w.sweep(day).planned if k.startswith("digest:")]
        day += timedelta(days=1)
    assert planned == ["digest:1:2026-12-31", "digest:1:2027-01-04"]


@pytest.mark.parametrize("year", [2027, 2030, 2035])
def test_in_later_years_new_year_and_the_spring_festival_are_days_off(
    engine: Engine, year: int
) -> None:
    official = holidays.country_holidays("CN", years=year, language="en_US")
    spring = sorted(d for d, name in official.items() if "Chinese New Year" in name)
    clock = FixedClock(at(year, 1, 1))
    chat = _chat(engine, clock)
    # a task due the working day before the break, postponed one working day, clears the break
    before = spring[0] - timedelta(days=1)
    while before.weekday() >= 5:
        before -= timedelta(days=1)
    ok(chat, "alice", f"add WEB 节前检查 @bob due {before.isoformat()}")
    ok(chat, "alice", "WEB-1 推迟1个工作日")
    after = _due(engine, "WEB-1")
    assert after is not None
    assert after > spring[-1]
    assert after not in official
    assert after.weekday() < 5
    with Session(engine) as session:
        cal = calendars.organisation_calendar(session)
    assert not cal.is_workday(date(year, 1, 1))
    assert all(not cal.is_workday(d) for d in spring)


def test_a_reminder_for_a_task_due_on_a_holiday_comes_the_last_working_day_before(
    engine: Engine,
) -> None:
    w = World(engine, at(2026, 12, 28, 8))
    w.user("alice")
    w.user("bob")
    w.project("WEB", "alice", members=("bob",))
    w.task("alice", "WEB", "假期值班交接", assignees=("bob",), due_date=date(2027, 1, 1))
    reminders = w.rows(kind="reminder")
    assert [r.next_attempt_at.astimezone(SH) for r in reminders] == [at(2026, 12, 31, 9)]
    assert [s.kind for s in w.sweep(at(2026, 12, 31, 9)).sent] == ["reminder"]


def test_a_holiday_entered_later_moves_the_reminders_already_queued(engine: Engine) -> None:
    w = World(engine, at(2027, 1, 4, 8))
    w.user("alice")
    w.user("bob")
    w.project("WEB", "alice", members=("bob",))
    w.task("alice", "WEB", "周报", assignees=("bob",), due_date=date(2027, 1, 8))

    def pending() -> list[datetime]:
        rows = w.rows(kind="reminder", status="pending")
        return [r.next_attempt_at.astimezone(SH) for r in rows]

    assert pending() == [at(2027, 1, 8, 9)]
    with w.ctx("alice") as ctx:
        calendars.mark_holidays(ctx, date(2027, 1, 8), date(2027, 1, 8), "司庆")
    assert pending() == [at(2027, 1, 7, 9)]
    with w.ctx("alice") as ctx:
        calendars.clear_days(ctx, [date(2027, 1, 8)])
    assert pending() == [at(2027, 1, 8, 9)]


def _calendar_notices(w: World, when: datetime) -> list[str]:
    return [s.text for s in w.sweep(when).sent if s.kind == "calendar"]


def test_admins_hear_once_a_week_which_year_is_incomplete_until_it_is_supplied(
    engine: Engine,
) -> None:
    w = World(engine, at(2026, 12, 7, 8), calendar_notices=True)
    w.user("alice")  # admin, reads Chinese
    w.project("WEB", "alice")
    assert _calendar_notices(w, at(2026, 12, 7, 9, 59)) == []  # from 10:00
    (notice,) = _calendar_notices(w, at(2026, 12, 7, 10))
    assert "2027" in notice
    assert "补班" in notice
    assert "日历 导入" in notice
    # the same week, again and from a second process: nothing more
    assert _calendar_notices(w, at(2026, 12, 7, 15)) == []
    assert [s for s in w.sweeper().sweep().sent if s.kind == "calendar"] == []
    assert _calendar_notices(w, at(2026, 12, 9, 10)) == []
    assert _calendar_notices(w, at(2026, 12, 12, 10)) == []  # a Saturday, next week or not
    assert len(_calendar_notices(w, at(2026, 12, 14, 10))) == 1  # next Monday
    with w.ctx("alice") as ctx:
        calendars.mark_workdays(ctx, [date(2027, 2, 20)], "春节调休")
    assert _calendar_notices(w, at(2026, 12, 21, 10)) == []
    assert _calendar_notices(w, at(2026, 12, 28, 10)) == []


def test_an_imported_schedule_stops_the_notice_and_english_admins_read_english(
    engine: Engine,
) -> None:
    w = World(engine, at(2026, 12, 7, 8), calendar_notices=True)
    w.user("ann", locale="en")
    w.project("WEB", "ann")
    (notice,) = _calendar_notices(w, at(2026, 12, 7, 10))
    assert notice.startswith("⚠️ The working calendar is incomplete: 2027")
    assert "calendar import" in notice
    with w.ctx("ann") as ctx:
        result = calendars.import_schedule(
            ctx,
            "2027-02-05..2027-02-11,holiday,Spring Festival\n2027-02-20,workday,make-up\n",
            "gov.ics",
        )
    assert (result.workdays, result.days_off, result.years) == (1, 7, [2027])
    assert _calendar_notices(w, at(2026, 12, 14, 10)) == []
    with Session(engine) as session:
        cal = calendars.organisation_calendar(session)
        assert not cal.is_workday(date(2027, 2, 11))
        assert cal.is_workday(date(2027, 2, 20))
        audit = session.exec(select(AuditEvent).where(AuditEvent.entity == "calendar")).all()
        assert [a.action for a in audit] == ["import"]


def test_a_pending_notice_is_cancelled_when_the_schedule_arrives(engine: Engine) -> None:
    w = World(engine, at(2026, 12, 7, 8), calendar_notices=True)
    w.user("alice", quiet_start="09:00", quiet_end="12:00")  # the notice waits for 12:00
    w.project("WEB", "alice")
    assert _calendar_notices(w, at(2026, 12, 7, 10)) == []
    with w.ctx("alice") as ctx:
        calendars.mark_workdays(ctx, [date(2027, 2, 20)], "春节调休")
    assert _calendar_notices(w, at(2026, 12, 7, 12, 1)) == []
    (row,) = w.rows(kind="calendar")
    assert row.status == "cancelled"


def test_who_may_change_the_calendar_and_what_show_says(engine: Engine) -> None:
    clock = FixedClock(at(2026, 12, 8))
    chat = _chat(engine, clock)
    ok(chat, "alice", "member add WEB @carol manager")
    ok(chat, "bob", "set lang en")
    reply = refused(chat, "bob", "calendar workday 2027-02-20")
    assert "admin" in reply.text
    refused(chat, "bob", "calendar holiday WEB 2027-03-01")  # a member is no manager
    ok(chat, "carol", "calendar holiday WEB 2027-03-01..2027-03-02 团建")
    refused(chat, "carol", "calendar workday 2027-02-20")  # the organisation's is the admin's
    shown = ok(chat, "bob", "calendar show WEB 2027-03")
    assert shown.table is not None
    assert ["2027-03-01..03-02", "Mon", "off", "团建", "set for the project"] in shown.table
    fields = dict(shown.fields)
    assert fields["2027"].startswith("public holidays (holidays package), incomplete")
    assert "calendar import" in fields["⚠️"]
    assert "2026" in ok(chat, "alice", "日历 查看 2026").fields[0][0]
    with Session(engine) as session:
        audit = session.exec(select(AuditEvent).where(AuditEvent.entity == "calendar")).all()
        assert [(a.action, a.entity_id) for a in audit] == [("holiday", "WEB")]
    ok(chat, "carol", "calendar clear WEB 2027-03-01")
    with Session(engine) as session:
        web = calendars.project_calendar(session, None)
        assert web.is_workday(date(2027, 3, 1))


@pytest.mark.parametrize(
    "text",
    [
        "calendar workday",
        "calendar workday 2027-02-30",
        "calendar holiday 2027-01-01..2027-06-30",
        "calendar show 2027-13",
        "calendar show 2300",
        "calendar clear 2027-05-05",
        "calendar import",
        "calendar import\n2027-02-05,perhaps",
        "calendar import /etc/passwd",
        "calendar frobnicate",
        "日历 补班 1899-12-31",
    ],
)
def test_mistyped_calendar_commands_get_a_clear_answer_and_change_nothing(
    engine: Engine, text: str
) -> None:
    clock = FixedClock(at(2026, 12, 8))
    chat = _chat(engine, clock)
    reply = refused(chat, "alice", text)
    assert "Traceback" not in reply.text
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.entity == "calendar")).all() == []
        assert session.exec(select(Notification)).all() == []


def test_the_terminal_imports_a_schedule_file(engine: Engine, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "2027.csv"
    path.write_text("date,kind,name\n2027-02-20,班,春节调休\n", encoding="utf-8")
    clock = FixedClock(at(2026, 12, 8))
    chat = _chat(engine, clock)
    reply = ok(chat, "alice", f"日历 导入 {path}")
    assert "2027" in reply.text
    with Session(engine) as session:
        assert calendars.organisation_calendar(session).is_workday(date(2027, 2, 20))
