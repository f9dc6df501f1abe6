"""A fake chat API over HTTP that fails on purpose, and the notifier that talks to it.

`ChatEndpoint` answers `POST /send` with 429 (and `Retry-After`), 500, a delivery followed by a
response too slow for the client (the outcome is then unknown to the sender), or 200; it records
every delivery with its dedupe key so losses and duplicates can be counted. `GET /lookup?key=`
says whether a key was delivered, as Slack's message-metadata search lets a sender reconcile.
It also remembers when each 429 told a destination to come back, to catch early retries.

`EndpointNotifier` is a `Notifier` for it: what a real platform's notifier does, minus the SDK.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from core.messages import Delivery, DeliveryOutcome, Outgoing


@dataclass
class Faults:
    """How often the endpoint misbehaves (fractions of requests)."""

    rate_limited: float = 0.30
    server_error: float = 0.05
    slow_after_delivery: float = 0.0
    retry_after_seconds: int = 1
    slow_seconds: float = 1.0


@dataclass
class Ledger:
    """What the endpoint received."""

    deliveries: list[str] = field(default_factory=list)
    requests: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    slow: int = 0
    early_retries: int = 0  # the same message retried before its Retry-After elapsed
    early_destination_retries: int = 0  # any message to a destination told to wait
    blocked_until: dict[str, float] = field(default_factory=dict)
    key_blocked_until: dict[str, float] = field(default_factory=dict)

    def counts(self, expected: set[str] | None = None) -> dict[str, int]:
        """Delivered, unique, duplicate (and lost, given the expected keys) counts."""
        per_key = Counter(self.deliveries)
        out = {
            "delivered": len(self.deliveries),
            "unique": len(per_key),
            "duplicates": sum(n - 1 for n in per_key.values()),
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "server_errors": self.server_errors,
            "slow": self.slow,
            "early_retries": self.early_retries,
            "early_destination_retries": self.early_destination_retries,
        }
        if expected is not None:
            out["lost"] = len(expected - set(per_key))
        return out


class ChatEndpoint:
    """The fake chat API, served from a background thread on 127.0.0.1."""

    def __init__(self, faults: Faults | None = None, *, seed: int = 7) -> None:
        self.faults = faults or Faults()
        self.ledger = Ledger()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return None

            def _reply(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                # The client may have given up (timeout or kill -9) before the answer.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def do_GET(self) -> None:
                parsed = urllib.parse.urlparse(self.path)
                if parsed.path == "/lookup":
                    key = urllib.parse.parse_qs(parsed.query).get("key", [""])[0]
                    with endpoint._lock:
                        found = key in endpoint._delivered_set
                    self._reply(200, {"ok": True, "found": found, "ts": key if found else None})
                elif parsed.path == "/stats":
                    with endpoint._lock:
                        self._reply(200, endpoint.ledger.counts())
                else:
                    self._reply(404, {"ok": False})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                key, target = str(body.get("key", "")), str(body.get("target", ""))
                f = endpoint.faults
                with endpoint._lock:
                    ledger = endpoint.ledger
                    ledger.requests += 1
                    now = time.monotonic()
                    if ledger.blocked_until.get(target, 0.0) > now + 0.05:
                        ledger.early_destination_retries += 1
                    if ledger.key_blocked_until.get(key, 0.0) > now + 0.05:
                        ledger.early_retries += 1
                    roll = endpoint._rng.random()
                    if roll < f.rate_limited:
                        ledger.rate_limited += 1
                        ledger.blocked_until[target] = now + f.retry_after_seconds
                        ledger.key_blocked_until[key] = now + f.retry_after_seconds
                        outcome = "429"
                    elif roll < f.rate_limited + f.server_error:
                        ledger.server_errors += 1
                        outcome = "500"
                    else:
                        ledger.deliveries.append(key)
                        endpoint._delivered_set.add(key)
                        slow = endpoint._rng.random() < f.slow_after_delivery
                        ledger.slow += int(slow)
                        outcome = "slow" if slow else "200"
                if outcome == "429":
                    self._reply(
                        429,
                        {"ok": False, "error": "ratelimited"},
                        {"Retry-After": str(f.retry_after_seconds)},
                    )
                elif outcome == "500":
                    self._reply(500, {"ok": False, "error": "internal_error"})
                else:
                    if outcome == "slow":
                        time.sleep(f.slow_seconds)
                    self._reply(200, {"ok": True, "ts": key})

        self._delivered_set: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL (http://127.0.0.1:PORT)."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ChatEndpoint:
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def counts(self, expected: set[str] | None = None) -> dict[str, int]:
        """The ledger's counts (see `Ledger.counts`)."""
        with self._lock:
            return self.ledger.counts(expected)


class EndpointNotifier:
    """A `Notifier` for the fake endpoint: classifies answers like a real platform notifier."""

    def __init__(self, base_url: str, *, timeout: float = 0.5) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, message: Outgoing) -> Delivery:
        """POST the message; 429 → rate limited, 5xx → transient, timeout → unknown."""
        body = json.dumps(
            {"key": message.dedupe_key, "target": message.target, "text": message.reply.text}
        ).encode()
        request = urllib.request.Request(
            self.base_url + "/send", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = json.loads(response.read() or b"{}")
                return Delivery(DeliveryOutcome.SENT, external_ref=str(data.get("ts")))
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                retry = float(exc.headers.get("Retry-After") or 1)
                return Delivery(DeliveryOutcome.RATE_LIMITED, retry_after=retry, error="429")
            if exc.code >= 500:
                return Delivery(DeliveryOutcome.TRANSIENT, error=f"HTTP {exc.code}")
            return Delivery(DeliveryOutcome.PERMANENT, error=f"HTTP {exc.code}")
        except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
            # The request may have arrived: the sweep reconciles before sending again.
            return Delivery(DeliveryOutcome.UNKNOWN, error=f"{type(exc).__name__}: {exc}")

    def find_sent(self, message: Outgoing) -> str | None:
        """Ask the endpoint whether this dedupe key already arrived."""
        query = urllib.parse.urlencode({"key": message.dedupe_key})
        with urllib.request.urlopen(f"{self.base_url}/lookup?{query}", timeout=2) as response:
            data = json.loads(response.read() or b"{}")
        return str(data["ts"]) if data.get("found") else None
