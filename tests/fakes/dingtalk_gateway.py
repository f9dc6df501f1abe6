"""A local DingTalk: the stream gateway, the robot and card OpenAPI, and the webhooks, on one port.

The real `dingtalk-stream` client is pointed at it (`DINGTALK_OPENAPI_ENDPOINT=gateway.base_url`):

- `POST /v1.0/gateway/connections/open` hands out `{endpoint: ws://127.0.0.1:P/connect, ticket}`;
  a ticket works for one connection only, as on the real gateway;
- `GET /connect?ticket=...` is the websocket: `send_frame()` pushes frames in DingTalk's shapes,
  every ack the client sends back is collected by `messageId`; `close_on_connect` makes the
  server close each new socket at once (what triggers dingtalk-stream 0.24.3's reconnect storm);
- `POST /v1.0/oauth2/accessToken`, `POST /v1.0/robot/groupMessages/send`,
  `POST /v1.0/robot/oToMessages/batchSend`, `POST /v1.0/card/instances/createAndDeliver`,
  `PUT /v1.0/card/instances`: the OpenAPI, checking the `x-acs-dingtalk-access-token` header;
- `POST /robot/sendBySession?session=...` (a message's session webhook) and
  `POST /robot/send?access_token=...&timestamp=...&sign=...` (a custom robot, signature checked).

`script(path, body, status=200)` queues the next answer for a path (e.g. `errcode 130101`).
Cards are kept by `outTrackId`; `press()` sends the callback frame DingTalk sends when a button is
pressed, and the card-update carried in the client's ack is applied to the stored card.

Everything runs on an asyncio loop in its own thread, because the SDK's blocking HTTP calls would
otherwise stall a server sharing their loop.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from aiohttp import WSMsgType, web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dingtalk"
CLIENT_ID = "dingfakeclientid0001"
CLIENT_SECRET = "fake-client-secret-not-real"  # a test value
ROBOT_CODE = "dingfakeclientid0001"
CORP_ID = "ding6fe2b3f0c1a8e9d2"
WEBHOOK_TOKEN = "6a1f0c2b9d3e4f5a8b7c"  # a test value
WEBHOOK_SECRET = "SECfake0123456789abcdef"  # a test value


def load_fixture(name: str) -> dict[str, Any]:
    """A recorded frame from tests/fixtures/dingtalk (its `data` is a JSON string, as sent)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def frame_data(frame: dict[str, Any]) -> dict[str, Any]:
    """The decoded `data` of a frame."""
    data: dict[str, Any] = json.loads(frame["data"])
    return data


