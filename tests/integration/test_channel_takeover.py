"""Nobody takes a team's channel (issue 10, finding 1): creating a project needs the admin role
or a `creator` grant, and re-binding a bound channel needs its current project's managers."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.models import AuditEvent, Project, Task
from tests.support.chat import make_chat, ok, refused


def test_the_takeover_from_the_probe_is_refused(engine: Engine) -> None:
    chat = make_chat(engine)
    ok(chat, "alice", "project new WEB Website")  # the admin, as the first user
    ok(chat, "alice", "channel bind WEB", channel="team")
    ok(chat, "alice", "member add WEB @bob member")
    ok(chat, "eve", "whoami")
    reply = refused(chat, "eve", "project new EVIL x")
    assert "admin" in reply.text
    # granted project creation, eve still cannot take the team's channel
    ok(chat, "alice", "grant @eve creator")
    ok(chat, "eve", "project new EVIL x")
    reply = refused(chat, "eve", "channel bind EVIL", channel="team")
    assert "WEB" in reply.text
    ok(chat, "bob", "add fix the login", channel="team")
    with Session(engine) as session:
        assert [t.key for t in session.exec(select(Task)).all()] == ["WEB-1"]


def test_a_manager_of_both_may_move_a_channel_and_both_projects_record_it(engine: Engine) -> None:
    chat = make_chat(engine)
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "project new APP App")
    ok(chat, "alice", "channel bind WEB", channel="team")
    ok(chat, "alice", "channel bind APP", channel="team")
    with Session(engine) as session:
        ids = {p.key: p.id for p in session.exec(select(Project)).all()}
        binds = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "channel", AuditEvent.action == "bind")
        ).all()
        moved = [a.project_id for a in binds if (a.before or {}).get("project") == "WEB"]
    assert sorted(moved) == sorted([ids["APP"], ids["WEB"]])


def test_revoking_the_grant_stops_new_projects(engine: Engine) -> None:
    chat = make_chat(engine)
    ok(chat, "alice", "whoami")
    ok(chat, "alice", "grant @bob creator")
    ok(chat, "bob", "project new ONE One")
    refused(chat, "bob", "grant @carol creator")  # only admins grant
    ok(chat, "alice", "revoke @bob creator")
    refused(chat, "bob", "project new TWO Two")
    ok(chat, "bob", "project show ONE")  # what bob made stays his
