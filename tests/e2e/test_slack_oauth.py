"""Many workspaces: installations kept in pmbot's database through slack_sdk's SQLAlchemy store,
used to answer each workspace with its own token, and deleted on `app_uninstalled`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy.engine import Engine

from bot.slack.notifier import build_slack_notifier
from bot.slack.oauth import installation_store
from core.clock import FixedClock
from core.messages import DeliveryOutcome, Outgoing, Reply
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_harness import CLIENT_ID, SlackHarness, fixture, unique

TEAM_TOKEN = "xoxb-3333-4444-installed"


@pytest.fixture
def slack(sqlite_engine: Engine) -> Iterator[SlackHarness]:
    """pmbot in OAuth mode (client id and secret, no bot token), one workspace installed."""
    with SlackHarness(
        sqlite_engine, FixedClock(datetime(2026, 11, 25, 2, tzinfo=UTC)), oauth=True
    ) as harness:
        installation_store(harness.settings, sqlite_engine).save(
            Installation(
                app_id="A0PMBOT01",
                team_id=TEAM_ID,
                bot_token=TEAM_TOKEN,
                bot_id="BPMBOT01",
                bot_user_id="UBOTPMBOT",
                bot_scopes=["chat:write", "commands", "app_mentions:read"],
                user_id="U0ALICE01",
                installed_at=time.time(),
            )
        )
        yield harness


def note() -> Outgoing:
    """A notification for the installed workspace."""
    return Outgoing(
        dedupe_key="digest:C0WEB0001:2026-11-25",
        kind="digest",
        platform="slack",
        tenant=TEAM_ID,
        target="C0WEB0001",
        target_type="channel",
        reply=Reply(text="📋 digest"),
    )


def test_each_workspace_is_answered_with_its_installed_token_until_it_uninstalls(
    slack: SlackHarness,
) -> None:
    assert slack.post_event(slack.mention_payload("U0ALICE01", "whoami")).status_code == 200
    [reply] = slack.api.wait_for("chat.postMessage")
    assert reply.token == TEAM_TOKEN

    notifier = build_slack_notifier(slack.settings, engine=slack.engine)
    assert notifier.send(note()).outcome is DeliveryOutcome.SENT
    assert slack.api.calls("chat.postMessage")[-1].token == TEAM_TOKEN

    uninstalled = fixture("app_uninstalled")
    uninstalled["event_id"] = unique("Ev")
    assert slack.post_event(uninstalled).status_code == 200
    store = installation_store(slack.settings, slack.engine)
    deadline = time.monotonic() + 5
    while store.find_bot(enterprise_id=None, team_id=TEAM_ID) is not None:
        assert time.monotonic() < deadline, "the installation was not deleted"
        time.sleep(0.05)
    gone = notifier.send(note())
    assert (gone.outcome, gone.error) == (DeliveryOutcome.PERMANENT, "no_installation")


def test_the_install_page_starts_slacks_oauth_flow(slack: SlackHarness) -> None:
    assert slack.http is not None
    page = slack.http.get("/slack/install")
    assert page.status_code == 200
    assert f"client_id={CLIENT_ID}" in page.text
    assert "slack.com/oauth/v2/authorize" in page.text
