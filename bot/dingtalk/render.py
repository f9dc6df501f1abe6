"""A `Reply` in DingTalk's forms: markdown for messages, a parameter map for interactive cards.

DingTalk markdown is a small subset (no tables on phones, no code blocks in cards), so tables
become one line per row and fields a bulleted list. Button presses need an interactive card; in
plain markdown a button becomes a hint naming the command to send instead. The words we add
ourselves are Chinese unless the reply is for an English reader.

The card template (built once in DingTalk's card builder, see deploy/dingtalk/README.md) has
these string variables: `title`, `markdown`, `notice`, and for each button slot i in 0..3
`btn{i}_label`, `btn{i}_action`, `btn{i}_visible` ("true"/"false") and `btn{i}_style`
("primary"/"danger"/"default"). Each button posts back `{"action": "${btn{i}_action}"}`.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import Lang
from core.messages import Reply

MAX_BUTTONS = 4
TITLE_CHARS = 24
# groupMessages/send takes a msgParam of at most 15 000 bytes; leave room for the JSON around it.
MAX_MARKDOWN_BYTES = 12_000


def guess_lang(reply: Reply) -> Lang:
    """The reader's language as the reply shows it (the core already wrote it for them)."""
    return "en" if reply.text.isascii() else "zh"


def _title(reply: Reply, lang: Lang) -> str:
    first = next((line.strip(" #*>") for line in reply.text.splitlines() if line.strip()), "")
    if not first:
        return "pmbot"
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def _table_lines(table: list[list[str]]) -> list[str]:
    header, *rows = table
    lines: list[str] = []
    for row in rows:
        head = f"**{row[0]}**" if row and row[0] else ""
        rest = " · ".join(cell for cell in row[1:] if cell)
        lines.append(f"- {head} {rest}".rstrip())
    if not rows and header:
        lines.append("- " + " · ".join(header))
    return lines


# pmbot's own replies use no links, images or HTML, so brackets and angle brackets in them come
# from what people typed: shown as full-width, `[点此重新登录](http://evil)` is no live link in
# the bot's voice, and `<font>`/`<a>` are no markup.
_NEUTRAL = str.maketrans({"[": "［", "]": "］", "<": "＜", ">": "＞"})


def neutral(text: str) -> str:
    """Text with DingTalk markdown's link, image and HTML syntax made inert."""
    return text.translate(_NEUTRAL)


def body_markdown(reply: Reply) -> str:
    """The reply's text, fields and table as DingTalk markdown (no buttons, no mentions)."""
    lines = neutral(reply.text).splitlines()
    # Line breaks need two trailing spaces in DingTalk markdown; `•` bullets become list items.
    text = "  \n".join(_line(line) for line in lines)
    parts = [text]
    if reply.fields:
        parts.append(
            "\n".join(f"- **{neutral(label)}**：{neutral(value)}" for label, value in reply.fields)
        )
    # A multi-line text already says what its table says (task lists, digests); a one-line
    # heading needs the rows, one line each, since phones do not show markdown tables.
    if reply.table and len(lines) <= 1:
        table = [[neutral(cell) for cell in row] for row in reply.table]
        parts.append("\n".join(_table_lines(table)))
    return _clip("\n\n".join(p for p in parts if p))


def _line(line: str) -> str:
    if line.startswith("• "):
        return "- " + line[2:]
    if len(line) > 2 and line.startswith("*") and line.endswith("*") and "**" not in line:
        return f"*{line}*"  # Slack-style *heading* is bold in DingTalk only when doubled
    return line


def _clip(text: str) -> str:
    data = text.encode()
    if len(data) <= MAX_MARKDOWN_BYTES:
        return text
    return data[:MAX_MARKDOWN_BYTES].decode(errors="ignore") + "\n\n……"


def mention_line(ids: Iterable[str]) -> str:
    """`@id @id`: DingTalk only turns an `atUserIds` entry into an @ when the text names it."""
    seen = list(dict.fromkeys(i for i in ids if i))
    return " ".join(f"@{i}" for i in seen)


def to_markdown(
    reply: Reply, *, lang: Lang = "zh", mentions: Iterable[str] = ()
) -> tuple[str, str]:
    """`(title, text)` of a markdown message; buttons become hints, mentions a closing line."""
    text = body_markdown(reply)
    if reply.buttons:
        hint = "回复以下命令：" if lang == "zh" else "Reply with:"
        options = "　".join(f"`{b.action}`（{b.label}）" for b in reply.buttons)
        text += f"\n\n> {hint}{options}"
    line = mention_line([*reply.mentions, *mentions])
    if line:
        text += f"\n\n{line}"
    return _title(reply, lang), text


def to_card_params(reply: Reply, *, lang: Lang = "zh") -> dict[str, str]:
    """The card's `cardParamMap` (all strings, as the card API wants) for a reply."""
    params = {
        "title": _title(reply, lang),
        "markdown": body_markdown(reply),
        "notice": "",
    }
    params.update(button_params(reply))
    return params


def _card_action(action: str) -> str:
    """A card cannot pick a person: `assign KEY {user}` runs as `assign KEY`, whose answer says
    how to name them (`转交 KEY @某人`)."""
    return action.replace("{user}", "").strip()


def button_params(reply: Reply) -> dict[str, str]:
    """The button slots of a card: the reply's buttons, the rest hidden."""
    params: dict[str, str] = {}
    for i in range(MAX_BUTTONS):
        button = reply.buttons[i] if i < len(reply.buttons) else None
        params[f"btn{i}_label"] = button.label if button else ""
        params[f"btn{i}_action"] = _card_action(button.action) if button else ""
        params[f"btn{i}_style"] = button.style if button else "default"
        params[f"btn{i}_visible"] = "true" if button else "false"
    return params


def card_update(reply: Reply, *, lang: Lang = "zh") -> dict[str, str]:
    """The card parameters to change after a button press.

    A successful command replaces the card's body and buttons with its result; a refused one
    keeps the card as it was and shows why in `notice`.
    """
    if not reply.ok:
        return {"notice": body_markdown(reply)}
    return to_card_params(reply, lang=lang)
