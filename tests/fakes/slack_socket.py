"""A local Socket Mode server: the websocket end of Slack's Socket Mode, on 127.0.0.1.

Point the fake Web API's `socket_url` at `server.url`; the real `slack_sdk` Socket Mode client
gets it from `apps.connections.open`, connects, receives `hello`, and then whatever envelopes the
test pushes (`events_api`, `slash_commands`, `interactive`), and acks each by `envelope_id`.

    with FakeSocketMode() as sock:
        api.socket_url = sock.url
        ...
        sock.wait_connected()
        envelope_id = sock.push("events_api", body, retry_attempt=1, retry_reason="timeout")
        ack = sock.wait_ack(envelope_id)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


class FakeSocketMode:
    """Serves Socket Mode envelopes over a websocket and records the client's acks."""

    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections: list[ServerConnection] = []
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeSocketMode:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on a free loopback port in a background thread."""
        self._server = serve(self._serve, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every connection and stop serving."""
        with self._cond:
            connections = list(self.connections)
        for conn in connections:
            conn.close()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        """`ws://127.0.0.1:<port>/link`."""
        assert self._server is not None
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def _serve(self, conn: ServerConnection) -> None:
        with self._cond:
            self.connections.append(conn)
            self._cond.notify_all()
        conn.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0PMBOT01"},
                }
            )
        )
        try:
            for raw in conn:
                message = json.loads(raw)
                envelope_id = message.get("envelope_id")
                if envelope_id:
                    with self._cond:
                        self.acks[envelope_id] = message
                        self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                self.connections.remove(conn)

    def drop(self) -> None:
        """Close every open connection, as Slack does when it rotates its servers."""
        with self._cond:
            connections = list(self.connections)
        for conn in connections:
            conn.close()
        with self._cond:
            self._cond.wait_for(lambda: not any(c in self.connections for c in connections), 5)

    def wait_connected(self, timeout: float = 10.0) -> None:
        """Block until a client is connected."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self.connections), timeout):
                raise AssertionError("no Socket Mode client connected")

    def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> str:
        """Send one envelope to the connected client; returns its envelope id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": envelope_type != "events_api",
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        with self._cond:
            conn = self.connections[-1]
        conn.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> tuple[dict[str, Any], float]:
        """Block until the client acks `envelope_id`; returns the ack and when it came."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was not acknowledged")
            return self.acks[envelope_id], time.monotonic()
