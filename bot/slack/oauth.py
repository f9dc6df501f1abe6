"""Many workspaces: Slack's OAuth install flow, with installations kept in pmbot's database.

`slack_sdk`'s SQLAlchemy stores keep installations (`slack_installations`, `slack_bots`) and
OAuth state (`slack_oauth_states`) on pmbot's own engine, so several pmbot processes share them.
`app_uninstalled` and `tokens_revoked` delete what they revoke (Bolt's built-in listeners).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot.settings import Settings

if TYPE_CHECKING:
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

BOT_SCOPES = [
    "app_mentions:read",
    "chat:write",
    "commands",
    "im:history",
    "im:write",
    "users:read",
    "channels:history",
    "groups:history",
]
STATE_EXPIRY_SECONDS = 600


def oauth_enabled(settings: Settings) -> bool:
    """True when pmbot should run the install flow (client id and secret are set)."""
    return bool(settings.slack_client_id and settings.slack_client_secret)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    """The installation store on pmbot's database, its tables created if missing."""
    # Imported here: slack_sdk's SQLAlchemy stores pull in sqlalchemy.ext.asyncio (greenlet),
    # which a single-workspace pmbot never needs.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    assert settings.slack_client_id is not None
    store = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
    store.metadata.create_all(engine)  # what create_tables() does; a no-op for existing tables
    return store


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth settings: `/slack/install` and `/slack/oauth_redirect`, stores in our DB."""
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    state_store = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRY_SECONDS, engine=engine)
    state_store.metadata.create_all(engine)
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=BOT_SCOPES,
        installation_store=installation_store(settings, engine),
        state_store=state_store,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )
