"""Slack payloads → `Inbound`: mentions, links and entities, and who the sender is.

Slack writes a mention as `<@U123>` or `<@U123|name>`, a channel as `<#C123|general>`, a link as
`<https://x|label>`, and escapes `&`, `<`, `>`. A mention becomes `@U123` with `mention_ids`
saying for certain which user it is, so the router never guesses by name.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.router import Inbound

log = structlog.get_logger(__name__)

PLATFORM = "slack"
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def translate_text(text: str, *, bot_user_id: str | None = None) -> tuple[str, dict[str, str]]:
    """Plain text and mention ids from Slack message text; the bot's own mention is dropped."""
    mentions: dict[str, str] = {}

    def mention(match: re.Match[str]) -> str:
        user_id = match.group(1)
        if user_id == bot_user_id:
            return ""
        mentions[user_id] = user_id
        return f"@{user_id}"

    text = _MENTION.sub(mention, text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]{2,}", " ", text).strip(), mentions


@dataclass(frozen=True, slots=True)
class Profile:
    """What Slack's users.info says about a person."""

    user_id: str
    name: str | None
    timezone: str | None
    locale: str | None


def _language(locale: str | None) -> str | None:
    if not locale:
        return None
    return "zh" if locale.lower().startswith("zh") else "en"


class Directory:
    """users.info lookups, cached per workspace and user for an hour."""

    TTL = 3600.0

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._lock = threading.Lock()

    def cached(self, tenant: str, user_id: str) -> Profile | None:
        """The cached profile, if fresh."""
        with self._lock:
            hit = self._cache.get((tenant, user_id))
        if hit is not None and time.monotonic() - hit[0] < self.TTL:
            return hit[1]
        return None

    def lookup(self, client: WebClient, tenant: str, user_id: str) -> tuple[Profile, bool]:
        """The user's profile and whether it was fetched just now (a new or stale entry)."""
        hit = self.cached(tenant, user_id)
        if hit is not None:
            return hit, False
        try:
            user = client.users_info(user=user_id, include_locale=True)["user"]
            profile_data = user.get("profile") or {}
            name = (
                profile_data.get("display_name")
                or user.get("real_name")
                or profile_data.get("real_name")
                or user.get("name")
            )
            profile = Profile(user_id, name, user.get("tz"), _language(user.get("locale")))
        except (SlackApiError, SlackClientError, KeyError, OSError) as exc:
            # Without users:read (or on a hiccup) the user still works, with default zone/locale.
            log.warning("slack_users_info_failed", user=user_id, error=type(exc).__name__)
            profile = Profile(user_id, None, None, None)
        with self._lock:
            self._cache[(tenant, user_id)] = (time.monotonic(), profile)
        return profile, True


def inbound(
    *,
    tenant: str,
    profile: Profile,
    text: str,
    mentions: dict[str, str],
    channel_id: str,
    thread_id: str | None,
    event_id: str,
    is_direct: bool,
    channel_name: str = "",
) -> Inbound:
    """One `Inbound` for the router."""
    return Inbound(
        platform=PLATFORM,
        tenant=tenant,
        user_id=profile.user_id,
        text=text,
        channel_id=channel_id,
        user_name=profile.name,
        thread_id=thread_id,
        event_id=event_id,
        is_direct=is_direct,
        channel_name=channel_name,
        mention_ids=mentions,
        user_timezone=profile.timezone,
        user_locale=profile.locale,
    )


def tenant_of(body: dict[str, Any]) -> str:
    """The workspace id of any Slack payload (events, commands, interactions)."""
    team = body.get("team")
    return str(
        body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or (body.get("user") or {}).get("team_id")
        or (body.get("event") or {}).get("team")
        or ""
    )
