"""Planning maths: dates pushed forward through dependencies, milestones at risk, critical path.

Dates are inclusive working days: a task that starts and finishes on the same day lasts one day.
A dependency's lag counts working days of the calendar given. The four link types:

    FS  the successor starts after the predecessor finishes   start  ≥ next workday(finish) + lag
    SS  the successor starts once the predecessor has started  start  ≥ start + lag
    FF  the successor finishes once the predecessor finished   finish ≥ finish + lag
    SF  the successor finishes once the predecessor started    finish ≥ start + lag

Everything here is pure: callers load the tasks and links and pass them in.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from core.calendar import WorkCalendar, add_workdays
from core.models import DependencyType


@dataclass(frozen=True, slots=True)
class PlanTask:
    """A task as planning sees it: its planned dates (either may be missing)."""

    id: int
    key: str
    title: str = ""
    start: date | None = None
    finish: date | None = None
    duration: int = 1  # working days, used when a date is missing
    is_milestone: bool = False
    done: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """`succ` depends on `pred` by `type`, with `lag` working days."""

    pred: int
    succ: int
    type: DependencyType = DependencyType.FS
    lag: int = 0


@dataclass(frozen=True, slots=True)
class Impact:
    """A task whose planned dates the chain now violates, and its new earliest dates."""

    task: PlanTask
    earliest_start: date | None
    earliest_finish: date | None
    start_slip: int  # working days later than planned (0 when the start still holds)
    finish_slip: int
    via: int | None  # the predecessor that pushed it

    @property
    def violated(self) -> bool:
        """True when the planned start or finish can no longer hold."""
        return self.start_slip > 0 or self.finish_slip > 0


def workdays_between(calendar: WorkCalendar, a: date, b: date) -> int:
    """Working days from `a` to `b` (positive when `b` is later; `a` itself not counted)."""
    if a == b:
        return 0
    sign = 1 if b > a else -1
    lo, hi = (a, b) if b > a else (b, a)
    count = 0
    day = lo
    while day < hi:
        day = date.fromordinal(day.toordinal() + 1)
        if calendar.is_workday(day):
            count += 1
    return sign * count


def duration_of(
    calendar: WorkCalendar, start: date | None, finish: date | None, default: int = 1
) -> int:
    """A task's length in working days (inclusive of both ends), at least 1."""
    if start is None or finish is None or finish < start:
        return max(default, 1)
    return max(
        workdays_between(calendar, start, finish) + (1 if calendar.is_workday(start) else 0), 1
    )


def _start(t: PlanTask, cal: WorkCalendar) -> date | None:
    if t.start is not None:
        return t.start
    if t.finish is not None:
        return add_workdays(cal, t.finish, -(t.duration - 1))
    return None


def _finish(t: PlanTask, cal: WorkCalendar) -> date | None:
    if t.finish is not None:
        return t.finish
    if t.start is not None:
        return add_workdays(cal, t.start, t.duration - 1)
    return None


