"""Platform-neutral messages: what the bot says, and how notifications leave the building.

Adapters render a `Reply` in their own format (Block Kit, DingTalk markdown and cards, rich text
in the terminal). A `Notifier` delivers one outbox message and reports how it went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Button:
    """A button: `action` is a router command run when pressed (e.g. `done WEB-12`)."""

    label: str
    action: str
    style: str = "default"  # default | primary | danger


@dataclass(slots=True)
class Reply:
    """What the bot says back: text, optional label/value fields and buttons."""

    text: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    ok: bool = True
    error: str | None = None
    mentions: list[str] = field(default_factory=list)  # platform ids to @-mention
    table: list[list[str]] | None = None  # optional rows, first row is the header
    # The answer shows what not everyone in a shared channel may see (budget, comments,
    # history): adapters send it to the asker alone and post `pointer` where it was asked.
    private: bool = False
    pointer: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by `pmbot chat --json`."""
        return {
            "ok": self.ok,
            "text": self.text,
            "fields": [{"label": k, "value": v} for k, v in self.fields],
            "buttons": [{"label": b.label, "action": b.action} for b in self.buttons],
            "table": self.table,
            "error": self.error,
            "private": self.private,
        }


class DeliveryOutcome(StrEnum):
    """How a send went, as the outbox needs to know."""

    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # retry after `retry_after` seconds
    TRANSIENT = "transient"  # retry with backoff
    PERMANENT = "permanent"  # give up: dead letter
    UNKNOWN = "unknown"  # may or may not have arrived (timeout): reconcile before resending


@dataclass(frozen=True, slots=True)
class Delivery:
    """The result of one send."""

    outcome: DeliveryOutcome
    retry_after: float | None = None
    external_ref: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One outbox message on its way out."""

    dedupe_key: str
    kind: str
    platform: str
    tenant: str
    target: str
    target_type: str  # "channel" | "user"
    reply: Reply
    task_key: str | None = None


class Notifier(Protocol):
    """Sends outbox messages to one platform."""

    def send(self, message: Outgoing) -> Delivery:
        """Deliver `message`; never raise for platform errors, report them in the `Delivery`."""
        ...

    def find_sent(self, message: Outgoing) -> str | None:
        """If the platform can tell, the reference of an earlier send of this message, else None."""
        ...
