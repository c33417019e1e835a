"""Background jobs, run by `python -m backend worker` or (in development) inside the web
process: housekeeping, overdue reminders, and delivery of the notification outbox."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import timedelta

import anyio.to_thread
from sqlalchemy import Engine

from backend.accounts import device_credentials
from backend.accounts.service import purge_idle_sessions
from backend.capabilities import wire
from backend.db import outbox
from backend.db.engine import session_scope
from backend.db.types import utcnow
from backend.directory.upkeep import release_ended_pauses
from backend.fhir import notifications as fhir_notifications
from backend.push.sender import deliver_due
from backend.referrals.cases import remind_overdue
from backend.security import ratelimit
from backend.settings import Settings
from backend.system import heartbeat, metrics

log = logging.getLogger("passerelle.jobs")
PUSH_EVERY = 2.0  # seconds: a coordinator sees a new referral "within seconds"
HOUSEKEEPING_EVERY = 60.0


def housekeeping(engine: Engine, idle: timedelta) -> dict[str, int]:
    """Forget idle sessions and old rate-limit counters; reopen offers whose pause has ended;
    remind organisations of overdue referrals (once a day at most)."""
    wire()  # the reminders are events that push turns into notifications
    with session_scope(engine, writes=True) as session:
        sessions = purge_idle_sessions(session, idle)
        device_credentials.purge_ended(session)
        ratelimit.purge(session, utcnow() - timedelta(days=1))
        released = release_ended_pauses(session)
        reminded = remind_overdue(session)
    return {"sessions_removed": sessions, "pauses_ended": released, "overdue_reminders": reminded}


def one_round(
    engine: Engine, settings: Settings, with_housekeeping: bool, beat: bool = True
) -> dict[str, object]:
    counts: dict[str, object] = {}
    if with_housekeeping:
        counts.update(housekeeping(engine, timedelta(minutes=settings.session_idle_minutes)))
    pushed = deliver_due(engine, settings)
    counts.update(sent=pushed.sent, retried=pushed.retried, failed=pushed.failed, merged=pushed.merged)
    hooked = fhir_notifications.deliver_due(engine, settings)  # FHIR subscriptions' rest-hooks
    counts.update(fhir_sent=hooked.sent, fhir_retried=hooked.retried, fhir_failed=hooked.failed)
    if beat:
        heartbeat.beat(engine)  # a finished round: /readyz knows a worker is alive
    return counts


class Rounds:
    """The outbox every round, housekeeping when a minute has passed since the last time, the
    heartbeat when a third of WORKER_STALE_SECONDS has: /readyz still sees a fresh one, and
    SQLite's single writer gets one heartbeat transaction every 10 s, not one every round."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self.last_housekeeping = self.last_beat = float("-inf")
        self.beat_every = settings.worker_stale_seconds / 3

    def run(self) -> dict[str, object]:
        now = time.monotonic()
        due = now - self.last_housekeeping >= HOUSEKEEPING_EVERY
        beat = now - self.last_beat >= self.beat_every
        with metrics.WorkerRound():
            counts = one_round(self.engine, self.settings, due, beat)
        outbox.forget_held()  # every row of the round delivered, rescheduled or given back
        if due:
            self.last_housekeeping = now
        if beat:
            self.last_beat = now
        return counts


def run_forever(engine: Engine, settings: Settings, push_every: float = PUSH_EVERY) -> None:
    """The worker process. SIGTERM (or Ctrl-C) lets the round under way finish its deliveries
    in flight, begins no new one, gives back the leases it still holds and returns (exit 0)."""

    def stop(signum: int, frame: object) -> None:
        outbox.STOPPING.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    rounds = Rounds(engine, settings)
    while not outbox.STOPPING.is_set():
        try:
            counts = rounds.run()
        except Exception:
            log.exception("worker round failed")
        else:
            if any(
                counts.get(k)
                for k in ("sent", "retried", "failed", "fhir_sent", "fhir_failed")
                + ("sessions_removed", "overdue_reminders")
            ):
                log.info("worker: %s", counts)
        outbox.STOPPING.wait(push_every)
    log.info("worker stopping: %s outbox lease(s) given back", outbox.release_held(engine))


async def run_in_process(engine: Engine, settings: Settings) -> None:
    """The same rounds inside the web process (development, `make run`)."""
    rounds = Rounds(engine, settings)
    try:
        while True:
            try:
                await anyio.to_thread.run_sync(rounds.run)
            except Exception:
                log.exception("in-process worker round failed")
            await asyncio.sleep(PUSH_EVERY)
    finally:  # cancelled as the web process stops: the round's thread has ended by now
        await anyio.to_thread.run_sync(outbox.release_held, engine)


def stop_in_process() -> None:
    """Before cancelling run_in_process: the round under way begins no new delivery."""
    outbox.STOPPING.set()
