"""A local OpenAI-compatible chat-completions server, scriptable per test.

The real `openai` client is pointed at it (`base_url=server.base_url`), so the whole HTTP path is
exercised: request body, response_format, status codes, headers, timeouts.

    with FakeOpenAIServer() as server:
        server.answer({"intent": "create", ...})          # next request gets this JSON answer
        server.fail(429, headers={"Retry-After": "20"})   # the one after gets a 429
        server.answer("{}", delay=5)                      # a slow answer (client times out)
        server.reject_json_schema = True                  # 400 for response_format json_schema
        ...
        server.requests                                   # every JSON body received, in order

Steps are consumed one per request; when the script is empty, `default` (a 500) is used.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    """One scripted reply: an answer (`content`) or an HTTP error (`status` >= 400)."""

    status: int = 200
    content: str | None = None
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "scripted error"
    finish_reason: str = "stop"
    trickle: float = 0.0  # seconds between 16-byte chunks of the body


class FakeOpenAIServer:
    """Serves `POST /v1/chat/completions` (and `/chat/completions`) on 127.0.0.1, port 0."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.reject_json_schema = False
        self.default = Step(status=500, message="no scripted reply left")
        self._script: deque[Step] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------

    def answer(
        self,
        content: dict[str, Any] | str,
        *,
        delay: float = 0.0,
        finish_reason: str = "stop",
        trickle: float = 0.0,
    ) -> None:
        """Queue a successful completion whose message content is `content` (dicts become JSON).

        `trickle` sends the body slowly, a chunk at a time, so no single read times out.
        """
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        self._push(Step(content=text, delay=delay, finish_reason=finish_reason, trickle=trickle))

    def fail(
        self, status: int, *, headers: dict[str, str] | None = None, message: str = "scripted"
    ) -> None:
        """Queue an HTTP error reply with an OpenAI-style error body."""
        self._push(Step(status=status, headers=dict(headers or {}), message=message))

    def _push(self, step: Step) -> None:
        with self._lock:
            self._script.append(step)

    def _next(self, body: dict[str, Any], path: str, headers: dict[str, str]) -> Step:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            self.headers.append(headers)
            rf = body.get("response_format")
            if self.reject_json_schema and isinstance(rf, dict) and rf.get("type") == "json_schema":
                return Step(status=400, message="response_format json_schema is not supported")
            return self._script.popleft() if self._script else self.default

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The URL to give the client, ending in `/v1`."""
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeOpenAIServer:
        """Bind to a free port and serve in a background thread."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake any slow reply, stop serving and close the socket."""
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, returning early when the server stops."""
        self._closing.wait(seconds)


def _completion(body: dict[str, Any], step: Step) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "fake")),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": step.content, "refusal": None},
                "finish_reason": step.finish_reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _make_handler(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # an idle keep-alive connection cannot hold `stop()` for longer

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            path = self.path.split("?", 1)[0]
            if path not in ("/v1/chat/completions", "/chat/completions"):
                self._send(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
                return
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._send(400, {"error": {"message": "body is not JSON", "type": "invalid"}})
                return
            step = fake._next(body, path, {k.lower(): v for k, v in self.headers.items()})
            if step.delay:
                fake.wait(step.delay)
            if step.status >= 400:
                error = {
                    "error": {
                        "message": step.message,
                        "type": "invalid_request_error" if step.status < 500 else "server_error",
                        "param": None,
                        "code": None,
                    }
                }
                self._send(step.status, error, step.headers)
            else:
                self._send(200, _completion(body, step), step.headers, trickle=step.trickle)

        def _send(
            self,
            status: int,
            payload: dict[str, Any],
            headers: dict[str, str] | None = None,
            *,
            trickle: float = 0.0,
        ) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if not trickle:
                    self.wfile.write(data)
                    return
                for start in range(0, len(data), 16):
                    if fake._closing.is_set():
                        return
                    self.wfile.write(data[start : start + 16])
                    self.wfile.flush()
                    fake.wait(trickle)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to answer

    return Handler
