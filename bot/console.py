"""The terminal chat: the router with a keyboard and a screen, and a transcript for tests.

`ConsoleChat` is both the interactive console (`pmbot chat`) and, without a terminal, the
`FakeChat` the tests talk through: `chat.say("alice", "project new WEB Website")`.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.router import Inbound, Router
from core.messages import Delivery, DeliveryOutcome, Outgoing, Reply

PLATFORM = "console"
TENANT = "local"


@dataclass
class Line:
    """One line of a transcript: who said it, where, and the reply or notification."""

    speaker: str
    channel: str
    text: str
    reply: Reply | None = None


@dataclass
class ConsoleChat:
    """Talks to the router as named users in named channels, keeping a transcript."""

    router: Router
    console: Console | None = None
    transcript: list[Line] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: int = 0

    def say(
        self,
        user: str,
        text: str,
        *,
        channel: str = "terminal",
        event_id: str | None = None,
        direct: bool = False,
    ) -> Reply | None:
        """Send `text` as `user`; returns the bot's reply (None for a duplicate event)."""
        with self._lock:
            self._counter += 1
            seq = self._counter
        mentions = {h: h for h in _handles(text)}
        inbound = Inbound(
            platform=PLATFORM,
            tenant=TENANT,
            user_id=user,
            user_name=user,
            text=text,
            channel_id=channel,
            channel_name=channel,
            # unique across processes: `pmbot chat -c` makes a new console per command, and a
            # reused counter and object id made later commands look like redeliveries
            event_id=event_id or f"console-{seq}-{uuid.uuid4().hex}",
            is_direct=direct,
            mention_ids=mentions,
        )
        self.transcript.append(Line(user, channel, text))
        reply = self.router.handle(inbound)
        if reply is not None:
            self.transcript.append(Line("pmbot", channel, reply.text, reply))
            if self.console is not None:
                self.show(reply)
        return reply

    def show(self, reply: Reply) -> None:
        """Print a reply on the terminal with colours and tables."""
        assert self.console is not None
        style = "green" if reply.ok else "yellow"
        text = reply.text
        if reply.table:
            text = text.split("\n", 1)[0]
        self.console.print(text, style=style, markup=False, highlight=False)
        if reply.table:
            # cells are escaped: a title like `[/bold]` is shown, never interpreted as markup
            table = Table(*(escape(h) for h in reply.table[0]), show_lines=False)
            for row in reply.table[1:]:
                table.add_row(*(Text(cell) for cell in row))
            self.console.print(table)
        for label, value in reply.fields:
            self.console.print(f"  {label}: {value}", markup=False, highlight=False)
        if reply.buttons:
            buttons = "  ".join(f"[{b.label}: {b.action}]" for b in reply.buttons)
            self.console.print(buttons, style="cyan", markup=False, highlight=False)

    # The console is also a Notifier: notifications are printed and kept in the transcript.
    def send(self, message: Outgoing) -> Delivery:
        """Deliver a notification to the terminal."""
        self.transcript.append(Line("pmbot", message.target, message.reply.text, message.reply))
        if self.console is not None:
            self.console.print(f"🔔 → {message.target}", style="magenta", markup=False)
            self.show(message.reply)
        return Delivery(DeliveryOutcome.SENT, external_ref=message.dedupe_key)

    def find_sent(self, message: Outgoing) -> str | None:
        """The console knows every send it made."""
        for line in self.transcript:
            if (
                line.reply is not None
                and line.channel == message.target
                and line.text == message.reply.text
            ):
                return message.dedupe_key
        return None

    def said(self) -> list[str]:
        """Everything pmbot said, in order (replies and notifications)."""
        return [line.text for line in self.transcript if line.speaker == "pmbot"]


def _handles(text: str) -> list[str]:
    import re

    # `@li.na` keeps its dot; `@bob.` ends a sentence
    return [h.rstrip(".") for h in re.findall(r"@([^\s@,，。;；:：!！?？()（）<>]+)", text)]


def interactive(chat: ConsoleChat, user: str, channel: str, stream: TextIO | None = None) -> int:
    """Read commands from the terminal until EOF or `quit`."""
    import contextlib

    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  # line editing and history for input()
    console = chat.console or Console()
    chat.console = console
    console.print(
        f"pmbot terminal chat, as [bold]{escape(user)}[/bold] in #{escape(channel)}. "
        "Type `help` (or `帮助`), `as NAME` to switch user, `quit` to leave."
    )
    while True:
        try:
            line = input(f"{user}> ") if stream is None else stream.readline()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if stream is not None and not line:
            return 0
        line = line.strip()
        if not line:
            continue
        if line in ("quit", "exit", "退出"):
            return 0
        if line.startswith("as ") and len(line.split()) == 2:
            user = line.split()[1].lstrip("@")
            console.print(f"now speaking as {user}", markup=False)
            continue
        chat.say(user, line, channel=channel)
