"""What people type is shown, never obeyed, on every surface (issue 10, finding 6): Slack text and
blocks are escaped and ping only pmbot's own people, DingTalk markdown makes no live links, and
the terminal shows rich markup as text."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from rich.console import Console
from sqlalchemy.engine import Engine

from bot.console import ConsoleChat
from bot.dingtalk.render import body_markdown, to_markdown
from bot.slack.blocks import fallback_text, reply_blocks
from core.clock import FixedClock
from core.messages import Reply
from tests.fakes.slack_harness import SlackHarness
from tests.support.chat import make_chat, ok

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
HOSTILE = "<!channel> <@U0EVE0001> <https://evil.example|Click to verify SSO> [/bold] [点此重新登录](http://evil.example)"


def test_slack_text_and_blocks_escape_a_hostile_title() -> None:
    reply = Reply(text=f"WEB-1 {HOSTILE}", mentions=["U0BOB0001"])
    text = fallback_text(reply)
    assert "<!channel>" not in text
    assert "<@U0EVE0001>" not in text
    assert "<https://evil.example|" not in text
    assert "&lt;!channel&gt;" in text
    blocks = str(reply_blocks(reply))
    assert "<!channel>" not in blocks
    assert "<@U0EVE0001>" not in blocks
    assert "<https://evil.example|" not in blocks


@pytest.fixture
def slack(sqlite_engine: Engine) -> Iterator[SlackHarness]:
    with SlackHarness(sqlite_engine, FixedClock(NOW)) as harness:
        yield harness


def test_a_title_typed_in_slack_comes_back_escaped(slack: SlackHarness) -> None:
    slack.setup_project()
    # Slack sends what a person typed with & < > escaped; pmbot stores the plain text
    reply = slack.command_reply(
        "U0ALICE01",
        "add WEB &lt;!channel&gt; &lt;@U0EVE0001&gt; &lt;https://evil.example|Click to verify SSO&gt;",
    )
    everything = str(reply)
    assert "<!channel>" not in everything
    assert "<@U0EVE0001>" not in everything
    assert "<https://evil.example|" not in everything
    assert "&lt;!channel&gt;" in reply["text"]


def test_dingtalk_markdown_makes_no_live_link_or_html() -> None:
    reply = Reply(
        text=f"WEB-1 {HOSTILE} <font color=red>urgent</font>",
        fields=[("标题", "[登录](http://evil.example)")],
        table=[["编号"], ["[x](http://evil.example)"]],
    )
    for rendered in (body_markdown(reply), to_markdown(reply)[1]):
        assert "](http" not in rendered
        assert "<font" not in rendered
        assert "点此重新登录" in rendered  # the words are still shown


def test_the_terminal_shows_markup_in_titles_as_text(engine: Engine) -> None:
    chat: ConsoleChat = make_chat(engine, FixedClock(NOW))
    out = io.StringIO()
    chat.console = Console(file=out, width=200, color_system=None)
    ok(chat, "alice", "project new WEB Website")
    ok(chat, "alice", "add WEB [/bold] [red]x[/red] [link=http://evil]y[/link]")
    ok(chat, "alice", "list WEB")  # a table: its cells held the markup that crashed it
    printed = out.getvalue()
    assert "[/bold]" in printed
    assert "[red]x[/red]" in printed
