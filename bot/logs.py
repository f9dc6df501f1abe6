"""structlog, configured once at start-up: readable on a terminal, JSON elsewhere."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

import structlog

from bot.redact import Redactor


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def configure_logging(
    level: str = "INFO", *, json: bool | None = None, secrets: Iterable[str | None] = ()
) -> None:
    """Route structlog and stdlib logging to stderr, as key-value events, with `secrets` (and
    anything shaped like a token) masked in every line."""
    redact = Redactor(secrets)
    if json is None:
        json = not sys.stderr.isatty()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            redact.processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Resolve sys.stderr at each use and cache nothing: a logger bound once must not keep
        # writing to a stream that was replaced (tests, `pmbot parse` keeping stdout pure JSON).
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )
