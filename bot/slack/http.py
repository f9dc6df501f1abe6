"""HTTP mode: Slack's Events API, slash commands and interactivity on one ASGI endpoint.

`POST /slack/events` takes everything Slack sends (signed; bad or stale signatures get 401 from
Bolt's request verification); `GET /slack/install` and `/slack/oauth_redirect` run the install
flow when OAuth is configured; `GET /health` answers 200 for load balancers.

Bolt's own ASGI handler calls the synchronous `App.dispatch` on the event loop, so one slow
request stalls every other; this one runs each dispatch on a thread pool instead.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
import uvicorn
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.app import SlackAdapter

EVENTS_PATH = "/slack/events"
DISPATCH_THREADS = 64
# Slack's own payloads are a few KB; a body is read at most this far, before any verification.
MAX_BODY_BYTES = 1024 * 1024

log = structlog.get_logger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """Bolt's ASGI handler with `dispatch` moved off the event loop onto a thread pool."""

    def __init__(self, adapter: SlackAdapter, pool: ThreadPoolExecutor) -> None:
        super().__init__(adapter.bolt, path=EVENTS_PATH)
        self._pool = pool

    async def _run(
        self, fn: Callable[[BoltRequest], BoltResponse], request: AsgiHttpRequest
    ) -> BoltResponse:
        try:
            bolt_request = BoltRequest(
                body=await request.get_raw_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            # Bolt parses the body before it verifies the signature: unreadable input is the
            # sender's fault, answered in one line, never with a traceback.
            log.warning("slack_http_bad_request", error=type(exc).__name__)
            return BoltResponse(status=400, body="bad request")
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, bolt_request)

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        """Run Bolt's dispatch (verification, ack) on a worker thread."""
        return await self._run(self.app.dispatch, request)

    async def handle_installation(self, request: AsgiHttpRequest) -> BoltResponse:
        """The "Add to Slack" page of the OAuth flow."""
        assert self.app.oauth_flow is not None  # Bolt routes here only when OAuth is set up
        return await self._run(self.app.oauth_flow.handle_installation, request)

    async def handle_callback(self, request: AsgiHttpRequest) -> BoltResponse:
        """The OAuth redirect: exchange the code and store the installation."""
        assert self.app.oauth_flow is not None
        return await self._run(self.app.oauth_flow.handle_callback, request)


class SlackASGI:
    """The ASGI application pmbot serves in HTTP mode."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self.pool = ThreadPoolExecutor(
            max_workers=DISPATCH_THREADS, thread_name_prefix="pmbot-http"
        )
        self.handler = ThreadedSlackRequestHandler(adapter, self.pool)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer `/health` here; everything else goes to the Slack handler."""
        if scope["type"] == "http" and scope["path"] == "/health":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/plain")],
                }
            )
            await send({"type": "http.response.body", "body": b"ok"})
            return
        if scope["type"] == "http":
            body = await _read_capped(scope, receive)
            if body is None:
                log.warning("slack_http_body_too_large", path=scope.get("path"))
                await _plain(send, 413, b"request body too large")
                return
            receive = _replay(body)
        await self.handler(dict(scope), receive, send)

    def close(self) -> None:
        """Stop the dispatch threads."""
        self.pool.shutdown(wait=True)


async def _read_capped(scope: Scope, receive: Receive) -> bytes | None:
    """The whole request body, or None as soon as it (or its Content-Length) passes the cap."""
    for name, value in scope.get("headers") or []:
        if name.lower() == b"content-length":
            try:
                if int(value) > MAX_BODY_BYTES:
                    return None
            except ValueError:
                return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _plain(send: Send, status: int, text: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": text})


def _config(asgi: SlackASGI, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        asgi, host=host, port=port, log_level="warning", access_log=False, lifespan="off"
    )


def serve_http(adapter: SlackAdapter, *, host: str = "127.0.0.1", port: int = 3000) -> None:
    """Serve HTTP mode until interrupted (uvicorn handles SIGINT/SIGTERM)."""
    asgi = SlackASGI(adapter)
    try:
        uvicorn.Server(_config(asgi, host, port)).run()
    finally:
        asgi.close()


class HttpServer:
    """HTTP mode in a background thread, on a free port by default (tests and benchmarks)."""

    def __init__(self, adapter: SlackAdapter, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.asgi = SlackASGI(adapter)
        self._server = uvicorn.Server(_config(self.asgi, host, port))
        self._thread = threading.Thread(target=self._server.run, name="pmbot-http", daemon=True)

    def __enter__(self) -> HttpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the socket is listening."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Slack HTTP server did not start")
            time.sleep(0.01)

    @property
    def url(self) -> str:
        """`http://host:port` of the running server."""
        sock = self._server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.asgi.close()
