"""Bad input in conversation: every refusal is polite, specific, and changes nothing.

Unknown commands suggest the nearest; missing or malformed arguments show the usage; unknown
tasks, projects and users are named; permission refusals name the role needed; text over 4,000
characters is refused; control characters are stripped; nobody ever sees a traceback.
"""

from __future__ import annotations

import pytest
from sqlmodel import col

import bot.commands  # noqa: F401  # registers every command in COMMANDS
from bot.console import ConsoleChat
from bot.router import COMMANDS, Inbound
from core.models import InboundEvent, Project, Task
from tests.support.chat import ok, refused
from tests.support.world import World


def counts(chat: ConsoleChat) -> dict[str, int]:
    """Rows per table, leaving out the record of inbound events."""
    table = World(chat.router.engine).table_counts()
    table.pop("inboundevent")
    return table


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("lsit", "list"), ("pm lsit", "list"), ("/pm shwo WEB-1", "show"), ("halp", "help")],
)
def test_an_unknown_command_suggests_the_nearest(
    shared_chat: ConsoleChat, typed: str, meant: str
) -> None:
    reply = refused(shared_chat, "bob", typed)
    assert reply.error == "unknown_command"
    assert f"Did you mean `{meant}`?" in reply.text


def test_gibberish_points_at_help(shared_chat: ConsoleChat) -> None:
    reply = refused(shared_chat, "bob", "qwzx plorp")
    assert reply.text == "I didn't understand that. Type `help` to see what I can do."


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("add", COMMANDS["add"].usage),
        ("show", COMMANDS["show"].usage),
        ("done WEB-1 WEB-2", COMMANDS["done"].usage),
        ("assign WEB-1", COMMANDS["assign"].usage),
        ("status WEB-1", COMMANDS["status"].usage),
        ("status WEB-1 finished", COMMANDS["status"].usage),
        ("due WEB-1", COMMANDS["due"].usage),
        ("priority WEB-1 high", COMMANDS["priority"].usage),
        ("comment WEB-1", COMMANDS["comment"].usage),
        ("log WEB-1", COMMANDS["log"].usage),
        ("sub WEB-1", COMMANDS["sub"].usage),
        ("depend WEB-1", COMMANDS["depend"].usage),
        ("depend WEB-1 on WEB-2 zz", COMMANDS["depend"].usage),
        ("list mine !!", COMMANDS["list"].usage),
        ("project new WEB2", COMMANDS["project"].usage),
        ("project frobnicate", COMMANDS["project"].usage),
        ("member add WEB @dan", COMMANDS["member"].usage),
        ("channel", COMMANDS["channel"].usage),
        ("set tz", COMMANDS["set"].usage),
    ],
)
def test_missing_or_malformed_arguments_show_the_usage(
    shared_chat: ConsoleChat, text: str, usage: str
) -> None:
    before = counts(shared_chat)
    reply = refused(shared_chat, "bob", text)
    assert reply.error == "invalid_input"
    assert reply.text.endswith(f"usage: {usage}")
    assert counts(shared_chat) == before


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        ("log WEB-1 lots", "⚠️ 'lots' is not a duration", "log TASK 2h [note]"),
        ("log WEB-1 -2h", "⚠️ '-2h' is not a duration", "log TASK 2h [note]"),
        ("due WEB-1 2026-02-30", "⚠️ '2026-02-30' is not a valid date", "due TASK DATE|none"),
        ("priority WEB-1 9", "⚠️ priority is 1 (highest) to 4", "priority TASK 1"),
        ("set tz Mars/Base", "⚠️ unknown time zone 'Mars/Base'", COMMANDS["set"].usage),
        ("depend WEB-1 on WEB-1", "⚠️ WEB-1 cannot depend on itself", COMMANDS["depend"].usage),
    ],
)
def test_a_malformed_value_is_explained_with_the_usage(
    shared_chat: ConsoleChat, text: str, problem: str, usage: str
) -> None:
    before = counts(shared_chat)
    reply = refused(shared_chat, "bob", text)
    assert reply.error == "invalid_input"
    assert reply.text.startswith(problem)
    assert reply.text.endswith(f"usage: {usage}")
    assert counts(shared_chat) == before


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("show WEB-99", "task 'WEB-99' not found"),
        ("done web-42", "task 'WEB-42' not found"),
        ("show NOPE-1", "task 'NOPE-1' not found"),
        ("list NOPE", "project 'NOPE' not found"),
        ("add NOPE Fix it", "project 'NOPE' not found"),
        ("project show NOPE", "project 'NOPE' not found"),
        ("member list NOPE", "project 'NOPE' not found"),
    ],
)
def test_an_unknown_task_or_project_is_named(
    shared_chat: ConsoleChat, text: str, named: str
) -> None:
    reply = refused(shared_chat, "alice", text)
    assert reply.error == "not_found"
    assert reply.text.startswith(named)


def test_an_unknown_user_is_named(shared_chat: ConsoleChat) -> None:
    before = counts(shared_chat)
    # an adapter that cannot vouch for the mention (no platform id) must not invent a user
    reply = shared_chat.router.handle(
        Inbound(
            platform="console",
            tenant="local",
            user_id="alice",
            user_name="alice",
            text="assign WEB-1 @ghost",
            event_id="e-ghost",
        )
    )
    assert reply is not None
    assert reply.error == "not_found"
    assert reply.text.startswith("user 'ghost' not found")
    assert counts(shared_chat) == before


def test_a_mentioned_stranger_is_named_and_not_left_behind(shared_chat: ConsoleChat) -> None:
    before = counts(shared_chat)
    reply = refused(shared_chat, "alice", "assign WEB-1 @stranger")
    assert reply.text.startswith("⚠️ stranger is not a member of WEB")
    assert "member add WEB @stranger member" in reply.text
    # the stranger's user row, made on first sight, went with the failed command
    assert counts(shared_chat) == before


