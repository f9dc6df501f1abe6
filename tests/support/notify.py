"""A small world for notification tests: people, projects, tasks, a clock and a chat that records.

Everything goes through the real services and the real sweep; only the chat platform is fake
(`RecordingChat` is a notifier that keeps a transcript and can be told to fail).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.calendar import year_table
from core.clock import FixedClock
from core.messages import Delivery, DeliveryOutcome, Outgoing
from core.models import Channel, Notification, User
from core.schemas import TaskDraft
from core.services import calendars, projects, tasks
from core.services.context import Ctx
from core.services.users import ensure_user, to_actor
from scheduler.sweep import SweepConfig, Sweeper, SweepResult
from storage.db import session_scope


def public_holidays_csv(years: range) -> str:
    """The public holidays of the incomplete Chinese `years`, as a schedule to import."""
    return "\n".join(
        f"{day.isoformat()},休,{label.zh}"
        for year in years
        if year_table("CN", year).incomplete
        for day, label in sorted(year_table("CN", year).days_off.items())
    )


@dataclass
class RecordingChat:
    """A fake chat platform: records every delivered message; `script` forces outcomes."""

    messages: list[Outgoing] = field(default_factory=list)
    script: list[Delivery] = field(default_factory=list)
    attempts: int = 0

    def send(self, message: Outgoing) -> Delivery:
        """Deliver (or fail as scripted)."""
        self.attempts += 1
        if self.script:
            outcome = self.script.pop(0)
            if outcome.error == "arrived, then timed out":
                self.messages.append(message)  # delivered, but the sender never heard back
                return outcome
            if outcome.outcome is not DeliveryOutcome.SENT:
                return outcome
        self.messages.append(message)
        return Delivery(DeliveryOutcome.SENT, external_ref=f"m{len(self.messages)}")

    def find_sent(self, message: Outgoing) -> str | None:
        """Whether this dedupe key was already delivered."""
        for i, m in enumerate(self.messages):
            if m.dedupe_key == message.dedupe_key:
                return f"m{i + 1}"
        return None

    def texts(self, kind: str | None = None, to: str | None = None) -> list[str]:
        """The texts said, optionally of one kind or to one target."""
        return [
            m.reply.text
            for m in self.messages
            if (kind is None or m.kind == kind) and (to is None or m.target == to)
        ]

    def clear(self) -> None:
        """Forget the transcript."""
        self.messages.clear()


class World:
    """People, projects and tasks made through the services, swept with a fixed clock."""

    def __init__(self, engine: Engine, now: datetime, *, calendar_notices: bool = False) -> None:
        self.engine = engine
        self.clock = FixedClock(now)
        self.chat = RecordingChat()
        self.users: dict[str, int] = {}
        # Unless a test is about them, the admin has supplied the coming years' schedules (the
        # public holidays as they stand), as a configured installation would: no weekly notice.
        self.calendar_notices = calendar_notices

    def supply_schedule(self, who: str, years: range) -> None:
        """`who` imports the public holidays of `years` as their official schedule."""
        schedule = public_holidays_csv(years)
        if schedule:
            with self.ctx(who) as ctx:
                calendars.import_schedule(ctx, schedule, "test set-up")

    @contextmanager
    def ctx(self, who: str) -> Iterator[Ctx]:
        """A service context acting as `who`, committed on exit."""
        with session_scope(self.engine) as session:
            user = session.get(User, self.users[who])
            assert user is not None
            yield Ctx(session, to_actor(user, "console"), self.clock)

    def user(
        self, name: str, *, tz: str = "Asia/Shanghai", locale: str = "zh", **prefs: Any
    ) -> int:
        """Create a user with a console identity named `name`."""
        with session_scope(self.engine) as session:
            user = ensure_user(
                session,
                platform="console",
                tenant="",
                external_id=name,
                display_name=name,
                timezone=tz,
                locale=locale,
            )
            for key, value in prefs.items():
                setattr(user, key, value)
            session.add(user)
            session.flush()
            assert user.id is not None
            self.users[name] = user.id
            first = len(self.users) == 1
        if first and not self.calendar_notices:
            now = self.clock.now()
            self.supply_schedule(name, range(now.year, now.year + 2))
        return self.users[name]

    def project(
        self,
        key: str,
        manager: str,
        *,
        members: tuple[str, ...] = (),
        tz: str = "Asia/Shanghai",
        calendar: str = "CN",
    ) -> None:
        """Create a project managed by `manager`, with `members` as members."""
        with self.ctx(manager) as ctx:
            projects.create_project(ctx, key, f"{key} project", timezone=tz, calendar=calendar)
            for name in members:
                projects.add_member(ctx, key, self.users[name], "member")

    def task(
        self,
        who: str,
        project: str,
        title: str,
        *,
        assignees: tuple[str, ...] = (),
        due_date: date | None = None,
        due_at: datetime | None = None,
        **extra: Any,
    ) -> str:
        """Create a task as `who`; return its key."""
        with self.ctx(who) as ctx:
            out = tasks.create_task(
                ctx,
                TaskDraft(
                    project_key=project,
                    title=title,
                    assignee_ids=[self.users[a] for a in assignees],
                    due_date=due_date,
                    due_at=due_at,
                    **extra,
                ),
            )
            return out.key

    def bind(
        self,
        who: str,
        project: str,
        channel: str,
        *,
        tz: str = "Asia/Shanghai",
        language: str = "zh",
        digest: str | None = "09:30",
    ) -> None:
        """Bind a console channel to a project with a digest time."""
        with self.ctx(who) as ctx:
            projects.bind_channel(ctx, project, platform="console", tenant="", channel_id=channel)
            row = ctx.session.exec(select(Channel).where(Channel.channel_id == channel)).one()
            row.timezone = tz
            row.language = language
            row.digest_time = digest
            ctx.session.add(row)

    def sweeper(self, **config: Any) -> Sweeper:
        """A sweeper sending to the recording chat."""
        return Sweeper(
            self.engine, {"console": self.chat}, self.clock, config=SweepConfig(**config)
        )

    def sweep(self, at: datetime | None = None, **config: Any) -> SweepResult:
        """Move the clock to `at` (if given) and run one sweep."""
        if at is not None:
            self.clock.set(at)
        return self.sweeper(**config).sweep()

    def rows(self, **where: Any) -> list[Notification]:
        """Outbox rows matching the given column values."""
        with session_scope(self.engine) as session:
            query = select(Notification)
            for key, value in where.items():
                query = query.where(getattr(Notification, key) == value)
            return list(session.exec(query.order_by(Notification.id)).all())
