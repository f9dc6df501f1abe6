"""Secrets out of logs and error texts: the configured ones by value, and token shapes by pattern.

HTTP clients put what a server echoed into their exception texts (an LLM endpoint repeating the
key, a URL with `access_token=`), and database drivers their parameters; every log line and every
error text built from them passes through `Redactor` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from typing import Any

MASK = "***"
_PATTERNS = [
    re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bxapp-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bSEC[0-9a-f]{20,}"),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)\b(access_token|token|sign|secret|client_secret|api_key|apikey|password)"
        r"(=|\":\s*\"|':\s*')[^&\s\"',]{4,}"
    ),
]


class Redactor:
    """Replaces known secret values and token-shaped strings with `***`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` with every secret masked."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(_mask, text)
        return text

    def processor(
        self, _logger: Any, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """A structlog processor masking every string value of an event."""
        for key, value in list(event.items()):
            if isinstance(value, str):
                event[key] = self(value)
            elif value is not None and not isinstance(value, int | float | bool):
                text = str(value)
                masked = self(text)
                if masked != text:
                    event[key] = masked
        return event


def _mask(match: re.Match[str]) -> str:
    if match.lastindex and match.lastindex >= 2:
        return f"{match.group(1)}{match.group(2)}{MASK}"
    return MASK
