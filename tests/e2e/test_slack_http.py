"""Slack in HTTP mode, end to end: signed requests in the shapes Slack sends, POSTed to pmbot's
real `/slack/events` endpoint (uvicorn on a free port), with the real slack-bolt and slack_sdk
talking to a local Slack Web API. Nothing of pmbot's is patched."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slack.notifier import build_slack_notifier
from core.clock import FixedClock
from core.messages import Button, DeliveryOutcome, Outgoing, Reply
from core.models import Identity, Task, TaskAssignee, User
from tests.fakes.slack_api import Call
from tests.fakes.slack_harness import CHANNEL, SlackHarness, fixture, unique

# Wednesday 25 November 2026, 10:00 in Shanghai.
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ALICE, BOB = "U0ALICE01", "U0BOB0001"


@pytest.fixture
def slack(engine: Engine) -> Iterator[SlackHarness]:
    """pmbot's HTTP endpoint in front of a fake Slack, on a fresh SQLite or PostgreSQL database."""
    with SlackHarness(engine, FixedClock(NOW)) as harness:
        yield harness


def tasks(engine: Engine) -> list[Task]:
    """Every task in the database."""
    with Session(engine) as session:
        return list(session.exec(select(Task).order_by(col(Task.id))).all())


def assignee_slack_ids(engine: Engine, task: Task) -> set[str]:
    """The Slack ids of a task's assignees."""
    with Session(engine) as session:
        rows = session.exec(
            select(Identity.external_id)
            .join(TaskAssignee, col(TaskAssignee.user_id) == col(Identity.user_id))
            .where(TaskAssignee.task_id == task.id, Identity.platform == "slack")
        ).all()
        return set(rows)


def view_of(call: Call) -> dict[str, Any]:
    """The view a views.open / views.publish call carried."""
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def block_texts(blocks: list[dict[str, Any]]) -> str:
    """All the text in a list of blocks, for assertions."""
    return json.dumps(blocks, ensure_ascii=False)


def test_slash_command_creates_a_task_and_the_reply_arrives(slack: SlackHarness) -> None:
    slack.setup_project()
    start = time.monotonic()
    response, method = slack.command(ALICE, "add WEB Write the weekly report <@U0BOB0001> p1")
    assert response.status_code == 200
    assert time.monotonic() - start < 3
    reply = slack.api.wait_for(method)[0].args
    assert "WEB-1" in reply["text"]
    assert reply["response_type"] == "ephemeral"
    assert "Write the weekly report" in block_texts(reply["blocks"])
    [task] = tasks(slack.engine)
    assert (task.key, task.title, task.priority) == ("WEB-1", "Write the weekly report", 1)
    assert assignee_slack_ids(slack.engine, task) == {BOB}
    with Session(slack.engine) as session:
        bob = session.exec(select(User).join(Identity).where(Identity.external_id == BOB)).one()
    # bob was mentioned, never wrote to pmbot: his name and zone came from users.info
    assert (bob.name, bob.timezone) == ("bob", "Asia/Shanghai")


def test_pm_alone_opens_the_modal_and_its_submission_creates_the_task(slack: SlackHarness) -> None:
    slack.setup_project()
    fields = slack.command_payload(ALICE, "")
    assert slack.post_form(fields).status_code == 200
    [opened] = slack.api.wait_for("views.open")
    assert opened.args["trigger_id"] == fields["trigger_id"]
    view = view_of(opened)
    assert view["callback_id"] == "pm_new_task"
    block_ids = [b["block_id"] for b in view["blocks"]]
    assert block_ids == [
        "title",
        "project",
        "assignees",
        "due_date",
        "due_time",
        "priority",
        "description",
    ]
    project = next(b for b in view["blocks"] if b["block_id"] == "project")
    assert project["element"]["initial_option"]["value"] == "WEB"  # the channel's project

    submission = fixture("view_submission")
    submission["view"].update(
        blocks=view["blocks"],
        private_metadata=view["private_metadata"],
        state={
            "values": {
                "title": {"value": {"type": "plain_text_input", "value": "Prepare the demo"}},
                "project": {
                    "value": {"type": "static_select", "selected_option": {"value": "WEB"}}
                },
                "assignees": {"value": {"type": "multi_users_select", "selected_users": [BOB]}},
                "due_date": {"value": {"type": "datepicker", "selected_date": "2026-11-27"}},
                "due_time": {"value": {"type": "timepicker", "selected_time": "16:30"}},
                "priority": {"value": {"type": "static_select", "selected_option": {"value": "2"}}},
                "description": {
                    "value": {"type": "plain_text_input", "value": "Slides and a dry run"}
                },
            }
        },
    )
    start = time.monotonic()
    response = slack.post_interaction(submission)
    assert response.status_code == 200
    assert response.content in (b"", b"null") or response.json() == {}  # closes the modal
    assert time.monotonic() - start < 3
    reply = slack.api.wait_for("response:" + fields["response_url"].rsplit("/", 1)[1])[0].args
    assert "WEB-1" in reply["text"]
    [task] = tasks(slack.engine)
    assert (task.title, task.priority, task.description) == (
        "Prepare the demo",
        2,
        "Slides and a dry run",
    )
    assert task.due_at == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)  # 16:30 in Shanghai
    assert assignee_slack_ids(slack.engine, task) == {BOB}


