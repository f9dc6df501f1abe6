"""`pmbot scheduler`, `pmbot tick` and `pmbot notifications`: the scheduler from the shell."""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select

from core.clock import Clock, FixedClock, SystemClock
from core.errors import PMError
from core.messages import Notifier
from core.models import User
from core.services import notifications as notify
from core.services.context import Ctx
from core.services.users import to_actor


def _settings() -> Any:
    from bot.cli import _settings_or_exit

    return _settings_or_exit()


def _notifiers(app: Any, stream: Any) -> dict[str, Notifier]:
    from scheduler.notifiers import PrintNotifier

    notifiers: dict[str, Notifier] = dict(getattr(app, "notifiers", {}) or {})
    notifiers.setdefault("console", PrintNotifier(stream))
    return notifiers


def _parse_now(text: str | None) -> Clock:
    if not text:
        return SystemClock()
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SystemExit(
            f"pmbot: --now wants an ISO time such as 2026-12-01T09:30+08:00 ({exc})"
        ) from exc
    if at.tzinfo is None:
        raise SystemExit("pmbot: --now needs a zone, e.g. 2026-12-01T09:30+08:00 or ...Z")
    return FixedClock(at.astimezone(UTC))


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run the scheduler alone (a separate process beside the bot); stops on Ctrl-C or SIGTERM."""
    from bot.app import build_app
    from bot.logs import configure_logging
    from scheduler.loop import build_scheduler, run_until_stopped

    settings = _settings()
    configure_logging(settings.log_level, json=settings.log_json, secrets=settings.secret_values())
    app = build_app(settings)
    try:
        scheduler = build_scheduler(
            app.engine,
            _notifiers(app, sys.stdout),
            app.clock,
            settings,
            interval_seconds=args.interval,
        )
        return run_until_stopped(scheduler)
    finally:
        app.close()


def cmd_tick(args: argparse.Namespace) -> int:
    """Run one sweep as of `--now` and print what it sent."""
    from bot.app import build_app
    from bot.logs import configure_logging
    from scheduler.sweep import sweep_once

    settings = _settings()
    configure_logging("WARNING", json=settings.log_json, secrets=settings.secret_values())
    clock = _parse_now(args.now)
    app = build_app(settings, clock=clock)
    try:
        result = sweep_once(app.engine, _notifiers(app, io.StringIO()), clock)
    finally:
        app.close()
    if args.json:
        print(json.dumps([s.to_dict() for s in result.sent], ensure_ascii=False))
    else:
        for sent in result.sent:
            task = f" [{sent.task}]" if sent.task else ""
            print(f"{sent.kind} → {sent.to}{task}: {sent.text}")
        if not result.sent:
            print("nothing to send")
    return 0


def _operator(session: Any, name: str | None) -> User:
    query = select(User).where(col(User.is_admin).is_(True))
    if name:
        query = select(User).where(User.name == name)
    user = session.exec(query.order_by(col(User.id))).first()
    if user is None:
        raise SystemExit(
            f"pmbot: no user named {name!r}" if name else "pmbot: there is no admin user yet"
        )
    return user  # type: ignore[no-any-return]  # session is untyped here


def cmd_notifications(args: argparse.Namespace) -> int:
    """List, retry or cancel outbox rows (as an admin user)."""
    from bot.app import build_app
    from storage.db import session_scope

    settings = _settings()
    app = build_app(settings, clock=_parse_now(args.now))
    try:
        with session_scope(app.engine) as session:
            ctx = Ctx(session, to_actor(_operator(session, args.as_user), "cli"), app.clock)
            try:
                if args.action == "list":
                    rows = notify.list_notifications(
                        ctx, status=args.status, kind=args.kind, limit=args.limit
                    )
                    if args.json:
                        print(json.dumps([r.model_dump(mode="json") for r in rows]))
                    else:
                        for r in rows:
                            print(
                                f"{r.id:>6} {r.status:<9} {r.kind:<10} {r.platform}:{r.target} "
                                f"due {r.due_at:%Y-%m-%d %H:%M}Z tries {r.attempts} {r.dedupe_key}"
                                + (f"  ({r.last_error})" if r.last_error else "")
                            )
                        if not rows:
                            print("no notifications")
                    return 0
                if not args.ref:
                    raise SystemExit(f"pmbot: notifications {args.action} needs an id or key")
                for ref in args.ref:
                    out = (
                        notify.retry_notification(ctx, ref)
                        if args.action == "retry"
                        else notify.cancel_notification(ctx, ref)
                    )
                    print(f"{out.id} {out.status} {out.dedupe_key}")
            except PMError as exc:
                print(f"pmbot: {exc}", file=sys.stderr)
                return 1
    finally:
        app.close()
    return 0


def register(subparsers: Any) -> None:
    """Add `scheduler`, `tick` and `notifications` to the `pmbot` command line."""
    sched = subparsers.add_parser("scheduler", help="run the scheduler alone (separate process)")
    sched.add_argument(
        "--interval", type=float, default=None, help="seconds between sweeps (default 5)"
    )
    sched.set_defaults(func=cmd_scheduler)

    tick = subparsers.add_parser("tick", help="run one sweep and print what it sent")
    tick.add_argument("--now", default=None, help="as of this ISO time (default: now)")
    tick.add_argument("--json", action="store_true", help="print JSON")
    tick.set_defaults(func=cmd_tick)

    notes = subparsers.add_parser("notifications", help="the notification outbox (operators)")
    notes.add_argument("action", choices=["list", "retry", "cancel"])
    notes.add_argument("ref", nargs="*", help="ids or dedupe keys (retry/cancel)")
    notes.add_argument("--status", default=None, help="pending, sending, sent, dead, cancelled")
    notes.add_argument("--kind", default=None, help="reminder, overdue, digest, ...")
    notes.add_argument("--limit", type=int, default=50)
    notes.add_argument("--json", action="store_true")
    notes.add_argument("--as", dest="as_user", default=None, help="act as this admin user")
    notes.add_argument(
        "--now", default=None, help="retry as of this ISO time (default: now), as tick does"
    )
    notes.set_defaults(func=cmd_notifications)
