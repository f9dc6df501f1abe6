"""`pmbot parse`: one message in, one JSON object out (../shared/spec/nl-contract.md, "Command line").

    pmbot parse [--now ISO-DATETIME] [--tz IANA-ZONE] [--no-llm] TEXT
    pmbot parse --jsonl [FILE]                  # FILE or stdin, one {"id", "text", "now"?, "tz"?} a line

The rule parser always runs; the LLM is asked only when one is configured (`PMBOT_LLM_BASE_URL`,
`PMBOT_LLM_MODEL`), `--no-llm` is absent, and the rules are unsure. Exit status: 0, also when some
batch lines were bad (each gets `{"id": ..., "error": ...}`); 1 when the input cannot be read;
2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Any, TextIO
from zoneinfo import ZoneInfo

import structlog

from bot.llm import OpenAICompleter
from bot.settings import Settings, SettingsError, load_settings
from core.nlp import parse_message
from core.nlp.llm import load_prompt, parse_with_llm
from core.nlp.schema import ParseResult

EXIT_OK = 0
EXIT_UNREADABLE = 1
EXIT_USAGE = 2


class UsageError(ValueError):
    """A value on the command line (or in a batch line) that cannot be used."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `parse` subcommand to a `pmbot` argument parser."""
    parser = subparsers.add_parser(
        "parse",
        help="parse a chat message into the task fields (JSON)",
        description="Parse one message (or a JSONL batch with --jsonl) into the contract's JSON.",
    )
    parser.add_argument(
        "--now", metavar="ISO-DATETIME", help="aware reference time; default: the current time"
    )
    parser.add_argument(
        "--tz",
        metavar="IANA-ZONE",
        help="time zone of the output; default: PMBOT_TIMEZONE if set, else the offset of --now",
    )
    parser.add_argument("--no-llm", action="store_true", help="use the rule parser only")
    parser.add_argument(
        "--jsonl",
        action="store_true",
        help='batch mode: read {"id","text","now"?,"tz"?} lines from FILE (or stdin)',
    )
    parser.add_argument(
        "words", nargs="*", metavar="TEXT", help="the message (or, with --jsonl, the FILE)"
    )
    parser.set_defaults(func=run)


def main(argv: list[str] | None = None) -> int:
    """Run `pmbot parse ...` with only the `parse` subcommand available; returns the exit code."""
    parser = argparse.ArgumentParser(prog="pmbot")
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    try:
        args = parser.parse_args(argv)
        code: int = args.func(args)
    except SystemExit as exc:  # argparse reports usage errors (and --help) by exiting
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    return code


