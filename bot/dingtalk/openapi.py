"""DingTalk's HTTP side: the access token, the robot OpenAPI, webhooks, and what their answers mean.

Everything here is synchronous (`requests`, always with a timeout): the scheduler calls it from its
own thread, and the stream handlers call it through `asyncio.to_thread`, so it never blocks an
event loop. Every answer is classified from its JSON body as well as its HTTP status, because
DingTalk reports throttling and bad parameters with HTTP 200 and an `errcode`
(`{"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}`), while the v1.0
OpenAPI uses HTTP 4xx with `{"code": ..., "message": ...}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import structlog

from core.messages import Delivery, DeliveryOutcome

log = structlog.get_logger(__name__)

DEFAULT_ENDPOINT = "https://api.dingtalk.com"
TOKEN_PATH = "/v1.0/oauth2/accessToken"  # noqa: S105  # a path, not a secret
GROUP_SEND_PATH = "/v1.0/robot/groupMessages/send"
OTO_SEND_PATH = "/v1.0/robot/oToMessages/batchSend"
CARD_DELIVER_PATH = "/v1.0/card/instances/createAndDeliver"
CARD_UPDATE_PATH = "/v1.0/card/instances"
TOKEN_HEADER = "x-acs-dingtalk-access-token"  # noqa: S105  # a header name

# A custom robot that sends more than 20 messages a minute is throttled for 10 minutes.
THROTTLED_ERRCODES = frozenset({130101})
CUSTOM_ROBOT_BAN_SECONDS = 600.0
# Refresh the token this long before DingTalk says it expires (the SDK uses the same margin).
TOKEN_MARGIN_SECONDS = 300.0
# oToMessages/batchSend takes at most 20 user ids per call.
MAX_BATCH_USERS = 20


@dataclass(frozen=True, slots=True)
class ApiResult:
    """One HTTP exchange: how it went for the outbox, and the JSON body DingTalk answered."""

    delivery: Delivery
    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when DingTalk accepted the request."""
        return self.delivery.outcome is DeliveryOutcome.SENT


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    value = headers.get("Retry-After")
    try:
        return max(1.0, float(value)) if value else default
    except ValueError:
        return default


def classify(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Delivery:
    """What an HTTP answer from DingTalk means for the outbox (body first, then status)."""
    headers = headers or {}
    errcode = body.get("errcode")
    code = str(body.get("code") or "")
    message = str(body.get("errmsg") or body.get("message") or "")
    if errcode in THROTTLED_ERRCODES:
        return Delivery(
            DeliveryOutcome.RATE_LIMITED,
            retry_after=CUSTOM_ROBOT_BAN_SECONDS,
            error=f"errcode {errcode}: {message}",
        )
    if status == 429 or "throttl" in code.lower() or "qpslimit" in code.lower():
        return Delivery(
            DeliveryOutcome.RATE_LIMITED,
            retry_after=_retry_after(headers, 60.0),
            error=f"{status} {code}: {message}".strip(),
        )
    if status >= 500:
        return Delivery(DeliveryOutcome.TRANSIENT, error=f"HTTP {status} {code}: {message}".strip())
    if status >= 400:
        return Delivery(DeliveryOutcome.PERMANENT, error=f"HTTP {status} {code}: {message}".strip())
    if errcode not in (None, 0, "0"):
        return Delivery(DeliveryOutcome.PERMANENT, error=f"errcode {errcode}: {message}")
    ref = body.get("processQueryKey") or body.get("outTrackId")
    if isinstance(body.get("result"), dict):
        ref = ref or body["result"].get("outTrackId")
    return Delivery(DeliveryOutcome.SENT, external_ref=str(ref) if ref else None)


def _failure(exc: requests.RequestException) -> Delivery:
    # A refused or timed-out *connect* never reached DingTalk; anything later may have.
    if isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc)
    ):
        return Delivery(DeliveryOutcome.TRANSIENT, error=type(exc).__name__)
    return Delivery(DeliveryOutcome.UNKNOWN, error=type(exc).__name__)


def request_json(
    method: str,
    url: str,
    body: Mapping[str, Any] | None,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> ApiResult:
    """Send one JSON request and classify the answer; never raises for network or HTTP errors.

    With a `session` (a guarded one for user-configured URLs) redirects are not followed.
    """
    try:
        response = (session or requests).request(
            method,
            url,
            data=json.dumps(body, ensure_ascii=False).encode() if body is not None else None,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                **(headers or {}),
            },
            timeout=timeout,
            allow_redirects=session is None,
        )
    except requests.RequestException as exc:
        return ApiResult(_failure(exc))
    if 300 <= response.status_code < 400:
        return ApiResult(
            Delivery(DeliveryOutcome.PERMANENT, error=f"redirect {response.status_code} refused"),
            response.status_code,
            {},
        )
    try:
        parsed = response.json()
    except ValueError:
        parsed = {}
    data: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    return ApiResult(
        classify(response.status_code, data, response.headers), response.status_code, data
    )


def sign_webhook(url: str, secret: str, now_ms: int | None = None) -> str:
    """A custom robot webhook URL with `timestamp` and `sign` (HMAC-SHA256 of `ts\\nsecret`)."""
    ts = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode())
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={ts}&sign={sign}"


class AccessTokenError(RuntimeError):
    """The access token could not be obtained; `delivery` says whether retrying may help."""

    def __init__(self, delivery: Delivery) -> None:
        super().__init__(delivery.error or "access token unavailable")
        self.delivery = delivery


