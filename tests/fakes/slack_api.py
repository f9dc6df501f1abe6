"""A local server that speaks enough of the Slack Web API for pmbot's end-to-end tests.

The real `slack_sdk.WebClient` is pointed at it with `base_url=server.api_url`, so request
encoding, headers, status codes, `Retry-After` and retry handlers are all exercised for real.

    with FakeSlackAPI() as slack:
        slack.fail("chat.postMessage", 429, headers={"Retry-After": "1"})  # next call only
        ...
        slack.wait_for("chat.postMessage")          # block until pmbot has called it
        slack.calls("chat.update")                  # every recorded request to a method
        slack.messages["C1"]                        # what is in a channel, oldest first

It keeps messages per channel (chat.postMessage / chat.update / conversations.history with
metadata), answers auth.test, users.info, views.open/publish/update, conversations.open,
chat.getPermalink, chat.postEphemeral and apps.connections.open (returning `socket_url`), and
accepts POSTs to `response_url`s it hands out (`server.response_url(name)`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBOTPMBOT"
BOT_ID = "BPMBOT01"
TEAM_ID = "T0PMBOT01"


@dataclass
class Call:
    """One recorded request: the API method (or `response:<name>`), its arguments and token."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float


@dataclass
class Failure:
    """A scripted error answer for the next call to a method."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    commit: bool = False  # carry the call out, then answer with the error anyway


class FakeSlackAPI:
    """Serves the Slack Web API on 127.0.0.1 (port 0) and records every request."""

    def __init__(self) -> None:
        self.calls_log: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.views: list[dict[str, Any]] = []
        self.socket_url: str | None = None
        self._failures: dict[str, deque[Failure]] = {}
        self._cond = threading.Condition()
        self._ts = 1_700_000_000.000100
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeSlackAPI:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on a free loopback port in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The base URL to give `WebClient(base_url=...)` (`PMBOT_SLACK_API_URL`)."""
        return self.url + "/api/"

    def response_url(self, name: str) -> str:
        """A `response_url` for a slash command or interaction; posts to it are recorded."""
        return f"{self.url}/response/{name}"

    # -- scripting ---------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        commit: bool = False,
    ) -> None:
        """Make the next call to `method` fail with `status` (and `{"ok": false, "error"}`).

        `commit=True` carries the call out first (the message is posted) and still answers with
        the error, like a Slack that posted and then failed to say so.
        """
        default_error = {429: "ratelimited"}.get(status, "internal_error")
        body = {"ok": False, "error": error or default_error}
        with self._cond:
            self._failures.setdefault(method, deque()).append(
                Failure(status, body, dict(headers or {}), delay, commit)
            )

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        tz: str = "Asia/Shanghai",
        locale: str = "zh-CN",
        real_name: str | None = None,
    ) -> None:
        """Make `users.info` know a user."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real_name or name,
            "tz": tz,
            "tz_offset": 0,
            "locale": locale,
            "is_bot": False,
            "profile": {"display_name": name, "real_name": real_name or name},
        }

    # -- inspection --------------------------------------------------------------------------

    def calls(self, method: str) -> list[Call]:
        """Recorded requests to `method`, in order."""
        with self._cond:
            return [c for c in self.calls_log if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until `method` was called at least `count` times; return those calls."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls_log if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self.calls_log})
                    raise AssertionError(
                        f"{method} called {len(found)} time(s), wanted {count}; seen: {seen}"
                    )
                self._cond.wait(left)

    def posted(self, channel: str) -> list[dict[str, Any]]:
        """Messages in `channel` (a `U...` id means the bot's DM with that user)."""
        with self._cond:
            return list(self.messages.get(_dm_channel(channel), []))

    # -- the API ----------------------------------------------------------------------------

    def _record(self, method: str, args: dict[str, Any], token: str | None) -> Failure | None:
        with self._cond:
            self.calls_log.append(Call(method, args, token, time.monotonic()))
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
            self._cond.notify_all()
            return failure

    def _next_ts(self) -> str:
        self._ts += 1.0
        return f"{self._ts:.6f}"

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """The JSON answer to one successful API call."""
        with self._cond:
            return self._answer(method, args)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://pmbot-test.slack.com/",
                "team": "pmbot test",
                "user": "pmbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            channel = _dm_channel(str(args.get("channel", "")))
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": self._next_ts(),
                "text": args.get("text", ""),
                "blocks": _json_field(args.get("blocks")) or [],
            }
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            metadata = _json_field(args.get("metadata"))
            if metadata:
                message["metadata"] = metadata
            self.messages.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        if method == "chat.update":
            channel = _dm_channel(str(args.get("channel", "")))
            for message in self.messages.get(channel, []):
                if message["ts"] == args.get("ts"):
                    message["text"] = args.get("text", message["text"])
                    if "blocks" in args:
                        message["blocks"] = _json_field(args["blocks"]) or []
                    message["edited"] = True
                    return {"ok": True, "channel": channel, "ts": message["ts"], "text": ""}
            return {"ok": False, "error": "message_not_found"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.getPermalink":
            channel, ts = args.get("channel", ""), str(args.get("message_ts", ""))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://pmbot-test.slack.com/archives/{channel}/p{ts.replace('.', '')}",
            }
        if method == "conversations.history":
            channel = _dm_channel(str(args.get("channel", "")))
            if channel not in self.messages:
                return {"ok": False, "error": "channel_not_found"}
            include = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
            limit = int(args.get("limit", 100))
            history = []
            for message in reversed(self.messages[channel]):
                shown = dict(message)
                if not include:
                    shown.pop("metadata", None)
                history.append(shown)
            return {"ok": True, "messages": history[:limit], "has_more": len(history) > limit}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            return {"ok": True, "channel": {"id": _dm_channel(users.split(",")[0])}}
        if method == "users.info":
            user = self.users.get(str(args.get("user", "")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = _json_field(args.get("view")) or {}
            self.views.append({"method": method, **args, "view": view})
            return {"ok": True, "view": {"id": f"V{len(self.views):08d}", **view}}
        if method == "apps.connections.open":
            if self.socket_url is None:
                return {"ok": False, "error": "no_socket_server"}
            return {"ok": True, "url": self.socket_url}
        if method.startswith("response:"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


def _dm_channel(channel: str) -> str:
    # Posting to a user id lands in the bot's DM with them, a `D...` channel, as on Slack.
    return "D" + channel[1:] if channel.startswith(("U", "W")) else channel


def _json_field(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _handler_for(fake: FakeSlackAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            args: dict[str, Any] = dict(parse_qsl(parts.query))
            ctype = self.headers.get("Content-Type", "")
            if raw and "json" in ctype:
                args.update(json.loads(raw))
            elif raw:
                args.update(dict(parse_qsl(raw.decode())))
            auth = self.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ") if auth else args.get("token")
            if parts.path.startswith("/api/"):
                method = parts.path.removeprefix("/api/")
            elif parts.path.startswith("/response/"):
                method = "response:" + parts.path.removeprefix("/response/")
            else:
                self._send(404, {"ok": False, "error": "not_found"})
                return
            failure = fake._record(method, args, token)
            if failure is not None:
                if failure.commit:
                    fake.answer(method, args)
                if failure.delay:
                    time.sleep(failure.delay)
                self._send(failure.status, failure.body, failure.headers)
                return
            self._send(200, fake.answer(method, args))

        def _send(
            self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                pass

    return Handler
