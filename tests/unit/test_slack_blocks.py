"""Block Kit rendering stays inside Slack's limits, checked by slack_sdk's own validators."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import Block

from bot.slack.blocks import MAX_MESSAGE_BLOCKS, fallback_text, mrkdwn, reply_blocks
from bot.slack.inbound import translate_text
from core.messages import Button, Reply


def assert_valid(blocks: list[dict[str, object]], limit: int = MAX_MESSAGE_BLOCKS) -> None:
    """Every block passes slack_sdk's validation, and there are at most `limit` of them."""
    assert len(blocks) <= limit
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_a_long_list_is_cut_to_fifty_blocks_with_a_more_line_and_keeps_its_buttons() -> None:
    lines = [f"WEB-{i} " + "a fairly long task title that goes on " * 3 for i in range(4000)]
    reply = Reply(
        text="\n".join(lines),
        fields=[(f"field {i}", "x" * 2500) for i in range(25)],
        buttons=[Button(f"button {i}", f"show WEB-{i}") for i in range(60)],
    )
    blocks = reply_blocks(reply)
    assert_valid(blocks)
    assert len(blocks) == MAX_MESSAGE_BLOCKS
    text = str(blocks)
    assert "more line(s) not shown" in text
    assert "show WEB-59" in text  # buttons survive the cut
    assert len(fallback_text(reply)) <= 3000


def test_a_single_enormous_line_is_split_into_valid_sections() -> None:
    blocks = reply_blocks(Reply(text="长" * 10_000))
    assert_valid(blocks)
    assert "".join(b["text"]["text"] for b in blocks) == "长" * 10_000


@pytest.mark.parametrize(
    ("action", "kind"),
    [("done WEB-1", "button"), ("assign WEB-1 {user}", "users_select")],
)
def test_buttons_carry_their_command_or_become_a_user_picker(action: str, kind: str) -> None:
    _text, actions = reply_blocks(Reply(text="t", buttons=[Button("L" * 100, action, "danger")]))
    [element] = actions["elements"]
    assert element["type"] == kind
    assert_valid([actions])
    if kind == "button":
        assert element["value"] == action
        assert element["style"] == "danger"
    else:
        assert action in element["action_id"]


def test_text_is_escaped_and_only_the_replys_own_people_become_mentions() -> None:
    assert mrkdwn("a < b & c > d, ask @U0BOB0001", ["U0BOB0001"]) == (
        "a &lt; b &amp; c &gt; d, ask <@U0BOB0001>"
    )
    # an id someone typed into a title is text, not a ping
    assert mrkdwn("ask @U0EVE0001", ["U0BOB0001"]) == "ask @U0EVE0001"
    assert mrkdwn("ask @U0BOB0001") == "ask @U0BOB0001"


def test_slack_markup_becomes_plain_text_with_certain_mentions() -> None:
    text, mentions = translate_text(
        "<@UBOT> 明天 <@U0BOB0001|bob> 看 <#C0WEB0001|web> &amp; <https://x.io/a|doc> <!here>",
        bot_user_id="UBOT",
    )
    assert text == "明天 @U0BOB0001 看 #web & https://x.io/a @here"
    assert mentions == {"U0BOB0001": "U0BOB0001"}


@pytest.mark.parametrize("name", ["manifest.yml", "manifest-http.yml"])
def test_the_manifests_declare_what_the_adapter_listens_for(name: str) -> None:
    from pathlib import Path

    from bot.slack.app import COMMAND, MESSAGE_SHORTCUT, NEW_TASK_SHORTCUT
    from bot.slack.modal import CALLBACK_ID
    from bot.slack.oauth import BOT_SCOPES

    text = (Path(__file__).resolve().parents[2] / "deploy" / "slack" / name).read_text()
    assert f"command: {COMMAND}\n" in text
    assert "should_escape: true" in text  # mentions arrive as <@U…> ids
    for callback in (NEW_TASK_SHORTCUT, MESSAGE_SHORTCUT):
        assert f"callback_id: {callback}\n" in text
    for event in (
        "app_mention",
        "message.im",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    ):
        assert f"- {event}\n" in text
    for scope in BOT_SCOPES:
        assert f"- {scope} " in text
    assert CALLBACK_ID not in text  # the modal's id is pmbot's own, not the manifest's
