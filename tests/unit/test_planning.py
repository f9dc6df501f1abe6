"""Planning maths over real working-day calendars: links, lags, risks, the critical path."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import WeekdayCalendar, add_workdays, calendar_for
from core.models import DependencyType
from core.planning import (
    Link,
    PlanTask,
    critical_path,
    duration_of,
    forward_pass,
    impacts_of_change,
    milestones_at_risk,
    workdays_between,
)

CN = calendar_for("CN")
WEEK = WeekdayCalendar()


def test_china_2026_make_up_days_are_working_days_and_holidays_are_not() -> None:
    assert CN.is_workday(date(2026, 1, 4))  # Sunday, 补班
    assert CN.is_workday(date(2026, 2, 14))  # Saturday, 补班 before the Spring Festival
    assert CN.is_workday(date(2026, 9, 20))  # Sunday
    assert CN.is_workday(date(2026, 10, 10))  # Saturday
    assert not CN.is_workday(date(2026, 2, 16))  # Spring Festival
    assert not CN.is_workday(date(2026, 10, 1))  # National Day


def test_a_year_without_holiday_data_falls_back_to_weekdays_instead_of_crashing() -> None:
    assert CN.is_workday(date(2031, 3, 3))  # a Monday
    assert not CN.is_workday(date(2031, 3, 1))  # a Saturday
    assert add_workdays(CN, date(2031, 2, 28), 1) == date(2031, 3, 3)


def test_adding_working_days_skips_the_national_day_week() -> None:
    assert add_workdays(CN, date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert workdays_between(CN, date(2026, 9, 30), date(2026, 10, 8)) == 1


def test_duration_counts_both_ends() -> None:
    assert duration_of(WEEK, date(2026, 12, 7), date(2026, 12, 11)) == 5
    assert duration_of(WEEK, date(2026, 12, 11), date(2026, 12, 14)) == 2
    assert duration_of(WEEK, None, date(2026, 12, 14), default=3) == 3


def _tasks(*items: PlanTask) -> dict[int, PlanTask]:
    return {t.id: t for t in items}


@pytest.mark.parametrize(
    ("kind", "lag", "start", "finish"),
    [
        # A: Mon 7 – Wed 9 Dec; B lasts 2 days.
        (DependencyType.FS, 0, date(2026, 12, 10), date(2026, 12, 11)),
        (DependencyType.FS, 2, date(2026, 12, 14), date(2026, 12, 15)),
        (DependencyType.SS, 1, date(2026, 12, 8), date(2026, 12, 9)),
        (DependencyType.FF, 1, date(2026, 12, 1), date(2026, 12, 10)),
        (DependencyType.SF, 0, date(2026, 12, 1), date(2026, 12, 7)),
    ],
)
def test_each_link_type_bounds_the_successor(
    kind: DependencyType, lag: int, start: date, finish: date
) -> None:
    a = PlanTask(1, "A-1", start=date(2026, 12, 7), finish=date(2026, 12, 9), duration=3)
    b = PlanTask(2, "A-2", start=date(2026, 12, 1), finish=date(2026, 12, 2), duration=2)
    dates = forward_pass(_tasks(a, b), [Link(1, 2, kind, lag)], WEEK)
    assert dates[2] == (start, finish)


def test_a_slip_runs_down_the_chain_to_the_milestone() -> None:
    design = PlanTask(1, "W-1", "设计稿", date(2026, 11, 23), date(2026, 11, 27), 5)
    dev = PlanTask(2, "W-2", "开发", date(2026, 11, 30), date(2026, 12, 4), 5)
    launch = PlanTask(3, "W-3", "上线", date(2026, 12, 4), date(2026, 12, 4), 1, is_milestone=True)
    links = [Link(1, 2), Link(2, 3, DependencyType.FF)]
    moved = PlanTask(1, "W-1", "设计稿", date(2026, 11, 23), date(2026, 12, 1), 5)
    impacts = impacts_of_change(_tasks(design, dev, launch), links, CN, moved)
    assert [(i.task.key, i.earliest_start, i.earliest_finish) for i in impacts] == [
        ("W-2", date(2026, 12, 2), date(2026, 12, 8)),
        ("W-3", date(2026, 12, 4), date(2026, 12, 8)),
    ]
    assert impacts[0].start_slip == 2
    assert impacts[1].finish_slip == 2


def test_a_slip_absorbed_by_slack_alerts_nobody() -> None:
    a = PlanTask(1, "W-1", start=date(2026, 12, 7), finish=date(2026, 12, 8), duration=2)
    b = PlanTask(2, "W-2", start=date(2026, 12, 14), finish=date(2026, 12, 15), duration=2)
    moved = PlanTask(1, "W-1", start=date(2026, 12, 7), finish=date(2026, 12, 10), duration=2)
    assert impacts_of_change(_tasks(a, b), [Link(1, 2)], WEEK, moved) == []


def test_lags_count_working_days_across_a_holiday() -> None:
    a = PlanTask(1, "W-1", start=date(2026, 9, 28), finish=date(2026, 9, 30), duration=3)
    b = PlanTask(2, "W-2", start=date(2026, 10, 8), finish=date(2026, 10, 8), duration=1)
    dates = forward_pass(_tasks(a, b), [Link(1, 2, DependencyType.FS, 1)], CN)
    assert dates[2] == (date(2026, 10, 9), date(2026, 10, 9))


def test_overdue_open_work_puts_a_milestone_at_risk() -> None:
    late = PlanTask(1, "W-1", "接口", date(2026, 12, 1), date(2026, 12, 2), 2)
    ms = PlanTask(2, "W-2", "上线", None, date(2026, 12, 4), 1, is_milestone=True)
    risks = milestones_at_risk(_tasks(late, ms), [Link(1, 2)], WEEK, date(2026, 12, 7))
    assert [(t.key, d) for t, d in risks] == [("W-2", date(2026, 12, 8))]


def test_done_work_puts_nothing_at_risk() -> None:
    done = PlanTask(1, "W-1", "接口", date(2026, 12, 1), date(2026, 12, 2), 2, done=True)
    ms = PlanTask(2, "W-2", "上线", None, date(2026, 12, 4), 1, is_milestone=True)
    assert milestones_at_risk(_tasks(done, ms), [Link(1, 2)], WEEK, date(2026, 12, 7)) == []


def test_critical_path_follows_the_binding_predecessors() -> None:
    a = PlanTask(1, "P-1", start=date(2026, 12, 7), finish=date(2026, 12, 11), duration=5)
    b = PlanTask(2, "P-2", start=date(2026, 12, 7), finish=date(2026, 12, 7), duration=1)
    c = PlanTask(3, "P-3", start=date(2026, 12, 8), finish=date(2026, 12, 9), duration=2)
    links = [Link(1, 3), Link(2, 3)]
    assert critical_path(_tasks(a, b, c), links, WEEK) == [1, 3]
