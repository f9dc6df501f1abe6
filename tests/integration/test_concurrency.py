"""Two OS processes writing at once: task keys never collide, a redelivered event acts once.

Each worker is a fresh interpreter (multiprocessing 'spawn') with its own engine, talking to the
same database through the real router, as two pmbot replicas would. Both start together at a
barrier; the race runs once per backend and the tests below read its outcome.
"""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.models import InboundEvent, Project, Task, User
from tests.support.chat import make_chat, ok
from tests.support.world import World

TASKS_EACH = 50
SHARED_EVENTS = 10
Replies = list[tuple[bool | None, str]]  # (ok, text), ok None for "already handled"


def _worker(
    url: str, texts: list[tuple[str, str, str]], start: Any, out: Any, lockstep: bool = False
) -> None:
    """Say every (event id, user, text) once the other workers are ready; report the replies.

    In `lockstep` the workers meet at the start line again before every message, otherwise only
    before messages whose event id starts with `sync-`.
    """
    from bot.router import Inbound, Router
    from core.clock import SystemClock
    from storage.db import make_engine

    engine = make_engine(url)
    router = Router(engine, SystemClock(), default_language="en")
    results: Replies = []
    with engine.connect():  # connect before the start line, so that both really start at once
        pass
    start.wait(timeout=60)
    try:
        for event_id, user, text in texts:
            if lockstep or event_id.startswith("sync-"):
                start.wait(timeout=60)
            reply = router.handle(
                Inbound(
                    platform="console",
                    tenant="local",
                    user_id=user,
                    user_name=user,
                    text=text,
                    event_id=event_id,
                )
            )
            results.append((None, "") if reply is None else (reply.ok, reply.text))
    finally:
        engine.dispose()
        out.put((event_id_prefix(texts), results))


def event_id_prefix(texts: list[tuple[str, str, str]]) -> str:
    """The worker's label: the prefix of its first event id."""
    return texts[0][0].split("-")[0]


def _script(user: str) -> list[tuple[str, str, str]]:
    own = [(f"{user}-{i}", user, f"add WEB {user} task {i}") for i in range(TASKS_EACH)]
    # the same events in both workers, as a platform retry would send them to another replica
    shared = [(f"Ev-{i}", user, f"add WEB delivered twice {i}") for i in range(SHARED_EVENTS)]
    # and, meeting at the start line first, both create the same project
    return [*own, *shared, (f"sync-{user}", user, "project new OPS Operations")]


class Race:
    """What two processes did to one database."""

    def __init__(self, world: World, replies: dict[str, Replies]) -> None:
        self.world = world
        self.replies = replies


@pytest.fixture(scope="module")
def race(module_engine: Engine) -> Race:
    """Bob and dan, both members of WEB, each add 50 tasks and replay 10 shared events at once."""
    chat = make_chat(module_engine)
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "member add WEB @bob member")
    ok(chat, "alice", "member add WEB @dan member")
    ok(chat, "alice", "grant @bob creator")  # both may create projects: they race for one key
    ok(chat, "alice", "grant @dan creator")
    url = module_engine.url.render_as_string(hide_password=False)
    spawn = mp.get_context("spawn")
    start = spawn.Barrier(2)
    out = spawn.Queue()
    procs = [
        spawn.Process(target=_worker, args=(url, _script(user), start, out))
        for user in ("bob", "dan")
    ]
    for p in procs:
        p.start()
    replies = dict(out.get(timeout=180) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    out.close()
    out.join_thread()
    return Race(World(module_engine), replies)


def test_two_processes_adding_tasks_at_once_get_distinct_keys(race: Race) -> None:
    for user, replies in race.replies.items():
        failed = [text for good, text in replies[:TASKS_EACH] if not good]
        assert failed == [], (user, failed[:3])
    own = race.world.rows(Task, col(Task.title).like("% task %"))
    numbers = sorted(t.number for t in own)
    assert len(own) == 2 * TASKS_EACH
    assert len(set(numbers)) == len(numbers)
    # no gaps: every key from WEB-1 up was handed out exactly once, shared events included
    everything = sorted(t.number for t in race.world.rows(Task, Task.project_id == 1))
    assert everything == list(range(1, 2 * TASKS_EACH + SHARED_EVENTS + 1))
    assert {t.key for t in own} == {f"WEB-{t.number}" for t in own}


def test_each_process_sees_its_keys_come_back_in_order(race: Race) -> None:
    for replies in race.replies.values():
        numbers = [int(text.split(":")[0].split("-")[1]) for _, text in replies[:TASKS_EACH]]
        assert numbers == sorted(numbers)


def test_an_event_delivered_to_two_processes_at_once_acts_once(race: Race) -> None:
    answered = [
        good
        for replies in race.replies.values()
        for good, _ in replies[TASKS_EACH : TASKS_EACH + SHARED_EVENTS]
    ]
    assert answered.count(True) == SHARED_EVENTS
    assert answered.count(None) == SHARED_EVENTS
    assert race.world.count(Task, col(Task.title).like("delivered twice%")) == SHARED_EVENTS
    assert race.world.count(InboundEvent, col(InboundEvent.event_id).like("Ev-%")) == SHARED_EVENTS


NEWCOMERS = 8


def test_newcomers_arriving_at_once_are_all_answered_and_one_is_admin(engine: Engine) -> None:
    """An empty database; two workers greet as the same eight newcomers in lockstep: every
    first contact is a race between two transactions."""
    url = engine.url.render_as_string(hide_password=False)
    spawn = mp.get_context("spawn")
    start = spawn.Barrier(2)
    out = spawn.Queue()
    procs = [
        spawn.Process(
            target=_worker,
            args=(
                url,
                [(f"{w}-{n}", f"n{n}", "whoami") for n in range(NEWCOMERS)],
                start,
                out,
                True,
            ),
        )
        for w in ("a", "b")
    ]
    for p in procs:
        p.start()
    replies = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    out.close()
    out.join_thread()
    expected = [(True, f"You are n{n}.") for n in range(NEWCOMERS)]
    assert replies == {"a": expected, "b": expected}
    world = World(engine)
    assert sorted(u.name for u in world.rows(User)) == [f"n{n}" for n in range(NEWCOMERS)]
    assert world.count(User, col(User.is_admin)) == 1


def test_two_processes_creating_the_same_project_at_once_get_one_project(race: Race) -> None:
    answers = sorted(replies[-1] for replies in race.replies.values())
    assert answers == [
        (False, "⚠️ a project with key OPS already exists"),
        (True, answers[1][1]),
    ]
    assert answers[1][1].startswith("Created project OPS (Operations).")
    assert race.world.count(Project) == 2