@pytest.mark.parametrize(
    ("who", "text", "needed"),
    [
        ("carol", "add WEB Sneaky", "you need the member role in WEB to create tasks"),
        ("carol", "log WEB-1 1h", "you need the member role in WEB to log time"),
        ("carol", "member list WEB", "you need the finance role in WEB to list members"),
        ("fred", "done WEB-1", "you need the member role in WEB to change tasks"),
        ("bob", "delete WEB-1", "you need the manager role in WEB to delete tasks"),
        ("bob", "member add WEB @carol member", "you need the manager role in WEB to add"),
        ("bob", "project archive WEB", "you need the manager role in WEB to archive"),
        ("outsider", "show WEB-1", "you need the guest role in WEB to read tasks"),
    ],
)
def test_a_permission_refusal_names_the_role_needed(
    shared_chat: ConsoleChat, who: str, text: str, needed: str
) -> None:
    before = counts(shared_chat)
    reply = refused(shared_chat, who, text)
    assert reply.error == "permission_denied"
    assert reply.text.startswith(needed)
    assert counts(shared_chat) == before


@pytest.mark.parametrize("extra", [1, 5000])
def test_text_over_4000_characters_is_refused_politely(
    shared_chat: ConsoleChat, extra: int
) -> None:
    before = counts(shared_chat)
    text = "add WEB " + "x" * (4000 - len("add WEB ") + extra)
    reply = refused(shared_chat, "bob", text)
    assert reply.text.startswith("That message is too long")
    assert "4000" in reply.text
    assert counts(shared_chat) == before


def test_text_of_exactly_4000_characters_is_read(chat: ConsoleChat) -> None:
    text = "comment WEB-1 " + "y" * (4000 - len("comment WEB-1 "))
    ok(chat, "bob", "add WEB Long comments")
    assert ok(chat, "bob", text).text == "Comment added to WEB-1."


def test_control_characters_and_direction_marks_are_stripped(chat: ConsoleChat) -> None:
    reply = ok(chat, "bob", "add WEB He\x00llo\x07 wo\u200brld\u202e\u2066!\x1b")
    assert reply.text == "Created WEB-1: Hello world!"
    (task,) = World(chat.router.engine).rows(Task)
    assert task.title == "Hello world!"


@pytest.mark.parametrize(
    "title",
    [
        "'; DROP TABLE task; --",
        "Robert'); DELETE FROM project WHERE ('1'='1",
        "🎉🚀 ship it 👩‍💻 مرحبا",
        "修复登录页面的 bug",
        "Fix Bob's page and Alice's",
        'Say "hello" \\ back',
        "x" * 500,
    ],
)
def test_hostile_titles_come_back_unharmed(shared_chat: ConsoleChat, title: str) -> None:
    world = World(shared_chat.router.engine)
    tasks = world.count(Task)
    created = ok(shared_chat, "bob", f"add WEB {title}").text
    key = created.removeprefix("Created ").split(":")[0]
    assert created == f"Created {key}: {title}"
    assert ok(shared_chat, "bob", f"show {key}").text == f"{key}: {title}"
    assert world.count(Task) == tasks + 1
    assert world.count(Project) == 1


def test_a_title_over_500_characters_is_refused(chat: ConsoleChat) -> None:
    reply = refused(chat, "bob", "add WEB " + "x" * 501)
    assert reply.text.startswith("⚠️ a task needs a title of 1 to 500 characters")
    assert World(chat.router.engine).count(Task) == 0


def test_a_failed_command_keeps_no_record_and_can_be_retried(chat: ConsoleChat) -> None:
    no = chat.say("carol", "add WEB Retry me", event_id="ev-1")
    assert no is not None
    assert no.error == "permission_denied"
    engine_world = World(chat.router.engine)
    assert engine_world.count(InboundEvent, col(InboundEvent.event_id) == "ev-1") == 0
    ok(chat, "alice", "member add WEB @carol member")
    again = chat.say("carol", "add WEB Retry me", event_id="ev-1")
    assert again is not None
    assert again.text == "Created WEB-1: Retry me"
    assert chat.say("carol", "add WEB Retry me", event_id="ev-1") is None
    assert engine_world.count(Task) == 1


NASTY = ["", "WEB-1", "WEB-0", "#0", "web-", "-", "@", "@@", "'", "\"'", "🎉", "9" * 40,
         "WEB-1 99999999999999999999", "WEB-1 -5", "WEB-1 nan", "WEB-1 on WEB-1",
         "WEB-1 2026-02-30", "WEB-1 on WEB-2 +9999d", "new W x", "add NOPE @x nope"]  # fmt: skip


def test_no_command_ever_answers_with_a_traceback(chat: ConsoleChat) -> None:
    ok(chat, "alice", "add WEB One @bob")
    ok(chat, "alice", "add WEB Two")
    for name in sorted(COMMANDS):
        for arg in NASTY:
            reply = chat.say("bob", f"{name} {arg}".strip())
            assert reply is not None
            assert reply.error != "internal", (name, arg, reply.text)
            assert "Traceback" not in reply.text


def test_every_name_and_alias_leads_to_exactly_one_command() -> None:
    owners: dict[str, list[str]] = {}
    for cmd in COMMANDS.values():
        assert cmd.usage.split()[0] == cmd.name, cmd.usage
        assert cmd.summary
        assert cmd.summary_zh
        for word in (cmd.name, *cmd.aliases):
            owners.setdefault(word.lower(), []).append(cmd.name)
    assert {word: names for word, names in owners.items() if len(names) > 1} == {}
