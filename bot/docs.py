"""Generated README sections: the role table and the command reference come from the code.

`python -m bot.docs` rewrites the marked sections of README.md; a test checks they are current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from core.models import Role
from core.permissions import permission_table

ROLES = (Role.GUEST, Role.FINANCE, Role.MEMBER, Role.MANAGER, Role.ADMIN)


def roles_markdown() -> str:
    """The role/permission table as Markdown."""
    lines = [
        "| permission | " + " | ".join(r.value for r in ROLES) + " |",
        "| --- | " + " | ".join(":-:" for _ in ROLES) + " |",
    ]
    for description, allowed in permission_table():
        marks = " | ".join("✓" if allowed[r] else "" for r in ROLES)
        lines.append(f"| {description} | {marks} |")
    return "\n".join(lines)


def commands_markdown() -> str:
    """The command reference as Markdown."""
    import bot.commands  # noqa: F401  # registers the command modules
    from bot.router import COMMANDS

    lines = ["| command | 中文 | what it does |", "| --- | --- | --- |"]
    for cmd in sorted(COMMANDS.values(), key=lambda c: (c.group, c.name)):
        usage = cmd.usage.replace("|", "\\|")
        alias = ", ".join(a for a in cmd.aliases if not a.isascii()) or ""
        lines.append(f"| `{usage}` | {alias} | {cmd.summary} |")
    return "\n".join(lines)


SECTIONS = {"roles": roles_markdown, "commands": commands_markdown}


def render(readme: str) -> str:
    """README text with every generated section brought up to date."""
    for name, build in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.DOTALL
        )
        readme = pattern.sub(lambda m, b=build: m.group(1) + b() + "\n" + m.group(2), readme)  # type: ignore[misc]
    return readme


def main() -> int:
    """Rewrite README.md's generated sections in place."""
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
