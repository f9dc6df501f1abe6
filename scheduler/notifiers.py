"""Notifiers the scheduler can use without any chat SDK: the terminal one.

Slack and DingTalk notifiers live with their adapters and are handed in by the composition root.
"""

from __future__ import annotations

import threading
from typing import TextIO

from core.messages import Delivery, DeliveryOutcome, Outgoing


class PrintNotifier:
    """Writes each message to a text stream (the terminal); it always arrives."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._sent: dict[str, str] = {}
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> Delivery:
        """Print the message: who it is for, its text and its buttons."""
        to = f"@{message.target}" if message.target_type == "user" else f"#{message.target}"
        lines = [f"[{message.kind} → {to}] {message.reply.text}"]
        lines.extend(f"  {label}: {value}" for label, value in message.reply.fields)
        if message.reply.buttons:
            lines.append(
                "  " + "  ".join(f"[{b.label}: {b.action}]" for b in message.reply.buttons)
            )
        with self._lock:
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()
            ref = f"console:{len(self._sent) + 1}"
            self._sent[message.dedupe_key] = ref
        return Delivery(DeliveryOutcome.SENT, external_ref=ref)

    def find_sent(self, message: Outgoing) -> str | None:
        """The reference of an earlier print of this message in this process, if any."""
        with self._lock:
            return self._sent.get(message.dedupe_key)