def test_app_mention_in_chinese_creates_a_task_due_at_the_right_time(slack: SlackHarness) -> None:
    slack.setup_project()
    payload = slack.mention_payload(ALICE, "明天下午3点前 <@U0BOB0001> 写周报")
    start = time.monotonic()
    response = slack.post_event(payload)
    assert response.status_code == 200
    assert time.monotonic() - start < 3
    [posted] = slack.api.wait_for("chat.postMessage")
    assert posted.args["channel"] == CHANNEL
    assert posted.args["thread_ts"] == payload["event"]["ts"]  # the reply lands in the thread
    assert "WEB-1" in posted.args["text"]
    [task] = tasks(slack.engine)
    assert task.title == "写周报"
    assert task.due_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # Thursday 15:00 in Shanghai
    assert assignee_slack_ids(slack.engine, task) == {BOB}


def test_an_event_delivered_twice_creates_one_task(slack: SlackHarness) -> None:
    slack.setup_project()
    payload = slack.mention_payload(ALICE, "明天 <@U0BOB0001> 更新文档")
    assert slack.post_event(payload).status_code == 200
    slack.api.wait_for("chat.postMessage")
    retry = slack.post_event(
        payload, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status_code == 200
    slack.adapter.drain()
    assert len(tasks(slack.engine)) == 1
    assert len(slack.api.calls("chat.postMessage")) == 1


@pytest.mark.parametrize(
    ("secret", "age"), [("not-the-secret", 0), (None, 600)], ids=["bad-signature", "stale"]
)
def test_a_bad_or_stale_signature_gets_401_and_changes_nothing(
    slack: SlackHarness, secret: str | None, age: int
) -> None:
    payload = slack.mention_payload(ALICE, "project new WEB Website")
    kwargs: dict[str, Any] = {"timestamp": int(time.time()) - age}
    if secret:
        kwargs["secret"] = secret
    response = slack.post_event(payload, **kwargs)
    assert response.status_code == 401
    slack.adapter.drain()
    assert slack.api.calls("chat.postMessage") == []
    with Session(slack.engine) as session:
        assert session.exec(select(User)).all() == []


def send_reminder(slack: SlackHarness) -> dict[str, Any]:
    """Post a reminder for WEB-1 through pmbot's notifier; returns the message as Slack keeps it."""
    notifier = build_slack_notifier(slack.settings)
    reminder = Reply(
        text="⏰ WEB-1 Ship the release is due in 1 hour",
        buttons=[
            Button("完成", "done WEB-1", style="primary"),
            Button("Reassign", "assign WEB-1 {user}"),
            Button("Open", "show WEB-1"),
        ],
    )
    sent = notifier.send(
        Outgoing(
            dedupe_key="task:1:reminder:1",
            kind="reminder",
            platform="slack",
            tenant="T0PMBOT01",
            target=CHANNEL,
            target_type="channel",
            reply=reminder,
            task_key="WEB-1",
        )
    )
    assert sent.outcome is DeliveryOutcome.SENT
    [message] = slack.api.posted(CHANNEL)
    return message


def test_done_on_a_reminder_closes_the_task_and_updates_the_message(slack: SlackHarness) -> None:
    slack.setup_project()
    slack.command_reply(ALICE, "add WEB Ship the release <@U0BOB0001>")
    message = send_reminder(slack)
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    done, picker, _open = actions["elements"]
    assert picker["type"] == "users_select"  # Reassign is a user picker
    press = slack.button_payload(
        BOB,
        channel=CHANNEL,
        message_ts=message["ts"],
        value=done["value"],
        action_id=done["action_id"],
    )
    start = time.monotonic()
    assert slack.post_interaction(press).status_code == 200
    assert time.monotonic() - start < 3
    [update] = slack.api.wait_for("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL, message["ts"])
    [task] = tasks(slack.engine)
    assert task.status == "done"
    [message] = slack.api.posted(CHANNEL)  # the same message, rewritten in place
    assert message.get("edited")
    assert "WEB-1" in message["text"]
    assert "reopen WEB-1" in block_texts(message["blocks"])


def test_reassign_picker_hands_the_task_to_the_picked_user(slack: SlackHarness) -> None:
    slack.setup_project()
    slack.command_reply(ALICE, "add WEB Ship the release")
    message = send_reminder(slack)
    [actions] = [b for b in message["blocks"] if b["type"] == "actions"]
    picker = actions["elements"][1]
    press = slack.button_payload(
        ALICE, channel=CHANNEL, message_ts=message["ts"], value="", action_id=picker["action_id"]
    )
    action = press["actions"][0]
    action.pop("value")
    action.pop("text")
    action.pop("style")
    action.update(type="users_select", selected_user=BOB, initial_user=None)
    assert slack.post_interaction(press).status_code == 200
    slack.api.wait_for("chat.update")
    [task] = tasks(slack.engine)
    assert assignee_slack_ids(slack.engine, task) == {BOB}


def test_message_shortcut_prefills_the_modal_and_the_task_links_back(slack: SlackHarness) -> None:
    slack.setup_project()
    shortcut = fixture("shortcut_message")
    shortcut["trigger_id"] = unique("1337.")
    assert slack.post_interaction(shortcut).status_code == 200
    [opened] = slack.api.wait_for("views.open")
    view = view_of(opened)
    title = next(b for b in view["blocks"] if b["block_id"] == "title")
    assert title["element"]["initial_value"] == "The login page breaks on Safari & Firefox"
    submission = fixture("view_submission")
    submission["view"].update(
        private_metadata=view["private_metadata"],
        state={
            "values": {
                "title": {
                    "value": {
                        "type": "plain_text_input",
                        "value": title["element"]["initial_value"],
                    }
                },
                "project": {
                    "value": {"type": "static_select", "selected_option": {"value": "WEB"}}
                },
                "priority": {"value": {"type": "static_select", "selected_option": {"value": "3"}}},
                "description": {"value": {"type": "plain_text_input", "value": "from Slack"}},
            }
        },
    )
    assert slack.post_interaction(submission).status_code == 200
    [thread_reply] = slack.api.wait_for("chat.postMessage")
    assert thread_reply.args["thread_ts"] == shortcut["message"]["ts"]  # announced in its thread
    [task] = tasks(slack.engine)
    assert task.source_ref == ("https://pmbot-test.slack.com/archives/C0WEB0001/p1764122000000300")


def test_global_shortcut_opens_the_new_task_modal(slack: SlackHarness) -> None:
    shortcut = fixture("shortcut_global")
    shortcut["trigger_id"] = unique("1337.")
    assert slack.post_interaction(shortcut).status_code == 200
    [opened] = slack.api.wait_for("views.open")
    assert opened.args["trigger_id"] == shortcut["trigger_id"]


def test_app_home_lists_my_tasks_with_buttons(slack: SlackHarness) -> None:
    slack.setup_project()
    slack.command_reply(ALICE, "add WEB Fix the login page <@U0ALICE01> due 2026-11-25 18:00")
    slack.command_reply(ALICE, "add WEB Plan the offsite <@U0ALICE01> due 2026-11-27")
    event = fixture("app_home_opened")
    event["event_id"] = unique("Ev")
    assert slack.post_event(event).status_code == 200
    [published] = slack.api.wait_for("views.publish")
    assert published.args["user_id"] == ALICE
    text = block_texts(view_of(published)["blocks"])
    assert "今天到期 (1)" in text
    assert "本周到期 (1)" in text
    assert "Fix the login page" in text
    assert "Plan the offsite" in text
    assert '"value": "done WEB-1"' in text


def test_direct_message_gets_an_answer_in_the_dm(slack: SlackHarness) -> None:
    event = fixture("message_im")
    event["event_id"] = unique("Ev")
    event["event"]["text"] = "whoami"
    assert slack.post_event(event).status_code == 200
    [posted] = slack.api.wait_for("chat.postMessage")
    assert posted.args["channel"] == "D0ALICE01"
    assert "alice" in posted.args["text"]
    assert not posted.args.get("thread_ts")