def run(args: argparse.Namespace) -> int:
    """Execute `pmbot parse` for parsed arguments; returns the exit code."""
    try:
        settings = load_settings()
        workday_end = time.fromisoformat(settings.workday_end)
    except (SettingsError, ValueError) as exc:
        print(f"pmbot parse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with _log_to_stderr(settings):
        parser = _Parser(settings, workday_end, use_llm=not args.no_llm)
        try:
            if args.jsonl:
                return _run_batch(args, parser)
            return _run_single(args, parser)
        finally:
            parser.close()


# -- the two modes ---------------------------------------------------------------------------


def _run_single(args: argparse.Namespace, parser: _Parser) -> int:
    text = " ".join(args.words)
    if not text.strip():
        print("pmbot parse: TEXT is required (or use --jsonl [FILE])", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = parser.parse(text, args.now, args.tz)
    except UsageError as exc:
        print(f"pmbot parse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _write(result.model_dump(mode="json"))
    return EXIT_OK


def _run_batch(args: argparse.Namespace, parser: _Parser) -> int:
    if len(args.words) > 1:
        print("pmbot parse --jsonl takes at most one FILE", file=sys.stderr)
        return EXIT_USAGE
    source = args.words[0] if args.words else "-"
    try:
        stream: IO[bytes] = (
            _stdin_bytes() if source == "-" else Path(source).open("rb")  # noqa: SIM115
        )
    except OSError as exc:
        print(f"pmbot parse: cannot read {source}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        for raw in _lines(stream):
            if raw.strip():
                _write(_parse_line(raw, parser, args.now, args.tz))
    except OSError as exc:
        print(f"pmbot parse: cannot read {source}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    finally:
        if source != "-":
            stream.close()
    return EXIT_OK


def _stdin_bytes() -> IO[bytes]:
    buffer: IO[bytes] | None = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text-only stand-in (io.StringIO): take its text as UTF-8
        return io.BytesIO(sys.stdin.read().encode("utf-8"))
    return buffer


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    first = True
    for raw in stream:
        yield raw.removeprefix(b"\xef\xbb\xbf") if first else raw  # a UTF-8 BOM is not data
        first = False


def _parse_line(
    raw: bytes, parser: _Parser, default_now: str | None, default_tz: str | None
) -> dict[str, Any]:
    """One batch line to one output object; a bad line becomes `{"id": ..., "error": ...}`."""
    ident: Any = None
    try:
        try:
            item = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise UsageError("line is not UTF-8") from exc
        except json.JSONDecodeError as exc:
            raise UsageError(f"line is not JSON: {exc.msg} at column {exc.colno}") from exc
        except RecursionError as exc:  # "[[[[..." nested deeper than the decoder goes
            raise UsageError("line is nested too deeply") from exc
        if not isinstance(item, dict):
            raise UsageError("line is not a JSON object")
        ident = item.get("id")
        text, now, tz = item.get("text"), item.get("now"), item.get("tz")
        if not isinstance(text, str):
            raise UsageError('"text" must be a string')
        if now is not None and not isinstance(now, str):
            raise UsageError('"now" must be an ISO 8601 string')
        if tz is not None and not isinstance(tz, str):
            raise UsageError('"tz" must be an IANA zone name')
        result = parser.parse(text, now or default_now, tz or default_tz)
    except UsageError as exc:
        return {"id": ident, "error": str(exc)}
    return {"id": ident, **result.model_dump(mode="json")}


def _write(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# -- parsing with the configured helpers -----------------------------------------------------


class _Parser:
    """The rule parser plus, when configured, the LLM; resolves `now` and the zone per message."""

    def __init__(self, settings: Settings, workday_end: time, *, use_llm: bool) -> None:
        self.settings = settings
        self.workday_end = workday_end
        self.completer: OpenAICompleter | None = None
        self.prompt = ""
        if use_llm and settings.llm_enabled:
            key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            self.completer = OpenAICompleter(
                str(settings.llm_base_url),
                key,
                str(settings.llm_model),
                timeout=settings.llm_timeout,
            )
            self.prompt = load_prompt()

    def parse(self, text: str, now_text: str | None, tz_name: str | None) -> ParseResult:
        """Parse one message; `UsageError` for an unusable `now` or zone."""
        now = _parse_now(now_text) if now_text is not None else None
        zone = self._zone(tz_name, now)
        local_now = (now or datetime.now(zone)).astimezone(zone)
        # A fixed offset (from --now) travels in `local_now`; the parser's `tz` takes IANA zones.
        named = zone if isinstance(zone, ZoneInfo) else None
        rules = parse_message(text, local_now, tz=named, workday_end=self.workday_end)
        if self.completer is None:
            return rules
        return parse_with_llm(
            text, local_now, zone, rules, self.completer, self.settings.llm_timeout, self.prompt
        )

    def _zone(self, tz_name: str | None, now: datetime | None) -> tzinfo:
        # The contract: --tz, else the zone configured for the user, else the offset of --now.
        if tz_name:
            return _zone_named(tz_name)
        if "timezone" in self.settings.model_fields_set or now is None:
            return _zone_named(self.settings.timezone)
        offset = now.utcoffset()
        return timezone(offset if offset is not None else timedelta(0))

    def close(self) -> None:
        """Close the LLM client, if any."""
        if self.completer is not None:
            self.completer.close()


def _parse_now(value: str) -> datetime:
    try:
        now = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"now is not an ISO 8601 datetime: {value!r}") from exc
    if now.tzinfo is None or now.utcoffset() is None:
        raise UsageError(f"now needs a UTC offset (e.g. 2026-11-24T09:30:00+08:00): {value!r}")
    return now


def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise UsageError(f"unknown time zone: {name!r}") from exc


# -- logging ---------------------------------------------------------------------------------


class _StderrProxy:
    """Writes to whatever `sys.stderr` is at the time, so stdout stays pure JSON."""

    def write(self, message: str) -> int:
        return sys.stderr.write(message)

    def flush(self) -> None:
        sys.stderr.flush()


@contextmanager
def _log_to_stderr(settings: Settings) -> Iterator[None]:
    """Keep log lines off stdout (it carries the JSON) while the command runs, then restore.

    An application that configured structlog keeps its processors and level; only where the
    lines go changes. Without a configuration, `PMBOT_LOG_LEVEL` filters them.
    """
    was_configured = structlog.is_configured()
    previous = structlog.get_config()
    stderr: TextIO = _StderrProxy()  # type: ignore[assignment]  # write/flush is all it needs
    if was_configured:
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=stderr))
    else:
        level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
        structlog.configure(
            wrapper_class=structlog.make_filtering_bound_logger(level),
            logger_factory=structlog.PrintLoggerFactory(file=stderr),
        )
    try:
        yield
    finally:
        if was_configured:
            structlog.configure(**previous)
        else:
            structlog.reset_defaults()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
