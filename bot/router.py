"""The router: one platform-neutral inbound message in, one `Reply` out.

Commands are `<command> ...`, optionally prefixed with `pm` or `/pm`; every command has a
Chinese alias. Anything that is not a command goes to the natural-language handler. Each message
is handled in one transaction, after recording its platform event id under a unique constraint,
so a failed command leaves nothing behind and a redelivered event changes nothing twice.
"""

from __future__ import annotations

import difflib
import re
import shlex
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.i18n import Lang, error_text, tr
from core.calendar import WorkCalendar
from core.clock import Clock
from core.errors import InvalidInput, PMError
from core.messages import Reply
from core.models import Identity, InboundEvent, User
from core.netpolicy import Network
from core.schemas import Actor
from core.services.calendars import organisation_calendar
from core.services.context import Ctx
from core.services.projects import channel_project_key
from core.services.users import ensure_user, resolve_user, to_actor
from core.timeutil import zone
from core.when import resolve_when
from storage.db import session_scope

log = structlog.get_logger(__name__)

MAX_TEXT = 4000
# Control characters, zero-width space, direction marks, embeddings and isolates, BOM. Not the
# zero-width (non-)joiners U+200C/U+200D: emoji sequences (👩‍💻) and several scripts need them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
TASK_REF = re.compile(r"^(?:#?\d+|[A-Za-z][A-Za-z0-9]{1,9}-\d+)$")
_PREFIX = re.compile(r"^\s*/?pm(?:\s+|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from any platform, translated by its adapter."""

    platform: str
    tenant: str
    user_id: str
    text: str
    channel_id: str = ""
    user_name: str | None = None
    thread_id: str | None = None
    event_id: str | None = None
    is_direct: bool = False
    channel_name: str = ""
    # handle (as written after @) -> platform user id the adapter knows for certain
    mention_ids: dict[str, str] = field(default_factory=dict)
    user_timezone: str | None = None
    user_locale: str | None = None


class NotACommand(Exception):  # a signal, not an error
    """Raised by a command handler to pass the message on to the natural-language handler."""


@dataclass
class Request:
    """A command being handled: the service context, the message and its arguments."""

    ctx: Ctx
    inbound: Inbound
    router: Router
    command: str
    args: list[str]
    rest: str
    lang: Lang
    default_project: str | None
    text: str = ""
    prepared: object = None  # what the natural-language handler prepared before the transaction

    @property
    def actor(self) -> Actor:
        """Who is acting."""
        return self.ctx.actor

    def user(self, handle: str) -> User:
        """Resolve an @mention to a user, asking rather than guessing."""
        return resolve_user(
            self.ctx.session,
            platform=self.inbound.platform,
            tenant=self.inbound.tenant,
            handle=handle,
            platform_ids=self.inbound.mention_ids,
            default_timezone=self.router.default_timezone,
            default_locale=self.router.default_language,
        )

    def when(self, text: str) -> tuple[date, datetime | None]:
        """Resolve a date/time argument in the actor's zone."""
        tz = zone(self.actor.timezone)
        return resolve_when(text, self.ctx.now.astimezone(tz), tz, self.calendar)

    @property
    def calendar(self) -> WorkCalendar:
        """The calendar dates in this message count on: the organisation's, with its entries."""
        return self.router.calendar or organisation_calendar(self.ctx.session)

    def t(self, en: str, zh: str, /, **kw: object) -> str:
        """Text in the actor's language."""
        return tr(self.lang, en, zh, **kw)


Handler = Callable[[Request], Reply]


@dataclass(frozen=True)
class Command:
    """A registered command with its aliases, usage and one-line summary in both languages."""

    name: str
    aliases: tuple[str, ...]
    usage: str
    summary: str
    summary_zh: str
    handler: Handler
    group: str = "tasks"
    takes_task: bool = False


COMMANDS: dict[str, Command] = {}
_BY_ALIAS: dict[str, Command] = {}


def command(
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    usage: str,
    summary: str,
    summary_zh: str,
    group: str = "tasks",
    takes_task: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a command handler under its name and aliases.

    `takes_task=True` marks a command whose first argument is a task key: when it is not one
    (`完成 季度报告`), the message is natural language rather than a malformed command.
    """

    def register(handler: Handler) -> Handler:
        cmd = Command(name, aliases, usage, summary, summary_zh, handler, group, takes_task)
        COMMANDS[name] = cmd
        for key in (name, *aliases):
            _BY_ALIAS[key.lower()] = cmd
        return handler

    return register


def lookup(word: str) -> Command | None:
    """The command a word names, by name or alias."""
    return _BY_ALIAS.get(word.lower())


def suggest(word: str) -> str | None:
    """The nearest command name to a mistyped one."""
    matches = difflib.get_close_matches(word.lower(), list(_BY_ALIAS), n=1, cutoff=0.6)
    return _BY_ALIAS[matches[0]].name if matches else None


def clean_text(text: str) -> str:
    """Strip control characters and direction marks; keep newlines and tabs."""
    return _CONTROL.sub("", text).strip()


def split_args(text: str) -> list[str]:
    """Split arguments like a shell when quotes balance, else on white space."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


NLHandler = Callable[[Request], Reply]


class Router:
    """Turns inbound messages into replies by calling the core services."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        calendar: WorkCalendar | None = None,  # None: the organisation's, read per message
        default_timezone: str = "UTC",
        default_language: str = "zh",
        natural_language: NLHandler | None = None,
        outbound_allow: tuple[Network, ...] = (),
    ) -> None:
        import bot.commands  # noqa: F401  # registers the command modules

        self.engine = engine
        self.clock = clock
        self.calendar = calendar
        self.default_timezone = default_timezone
        self.default_language = default_language
        self.natural_language = natural_language
        self.outbound_allow = outbound_allow  # networks user-set webhooks may reach (operators)

    def handle(self, inbound: Inbound) -> Reply | None:
        """Handle one message; None when the event was already handled (a redelivery)."""
        text = clean_text(inbound.text)
        lang: Lang = "zh" if (inbound.user_locale or self.default_language) == "zh" else "en"
        # Errors are answered in the sender's own language once it is known (set by _dispatch).
        said_in: list[Lang] = [lang]
        if len(text) > MAX_TEXT:
            return Reply(
                text=tr(
                    lang,
                    "That message is too long ({n} characters); please keep it under {max}.",
                    "消息太长了（{n} 个字符），请控制在 {max} 字以内。",
                    n=len(text),
                    max=MAX_TEXT,
                ),
                ok=False,
                error="invalid_input",
            )
        try:
            prepared = self._prepare(inbound, text)
            with session_scope(self.engine, immediate=True) as session:
                if inbound.event_id and not self._record_event(session, inbound):
                    return None
                reply = self._dispatch(session, inbound, text, said_in, prepared)
            if reply.private and not reply.pointer:
                reply.pointer = tr(
                    said_in[0],
                    "📩 I've answered you privately.",
                    "📩 已私信回复你。",
                )
            return reply
        except _Duplicate:
            return None
        except PMError as err:
            return Reply(text=error_text(said_in[0], err), ok=False, error=err.code)
        except IntegrityError:
            # Two people made the same change at the same instant; the database kept one.
            log.info("concurrent_change_refused", platform=inbound.platform)
            return Reply(
                text=tr(
                    said_in[0],
                    "Someone made the same change at the same moment; nothing was changed. "
                    "Look again and retry if it is still needed.",
                    "有人同时做了同样的修改，本次没有做任何改动。请刷新后视需要重试。",
                ),
                ok=False,
                error="conflict",
            )
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("command_failed", ref=ref, platform=inbound.platform)
            return Reply(
                text=tr(
                    said_in[0],
                    "Sorry, something went wrong on my side (ref {ref}). Nothing was changed.",
                    "抱歉，我这边出错了（编号 {ref}），没有做任何修改。",
                    ref=ref,
                ),
                ok=False,
                error="internal",
            )

    def _prepare(self, inbound: Inbound, text: str) -> object:
        """Parse natural language before the write transaction (an LLM may take seconds)."""
        prepare = getattr(self.natural_language, "prepare", None)
        if prepare is None or _PREFIX.match(text):
            return None
        first = text.split(maxsplit=1)[0] if text.strip() else ""
        if not first or lookup(first) is not None:
            return None
        with Session(self.engine) as session:
            timezone = session.exec(
                select(User.timezone)
                .join(Identity, col(Identity.user_id) == User.id)
                .where(
                    Identity.platform == inbound.platform,
                    Identity.tenant == inbound.tenant,
                    Identity.external_id == inbound.user_id,
                )
            ).first()
            calendar = self.calendar or organisation_calendar(session)
        zone_name = timezone or inbound.user_timezone or self.default_timezone
        return prepare(text, zone_name, self.clock.now(), calendar)

    def _record_event(self, session: Session, inbound: Inbound) -> bool:
        assert inbound.event_id is not None
        try:
            with session.begin_nested():
                session.add(
                    InboundEvent(
                        platform=inbound.platform,
                        tenant=inbound.tenant,
                        event_id=inbound.event_id[:200],
                        received_at=self.clock.now(),
                    )
                )
                session.flush()
        except IntegrityError:
            log.info("duplicate_event", platform=inbound.platform, event_id=inbound.event_id)
            raise _Duplicate from None
        return True

    def actor_for(self, session: Session, inbound: Inbound) -> Actor:
        """The pmbot user behind the sender (created on first sight)."""
        user = ensure_user(
            session,
            platform=inbound.platform,
            tenant=inbound.tenant,
            external_id=inbound.user_id,
            display_name=inbound.user_name,
            timezone=inbound.user_timezone,
            locale=inbound.user_locale,
            default_timezone=self.default_timezone,
            default_locale=self.default_language,
        )
        if not inbound.user_locale and user.locale not in ("zh", "en"):
            user.locale = self.default_language
        return to_actor(user, inbound.platform)

    def _dispatch(
        self,
        session: Session,
        inbound: Inbound,
        text: str,
        said_in: list[Lang],
        prepared: object = None,
    ) -> Reply:
        actor = self.actor_for(session, inbound)
        ctx = Ctx(session=session, actor=actor, clock=self.clock)
        lang: Lang = "zh" if actor.locale == "zh" else "en"
        said_in[0] = lang
        default_project = (
            channel_project_key(
                ctx, platform=inbound.platform, tenant=inbound.tenant, channel_id=inbound.channel_id
            )
            if inbound.channel_id
            else None
        )
        prefixed = bool(_PREFIX.match(text))
        body = _PREFIX.sub("", text, count=1).strip() if prefixed else text
        word, _, rest = body.partition(" ")
        if "\n" in word:
            word, _, more = word.partition("\n")
            rest = f"{more} {rest}".strip()
        req = Request(
            ctx=ctx,
            inbound=inbound,
            router=self,
            command=word.lower(),
            args=split_args(rest),
            rest=rest.strip(),
            lang=lang,
            default_project=default_project,
            text=body,
            prepared=prepared,
        )
        if not body:
            return COMMANDS["help"].handler(req)
        cmd = lookup(word)
        if cmd is not None:
            try:
                if cmd.takes_task and req.args and not TASK_REF.match(req.args[0]):
                    raise NotACommand
                return cmd.handler(req)
            except NotACommand:
                if prefixed or self.natural_language is None:
                    raise usage_error(req, cmd.name) from None
            except InvalidInput as err:
                # a malformed argument (`log WEB-1 lots`): say what was wrong, then how the
                # command is written, unless the error already shows a usage
                if "usage:" not in str(err):
                    usage = f"usage: {cmd.usage}"
                    err.hint = f"{err.hint}\n{usage}" if err.hint else usage
                    if err.hint_zh:
                        err.hint_zh = f"{err.hint_zh}\n{usage}"
                raise
        elif prefixed or (word.isascii() and word.isalpha() and not rest and suggest(word)):
            guess = suggest(word)
            if guess and (prefixed or self.natural_language is None):
                return Reply(
                    text=tr(
                        lang,
                        "I don't know the command {word!r}. Did you mean `{guess}`? "
                        "Try `help {guess}`.",
                        "我不认识命令 {word!r}。你是想用 `{guess}` 吗？试试 `帮助 {guess}`。",
                        word=word[:40],
                        guess=guess,
                    ),
                    ok=False,
                    error="unknown_command",
                )
        if self.natural_language is not None:
            return self.natural_language(req)
        return Reply(
            text=tr(
                lang,
                "I didn't understand that. Type `help` to see what I can do.",
                "我没看懂。输入 `帮助` 查看我能做什么。",
            ),
            ok=False,
            error="unknown_command",
        )


class _Duplicate(Exception):  # control flow, never shown
    pass


def usage_error(req: Request, name: str | None = None) -> InvalidInput:
    """An `InvalidInput` carrying a command's usage line."""
    cmd = (
        COMMANDS[name or req.command] if (name or req.command) in COMMANDS else lookup(req.command)
    )
    usage = cmd.usage if cmd else "help"
    return InvalidInput(
        req.t("missing or malformed arguments", "参数缺失或格式不对"), hint=f"usage: {usage}"
    )


def kwargs_from(req: Request) -> dict[str, Any]:
    """The `default_project` keyword every task service accepts."""
    return {"default_project": req.default_project}