class DingTalkOpenAPI:
    """The robot and card OpenAPI of one DingTalk app, with its access token cached."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        robot_code: str | None = None,
        endpoint: str | None = None,
        timeout: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client_id = client_id
        self._secret = client_secret
        # An app's robot code is its client id unless the console says otherwise.
        self.robot_code = robot_code or client_id
        self.endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self.timeout = timeout
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_until = 0.0

    def __repr__(self) -> str:  # never show the secret or the token
        return f"DingTalkOpenAPI(client_id={self.client_id!r}, endpoint={self.endpoint!r})"

    # -- access token ------------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token, fetched only when the cached one is within 5 minutes of expiry."""
        with self._lock:
            if self._token is not None and self._monotonic() < self._token_until:
                return self._token
            result = request_json(
                "POST",
                self.endpoint + TOKEN_PATH,
                {"appKey": self.client_id, "appSecret": self._secret},
                timeout=self.timeout,
            )
            token = result.body.get("accessToken")
            if not result.ok or not isinstance(token, str) or not token:
                # Bad credentials are an operator's problem, not the message's: retry later.
                outcome = result.delivery.outcome
                if outcome is DeliveryOutcome.SENT or outcome is DeliveryOutcome.PERMANENT:
                    outcome = DeliveryOutcome.TRANSIENT
                error = f"access token: {result.delivery.error or 'no accessToken in answer'}"
                log.warning("dingtalk_token_failed", status=result.status, error=error)
                raise AccessTokenError(Delivery(outcome, retry_after=60.0, error=error))
            expire_in = float(result.body.get("expireIn") or 7200)
            self._token = token
            self._token_until = self._monotonic() + max(60.0, expire_in - TOKEN_MARGIN_SECONDS)
            log.info("dingtalk_token_refreshed", expire_in=expire_in)
            return token

    def invalidate_token(self) -> None:
        """Forget the cached token (DingTalk rejected it)."""
        with self._lock:
            self._token = None
            self._token_until = 0.0

    def call(self, method: str, path: str, body: Mapping[str, Any]) -> ApiResult:
        """Call an OpenAPI path with the access token; a rejected token is refreshed once."""
        for attempt in (1, 2):
            try:
                token = self.access_token()
            except AccessTokenError as exc:
                return ApiResult(exc.delivery)
            result = request_json(
                method,
                self.endpoint + path,
                body,
                headers={TOKEN_HEADER: token},
                timeout=self.timeout,
            )
            if result.status == 401 and attempt == 1:
                self.invalidate_token()
                continue
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    # -- robot messages ----------------------------------------------------------------------

    def send_group(
        self, open_conversation_id: str, msg_key: str, msg_param: Mapping[str, Any]
    ) -> ApiResult:
        """`groupMessages/send`: one robot message to a group (`sampleMarkdown`, `sampleText`)."""
        return self.call(
            "POST",
            GROUP_SEND_PATH,
            {
                "robotCode": self.robot_code,
                "openConversationId": open_conversation_id,
                "msgKey": msg_key,
                "msgParam": json.dumps(msg_param, ensure_ascii=False),
            },
        )

    def send_users(
        self, user_ids: list[str], msg_key: str, msg_param: Mapping[str, Any]
    ) -> ApiResult:
        """`oToMessages/batchSend`: one robot message to up to 20 people one-to-one."""
        if not 0 < len(user_ids) <= MAX_BATCH_USERS:
            return ApiResult(
                Delivery(DeliveryOutcome.PERMANENT, error=f"{len(user_ids)} user ids (1 to 20)")
            )
        return self.call(
            "POST",
            OTO_SEND_PATH,
            {
                "robotCode": self.robot_code,
                "userIds": user_ids,
                "msgKey": msg_key,
                "msgParam": json.dumps(msg_param, ensure_ascii=False),
            },
        )

    # -- interactive cards -------------------------------------------------------------------

    def deliver_card(
        self,
        *,
        template_id: str,
        out_track_id: str,
        params: Mapping[str, str],
        target: str,
        target_type: str,
        at_user_ids: list[str] | None = None,
    ) -> ApiResult:
        """`card/instances/createAndDeliver` to a group or a one-to-one robot chat.

        Button presses come back over the stream (`callbackType: STREAM`), to this app only.
        """
        body: dict[str, Any] = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": dict(params)},
            "callbackType": "STREAM",
            "userIdType": 1,
        }
        if target_type == "user":
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{target}"
            body["imRobotOpenSpaceModel"] = {"supportForward": False}
            body["imRobotOpenDeliverModel"] = {
                "spaceType": "IM_ROBOT",
                "robotCode": self.robot_code,
            }
        else:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{target}"
            body["imGroupOpenSpaceModel"] = {"supportForward": True}
            deliver: dict[str, Any] = {"robotCode": self.robot_code}
            if at_user_ids:
                deliver["atUserIds"] = {uid: uid for uid in at_user_ids}
            body["imGroupOpenDeliverModel"] = deliver
        result = self.call("POST", CARD_DELIVER_PATH, body)
        if result.ok and not result.delivery.external_ref:
            return ApiResult(
                Delivery(DeliveryOutcome.SENT, external_ref=out_track_id),
                result.status,
                result.body,
            )
        return result

    def update_card(self, out_track_id: str, params: Mapping[str, str]) -> ApiResult:
        """`PUT card/instances`: change the given card parameters in place, keeping the others."""
        return self.call(
            "PUT",
            CARD_UPDATE_PATH,
            {
                "outTrackId": out_track_id,
                "cardData": {"cardParamMap": dict(params)},
                "cardUpdateOptions": {"updateCardDataByKey": True},
                "userIdType": 1,
            },
        )
