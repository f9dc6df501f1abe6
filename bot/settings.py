"""pmbot's configuration: every knob is a `PMBOT_` environment variable (or a line in `.env`).

Platform credentials keep the names their SDKs document (`SLACK_BOT_TOKEN`,
`DINGTALK_CLIENT_ID`, ...). Nothing here is read at import time: `load_settings()` is called
once by the composition root.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.netpolicy import Network, parse_allow

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
    outbound_allow: str = Field(
        default="",
        description="networks user-configured webhooks may reach besides the public internet "
        "(comma-separated CIDRs, e.g. 10.20.0.0/16); default none",
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from exc
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError(f"{value!r} is not a reply language (zh or en)")
        return value

    @field_validator("workday_end")
    @classmethod
    def _workday_end(cls, value: str) -> str:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
        if not m or int(m[1]) > 23 or int(m[2]) > 59:
            raise ValueError(f"{value!r} is not a time of day (HH:MM, e.g. 18:00)")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in _LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level ({', '.join(_LOG_LEVELS)})")
        return value.upper()

    @field_validator("outbound_allow")
    @classmethod
    def _outbound_allow(cls, value: str) -> str:
        try:
            parse_allow(value.split(","))
        except ValueError as exc:
            raise ValueError(f"{value!r}: {exc}") from exc
        return value

    @field_validator("slack_signing_secret", "slack_bot_token", "slack_app_token")
    @classmethod
    def _not_blank(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("is set but empty; unset it or give the value")
        return value

    def secret_values(self) -> list[str]:
        """Every configured secret, for masking in logs and error texts."""
        values = [
            self.llm_api_key, self.slack_bot_token, self.slack_app_token,
            self.slack_signing_secret, self.slack_client_secret, self.dingtalk_client_secret,
        ]  # fmt: skip
        return [v.get_secret_value() for v in values if v is not None]

    @property
    def outbound_networks(self) -> tuple[Network, ...]:
        """The operator's allowed networks for user-configured URLs."""
        return parse_allow(self.outbound_allow.split(","))

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


def _variable(name: str) -> str:
    # platform credentials keep their SDKs' names (SLACK_SIGNING_SECRET); the rest are PMBOT_
    upper = name.upper()
    return upper if upper.startswith(("SLACK_", "DINGTALK_", "PMBOT_")) else f"PMBOT_{upper}"


class SettingsError(ValueError):
    """The environment holds a setting pmbot cannot use; the message names the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`, naming any variable that is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # keyword overrides are validated
    except ValidationError as exc:
        problems = "; ".join(
            f"{_variable('_'.join(str(p) for p in err['loc']))}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from exc
