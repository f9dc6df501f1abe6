"""The composition root: settings → database → router → adapters and scheduler.

Nothing here runs at import time; `build_app` is called once by the CLI (or by a test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.engine import Engine

from bot.router import Router
from bot.settings import Settings
from core.clock import Clock, SystemClock
from core.messages import Notifier
from storage.db import make_engine
from storage.migrate import upgrade

log = structlog.get_logger(__name__)


@dataclass
class App:
    """Everything a running pmbot is made of."""

    settings: Settings
    engine: Engine
    clock: Clock
    router: Router
    notifiers: dict[str, Notifier] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def slack_configured(settings: Settings) -> bool:
    """True when the environment holds enough to connect to Slack."""
    return bool(
        settings.slack_bot_token or (settings.slack_client_id and settings.slack_client_secret)
    )


def dingtalk_configured(settings: Settings) -> bool:
    """True when the environment holds a DingTalk app's credentials."""
    return bool(settings.dingtalk_client_id and settings.dingtalk_client_secret)


def build_notifiers(settings: Settings, engine: Engine, clock: Clock) -> dict[str, Notifier]:
    """A notifier per configured platform, for the outbox sweep."""
    notifiers: dict[str, Notifier] = {}
    if slack_configured(settings):
        from bot.slack import build_slack_notifier

        notifiers["slack"] = build_slack_notifier(settings, engine=engine)
    if dingtalk_configured(settings):
        from bot.dingtalk.notifier import build_dingtalk_notifier, channel_webhooks

        notifiers["dingtalk"] = build_dingtalk_notifier(
            settings, clock=clock, webhook_for=channel_webhooks(engine)
        )
    return notifiers


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    migrate: bool = True,
) -> App:
    """Build the database (upgrading its schema), the router and the natural-language handler."""
    engine = engine or make_engine(settings.resolved_database_url)
    if migrate:
        upgrade(engine)
    clock = clock or SystemClock()
    router = Router(
        engine,
        clock,
        default_timezone=settings.timezone,
        default_language=settings.language,
        natural_language=natural_language_handler(settings),
        outbound_allow=settings.outbound_networks,
    )
    log.info("app_built", database=engine.dialect.name)
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        router=router,
        notifiers=build_notifiers(settings, engine, clock),
    )


def natural_language_handler(settings: Settings) -> Any:
    """The handler for messages that are not commands (the parser, with the LLM if set)."""
    try:
        from bot.commands.natural import make_handler
    except ImportError:
        return None
    return make_handler(settings)
