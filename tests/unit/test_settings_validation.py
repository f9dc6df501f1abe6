"""Every setting is checked at start, and the error names the variable (issue 10, finding 11)."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


@pytest.mark.parametrize(
    ("name", "value", "variable"),
    [
        ("PMBOT_TIMEZONE", "Not/AZone", "PMBOT_TIMEZONE"),
        ("PMBOT_LANGUAGE", "fr", "PMBOT_LANGUAGE"),
        ("PMBOT_LOG_LEVEL", "LOUD", "PMBOT_LOG_LEVEL"),
        ("PMBOT_WORKDAY_END", "25:99", "PMBOT_WORKDAY_END"),
        ("SLACK_SIGNING_SECRET", "", "SLACK_SIGNING_SECRET"),
        ("PMBOT_OUTBOUND_ALLOW", "10.0.0.0/33", "PMBOT_OUTBOUND_ALLOW"),
    ],
)
def test_a_setting_pmbot_cannot_use_stops_it_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, variable: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings(_env_file=None)


def test_good_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PMBOT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("PMBOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("PMBOT_WORKDAY_END", "17:30")
    monkeypatch.setenv("PMBOT_OUTBOUND_ALLOW", "10.20.0.0/16, 192.168.5.7")
    settings = load_settings(_env_file=None)
    assert settings.log_level == "DEBUG"
    assert [str(n) for n in settings.outbound_networks] == ["10.20.0.0/16", "192.168.5.7/32"]
