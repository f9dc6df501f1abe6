"""Render a platform-neutral `Reply` as Slack Block Kit, always within Slack's limits.

Limits (docs.slack.dev/reference/block-kit/blocks): 50 blocks a message (100 in a modal or App
Home), 3,000 characters of section text, 10 section fields of 2,000 characters, 25 elements an
actions block, button text 75 and value 2,000 characters, action_id 255. A reply that would break
one is cut with a visible "more" line rather than rejected by the API.

Buttons carry their router command in `value`; a button whose command contains `{user}` becomes a
user picker (Reassign), the picked user's id replacing `{user}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from core.messages import Button, Reply

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_ACTIONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000

BUTTON_ACTION = "pm_button"  # action_ids are `pm_button:<n>`; Bolt matches them by this prefix
PICKER_ACTION = "pm_pick"  # user pickers: `pm_pick:<command template>`
USER_PLACEHOLDER = "{user}"

_SLACK_USER_ID = re.compile(r"(?<![<\w])@([UW][A-Z0-9]{6,})\b")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, mentions: Iterable[str] = ()) -> str:
    """Our text as Slack mrkdwn: escaped, and `@U123` turned into a real mention only for the
    people pmbot itself means to mention (`Reply.mentions`), never for ids in user text."""
    allowed = set(mentions)
    escaped = escape(text)
    if not allowed:
        return escaped
    return _SLACK_USER_ID.sub(
        lambda m: f"<@{m.group(1)}>" if m.group(1) in allowed else m.group(0), escaped
    )


def fallback_text(reply: Reply) -> str:
    """The plain `text` of a message: notifications and screen readers show it, and Slack reads
    it as mrkdwn too, so it is escaped (`<!channel>` in a title stays text)."""
    text = escape(reply.text.strip()) or " "
    if len(text) > MAX_FALLBACK_TEXT:
        text = text[: MAX_FALLBACK_TEXT - 1] + "…"
    return text


def _chunks(text: str, size: int) -> list[str]:
    """Split text into pieces of at most `size` characters, at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:  # a single line longer than a section
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def button_element(button: Button, index: int, *, prefix: str = "") -> dict[str, Any] | None:
    """One Block Kit element for a `Button`: a button, or a user picker for `{user}` commands."""
    if USER_PLACEHOLDER in button.action:
        action_id = f"{PICKER_ACTION}:{button.action}"
        if len(action_id) > 255:
            return None
        return {
            "type": "users_select",
            "action_id": action_id,
            "placeholder": {"type": "plain_text", "text": _clip(button.label, 150)},
        }
    if len(button.action) > MAX_BUTTON_VALUE:
        return None  # a command this long cannot be a button; dropping it beats an API error
    element: dict[str, Any] = {
        "type": "button",
        "action_id": f"{BUTTON_ACTION}:{prefix}{index}",
        "text": {"type": "plain_text", "text": _clip(button.label, MAX_BUTTON_TEXT), "emoji": True},
        "value": button.action,
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


def actions_blocks(buttons: list[Button], *, prefix: str = "") -> list[dict[str, Any]]:
    """Actions blocks holding `buttons`, 25 to a block."""
    elements = [
        e for i, b in enumerate(buttons) if (e := button_element(b, i, prefix=prefix)) is not None
    ]
    return [
        {"type": "actions", "elements": elements[i : i + MAX_ACTIONS]}
        for i in range(0, len(elements), MAX_ACTIONS)
    ]


def reply_blocks(reply: Reply, *, max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """Block Kit blocks for a reply: text sections, fields, then buttons, at most `max_blocks`."""
    text_blocks = [
        _section(chunk)
        for chunk in _chunks(mrkdwn(reply.text, reply.mentions), MAX_SECTION_TEXT)
    ]
    field_blocks = []
    fields = [
        {
            "type": "mrkdwn",
            "text": _clip(f"*{escape(k)}*\n{mrkdwn(v, reply.mentions)}", MAX_FIELD_TEXT),
        }
        for k, v in reply.fields
    ]
    for i in range(0, len(fields), MAX_FIELDS):
        field_blocks.append({"type": "section", "fields": fields[i : i + MAX_FIELDS]})
    tail = field_blocks + actions_blocks(reply.buttons)
    # The buttons and fields matter more than the end of a long list: keep them, cut the text.
    tail = tail[: max(0, max_blocks - 2)]
    room = max_blocks - len(tail)
    if len(text_blocks) > room:
        shown = text_blocks[: room - 1]
        hidden_lines = sum(b["text"]["text"].count("\n") + 1 for b in text_blocks[room - 1 :])
        more = (
            f"… {hidden_lines} more line(s) not shown (还有 {hidden_lines} 行未显示). "
            "Narrow the list, e.g. `list mine` or `list overdue`."
        )
        text_blocks = [*shown, {"type": "context", "elements": [{"type": "mrkdwn", "text": more}]}]
    return text_blocks + tail