@dataclass
class Recorded:
    """One HTTP request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


class FakeDingTalk:
    """The fake; use as a context manager, or `start()` and `close()`."""

    def __init__(self) -> None:
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.close_on_connect = False
        self.token_ttl = 7200
        self.requests: list[Recorded] = []
        self.connects: list[float] = []
        self.open_requests: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self.ack_times: dict[str, float] = {}  # messageId -> when its first ack arrived
        self.cards: dict[str, dict[str, str]] = {}
        self.tokens_issued = 0
        self._tickets: set[str] = set()
        self._scripts: dict[str, deque[tuple[int, dict[str, Any], float]]] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._callback_cards: dict[str, str] = {}  # frame messageId -> outTrackId
        self._card_spaces: dict[str, str] = {}  # outTrackId -> openConversationId ("" for 1:1)
        self._valid_tokens: set[str] = set()
        self._cond = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeDingTalk:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: the OpenAPI endpoint and the gateway."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        """A custom robot webhook on this fake (without timestamp and sign)."""
        return f"{self.base_url}/robot/send?access_token={WEBHOOK_TOKEN}"

    def session_webhook(self, session: str = "sess") -> str:
        """A message's session webhook on this fake."""
        return f"{self.base_url}/robot/sendBySession?session={quote_plus(session)}"

    def start(self) -> None:
        """Start serving on a free port in a background thread."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to start()
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-dingtalk", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise failure[0]

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_post("/v1.0/gateway/connections/open", self._open)
        app.router.add_get("/connect", self._connect)
        app.router.add_post("/v1.0/oauth2/accessToken", self._token)
        app.router.add_post("/v1.0/robot/groupMessages/send", self._group_send)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self._oto_send)
        app.router.add_post("/v1.0/card/instances/createAndDeliver", self._card_deliver)
        app.router.add_put("/v1.0/card/instances", self._card_update)
        app.router.add_post("/robot/sendBySession", self._session_webhook)
        app.router.add_post("/robot/send", self._custom_robot)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _shutdown(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def close(self) -> None:
        """Close every socket, stop the server and join its thread."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def _call(self, coro: Any, timeout: float = 5.0) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- scripting and inspection ------------------------------------------------------------

    def script(
        self, path: str, body: dict[str, Any], status: int = 200, *, delay: float = 0.0
    ) -> None:
        """Queue the next answer for `path` (one request consumes one scripted answer)."""
        with self._cond:
            self._scripts.setdefault(path, deque()).append((status, body, delay))

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (checked after every request, ack and connect)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("condition not met in time")
                self._cond.wait(min(left, 0.1))

    def received(self, path: str) -> list[Recorded]:
        """The requests received on `path`, in order."""
        with self._cond:
            return [r for r in self.requests if r.path == path]

    def ack_for(self, message_id: str) -> dict[str, Any] | None:
        """The first ack received for a frame's `messageId`."""
        with self._cond:
            return next(
                (a for a in self.acks if a.get("headers", {}).get("messageId") == message_id), None
            )

    def wait_ack(self, message_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the ack of a frame."""
        ack: dict[str, Any] = self.wait_for(lambda: self.ack_for(message_id), timeout)
        return ack

    def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until `count` websocket connections have been accepted and are open."""
        self.wait_for(lambda: len(self.connects) >= count and self._open_sockets(), timeout)

    def _open_sockets(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self._sockets if not ws.closed]

    # -- frames ------------------------------------------------------------------------------

    def send_frame(self, frame: dict[str, Any], *, every_socket: bool = False) -> None:
        """Push a frame to the newest open socket (or to every open one)."""

        async def push() -> None:
            sockets = self._open_sockets()
            if not sockets:
                raise RuntimeError("no client connected")
            for ws in sockets if every_socket else sockets[-1:]:
                await ws.send_str(json.dumps(frame, ensure_ascii=False))

        self._call(push())

    def drop_connections(self) -> None:
        """Close every open socket from the server side (a clean close, code 1000)."""

        async def drop() -> None:
            for ws in self._open_sockets():
                await ws.close()

        self._call(drop())

    def robot_message(
        self,
        text: str,
        *,
        fixture: str = "group_message",
        msg_id: str | None = None,
        message_id: str | None = None,
        at_users: list[dict[str, str]] | None = None,
        session: str = "sess",
        **data: Any,
    ) -> dict[str, Any]:
        """A robot message frame from a fixture, with its text, ids and webhook adjusted."""
        frame = copy.deepcopy(load_fixture(fixture))
        payload = frame_data(frame)
        payload["text"] = {"content": f" {text}"}
        payload["msgId"] = msg_id or f"msg{uuid.uuid4().hex[:20]}=="
        payload["sessionWebhook"] = self.session_webhook(session)
        now_ms = int(time.time() * 1000)
        payload["createAt"] = now_ms
        payload["sessionWebhookExpiredTime"] = now_ms + 5_400_000
        if at_users is not None:
            payload["atUsers"] = [
                *[u for u in payload.get("atUsers", []) if "staffId" not in u],
                *at_users,
            ]
        payload.update(data)
        frame["data"] = json.dumps(payload, ensure_ascii=False)
        frame["headers"]["messageId"] = message_id or f"{uuid.uuid4().hex[:8]}_{uuid.uuid4().hex}"
        frame["headers"]["time"] = str(now_ms)
        return frame

    def press(
        self, out_track_id: str, button: int, *, user_id: str, message_id: str | None = None
    ) -> dict[str, Any]:
        """Press button `button` of a stored card as `user_id`: send DingTalk's callback frame."""
        with self._cond:
            params = self.cards[out_track_id]
            space = self._card_spaces[out_track_id]
        frame = copy.deepcopy(load_fixture("card_callback"))
        payload = frame_data(frame)
        content = json.dumps(
            {
                "cardPrivateData": {
                    "actionIds": [f"btn{button}"],
                    "params": {"action": params[f"btn{button}_action"]},
                }
            },
            ensure_ascii=False,
        )
        payload.update(
            userId=user_id,
            outTrackId=out_track_id,
            content=content,
            value=content,
            spaceId=space,
        )
        frame["data"] = json.dumps(payload, ensure_ascii=False)
        mid = message_id or f"{uuid.uuid4().hex[:8]}_{uuid.uuid4().hex}"
        frame["headers"]["messageId"] = mid
        frame["headers"]["time"] = str(int(time.time() * 1000))
        with self._cond:
            self._callback_cards[mid] = out_track_id
        self.send_frame(frame)
        return frame

    # -- handlers ----------------------------------------------------------------------------

    def _record(self, request: web.Request, body: Any) -> None:
        with self._cond:
            self.requests.append(
                Recorded(
                    request.method, request.path, dict(request.query), dict(request.headers), body
                )
            )
            self._cond.notify_all()

    async def _scripted(self, path: str) -> tuple[int, dict[str, Any]] | None:
        with self._cond:
            queue = self._scripts.get(path)
            step = queue.popleft() if queue else None
        if step is None:
            return None
        status, body, delay = step
        if delay:
            await asyncio.sleep(delay)
        return status, body

    async def _json(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self._record(request, body)
        return body

    async def _open(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if not isinstance(body, dict) or body.get("clientSecret") != self.client_secret:
            return web.json_response(
                {"code": "invalidAuthentication", "message": "clientId or clientSecret invalid"},
                status=401,
            )
        ticket = uuid.uuid4().hex
        with self._cond:
            self.open_requests.append(body)
            self._tickets.add(ticket)
        return web.json_response(
            {"endpoint": f"ws://127.0.0.1:{self.port}/connect", "ticket": ticket}
        )

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        with self._cond:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            return web.Response(status=403, text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        with self._cond:
            self.connects.append(time.monotonic())
            self._sockets.append(ws)
            self._cond.notify_all()
        if self.close_on_connect:
            await ws.close()
            return ws
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self._on_ack(json.loads(msg.data))
        return ws

    def _on_ack(self, ack: dict[str, Any]) -> None:
        with self._cond:
            self.acks.append(ack)
            self.ack_times.setdefault(ack.get("headers", {}).get("messageId", ""), time.monotonic())
            track_id = self._callback_cards.get(ack.get("headers", {}).get("messageId", ""))
            if track_id is not None:
                response = json.loads(ack.get("data") or "{}").get("response") or {}
                update = (response.get("cardData") or {}).get("cardParamMap")
                if isinstance(update, dict):
                    self.cards[track_id].update({k: str(v) for k, v in update.items()})
            self._cond.notify_all()

    async def _token(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        scripted = await self._scripted(request.path)
        if scripted is not None:
            return web.json_response(scripted[1], status=scripted[0])
        if (
            not isinstance(body, dict)
            or body.get("appKey") != self.client_id
            or body.get("appSecret") != self.client_secret
        ):
            return web.json_response(
                {"code": "invalidClientIdOrSecret", "message": "无效的clientId或者clientSecret"},
                status=400,
            )
        with self._cond:
            self.tokens_issued += 1
            token = f"fake-token-{self.tokens_issued}-{uuid.uuid4().hex[:8]}"
            self._valid_tokens.add(token)
        return web.json_response({"accessToken": token, "expireIn": self.token_ttl})

    def _authorized(self, request: web.Request) -> bool:
        with self._cond:
            return request.headers.get("x-acs-dingtalk-access-token") in self._valid_tokens

    def revoke_tokens(self) -> None:
        """Make every issued token invalid (as after its expiry)."""
        with self._cond:
            self._valid_tokens.clear()

    async def _api(
        self, request: web.Request, answer: Callable[[Any], dict[str, Any]]
    ) -> web.Response:
        body = await self._json(request)
        if not self._authorized(request):
            return web.json_response(
                {"code": "InvalidAuthentication", "message": "不合法的access_token"}, status=401
            )
        scripted = await self._scripted(request.path)
        if scripted is not None:
            return web.json_response(scripted[1], status=scripted[0])
        return web.json_response(answer(body))

    async def _group_send(self, request: web.Request) -> web.Response:
        return await self._api(request, lambda body: {"processQueryKey": uuid.uuid4().hex})

    async def _oto_send(self, request: web.Request) -> web.Response:
        return await self._api(
            request,
            lambda body: {
                "processQueryKey": uuid.uuid4().hex,
                "invalidStaffIdList": [],
                "flowControlledStaffIdList": [],
            },
        )

    async def _card_deliver(self, request: web.Request) -> web.Response:
        def answer(body: dict[str, Any]) -> dict[str, Any]:
            track = body["outTrackId"]
            space = str(body.get("openSpaceId", ""))
            with self._cond:
                self.cards[track] = dict(body["cardData"]["cardParamMap"])
                self._card_spaces[track] = space.rsplit(".", 1)[-1] if "IM_GROUP" in space else ""
            space_type = "IM_GROUP" if "IM_GROUP" in space else "IM_ROBOT"
            return {
                "success": True,
                "result": {
                    "outTrackId": track,
                    "deliverResults": [
                        {
                            "spaceType": space_type,
                            "spaceId": space.rsplit(".", 1)[-1],
                            "success": True,
                            "carrierId": uuid.uuid4().hex,
                        }
                    ],
                },
            }

        return await self._api(request, answer)

    async def _card_update(self, request: web.Request) -> web.Response:
        def answer(body: dict[str, Any]) -> dict[str, Any]:
            with self._cond:
                card = self.cards.get(body["outTrackId"])
                if card is not None:
                    card.update(body["cardData"]["cardParamMap"])
            return {"success": True, "result": card is not None}

        return await self._api(request, answer)

    async def _session_webhook(self, request: web.Request) -> web.Response:
        await self._json(request)
        scripted = await self._scripted(request.path)
        if scripted is not None:
            return web.json_response(scripted[1], status=scripted[0])
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _custom_robot(self, request: web.Request) -> web.Response:
        await self._json(request)
        q = request.query
        if q.get("access_token") != WEBHOOK_TOKEN:
            return web.json_response({"errcode": 300001, "errmsg": "token is not exist"})
        ts = q.get("timestamp", "")
        expected = base64.b64encode(
            hmac.new(
                WEBHOOK_SECRET.encode(), f"{ts}\n{WEBHOOK_SECRET}".encode(), hashlib.sha256
            ).digest()
        ).decode()
        fresh = ts.isdigit() and abs(int(ts) - time.time() * 1000) < 3_600_000
        if not fresh or q.get("sign") != expected:
            return web.json_response({"errcode": 310000, "errmsg": "sign not match"})
        scripted = await self._scripted(request.path)
        if scripted is not None:
            return web.json_response(scripted[1], status=scripted[0])
        return web.json_response({"errcode": 0, "errmsg": "ok"})
