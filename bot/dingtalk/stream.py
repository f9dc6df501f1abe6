"""The stream connection: dingtalk-stream's client with a reconnect loop that backs off and stops.

dingtalk-stream 0.24.3 (the release we pin) has three faults this module works around:

- after a clean server close it reconnects at once, in a tight loop (hundreds of connects a
  second); `PmbotStreamClient.start` replaces the loop with exponential backoff and jitter, reset
  whenever a frame arrives (tests/e2e/test_dingtalk_stream.py counts the connects);
- it swallows `CancelledError`, so it cannot be stopped; ours stops on `stop()` or cancellation;
- `open_connection` is a blocking `requests.post` without a timeout inside a coroutine; ours runs
  in a thread with a timeout.

It also reads `DINGTALK_OPENAPI_ENDPOINT` once, at import time, into several module globals.
pmbot must honour the setting whatever the import order, so `configure_sdk_endpoint` writes the
configured endpoint into those globals when the client is built (never at pmbot import time).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import platform
import random
import signal
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import requests
import structlog
import websockets
from dingtalk_stream import ChatbotMessage, Credential, DingTalkStreamClient
from dingtalk_stream.card_callback import Card_Callback_Router_Topic
from dingtalk_stream.version import VERSION_STRING

from bot.dingtalk.handlers import CARD_ACK_SECONDS, CardCallbackHandler, RobotMessageHandler
from bot.dingtalk.notifier import build_openapi
from bot.dingtalk.openapi import DEFAULT_ENDPOINT

if TYPE_CHECKING:
    from bot.app import App

log = structlog.get_logger(__name__)

OPEN_CONNECTION_PATH = "/v1.0/gateway/connections/open"


def configure_sdk_endpoint(endpoint: str | None) -> str:
    """Point dingtalk-stream's module globals at `endpoint` (default: api.dingtalk.com)."""
    import dingtalk_stream.card_replier
    import dingtalk_stream.chatbot
    import dingtalk_stream.stream
    import dingtalk_stream.utils

    base = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
    for module in (
        dingtalk_stream.utils,
        dingtalk_stream.stream,
        dingtalk_stream.chatbot,
        dingtalk_stream.card_replier,
    ):
        module.DINGTALK_OPENAPI_ENDPOINT = base
    DingTalkStreamClient.OPEN_CONNECTION_API = base + OPEN_CONNECTION_PATH
    return base


@dataclass
class Backoff:
    """Exponential backoff with jitter: `base * 2**n`, capped, each wait drawn from [½, 1]×."""

    base: float = 1.0
    cap: float = 60.0
    attempt: int = 0

    def next_delay(self) -> float:
        """The wait before the next connect, growing with each failure in a row."""
        ceiling = min(self.cap, self.base * (2**self.attempt))
        self.attempt = min(self.attempt + 1, 30)
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        """A frame arrived: the connection worked, so start again from `base`."""
        self.attempt = 0


class OpenConnectionError(RuntimeError):
    """The gateway did not hand out an endpoint and ticket."""


