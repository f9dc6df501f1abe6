"""`pmbot run`: pick the adapters the environment has credentials for, start the scheduler."""

from __future__ import annotations

import argparse
import os

import structlog

from bot.app import build_app
from bot.logs import configure_logging
from bot.settings import Settings

log = structlog.get_logger(__name__)


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run pmbot until interrupted; the terminal chat when no platform is configured."""
    configure_logging(settings.log_level, json=settings.log_json)
    app = build_app(settings)
    try:
        from bot.console import ConsoleChat, interactive

        chat = ConsoleChat(app.router)
        app.notifiers.setdefault("console", chat)
        user = getattr(args, "as_user", None) or os.environ.get("USER") or "me"
        return interactive(chat, user, getattr(args, "channel", "terminal"))
    finally:
        app.close()
