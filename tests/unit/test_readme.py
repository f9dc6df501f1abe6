"""The README tells the truth about settings, roles and commands."""

from __future__ import annotations

from pathlib import Path

from bot.docs import render
from bot.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_generated_sections_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "run `python -m bot.docs` to regenerate README sections"


def test_generated_sections_hold_the_tables() -> None:
    text = README.read_text(encoding="utf-8")
    assert "| `task.delete`: delete tasks |" in text
    assert "| `done TASK` |" in text


def test_every_setting_is_documented() -> None:
    text = README.read_text(encoding="utf-8")
    missing = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names = [f"PMBOT_{name.upper()}"]
        if alias is not None and hasattr(alias, "choices"):
            names = [str(c) for c in alias.choices]
        if not any(n in text for n in names):
            missing.append(names[0])
    assert missing == []


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text