class PmbotStreamClient(DingTalkStreamClient):  # type: ignore[misc]  # the SDK is untyped
    """dingtalk-stream's client with a reconnect loop that backs off, and a way to stop it."""

    websocket: Any  # the SDK sends acks to whatever socket is current; None between connects

    def __init__(
        self,
        credential: Credential,
        *,
        endpoint: str,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
    ) -> None:
        super().__init__(credential, logger=logging.getLogger("pmbot.dingtalk.sdk"))
        self.endpoint = endpoint
        self.backoff = backoff or Backoff()
        self.open_timeout = open_timeout
        self.connects = 0
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the background, kept until done so `stop()` can wait for it."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dingtalk_task_failed", error=repr(task.exception()))

    async def stop(self) -> None:
        """Stop reconnecting and close the socket; `start()` returns soon after."""
        self._stop.set()
        ws = self.websocket
        if ws is not None:
            await ws.close()

    async def _close_on_stop(self, ws: Any) -> None:
        await self._stop.wait()
        await ws.close()

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for in-flight handlers (replies being posted), then cancel what is left."""
        if self._tasks:
            _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    def _open(self) -> dict[str, Any]:
        topics: list[dict[str, str]] = []
        if self._is_event_required:
            topics.append({"type": "EVENT", "topic": "*"})
        topics.extend({"type": "CALLBACK", "topic": t} for t in self.callback_handler_map)
        response = requests.post(
            self.endpoint + OPEN_CONNECTION_PATH,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"DingTalkStream/1.0 SDK/{VERSION_STRING} "
                f"Python/{platform.python_version()} pmbot",
            },
            data=json.dumps(
                {
                    "clientId": self.credential.client_id,
                    "clientSecret": self.credential.client_secret,
                    "subscriptions": topics,
                    "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union",
                    "localIp": self.get_host_ip(),
                }
            ),
            timeout=self.open_timeout,
        )
        if response.status_code != 200:
            raise OpenConnectionError(f"HTTP {response.status_code}")
        body = response.json()
        if not isinstance(body, dict) or not body.get("endpoint") or not body.get("ticket"):
            raise OpenConnectionError("no endpoint or ticket in the answer")
        return body

    async def start(self) -> None:
        """Connect, dispatch frames, and reconnect with backoff until `stop()`."""
        self.pre_start()
        while not self._stop.is_set():
            try:
                connection = await asyncio.to_thread(self._open)
                if self._stop.is_set():
                    break
                uri = f"{connection['endpoint']}?ticket={quote_plus(str(connection['ticket']))}"
                self.connects += 1
                # websockets' own pings (every 20 s, 20 s timeout) notice a dead socket, which
                # the SDK's keepalive (a ping every 60 s that never waits for the pong) cannot.
                async with websockets.connect(uri) as ws:
                    self.websocket = ws
                    log.info("dingtalk_connected", connects=self.connects)
                    # stop() may come while this socket was being opened: close it then too.
                    closer = asyncio.ensure_future(self._close_on_stop(ws))
                    try:
                        async for raw in ws:
                            self.backoff.reset()
                            self.spawn(self.background_task(json.loads(raw)))
                    finally:
                        closer.cancel()
                log.info("dingtalk_disconnected", code=ws.close_code)
            except (
                OSError,
                requests.RequestException,
                websockets.WebSocketException,
                OpenConnectionError,
                ValueError,
                TimeoutError,
            ) as exc:
                log.warning("dingtalk_connection_failed", error=repr(exc))
            except Exception:
                # A bug must not end the adapter for good; it is logged, then we reconnect.
                log.exception("dingtalk_connection_error")
            finally:
                self.websocket = None
            if self._stop.is_set():
                break
            delay = self.backoff.next_delay()
            log.info("dingtalk_reconnect_wait", seconds=round(delay, 2))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)


class DingTalkBot:
    """The DingTalk adapter of one app: the stream client, its handlers and the router."""

    def __init__(
        self,
        app: App,
        *,
        backoff: Backoff | None = None,
        card_ack_seconds: float = CARD_ACK_SECONDS,
    ) -> None:
        settings = app.settings
        if not settings.dingtalk_client_id or settings.dingtalk_client_secret is None:
            raise ValueError("DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET are needed")
        self.app = app
        self.backoff = backoff
        self.card_ack_seconds = card_ack_seconds
        self.client: PmbotStreamClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop_requested = False

    def run(self) -> None:
        """Connect and handle messages until `stop()` (blocking)."""
        asyncio.run(self._main())

    def stop(self) -> None:
        """Ask a running bot to stop; safe from any thread, before or after it started."""
        self._stop_requested = True
        loop, client = self._loop, self.client
        if loop is not None and client is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop finished meanwhile
                asyncio.run_coroutine_threadsafe(client.stop(), loop)

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait until the client exists (for callers that run `run()` in a thread)."""
        return self._ready.wait(timeout)

    async def _main(self) -> None:
        settings = self.app.settings
        assert settings.dingtalk_client_id
        assert settings.dingtalk_client_secret is not None
        endpoint = configure_sdk_endpoint(settings.dingtalk_openapi_endpoint)
        client = PmbotStreamClient(
            Credential(
                settings.dingtalk_client_id, settings.dingtalk_client_secret.get_secret_value()
            ),
            endpoint=endpoint,
            backoff=self.backoff,
        )
        api = build_openapi(settings)
        router = self.app.router
        client.register_callback_handler(
            ChatbotMessage.TOPIC, RobotMessageHandler(router, api, client.spawn)
        )
        client.register_callback_handler(
            Card_Callback_Router_Topic,
            CardCallbackHandler(router, api, client.spawn, self.card_ack_seconds),
        )
        self.client = client
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        if self._stop_requested:
            await client.stop()
        try:
            await client.start()
        finally:
            await client.drain()
            log.info("dingtalk_stopped", connects=client.connects)


def run_dingtalk(app: App) -> None:
    """Run the DingTalk adapter until SIGINT/SIGTERM (blocking); the scheduler runs elsewhere."""
    bot = DingTalkBot(app)
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: bot.stop())
    try:
        bot.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
