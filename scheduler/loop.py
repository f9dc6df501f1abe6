"""The time-driven loop: APScheduler runs the sweep on an interval, in every process.

APScheduler is only the timer. Its memory job store holds one fixed job registered at start-up;
all business state lives in our tables, so several processes (or a restart) never run a
notification twice. `max_instances=1` stops a slow sweep from overlapping the next one in the
same process, and `coalesce` folds missed runs after a pause into one.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from typing import Any

import structlog
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from core.clock import Clock
from core.messages import Notifier
from scheduler.ratelimit import RateLimiter
from scheduler.sweep import SweepConfig, Sweeper

log = structlog.get_logger(__name__)

DEFAULT_INTERVAL_SECONDS = 5.0


def _safe_sweep(sweeper: Sweeper) -> None:
    try:
        sweeper.sweep()
    except Exception:  # a failed sweep is logged and the next one tries again
        log.exception("sweep_failed", owner=sweeper.owner)


def build_scheduler(
    engine: Engine,
    notifiers: Mapping[str, Notifier],
    clock: Clock,
    settings: Any = None,
    *,
    interval_seconds: float | None = None,
    config: SweepConfig | None = None,
    limiter: RateLimiter | None = None,
) -> BackgroundScheduler:
    """A not-yet-started BackgroundScheduler that sweeps every `sweep_seconds` (settings) or 5 s.

    Call `.start()` to run it and `.shutdown()` to stop it; the sweeper is on `.pmbot_sweeper`.
    """
    interval = interval_seconds or float(
        getattr(settings, "sweep_seconds", None) or DEFAULT_INTERVAL_SECONDS
    )
    sweeper = Sweeper(engine, notifiers, clock, config=config, limiter=limiter)
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone="UTC",
    )
    scheduler.add_job(
        _safe_sweep,
        "interval",
        args=[sweeper],
        seconds=interval,
        id="pmbot-sweep",
        replace_existing=True,
    )  # APScheduler keeps real time; the first sweep runs one interval after start
    scheduler.pmbot_sweeper = sweeper  # handy for callers and tests
    return scheduler


def run_until_stopped(scheduler: BackgroundScheduler, stop: threading.Event | None = None) -> int:
    """Start `scheduler` and block until SIGINT/SIGTERM (or `stop` is set); then shut it down."""
    stop = stop or threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log.info("scheduler_started")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("scheduler_stopped")
    return 0
