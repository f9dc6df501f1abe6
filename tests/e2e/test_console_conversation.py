"""Whole conversations through the console (our FakeChat) and the real router, on both backends.

The `chat` fixture (tests/e2e/conftest.py) starts with alice (admin, the first user) owning WEB,
bob a member, carol a guest, fred finance and mia a second manager.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.console import ConsoleChat
from core.models import Channel, InboundEvent, Task
from tests.support.chat import make_chat, ok, refused
from tests.support.world import World


def test_a_task_goes_from_creation_to_done_in_conversation(chat: ConsoleChat) -> None:
    created = ok(chat, "alice", "add WEB Write the homepage copy @bob due 2026-12-01 p1")
    assert created.text == "Created WEB-1: Write the homepage copy"
    assert ("Assignees", "@bob") in created.fields
    assert ("Due", "Tue Dec 1") in created.fields
    assert ("Priority", "P1") in created.fields

    mine = ok(chat, "bob", "list mine")
    assert mine.text.splitlines() == [
        "1 task(s):",
        "WEB-1 · Write the homepage copy · @bob · due Tue Dec 1 · P1 · todo",
    ]
    ok(chat, "bob", "status WEB-1 doing")
    ok(chat, "bob", "log WEB-1 2h drafting")
    done = ok(chat, "bob", "done WEB-1")
    assert done.text == "✅ WEB-1 done: Write the homepage copy"
    assert [b.action for b in done.buttons] == ["reopen WEB-1"]
    assert ok(chat, "bob", "list mine").text == "No tasks match."
    assert chat.said()[-1] == "No tasks match."
    # the transcript reads as the conversation it was
    assert [(line.speaker, line.text) for line in chat.transcript[:2]] == [
        ("alice", "add WEB Write the homepage copy @bob due 2026-12-01 p1"),
        ("pmbot", "Created WEB-1: Write the homepage copy"),
    ]


def test_a_button_press_is_just_its_command(chat: ConsoleChat) -> None:
    created = ok(chat, "alice", "add WEB Press me")
    done_button = next(b for b in created.buttons if b.action.startswith("done"))
    assert ok(chat, "alice", done_button.action).text.startswith("✅ WEB-1 done")


def test_member_cannot_delete_but_a_manager_can(chat: ConsoleChat) -> None:
    ok(chat, "bob", "add WEB Throwaway")
    no = refused(chat, "bob", "delete WEB-1")
    assert no.text == "you need the manager role in WEB to delete tasks"
    assert no.error == "permission_denied"
    assert ok(chat, "mia", "delete WEB-1").text == "Deleted WEB-1: Throwaway"
    assert ok(chat, "bob", "add WEB Next").text == "Created WEB-2: Next"
    refused(chat, "bob", "show WEB-1")


def test_guest_reads_but_cannot_change(chat: ConsoleChat) -> None:
    ok(chat, "alice", "add WEB Visible")
    assert ok(chat, "carol", "show WEB-1").text.startswith("WEB-1: Visible")
    assert "WEB-1 · Visible" in ok(chat, "carol", "list WEB").text
    assert (
        refused(chat, "carol", "add WEB Sneaky").text
        == "you need the member role in WEB to create tasks"
    )
    assert refused(chat, "carol", "comment WEB-1 hi").text.endswith("to comment on tasks")
    assert refused(chat, "carol", "history WEB-1").text == (
        "you need the finance role in WEB to read the history of changes"
    )
    assert "@alice create" in ok(chat, "fred", "history WEB-1").text


def test_blocked_task_cannot_be_closed_in_conversation(chat: ConsoleChat) -> None:
    ok(chat, "bob", "add WEB Waiting on legal")
    ok(chat, "bob", "status WEB-1 blocked")
    no = refused(chat, "bob", "done WEB-1")
    assert no.text == "⚠️ WEB-1 cannot go from blocked to done\nunblock it first: status KEY doing"
    ok(chat, "bob", "status WEB-1 doing")
    ok(chat, "bob", "done WEB-1")
    assert ok(chat, "bob", "reopen WEB-1").text == "WEB-1 is open again."


def test_dependencies_and_a_refused_cycle(chat: ConsoleChat) -> None:
    for title in ("Design", "Build", "Launch"):
        ok(chat, "bob", f"add WEB {title}")
    assert ok(chat, "bob", "depend WEB-2 on WEB-1").text == "WEB-2 now depends on WEB-1 (FS)."
    assert (
        ok(chat, "bob", "depend WEB-3 on WEB-2 ss +2d").text
        == "WEB-3 now depends on WEB-2 (SS +2d)."
    )
    cycle = refused(chat, "bob", "depend WEB-1 on WEB-3 ff")
    assert cycle.text == "⚠️ that would make a cycle: WEB-3 → WEB-1 → WEB-2 → WEB-3"
    assert ("Depends on", "WEB-2") in ok(chat, "bob", "show WEB-3").fields


def test_subtasks_comments_worklogs_and_history(chat: ConsoleChat) -> None:
    ok(chat, "bob", "add WEB Release 2.0")
    assert ok(chat, "bob", "sub WEB-1 Backend").text == "Created WEB-2 under WEB-1: Backend"
    assert ok(chat, "bob", "sub WEB-2 Database").text == "Created WEB-3 under WEB-2: Database"
    assert ok(chat, "bob", "sub WEB-3 Indexes").text == "Created WEB-4 under WEB-3: Indexes"
    assert ("Subtasks", "WEB-2") in ok(chat, "bob", "show WEB-1").fields
    assert ("Parent", "WEB-3") in ok(chat, "bob", "show WEB-4").fields

    assert ok(chat, "mia", "comment WEB-1 Ship it Friday").text == "Comment added to WEB-1."
    assert "💬 mia: Ship it Friday" in ok(chat, "bob", "show WEB-1").text
    assert ok(chat, "bob", "log WEB-1 2h").text == "Logged 2h on WEB-1 (2h in all)."
    assert ok(chat, "bob", "log WEB-1 1.5h review").text == "Logged 1h30m on WEB-1 (3h30m in all)."
    ok(chat, "mia", "priority WEB-1 1")

    history = ok(chat, "alice", "history WEB-1").text.splitlines()
    assert history[0] == "History of WEB-1:"
    assert [line.split(" @", 1)[1].split(" ")[:2] for line in history[1:]] == [
        ["bob", "create"],
        ["mia", "comment"],
        ["bob", "log"],
        ["bob", "log"],
        ["mia", "priority"],
    ]
    assert history[-1].endswith("priority: 3 → 1")
    assert history[2].endswith("comment body=Ship it Friday")
    assert history[3].endswith("log logged_minutes: 0 → 120, minutes=120")


def test_history_names_the_people_a_task_was_given_to(chat: ConsoleChat) -> None:
    ok(chat, "alice", "add WEB Hand over @bob")
    ok(chat, "mia", "assign WEB-1 @bob @mia")
    history = ok(chat, "fred", "history WEB-1").text.splitlines()
    assert "assignees=[@bob]" in history[1]
    assert history[2].endswith("@mia assign assignees: [@bob] → [@bob, @mia]")


def test_archived_project_reads_but_refuses_changes(chat: ConsoleChat) -> None:
    ok(chat, "bob", "add WEB Old work")
    refused(chat, "bob", "project archive WEB")
    assert ok(chat, "mia", "project archive WEB").text == "Archived WEB; it is now read-only."
    assert refused(chat, "bob", "add WEB New work").text == "⚠️ WEB is archived and read-only"
    assert refused(chat, "bob", "done WEB-1").text == "⚠️ WEB is archived and read-only"
    assert ok(chat, "bob", "show WEB-1").text.startswith("WEB-1: Old work")
    assert ("Archived", "yes") in ok(chat, "bob", "project show WEB").fields


def test_a_redelivered_event_changes_nothing_twice(chat: ConsoleChat) -> None:
    first = chat.say("bob", "add WEB Once only", event_id="slack-Ev123")
    assert first is not None
    assert first.ok
    assert chat.say("bob", "add WEB Once only", event_id="slack-Ev123") is None
    world = World(chat.router.engine)
    assert world.count(Task) == 1
    assert world.count(InboundEvent, col(InboundEvent.event_id) == "slack-Ev123") == 1


def test_a_bound_channel_supplies_the_project(chat: ConsoleChat) -> None:
    refused(chat, "bob", "channel bind WEB", channel="web-team")
    ok(chat, "mia", "channel bind WEB", channel="web-team")
    assert ok(chat, "bob", "add Fix footer", channel="web-team").text == "Created WEB-1: Fix footer"
    assert ok(chat, "bob", "done 1", channel="web-team").text == "✅ WEB-1 done: Fix footer"
    assert World(chat.router.engine).count(Channel) == 1


def test_the_first_speaker_becomes_admin_and_others_do_not(engine: Engine) -> None:
    chat = make_chat(engine)
    assert ("Admin", "yes") in ok(chat, "zoe", "whoami").fields
    assert ("Admin", "no") in ok(chat, "yan", "whoami").fields


def test_chinese_speakers_get_chinese_replies_and_aliases_work(engine: Engine) -> None:
    chat = make_chat(engine, language="zh")
    assert ok(chat, "王", "项目 新建 OPS 运维").text.startswith("已创建项目 OPS（运维）")
    assert ok(chat, "王", "新建 OPS 写周报").text == "已创建 OPS-1：写周报"
    assert ok(chat, "王", "完成 OPS-1").text == "✅ OPS-1 已完成：写周报"
    assert refused(chat, "李", "删除 OPS-1").text == (
        "没有权限：需要 项目经理(manager) 角色才能删除任务"
    )
    ok(chat, "李", "set lang en")
    assert refused(chat, "李", "delete OPS-1").text == (
        "you need the manager role in OPS to delete tasks"
    )


def test_a_new_console_session_is_never_mistaken_for_a_redelivery(engine: Engine) -> None:
    # `pmbot chat -c` starts a new console for every command, against the same database
    for n in range(1, 6):
        chat = make_chat(engine)
        reply = chat.say("alice", "whoami")
        assert reply is not None, f"command {n} was dropped as a duplicate"
        del chat


def test_due_dates_drive_the_overdue_and_week_lists(chat: ConsoleChat) -> None:
    # the clock says Wednesday 2026-11-25, noon UTC
    ok(chat, "bob", "add WEB Late report @bob due 2026-11-20")
    ok(chat, "bob", "add WEB Friday demo @bob due 2026-11-27 15:00")
    ok(chat, "bob", "add WEB Next month @bob due 2026-12-15")
    ok(chat, "bob", "add WEB Someday @bob")
    assert ok(chat, "bob", "list overdue").text.splitlines()[1:] == [
        "WEB-1 · Late report · @bob · due Fri Nov 20 · P3 · todo"
    ]
    week = ok(chat, "bob", "list week").text.splitlines()
    assert [line.split(" · ")[1] for line in week[1:]] == ["Late report", "Friday demo"]
    assert week[2].endswith("due Fri Nov 27, 3:00 PM · P3 · todo")
    mine = ok(chat, "bob", "list mine").text.splitlines()
    assert [line.split(" · ")[1] for line in mine[1:]] == [
        "Late report",
        "Friday demo",
        "Next month",
        "Someday",
    ]
    assert ok(chat, "bob", "due WEB-1 none").text == "WEB-1 has no due date now."
    assert ok(chat, "bob", "list overdue").text == "No tasks match."
    assert ok(chat, "bob", "due WEB-4 2026-11-24").text == "WEB-4 due date updated."
    assert "WEB-4 · Someday" in ok(chat, "bob", "list overdue").text


def test_a_title_may_start_with_the_word_due(chat: ConsoleChat) -> None:
    reply = chat.say("alice", "add WEB Due diligence for the vendor due 2026-12-01")
    assert reply is not None
    assert reply.ok, reply.text
    assert "Due diligence for the vendor" in reply.text


def test_a_reporter_demoted_to_guest_cannot_undo_any_more(chat: ConsoleChat) -> None:
    created = chat.say("bob", "add WEB draft the brief")
    assert created is not None
    assert created.ok, created.text
    chat.say("alice", "member add WEB @bob guest")
    reply = chat.say("bob", "undo WEB-1")
    assert reply is not None
    assert reply.error == "permission_denied"
    shown = chat.say("alice", "show WEB-1")
    assert shown is not None
    assert shown.ok


def test_a_channel_can_send_through_its_own_signed_robot_webhook(
    chat: ConsoleChat, engine: Engine
) -> None:
    from sqlmodel import Session, select

    from core.models import AuditEvent, Channel

    hook = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    refused = chat.say("alice", f"channel webhook {hook} SECxyz", channel="eng")
    assert refused is not None
    assert not refused.ok
    assert "channel bind" in refused.text
    assert chat.say("alice", "channel bind WEB", channel="eng").ok  # type: ignore[union-attr]
    assert chat.say("bob", f"channel webhook {hook} SECxyz", channel="eng").error == (  # type: ignore[union-attr]
        "permission_denied"
    )
    assert chat.say("alice", "channel webhook ftp://nope", channel="eng").error == "invalid_input"  # type: ignore[union-attr]
    set_ = chat.say("alice", f"channel webhook {hook} SECxyz", channel="eng")
    assert set_ is not None
    assert set_.ok, set_.text
    with Session(engine) as s:
        channel = s.exec(select(Channel).where(Channel.channel_id == "eng")).one()
        assert (channel.webhook_url, channel.webhook_secret) == (hook, "SECxyz")
        trail = s.exec(select(AuditEvent).where(AuditEvent.action == "webhook")).all()
        assert trail
        assert all("SECxyz" not in str(e.after) for e in trail)
    assert chat.say("alice", "channel webhook off", channel="eng").ok  # type: ignore[union-attr]
    with Session(engine) as s:
        channel = s.exec(select(Channel).where(Channel.channel_id == "eng")).one()
        assert channel.webhook_url is None
        assert channel.webhook_secret is None


def test_a_long_list_comes_a_page_at_a_time_with_a_more_button(chat: ConsoleChat) -> None:
    for n in range(25):
        assert chat.say("alice", f"add WEB task number {n} due 2026-12-{n + 1:02d}").ok  # type: ignore[union-attr]
    first = chat.say("alice", "list WEB")
    assert first is not None
    assert first.table is not None
    assert len(first.table) == 1 + 20
    assert "25" in first.text
    assert [b.action for b in first.buttons] == ["list WEB page 2"]
    second = chat.say("alice", first.buttons[0].action)
    assert second is not None
    assert second.table is not None
    assert [row[0] for row in second.table[1:]] == [f"WEB-{n}" for n in range(21, 26)]
    assert second.buttons == []


def test_a_task_key_with_a_huge_number_is_named_as_not_found(chat: ConsoleChat) -> None:
    reply = chat.say("alice", "show WEB-99999999999999")
    assert reply is not None
    assert reply.error == "not_found"
    assert "WEB-99999999999999" in reply.text


def test_project_settings_and_the_budget_follow_the_role_table(chat: ConsoleChat) -> None:
    # alice: manager; bob: member; fred: finance (see the chat fixture)
    assert chat.say("bob", "project set WEB budget 120000").error == "permission_denied"  # type: ignore[union-attr]
    assert chat.say("fred", "project set WEB budget 120000").error == "permission_denied"  # type: ignore[union-attr]
    assert chat.say("bob", "project set WEB name Site").error == "permission_denied"  # type: ignore[union-attr]
    set_budget = chat.say("alice", "project set WEB budget 120,000")
    assert set_budget is not None
    assert set_budget.ok, set_budget.text
    assert chat.say("alice", "project set WEB spent 1500.5").ok  # type: ignore[union-attr]
    assert chat.say("alice", "project set WEB tz Europe/Berlin").ok  # type: ignore[union-attr]
    assert chat.say("alice", "project set WEB calendar DE").ok  # type: ignore[union-attr]
    for bad in ("budget lots", "budget -5", "tz Mars/Base", "calendar XX", "colour red"):
        reply = chat.say("alice", f"project set WEB {bad}")
        assert reply is not None
        assert reply.error == "invalid_input", (bad, reply.text)
    finance = dict(chat.say("fred", "project show WEB").fields)  # type: ignore[union-attr]
    member = dict(chat.say("bob", "project show WEB").fields)  # type: ignore[union-attr]
    assert finance["Budget"] == "120,000.00 (spent 1,500.50)"
    assert "Budget" not in member
    assert member["Time zone"] == "Europe/Berlin"
    assert member["Calendar"] == "DE"
