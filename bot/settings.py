"""pmbot's configuration: every knob is a `PMBOT_` environment variable (or a line in `.env`).

Platform credentials keep the names their SDKs document (`SLACK_BOT_TOKEN`,
`DINGTALK_CLIENT_ID`, ...). Nothing here is read at import time: `load_settings()` is called
once by the composition root.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The user's data directory for pmbot (XDG on Linux)."""
    return Path(platformdirs.user_data_dir("pmbot", appauthor=False))


class Settings(BaseSettings):
    """All of pmbot's settings, validated."""

    model_config = SettingsConfigDict(
        env_prefix="PMBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file in the data directory."
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    timezone: str = Field(default="Asia/Shanghai", description="Default IANA zone for new users.")
    language: str = Field(default="zh", description="Default reply language for new users: zh/en.")
    workday_end: str = Field(default="18:00", description="End of the working day (EOD, 下班前).")
    log_level: str = "INFO"
    log_json: bool | None = Field(default=None, description="JSON logs; default: when not a TTY.")

    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = 8.0

    scheduler_enabled: bool = True
    sweep_seconds: float = 5.0

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "PMBOT_SLACK_BOT_TOKEN")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "PMBOT_SLACK_APP_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "PMBOT_SLACK_SIGNING_SECRET"),
    )
    slack_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_CLIENT_ID", "PMBOT_SLACK_CLIENT_ID")
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "PMBOT_SLACK_CLIENT_SECRET"),
    )
    slack_api_url: str | None = Field(default=None, description="Slack Web API base URL override.")

    dingtalk_client_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DINGTALK_CLIENT_ID", "PMBOT_DINGTALK_CLIENT_ID"),
    )
    dingtalk_client_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DINGTALK_CLIENT_SECRET", "PMBOT_DINGTALK_CLIENT_SECRET"),
    )
    dingtalk_robot_code: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DINGTALK_ROBOT_CODE", "PMBOT_DINGTALK_ROBOT_CODE"),
    )
    dingtalk_card_template_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "DINGTALK_CARD_TEMPLATE_ID", "PMBOT_DINGTALK_CARD_TEMPLATE_ID"
        ),
        description="interactive card template for reminders with buttons",
    )
    dingtalk_openapi_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "DINGTALK_OPENAPI_ENDPOINT", "PMBOT_DINGTALK_OPENAPI_ENDPOINT"
        ),
    )

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to `pmbot.db` in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'pmbot.db'}"

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible endpoint and model are configured."""
        return bool(self.llm_base_url and self.llm_model)


class SettingsError(ValueError):
    """The environment holds a setting pmbot cannot use; the message names the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`, naming any variable that is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # keyword overrides are validated
    except ValidationError as exc:
        problems = "; ".join(
            f"PMBOT_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from exc
