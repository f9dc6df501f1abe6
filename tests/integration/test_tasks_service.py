"""The task services' domain rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from core.errors import Conflict, InvalidInput, NotFound
from core.models import AuditEvent, Comment, Project, Task, TaskStatus, User, Worklog
from core.schemas import TaskDraft, TaskFilter
from core.services import projects as ps
from core.services import tasks as ts
from core.services.context import Ctx
from core.services.users import to_actor
from tests.support.world import World


@pytest.fixture
def world(engine: Engine) -> World:
    """WEB (manager: ann, who created the database) with bob as a member and gus as a guest."""
    w = World(engine)
    w.user("ann")
    w.call("ann", ps.create_project, "WEB", "Website")
    w.join("ann", "WEB", "bob", "member")
    w.join("ann", "WEB", "gus", "guest")
    return w


def add(w: World, title: str, who: str = "ann", **extra: object) -> str:
    """Create a task in WEB and return its key."""
    draft = TaskDraft(project_key=extra.pop("project", "WEB"), title=title, **extra)  # type: ignore[arg-type]
    return w.call(who, ts.create_task, draft).key


# --- keys ------------------------------------------------------------------------------------


def test_task_keys_count_up_per_project(world: World) -> None:
    world.call("ann", ps.create_project, "OPS", "Operations")
    assert [add(world, "a"), add(world, "b")] == ["WEB-1", "WEB-2"]
    assert add(world, "c", project="OPS") == "OPS-1"


def test_task_keys_never_repeat_even_after_delete(world: World) -> None:
    add(world, "a")
    add(world, "b")
    world.call("ann", ts.delete_task, "WEB-2")
    assert add(world, "c") == "WEB-3"
    with pytest.raises(NotFound, match="WEB-2"):
        world.call("ann", ts.show_task, "WEB-2")
    # the deleted row is kept for history, with its key
    assert [t.key for t in world.rows(Task, col(Task.deleted_at).is_not(None))] == ["WEB-2"]


def test_a_failed_command_leaves_no_partial_change(world: World) -> None:
    before = world.table_counts()

    def half_a_command() -> None:
        with world.ctx("ann") as ctx:
            ts.create_task(ctx, TaskDraft(project_key="WEB", title="half done"))
            raise RuntimeError("the rest of the command failed")

    with pytest.raises(RuntimeError):
        half_a_command()
    assert world.table_counts() == before
    assert add(world, "whole") == "WEB-1"


# --- users and projects ----------------------------------------------------------------------


def test_first_user_of_an_empty_database_is_admin(engine: Engine) -> None:
    w = World(engine)
    w.user("first")
    w.user("second")
    admins = {u.name: u.is_admin for u in w.rows(User)}
    assert admins == {"first": True, "second": False}


def test_archived_project_is_read_only(world: World) -> None:
    add(world, "a", assignee_ids=[world.ids["bob"]])
    zed = world.user("zed")
    world.call("ann", ps.archive_project, "WEB")
    before = world.table_counts()
    for who, change in [
        ("ann", lambda c: ts.create_task(c, TaskDraft(project_key="WEB", title="b"))),
        ("ann", lambda c: ts.set_priority(c, "WEB-1", 1)),
        ("bob", lambda c: ts.complete_task(c, "WEB-1")),
        ("bob", lambda c: ts.comment_task(c, "WEB-1", "hi")),
        ("bob", lambda c: ts.log_work(c, "WEB-1", 30)),
        ("ann", lambda c: ts.delete_task(c, "WEB-1")),
        ("ann", lambda c: ps.add_member(c, "WEB", zed, "member")),
    ]:
        with pytest.raises(Conflict, match="WEB is archived and read-only"), world.ctx(who) as ctx:
            change(ctx)
    assert world.table_counts() == before
    # reading still works
    assert world.call("gus", ts.show_task, "WEB-1").title == "a"
    assert world.call("bob", ts.list_tasks, TaskFilter(mine=True)).total == 1
    assert world.call("ann", ps.show_project, "WEB").archived is True


def test_a_project_keeps_at_least_one_manager(world: World) -> None:
    with pytest.raises(Conflict, match="ann is the last manager of WEB"):
        world.call("ann", ps.remove_member, "WEB", world.ids["ann"])
    world.join("ann", "WEB", "mo", "manager")
    world.call("mo", ps.remove_member, "WEB", world.ids["ann"])
    assert {m.user.name: m.role.value for m in world.call("mo", ps.list_members, "WEB")} == {
        "bob": "member",
        "gus": "guest",
        "mo": "manager",
    }


def test_roles_are_checked_when_members_are_added(world: World) -> None:
    zed = world.user("zed")
    with pytest.raises(InvalidInput, match="unknown role 'boss'"):
        world.call("ann", ps.add_member, "WEB", zed, "boss")
    with pytest.raises(InvalidInput, match="admin is organisation-wide"):
        world.call("ann", ps.add_member, "WEB", zed, "admin")
    assert world.call("ann", ps.add_member, "WEB", zed, " Finance ").role.value == "finance"
    assert world.call("ann", ps.add_member, "WEB", zed, "member").role.value == "member"
    history = [(e.action, e.after) for e in world.rows(AuditEvent, AuditEvent.entity == "member")]
    assert history[-2:] == [
        ("add", {"user": "zed", "role": "finance"}),
        ("role", {"user": "zed", "role": "member"}),
    ]


def test_a_project_key_is_unique_and_well_formed(world: World) -> None:
    with pytest.raises(Conflict, match="WEB already exists"):
        world.call("ann", ps.create_project, "web", "Again")
    for bad in ("W", "1WEB", "WEB-1", "WAYTOOLONGKEY", "ÜBER"):
        with pytest.raises(InvalidInput, match="2-10 letters or digits"):
            world.call("ann", ps.create_project, bad, "Bad")
    assert world.count(Project) == 1


def test_assignees_must_be_members_who_can_work(world: World) -> None:
    with pytest.raises(InvalidInput, match="gus is not a member of WEB"):
        add(world, "a", assignee_ids=[world.ids["gus"]])
    assert world.count(Task) == 0


# --- status ----------------------------------------------------------------------------------


def test_blocked_task_cannot_be_closed(world: World) -> None:
    add(world, "a")
    world.call("bob", ts.set_status, "WEB-1", "blocked")
    with pytest.raises(Conflict, match="cannot go from blocked to done") as caught:
        world.call("bob", ts.complete_task, "WEB-1")
    assert caught.value.hint is not None
    assert "unblock" in caught.value.hint
    assert world.call("bob", ts.show_task, "WEB-1").status is TaskStatus.BLOCKED
    world.call("bob", ts.set_status, "WEB-1", "doing")
    assert world.call("bob", ts.complete_task, "WEB-1").status is TaskStatus.DONE


def test_done_task_can_be_reopened(world: World) -> None:
    add(world, "a")
    done = world.call("bob", ts.complete_task, "WEB-1")
    assert done.completed_at == world.clock.now()
    assert done.percent_done == 100
    again = world.call("bob", ts.reopen_task, "WEB-1")
    assert again.status is TaskStatus.TODO
    assert again.completed_at is None
    assert again.percent_done == 0


def test_moving_to_the_same_status_or_an_unknown_one_is_refused(world: World) -> None:
    add(world, "a")
    with pytest.raises(Conflict, match="already todo"):
        world.call("bob", ts.set_status, "WEB-1", "todo")
    with pytest.raises(InvalidInput, match="unknown status"):
        world.call("bob", ts.set_status, "WEB-1", "finished")


def test_cancelled_task_can_only_come_back_to_todo(world: World) -> None:
    add(world, "a")
    world.call("bob", ts.set_status, "WEB-1", "cancelled")
    with pytest.raises(Conflict):
        world.call("bob", ts.complete_task, "WEB-1")
    assert world.call("bob", ts.reopen_task, "WEB-1").status is TaskStatus.TODO


def test_closed_tasks_leave_the_open_lists(world: World) -> None:
    bob = [world.ids["bob"]]
    for title in ("a", "b", "c"):
        add(world, title, assignee_ids=bob)
    world.call("bob", ts.complete_task, "WEB-1")
    world.call("ann", ts.delete_task, "WEB-3")
    mine = world.call("bob", ts.list_tasks, TaskFilter(mine=True))
    assert [t.key for t in mine.tasks] == ["WEB-2"]
    everything = world.call("bob", ts.list_tasks, TaskFilter(mine=True, include_closed=True))
    assert [t.key for t in everything.tasks] == ["WEB-1", "WEB-2"]


def test_list_mine_sees_only_my_tasks_in_my_projects(world: World) -> None:
    add(world, "for bob", assignee_ids=[world.ids["bob"]])
    add(world, "for ann", assignee_ids=[world.ids["ann"]])
    world.call("ann", ps.create_project, "OPS", "Operations")
    add(world, "elsewhere", project="OPS")
    assert [t.title for t in world.call("bob", ts.list_tasks, TaskFilter(mine=True)).tasks] == [
        "for bob"
    ]
    seen = world.call("gus", ts.list_tasks, TaskFilter())
    assert {t.project_key for t in seen.tasks} == {"WEB"}


def test_overdue_list_holds_tasks_past_their_deadline(world: World) -> None:
    today = world.clock.now().date()
    add(world, "late", due_date=today - timedelta(days=1))
    add(world, "later", due_date=today + timedelta(days=3))
    add(world, "whenever")
    overdue = world.call("ann", ts.list_tasks, TaskFilter(overdue=True))
    assert [t.title for t in overdue.tasks] == ["late"]
    listed = world.call("ann", ts.list_tasks, TaskFilter(project_key="WEB"))
    assert [t.title for t in listed.tasks] == ["late", "later", "whenever"]


# --- dependencies ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "lag"), [("fs", 0), ("ss", 2), ("ff", -1), ("sf", 5)])
def test_dependency_keeps_its_type_and_lag(world: World, kind: str, lag: int) -> None:
    add(world, "first")
    add(world, "second")
    dep = world.call("bob", ts.add_dependency, "WEB-2", "WEB-1", kind, lag)
    assert (dep.predecessor, dep.successor, dep.type.value, dep.lag_days) == (
        "WEB-1",
        "WEB-2",
        kind,
        lag,
    )
    listed = world.call("gus", ts.list_dependencies, "WEB")
    assert [(d.predecessor, d.successor, d.type.value, d.lag_days) for d in listed] == [
        ("WEB-1", "WEB-2", kind, lag)
    ]
    assert world.call("gus", ts.show_task, "WEB-2").depends_on == ["WEB-1"]


def test_a_cycle_is_refused_with_a_message_naming_it(world: World) -> None:
    for title in ("a", "b", "c"):
        add(world, title)
    world.call("bob", ts.add_dependency, "WEB-2", "WEB-1")
    world.call("bob", ts.add_dependency, "WEB-3", "WEB-2")
    with pytest.raises(Conflict) as caught:
        world.call("bob", ts.add_dependency, "WEB-1", "WEB-3")
    assert str(caught.value) == "that would make a cycle: WEB-3 → WEB-1 → WEB-2 → WEB-3"
    assert len(world.call("bob", ts.list_dependencies, "WEB")) == 2


def test_bad_dependencies_are_refused(world: World) -> None:
    add(world, "a")
    add(world, "b")
    with pytest.raises(InvalidInput, match="cannot depend on itself"):
        world.call("bob", ts.add_dependency, "WEB-1", "WEB-1")
    with pytest.raises(InvalidInput, match="fs, ss, ff, sf"):
        world.call("bob", ts.add_dependency, "WEB-2", "WEB-1", "xx")
    world.call("bob", ts.add_dependency, "WEB-2", "WEB-1")
    with pytest.raises(Conflict, match="already depends"):
        world.call("bob", ts.add_dependency, "WEB-2", "WEB-1", "ss")


# --- subtasks, comments, work, history -------------------------------------------------------


def test_subtasks_nest_to_any_depth(world: World) -> None:
    parent = add(world, "root")
    chain = [parent]
    for depth in range(1, 6):
        chain.append(world.call("bob", ts.new_subtask, chain[-1], f"level {depth}").key)
    assert chain == ["WEB-1", "WEB-2", "WEB-3", "WEB-4", "WEB-5", "WEB-6"]
    for upper, lower in itertools.pairwise(chain):
        assert world.call("gus", ts.show_task, upper).subtasks == [lower]
        assert world.call("gus", ts.show_task, lower).parent_key == upper


def test_a_subtask_belongs_to_its_parents_project(world: World) -> None:
    world.call("ann", ps.create_project, "OPS", "Operations")
    add(world, "parent")
    with pytest.raises(InvalidInput, match="parent's project"):
        add(world, "child", project="OPS", parent_key="WEB-1")


def test_comments_keep_their_author_and_order(world: World) -> None:
    add(world, "a")
    world.call("bob", ts.comment_task, "WEB-1", "first")
    world.call("ann", ts.comment_task, "WEB-1", "  second  ")
    comments = world.call("gus", ts.list_comments, "WEB-1")
    assert [(c.author.name if c.author else None, c.body) for c in comments] == [
        ("bob", "first"),
        ("ann", "second"),
    ]
    with pytest.raises(InvalidInput):
        world.call("bob", ts.comment_task, "WEB-1", "   ")
    assert world.count(Comment) == 2


def test_worklogs_add_up_on_the_task(world: World) -> None:
    add(world, "a")
    world.call("bob", ts.log_work, "WEB-1", 120, "design")
    out = world.call("ann", ts.log_work, "WEB-1", 30)
    assert out.logged_minutes == 150
    assert sorted(w.minutes for w in world.rows(Worklog)) == [30, 120]
    with pytest.raises(InvalidInput, match="positive"):
        world.call("bob", ts.log_work, "WEB-1", 0)


def test_history_shows_who_did_what(world: World) -> None:
    add(world, "a")
    world.call("bob", ts.set_priority, "WEB-1", 1)
    world.call("bob", ts.assign_task, "WEB-1", [world.ids["bob"]])
    world.call("ann", ts.complete_task, "WEB-1")
    history = world.call("bob", ts.task_history, "WEB-1")
    assert [(e.actor.name if e.actor else None, e.action) for e in history] == [
        ("ann", "create"),
        ("bob", "priority"),
        ("bob", "assign"),
        ("ann", "complete"),
    ]
    assert history[1].before == {"priority": 3}
    assert history[1].after == {"priority": 1}
    assert history[2].after == {"assignees": [world.ids["bob"]]}
    assert history[3].after is not None
    assert history[3].after["status"] == "done"


def test_every_change_writes_one_audit_event(world: World) -> None:
    steps = [
        lambda c: ts.create_task(c, TaskDraft(project_key="WEB", title="a")),
        lambda c: ts.set_priority(c, "WEB-1", 2),
        lambda c: ts.edit_task(c, "WEB-1", title="b"),
        lambda c: ts.set_due(c, "WEB-1", date(2026, 12, 1)),
        lambda c: ts.comment_task(c, "WEB-1", "note"),
        lambda c: ts.log_work(c, "WEB-1", 10),
        lambda c: ts.set_status(c, "WEB-1", "doing"),
        lambda c: ts.complete_task(c, "WEB-1"),
        lambda c: ts.reopen_task(c, "WEB-1"),
        lambda c: ts.delete_task(c, "WEB-1"),
    ]
    for n, step in enumerate(steps, start=1):
        with world.ctx("ann") as ctx:
            step(ctx)
        assert world.count(AuditEvent, AuditEvent.entity == "task") == n
    actions = [e.action for e in world.rows(AuditEvent, AuditEvent.entity == "task")]
    assert actions == [
        "create",
        "priority",
        "edit",
        "due",
        "comment",
        "log",
        "status",
        "complete",
        "reopen",
        "delete",
    ]
    assert {e.actor_id for e in world.rows(AuditEvent)} == {world.ids["ann"]}


# --- recurrence and versions -----------------------------------------------------------------


def test_completing_a_recurring_task_spawns_the_next_occurrence(world: World) -> None:
    bob = world.ids["bob"]
    add(
        world,
        "weekly report",
        assignee_ids=[bob],
        due_date=date(2026, 11, 30),
        recurrence="FREQ=WEEKLY;BYDAY=MO",
    )
    done = world.call("bob", ts.complete_task, "WEB-1")
    assert done.status is TaskStatus.DONE
    nxt = world.call("bob", ts.show_task, "WEB-2")
    assert (nxt.title, nxt.due_date, nxt.recurrence, nxt.status) == (
        "weekly report",
        date(2026, 12, 7),
        "FREQ=WEEKLY;BYDAY=MO",
        TaskStatus.TODO,
    )
    assert [a.id for a in nxt.assignees] == [bob]
    history = world.call("bob", ts.task_history, "WEB-1")
    assert history[-1].after is not None
    assert history[-1].after["next"] == "WEB-2"


def test_a_bad_recurrence_rule_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="not a recurrence rule"):
        add(world, "a", recurrence="every other blue moon")
    assert world.count(Task) == 0


def test_each_change_bumps_the_version_by_one(world: World) -> None:
    add(world, "a")
    assert world.call("bob", ts.show_task, "WEB-1").version == 1
    assert world.call("bob", ts.set_priority, "WEB-1", 2).version == 2
    assert world.call("bob", ts.edit_task, "WEB-1", title="b", expected_version=2).version == 3


def test_a_stale_expected_version_is_a_conflict(world: World) -> None:
    add(world, "a")
    seen = world.call("bob", ts.show_task, "WEB-1").version
    world.call("ann", ts.edit_task, "WEB-1", title="ann's title")
    with pytest.raises(Conflict, match="changed by someone else"):
        world.call("bob", ts.edit_task, "WEB-1", title="bob's title", expected_version=seen)
    assert world.call("bob", ts.show_task, "WEB-1").title == "ann's title"


@pytest.mark.postgres
def test_a_concurrent_writer_makes_the_slower_change_conflict(world: World) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE instead")
    add(world, "a")
    with Session(world.engine) as slow:
        user = slow.get(User, world.ids["bob"])
        assert user is not None
        ctx = Ctx(session=slow, actor=to_actor(user, "test"), clock=world.clock)
        task = ts.find_task(ctx, "WEB-1")
        assert task.version == 1
        world.call("ann", ts.edit_task, "WEB-1", title="fast")
        with pytest.raises(Conflict, match="same time"):
            ts.edit_task(ctx, "WEB-1", title="slow")
        slow.rollback()
    assert world.call("bob", ts.show_task, "WEB-1").title == "fast"


# --- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        "'; DROP TABLE task; --",
        'Robert"); DELETE FROM project; --',
        "🎉🚀 ship it 👩‍💻",
        "\u202eevil\u202c mirrored \u200f",
        "修复登录页面的 bug",
        "x" * 500,
    ],
)
def test_hostile_titles_are_stored_verbatim(world: World, title: str) -> None:
    add(world, title)
    assert world.call("bob", ts.show_task, "WEB-1").title == title.strip()
    assert world.count(Project) == 1


def test_a_title_over_500_characters_is_refused() -> None:
    with pytest.raises(ValidationError):
        TaskDraft(project_key="WEB", title="x" * 501)


def test_a_bare_number_needs_a_project(world: World) -> None:
    add(world, "a")
    with pytest.raises(InvalidInput, match="which project"):
        world.call("bob", ts.show_task, "1")
    assert world.call("bob", ts.show_task, "#1", default_project="web").key == "WEB-1"


def test_a_deleted_task_no_longer_closes_a_cycle(world: World) -> None:
    for title in ("a", "b", "c"):
        add(world, title)
    world.call("bob", ts.add_dependency, "WEB-2", "WEB-1")
    world.call("bob", ts.add_dependency, "WEB-3", "WEB-2")
    world.call("ann", ts.delete_task, "WEB-2")
    dep = world.call("bob", ts.add_dependency, "WEB-1", "WEB-3")
    assert (dep.predecessor, dep.successor) == ("WEB-3", "WEB-1")


# Which status may follow which, written out by hand: a blocked task must be unblocked before
# it is closed; a done task reopens (to todo, or straight back to doing); a cancelled one to todo.
ALLOWED = {
    ("todo", "doing"), ("todo", "blocked"), ("todo", "done"), ("todo", "cancelled"),
    ("doing", "todo"), ("doing", "blocked"), ("doing", "done"), ("doing", "cancelled"),
    ("blocked", "todo"), ("blocked", "doing"), ("blocked", "cancelled"),
    ("done", "todo"), ("done", "doing"),
    ("cancelled", "todo"),
}  # fmt: skip


@pytest.fixture(scope="module")
def status_world(module_engine: Engine) -> World:
    """WEB, managed by ann, for probes that are rolled back."""
    w = World(module_engine)
    w.user("ann")
    w.call("ann", ps.create_project, "WEB", "Website")
    return w


@pytest.mark.parametrize("start", [s.value for s in TaskStatus])
@pytest.mark.parametrize("target", [s.value for s in TaskStatus])
def test_status_moves_exactly_as_the_transition_table_allows(
    status_world: World, start: str, target: str
) -> None:
    with status_world.probe("ann") as ctx:
        key = ts.create_task(ctx, TaskDraft(project_key="WEB", title="moving")).key
        if start != "todo":
            ts.set_status(ctx, key, start)
        if (start, target) in ALLOWED:
            moved = ts.set_status(ctx, key, target)
            assert moved.status.value == target
            assert (moved.completed_at is not None) is (target == "done")
        else:
            with pytest.raises(Conflict):
                ts.set_status(ctx, key, target)
            assert ts.show_task(ctx, key).status.value == start
