"""`pmbot run`: connect to the platforms the environment has credentials for, run the scheduler.

With no Slack or DingTalk credentials pmbot opens the terminal chat on the embedded default.
With both, DingTalk's stream runs in a thread beside Slack.
"""

from __future__ import annotations

import argparse
import os
import threading
from typing import Any

import structlog

from bot.app import App, build_app, dingtalk_configured, slack_configured
from bot.logs import configure_logging
from bot.settings import Settings

log = structlog.get_logger(__name__)


def start_scheduler(app: App, args: argparse.Namespace) -> Any:
    """Start the background sweep in this process unless it is switched off."""
    if not app.settings.scheduler_enabled or getattr(args, "no_scheduler", False):
        log.info("scheduler_disabled")
        return None
    from scheduler.loop import build_scheduler

    scheduler = build_scheduler(app.engine, app.notifiers, app.clock, app.settings)
    scheduler.start()
    log.info("scheduler_started", interval=app.settings.sweep_seconds)
    return scheduler


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run pmbot until interrupted."""
    slack = slack_configured(settings)
    dingtalk = dingtalk_configured(settings)
    terminal = not (slack or dingtalk)
    configure_logging(
        "WARNING" if terminal and settings.log_level == "INFO" else settings.log_level,
        json=settings.log_json,
        secrets=settings.secret_values(),
    )
    app = build_app(settings)
    chat = None
    if terminal:
        from bot.console import ConsoleChat

        chat = ConsoleChat(app.router)
        app.notifiers["console"] = chat
    scheduler = start_scheduler(app, args)
    try:
        if chat is not None:
            from bot.console import interactive

            user = getattr(args, "as_user", None) or os.environ.get("USER") or "me"
            return interactive(chat, user, getattr(args, "channel", "terminal"))
        if slack and dingtalk:
            from bot.dingtalk.stream import run_dingtalk

            threading.Thread(target=run_dingtalk, args=(app,), name="dingtalk", daemon=True).start()
        if slack:
            from bot.slack import run_slack

            run_slack(
                app,
                http=bool(getattr(args, "http", False)),
                port=getattr(args, "port", 3000),
                host=getattr(args, "host", "127.0.0.1"),
            )
        else:
            from bot.dingtalk.stream import run_dingtalk

            run_dingtalk(app)
        return 0
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        app.close()
