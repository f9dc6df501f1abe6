"""`pmbot`: the command line. `pmbot run` starts everything; see `pmbot --help`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from bot.settings import SettingsError, load_settings


def _settings_or_exit() -> object:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"pmbot: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def cmd_chat(args: argparse.Namespace) -> int:
    """`pmbot chat`: the terminal chat, or one command with `-c`."""
    from rich.console import Console

    from bot.app import build_app
    from bot.console import ConsoleChat, interactive
    from bot.logs import configure_logging
    from bot.settings import Settings

    settings = _settings_or_exit()
    assert isinstance(settings, Settings)
    configure_logging("WARNING" if args.command else settings.log_level, json=settings.log_json, secrets=settings.secret_values())
    app = build_app(settings)
    try:
        chat = ConsoleChat(app.router)
        user = args.as_user or os.environ.get("USER") or "me"
        if args.command is not None:
            reply = chat.say(user, args.command, channel=args.channel)
            if reply is None:
                return 0
            if args.json:
                print(json.dumps(reply.to_dict(), ensure_ascii=False, default=str))
            else:
                chat.console = Console()
                chat.show(reply)
            return 0 if reply.ok else 1
        chat.console = Console()
        return interactive(chat, user, args.channel)
    finally:
        app.close()


def cmd_run(args: argparse.Namespace) -> int:
    """`pmbot run`: connect to Slack/DingTalk when configured, else the terminal chat."""
    from bot.runner import run

    settings = _settings_or_exit()
    return run(settings, args)  # type: ignore[arg-type]  # Settings, checked in _settings_or_exit


def cmd_db(args: argparse.Namespace) -> int:
    """`pmbot db upgrade|current`."""
    from bot.settings import Settings
    from storage.db import make_engine
    from storage.migrate import current_revision, upgrade

    settings = _settings_or_exit()
    assert isinstance(settings, Settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        if args.action == "upgrade":
            upgrade(engine)
        print(current_revision(engine) or "empty")
    finally:
        engine.dispose()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="pmbot", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND")

    run = sub.add_parser("run", help="start pmbot (Slack/DingTalk if configured, else terminal)")
    run.add_argument(
        "--http", action="store_true", help="serve Slack over HTTP instead of Socket Mode"
    )
    run.add_argument("--port", type=int, default=3000)
    run.add_argument(
        "--host",
        default="127.0.0.1",
        help="address HTTP mode listens on (default 127.0.0.1, behind a TLS proxy; 0.0.0.0 for all)",
    )
    run.add_argument("--as", dest="as_user", default=None, help="terminal user name")
    run.add_argument("--channel", default="terminal")
    run.add_argument("--no-scheduler", action="store_true", help="do not run the scheduler here")
    run.set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="the terminal chat")
    chat.add_argument("--as", dest="as_user", default=None, help="who you are (default: $USER)")
    chat.add_argument("--channel", default="terminal", help="channel name (default: terminal)")
    chat.add_argument("-c", dest="command", default=None, help="run one command and exit")
    chat.add_argument("--json", action="store_true", help="with -c: print the reply as JSON")
    chat.set_defaults(func=cmd_chat)

    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])
    db.set_defaults(func=cmd_db)

    for module in ("bot.parse_cli", "bot.scheduler_cli"):
        try:
            mod = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pmbot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from bot.logs import configure_logging

    # Until a command sets its own level, only warnings, and always on stderr: stdout is for
    # the command's output (JSON for scripts).
    configure_logging("WARNING")
    try:
        result: int = args.func(args)
    except OperationalError as exc:
        where = _redacted_url()
        reason = str(exc.orig or exc).strip().splitlines()[0]
        print(f"pmbot: cannot open the database at {where}: {reason}", file=sys.stderr)
        print("Check PMBOT_DATABASE_URL (or unset it to use the SQLite default).", file=sys.stderr)
        return 2
    return result


def _redacted_url() -> str:
    """The configured database URL with any password hidden."""
    import sqlalchemy as sa

    from bot.settings import load_settings

    try:
        url = load_settings().resolved_database_url
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # the URL itself may be what is wrong
        return "PMBOT_DATABASE_URL"


if __name__ == "__main__":
    raise SystemExit(main())
