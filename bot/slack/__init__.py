"""The Slack adapter: Socket Mode or HTTP, one workspace or many (OAuth), Block Kit replies.

The adapter only translates: Slack payloads become `Inbound`s for the router, `Reply`s become
Block Kit. Nothing here decides what a role may do or what a status means.

    run_slack(app, http=False, port=3000)     # blocking; Socket Mode needs SLACK_APP_TOKEN
    build_slack_notifier(settings, engine=e)  # the outbox's Notifier for platform "slack"
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from bot.slack.notifier import SlackNotifier, build_slack_notifier

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger(__name__)

__all__ = ["SlackNotifier", "build_slack_notifier", "run_slack"]


def run_slack(app: App, *, http: bool, port: int = 3000, host: str = "127.0.0.1") -> None:
    """Serve Slack until interrupted: HTTP mode on `host:port` (loopback by default, behind a
    TLS proxy), else Socket Mode.

    Registers a `SlackNotifier` as `app.notifiers["slack"]` if there is none yet, so the
    scheduler (started by the caller, before this blocks) can deliver Slack notifications.
    """
    from bot.slack.app import build_slack_app

    app.notifiers.setdefault("slack", build_slack_notifier(app.settings, engine=app.engine))
    adapter = build_slack_app(app)
    try:
        if http:
            from bot.slack.http import serve_http

            if app.settings.slack_signing_secret is None:
                raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
            log.info("slack_http_mode", host=host, port=port)
            serve_http(adapter, host=host, port=port)
        else:
            from bot.slack.socket import serve_socket_mode

            if app.settings.slack_app_token is None:
                raise ValueError("Socket Mode needs SLACK_APP_TOKEN (or run with --http)")
            log.info("slack_socket_mode")
            serve_socket_mode(adapter, app.settings.slack_app_token.get_secret_value())
    finally:
        adapter.close()