def _topological(ids: Iterable[int], links: Iterable[Link]) -> list[int]:
    succs: dict[int, list[int]] = defaultdict(list)
    indegree: dict[int, int] = dict.fromkeys(ids, 0)
    for link in links:
        if link.pred in indegree and link.succ in indegree:
            succs[link.pred].append(link.succ)
            indegree[link.succ] += 1
    queue = deque(sorted(i for i, d in indegree.items() if d == 0))
    order: list[int] = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for nxt in succs[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                queue.append(nxt)
    # Services refuse cycles; anything left (bad data) is appended so nothing is dropped.
    order.extend(i for i, d in indegree.items() if d > 0)
    return order


def forward_pass(
    tasks: Mapping[int, PlanTask],
    links: Iterable[Link],
    calendar: WorkCalendar,
    changed: Mapping[int, PlanTask] | None = None,
) -> dict[int, tuple[date | None, date | None]]:
    """Each task's (start, finish) once every dependency is honoured, never earlier than planned.

    `changed` replaces some tasks' plans (e.g. a predecessor's new due date) before the pass.
    """
    plan = dict(tasks)
    plan.update(changed or {})
    link_list = list(links)
    incoming: dict[int, list[Link]] = defaultdict(list)
    for link in link_list:
        incoming[link.succ].append(link)
    result: dict[int, tuple[date | None, date | None]] = {}
    for tid in _topological(plan, link_list):
        task = plan[tid]
        start, finish = _start(task, calendar), _finish(task, calendar)
        if task.done:
            result[tid] = (start, finish)
            continue
        min_start: date | None = None
        min_finish: date | None = None
        for link in incoming.get(tid, []):
            if link.pred not in result:
                continue
            p_start, p_finish = result[link.pred]
            if link.type is DependencyType.FS and p_finish is not None:
                bound = add_workdays(calendar, p_finish, 1 + link.lag)
                min_start = bound if min_start is None else max(min_start, bound)
            elif link.type is DependencyType.SS and p_start is not None:
                bound = add_workdays(calendar, p_start, link.lag)
                min_start = bound if min_start is None else max(min_start, bound)
            elif link.type is DependencyType.FF and p_finish is not None:
                bound = add_workdays(calendar, p_finish, link.lag)
                min_finish = bound if min_finish is None else max(min_finish, bound)
            elif link.type is DependencyType.SF and p_start is not None:
                bound = add_workdays(calendar, p_start, link.lag)
                min_finish = bound if min_finish is None else max(min_finish, bound)
        if min_start is not None and (start is None or min_start > start):
            start = min_start
            pushed = add_workdays(calendar, start, task.duration - 1)
            finish = pushed if finish is None or pushed > finish else finish
        if min_finish is not None and (finish is None or min_finish > finish):
            finish = min_finish
        result[tid] = (start, finish)
    return result


def impacts_of_change(
    tasks: Mapping[int, PlanTask],
    links: Iterable[Link],
    calendar: WorkCalendar,
    changed: PlanTask,
) -> list[Impact]:
    """The successors (direct or not) whose planned dates a change to `changed` now violates.

    Listed in chain order, each with its new earliest dates and how many working days it slips.
    """
    link_list = list(links)
    pushed_by: dict[int, int] = {}
    for link in link_list:
        pushed_by.setdefault(link.succ, link.pred)
    base = {tid: replace(t) for tid, t in tasks.items()}
    before = forward_pass(base, link_list, calendar)
    after = forward_pass(base, link_list, calendar, changed={changed.id: changed})
    order = _topological(base | {changed.id: changed}, link_list)
    downstream = _downstream(changed.id, link_list)
    out: list[Impact] = []
    for tid in order:
        if tid not in downstream or tid == changed.id:
            continue
        task = base[tid]
        planned_start, planned_finish = task.start, task.finish
        if planned_start is None:
            planned_start = before[tid][0]
        if planned_finish is None:
            planned_finish = before[tid][1]
        new_start, new_finish = after[tid]
        start_slip = (
            workdays_between(calendar, planned_start, new_start)
            if planned_start and new_start and new_start > planned_start
            else 0
        )
        finish_slip = (
            workdays_between(calendar, planned_finish, new_finish)
            if planned_finish and new_finish and new_finish > planned_finish
            else 0
        )
        impact = Impact(task, new_start, new_finish, start_slip, finish_slip, pushed_by.get(tid))
        # Only what this change made worse: a plan already broken before is not news.
        if impact.violated and not task.done and after[tid] != before[tid]:
            out.append(impact)
    return out


def _downstream(root: int, links: list[Link]) -> set[int]:
    succs: dict[int, list[int]] = defaultdict(list)
    for link in links:
        succs[link.pred].append(link.succ)
    seen = {root}
    queue = deque([root])
    while queue:
        for nxt in succs[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def milestones_at_risk(
    tasks: Mapping[int, PlanTask], links: Iterable[Link], calendar: WorkCalendar, today: date
) -> list[tuple[PlanTask, date]]:
    """Open milestones whose earliest finish is later than planned, with that earliest finish.

    Open work that is already overdue counts as finishing no earlier than `today`.
    """
    live = {
        tid: (
            replace(t, finish=today, start=t.start if t.start and t.start <= today else None)
            if not t.done and t.finish is not None and t.finish < today and not t.is_milestone
            else t
        )
        for tid, t in tasks.items()
    }
    dates = forward_pass(live, links, calendar)
    out = []
    for tid, task in tasks.items():
        if not task.is_milestone or task.done or task.finish is None:
            continue
        finish = dates[tid][1]
        if finish is not None and finish > task.finish:
            out.append((task, finish))
    return sorted(out, key=lambda pair: (pair[0].finish or today, pair[0].key))


def critical_path(
    tasks: Mapping[int, PlanTask], links: Iterable[Link], calendar: WorkCalendar
) -> list[int]:
    """The chain of tasks that ends last once dependencies are honoured (ids, first to last)."""
    link_list = list(links)
    dates = forward_pass(tasks, link_list, calendar)
    if not dates:
        return []
    incoming: dict[int, list[Link]] = defaultdict(list)
    for link in link_list:
        incoming[link.succ].append(link)
    last = max(dates, key=lambda tid: (dates[tid][1] or date.min, -tid))
    path = [last]
    seen = {last}
    node = last
    while True:
        # Follow the predecessor that binds the current task (ends latest among its preds).
        preds = [
            lk.pred for lk in incoming.get(node, []) if lk.pred in dates and lk.pred not in seen
        ]
        if not preds:
            break
        node = max(preds, key=lambda p: (dates[p][1] or date.min, -p))
        path.append(node)
        seen.add(node)
    return list(reversed(path))
