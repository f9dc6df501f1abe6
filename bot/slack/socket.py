"""Socket Mode: Slack pushes events over a websocket pmbot opens, so no public URL is needed.

The connection URL comes from `apps.connections.open` (with the `xapp-` app-level token) through
the same Web API base URL as everything else, so a test or a proxy can stand in for Slack.
slack_sdk's built-in client reconnects on its own and pings every few seconds.
"""

from __future__ import annotations

import signal
import threading

import structlog
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.slack.app import SlackAdapter

log = structlog.get_logger(__name__)

PING_INTERVAL = 5.0


def socket_handler(adapter: SlackAdapter, app_token: str) -> SocketModeHandler:
    """A Socket Mode handler for the adapter's Bolt app (call `.connect()` / `.close()`)."""
    return SocketModeHandler(
        adapter.bolt, app_token=app_token, ping_interval=PING_INTERVAL, concurrency=10
    )


def serve_socket_mode(
    adapter: SlackAdapter, app_token: str, *, stop: threading.Event | None = None
) -> None:
    """Connect and stay connected until interrupted (or until `stop` is set)."""
    handler = socket_handler(adapter, app_token)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        # A container stop sends SIGTERM: leave the loop so queued replies still go out.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    handler.connect()  # type: ignore[no-untyped-call]  # Bolt leaves connect() unannotated
    log.info("slack_socket_mode_connected")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        log.info("slack_socket_mode_interrupted")
    finally:
        handler.close()  # type: ignore[no-untyped-call]  # Bolt leaves close() unannotated
