"""pmbot wired to a fake Slack, for end-to-end tests.

The real pmbot app (`bot.app.build_app`: router, natural language, database) and the real Slack
adapter (Bolt, slack_sdk, pmbot's ASGI endpoint under uvicorn on a free port) run against
`FakeSlackAPI`. Requests are built from the recorded payload shapes in `tests/fixtures/slack`,
signed with the signing secret the way Slack signs them, and POSTed over HTTP.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.engine import Engine

from bot.app import App, build_app
from bot.settings import Settings, load_settings
from bot.slack.app import SlackAdapter, build_slack_app
from bot.slack.http import HttpServer
from core.clock import Clock
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111-2222-pmbottest"
APP_TOKEN = "xapp-1-A0PMBOT01-1111-pmbottest"
CHANNEL = "C0WEB0001"
CLIENT_ID = "1111.2222"

_counter = 0


def fixture(name: str) -> dict[str, Any]:
    """A recorded Slack payload from `tests/fixtures/slack/<name>.json` (a fresh copy)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def unique(prefix: str) -> str:
    """A fresh id in Slack's style (event ids, trigger ids, timestamps)."""
    global _counter
    _counter += 1
    return f"{prefix}{int(time.time())}{_counter:06d}"


def signed_headers(
    body: str, content_type: str, *, secret: str = SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack sends: `X-Slack-Request-Timestamp` and the v0 HMAC signature."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def slack_settings(api: FakeSlackAPI, **extra: Any) -> Settings:
    """Settings for pmbot talking to the fake Slack (the environment is not consulted for these)."""
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
        "slack_app_token": APP_TOKEN,
        "slack_api_url": api.api_url,
        "timezone": "Asia/Shanghai",
        "language": "zh",
        "llm_base_url": None,
        "llm_model": None,
        "slack_client_id": None,
        "slack_client_secret": None,
    }
    values.update(extra)
    return load_settings(**values)


class SlackHarness:
    """A fake Slack, pmbot built on `engine`, and pmbot's HTTP endpoint, started and stopped together."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        *,
        http: bool = True,
        oauth: bool = False,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.oauth = oauth
        self.extra_settings = settings or {}
        self.engine = engine
        self.clock = clock
        self.with_http = http
        self.api = FakeSlackAPI()
        self.app: App
        self.adapter: SlackAdapter
        self.server: HttpServer | None = None
        self.http: httpx.Client | None = None

    def __enter__(self) -> SlackHarness:
        self.api.start()
        for user_id, name, tz, locale in (
            ("U0ALICE01", "alice", "Asia/Shanghai", "zh-CN"),
            ("U0BOB0001", "bob", "Asia/Shanghai", "zh-CN"),
            ("U0CAROL01", "carol", "Europe/London", "en-GB"),
        ):
            self.api.add_user(user_id, name, tz=tz, locale=locale)
        extra = (
            {"slack_bot_token": None, "slack_client_id": CLIENT_ID, "slack_client_secret": "shh"}
            if self.oauth
            else {}
        )
        self.settings = slack_settings(self.api, **extra, **self.extra_settings)
        self.app = build_app(self.settings, clock=self.clock, engine=self.engine, migrate=False)
        self.adapter = build_slack_app(self.app)
        if self.with_http:
            self.server = HttpServer(self.adapter)
            self.server.start()
            self.http = httpx.Client(base_url=self.server.url, timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.http is not None:
            self.http.close()
        if self.server is not None:
            self.server.stop()
        self.adapter.close()
        self.api.stop()

    # -- sending -----------------------------------------------------------------------------

    def post(
        self,
        body: str,
        content_type: str,
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a signed body to pmbot's `/slack/events`."""
        assert self.http is not None
        sent = signed_headers(body, content_type, secret=secret, timestamp=timestamp)
        sent.update(headers or {})
        return self.http.post("/slack/events", content=body.encode(), headers=sent)

    def post_event(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        """An Events API request (JSON)."""
        return self.post(json.dumps(payload), "application/json", **kw)

    def post_form(self, fields: dict[str, Any], **kw: Any) -> httpx.Response:
        """A slash command request (form-encoded)."""
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def post_interaction(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        """An interactivity request: `payload=<json>`, form-encoded."""
        return self.post(
            "payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded", **kw
        )

    # -- payloads ----------------------------------------------------------------------------

    def command_payload(self, user: str, text: str, *, channel: str = CHANNEL) -> dict[str, Any]:
        """A `/pm` slash command as Slack sends it, with a response_url on the fake."""
        fields = fixture("slash_command")
        name = unique("cmd")
        fields.update(
            user_id=user,
            user_name=self.api.users.get(user, {}).get("name", user),
            text=text,
            channel_id=channel,
            channel_name="directmessage" if channel.startswith("D") else "web-team",
            team_id=TEAM_ID,
            trigger_id=unique("1337."),
            response_url=self.api.response_url(name),
        )
        return fields

    def command(
        self, user: str, text: str, *, channel: str = CHANNEL
    ) -> tuple[httpx.Response, str]:
        """Run `/pm text`; returns the HTTP response and the response_url's recorded name."""
        fields = self.command_payload(user, text, channel=channel)
        response = self.post_form(fields)
        return response, "response:" + fields["response_url"].rsplit("/", 1)[1]

    def command_reply(self, user: str, text: str, *, channel: str = CHANNEL) -> dict[str, Any]:
        """Run `/pm text` and wait for the reply pmbot posts to the response_url."""
        response, method = self.command(user, text, channel=channel)
        assert response.status_code == 200, response.text
        return self.api.wait_for(method)[0].args

    def mention_payload(
        self, user: str, text: str, *, event_id: str | None = None
    ) -> dict[str, Any]:
        """An `app_mention` event, `text` after the bot's mention."""
        payload = fixture("app_mention")
        ts = f"{int(time.time())}.{unique('')[-6:]}"
        payload["event"].update(user=user, text=f"<@UBOTPMBOT> {text}", ts=ts, event_ts=ts)
        payload["event_id"] = event_id or unique("Ev")
        return payload

    def button_payload(
        self,
        user: str,
        *,
        channel: str,
        message_ts: str,
        value: str,
        action_id: str = "pm_button:0",
    ) -> dict[str, Any]:
        """A `block_actions` press of one of pmbot's buttons on a channel message."""
        payload = fixture("block_actions")
        payload["user"].update(id=user, username=user.lower(), name=user.lower())
        payload["container"].update(message_ts=message_ts, channel_id=channel)
        payload["channel"]["id"] = channel
        payload["message"]["ts"] = message_ts
        payload["trigger_id"] = unique("1337.")
        payload["response_url"] = self.api.response_url(unique("act"))
        payload["actions"][0].update(action_id=action_id, value=value, action_ts=unique("17641."))
        return payload

    def setup_project(self) -> None:
        """alice makes project WEB, binds the channel to it and adds bob as a member."""
        assert "WEB" in self.command_reply("U0ALICE01", "project new WEB Website")["text"]
        self.command_reply("U0ALICE01", "channel bind WEB")
        reply = self.command_reply("U0ALICE01", "member add WEB <@U0BOB0001> member")
        assert "WEB" in reply["text"], reply["text"]
