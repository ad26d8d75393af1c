"""The transactional outbox: follow-up work is a database row before it is a job.

A change that needs later work (verify a selfie, recompute a day, send a notification) adds an
`Event` with `Outbox.add` inside the transaction that makes the change, so both are saved or
neither is. A dispatcher (in every api process and every worker) hands undone rows to the job
queue with the event's key as the job id, so the same work is queued once at a time. A job removes
only the rows of its key it saw when it started: work asked for again while it runs stays and is
queued again once it is done (the queue refuses an id that is queued or running; the dispatcher
offers it again shortly). Redis down, a worker killed or an api restarted delays work, never loses
it; a row handed over but never finished is offered again after `retry_s`.

Events name the job that does the work; domains emit them without importing each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from backend.core.queue import JobQueue
from backend.core.tables import OutboxItem

log = logging.getLogger(__name__)

# A job that is queued or running is offered again after this long (it may finish any moment).
BUSY_RETRY_S = 1.0
# After the queue refused a connection, wait this long before trying again.
UNREACHABLE_RETRY_S = 2.0
# After a commit wakes it, the dispatcher waits this long for more: at a morning's peak one
# claim and one hand-over serve every check-in of those milliseconds instead of one each.
GATHER_S = 0.05


class Event(msgspec.Struct, frozen=True):
    """One piece of follow-up work: the job that does it, its key (the job id), its arguments."""

    job: str
    key: str
    kwargs: dict[str, Any] = {}


def checkin_received(checkin_id: int) -> Event:
    """A pending check-in's selfie needs verifying."""
    return Event("verify_checkin", f"verify-checkin:{checkin_id}", {"id": checkin_id})


def day_changed(employee_id: int, day: dt.date) -> Event:
    """An input of an employee's day changed (a check-in settled or reviewed, a permit decided)."""
    return Event(
        "recompute_day",
        f"day:{employee_id}:{day.isoformat()}",
        {"employee_id": employee_id, "day": day.isoformat()},
    )


def checkin_settled(checkin_id: int, employee_id: int, location_id: int, at: dt.datetime) -> Event:
    """A check-in at a location settled: CCTV links the snapshots around it as evidence."""
    return Event(
        "link_checkin_evidence",
        f"evidence:{checkin_id}",
        {
            "checkin_id": checkin_id,
            "employee_id": employee_id,
            "location_id": location_id,
            "at": at.isoformat(),
        },
    )


def notice(
    employee_id: int, *, kind: str, subject: str, title: str, body: str, url: str = "/"
) -> Event:
    """Tell an employee something by push. `subject` names what it is about (a permit id, a
    check-in id): with `kind` it makes the notification unique, however often the event runs."""
    dedupe_key = f"{kind}:{subject}"
    return Event(
        "create_notification",
        f"notice:{dedupe_key}",
        {
            "employee_id": employee_id,
            "kind": kind,
            "title": title,
            "body": body,
            "url": url,
            "dedupe_key": dedupe_key,
        },
    )


def notification_created(notification_id: int) -> Event:
    """A notification row waits to be delivered."""
    return Event("send_notification", f"notify:{notification_id}", {"id": notification_id})


def day_recorded(
    employee_id: int,
    unit_id: int,
    day: dt.date,
    *,
    status: str,
    permit: str | None,
    tl: str | None,
    psw: str | None,
    computed_at: dt.datetime,
) -> Event:
    """An employee's stored day record changed what the board counts: the board's aggregates
    take the new state (the payload is the whole state, so running it twice changes nothing)."""
    return Event(
        "apply_board_day",
        f"board-day:{employee_id}:{day.isoformat()}",
        {
            "employee_id": employee_id,
            "unit_id": unit_id,
            "day": day.isoformat(),
            "status": status,
            "permit": permit,
            "tl": tl,
            "psw": psw,
            "computed_at": computed_at.isoformat(),
        },
    )


def board_changed(subject: str) -> Event:
    """Something the command board shows changed outside the day records (a gerai's state, a
    teguran): every board stream is told. `subject` names it, so one change signals once."""
    return Event("signal_board", f"board-signal:{subject}", {"subject": subject})


class Outbox:
    def __init__(
        self,
        engine: Engine,
        *,
        poll_s: float = 1.0,
        retry_s: float = 60.0,
        max_attempts: int = 20,
        batch: int = 200,
    ) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self.retry_s = retry_s
        self.max_attempts = max_attempts
        self.batch = batch
        self._wake = asyncio.Event()
        self._stopping = False

    # --- writing ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """The database transaction of a change; the dispatcher wakes once it is committed.

        On SQLite it takes the write lock at its start (IMMEDIATE): a transaction that read
        first and wrote later could not upgrade its snapshot under WAL when another wrote between.
        """
        async with self._begin():
            yield
        self._wake.set()

    def _begin(self) -> Any:
        if isinstance(self.engine, SQLiteEngine):
            return self.engine.transaction(transaction_type=TransactionType.immediate)
        return self.engine.transaction()

    async def add(self, *events: Event) -> None:
        """Record follow-up work; call it inside the transaction of the change that needs it."""
        if not events:
            return
        now = dt.datetime.now(dt.UTC)
        await OutboxItem.insert(
            *[
                OutboxItem(
                    job=event.job,
                    job_key=event.key,
                    kwargs=msgspec.to_builtins(event.kwargs),
                    created_at=now,
                    available_at=now,
                )
                for event in events
            ]
        )
        if not self.engine.transaction_exists():
            self._wake.set()  # inside a transaction, `transaction()` wakes it after the commit

    # --- dispatching --------------------------------------------------------------------------

    async def _claim(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Take a batch of due rows and hold them for `retry_s` (the lease), so that several
        dispatchers hand each row once."""
        async with self._begin():
            query = (
                OutboxItem.select(
                    OutboxItem.id,
                    OutboxItem.job,
                    OutboxItem.job_key,
                    OutboxItem.kwargs,
                    OutboxItem.attempts,
                    OutboxItem.created_at,
                )
                .where((OutboxItem.available_at <= now) & OutboxItem.gave_up_at.is_null())
                .order_by(OutboxItem.id)
                .limit(self.batch)
                .output(load_json=True)
            )
            if isinstance(self.engine, PostgresEngine):
                query = query.lock_rows("UPDATE", skip_locked=True)
            rows = await query
            if rows:
                await OutboxItem.update(
                    {OutboxItem.available_at: now + dt.timedelta(seconds=self.retry_s)}
                ).where(OutboxItem.id.is_in([row["id"] for row in rows]))
        return rows

    async def dispatch_once(self, queue: JobQueue) -> int:
        """Hand due rows to the queue; returns how many rows were taken from the table."""
        now = dt.datetime.now(dt.UTC)
        rows = await self._claim(now)
        by_key: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_key.setdefault(row["job_key"], []).append(row)
        handed: list[int] = []
        busy: dict[int, float] = {}
        given_up: list[int] = []
        unreachable: list[int] = []
        error = ""
        for key, group in by_key.items():
            ids = [row["id"] for row in group]
            if error:
                unreachable += ids
                continue
            if max(row["attempts"] for row in group) >= self.max_attempts:
                given_up += ids
                continue
            latest = group[-1]
            try:
                queued = await queue.enqueue(latest["job"], job_id=key, **latest["kwargs"])
            except Exception as exc:  # Redis refusing, down or hung: the rows wait for it
                error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("job queue unreachable, %s waits: %s", key, error)
                unreachable += ids
                continue
            if queued:
                handed += ids
            else:
                busy.update({row["id"]: self._busy_wait(row, now) for row in group})
        await self._settle(now, handed=handed, busy=busy, given_up=given_up)
        if unreachable:
            await OutboxItem.update(
                {
                    OutboxItem.available_at: now + dt.timedelta(seconds=UNREACHABLE_RETRY_S),
                    OutboxItem.last_error: error,
                }
            ).where(OutboxItem.id.is_in(unreachable))
        return len(rows)

    async def _settle(
        self, now: dt.datetime, *, handed: list[int], busy: dict[int, float], given_up: list[int]
    ) -> None:
        if handed:
            # Held for the lease: the job removes the rows; if it never does, they come back.
            await OutboxItem.update({OutboxItem.attempts: OutboxItem.attempts + 1}).where(
                OutboxItem.id.is_in(handed)
            )
        for wait in set(busy.values()):
            await OutboxItem.update(
                {OutboxItem.available_at: now + dt.timedelta(seconds=wait)}
            ).where(OutboxItem.id.is_in([i for i, w in busy.items() if w == wait]))
        if given_up:
            log.error(
                "outbox: giving up on %s rows after %s hand-overs", len(given_up), self.max_attempts
            )
            await OutboxItem.update(
                {
                    OutboxItem.gave_up_at: now,
                    OutboxItem.last_error: f"not done after {self.max_attempts} hand-overs",
                }
            ).where(OutboxItem.id.is_in(given_up))

    def _busy_wait(self, row: dict[str, Any], now: dt.datetime) -> float:
        """Seconds before a row whose job is queued or running is offered again.

        A row already handed over belongs to the job still queued: wait the full lease. A new
        row may belong to a job that started before it was added and must run again after it:
        offer it again soon, backing off as it ages (a long queue must not be polled every
        second for each of its jobs).
        """
        if row["attempts"] > 0:
            return self.retry_s
        age = (now - row["created_at"]).total_seconds()
        return float(round(min(self.retry_s, max(BUSY_RETRY_S, age / 2))))

    async def run(self, queue: JobQueue) -> None:
        """Dispatch forever: at once after a commit that added work, else every `poll_s`."""
        while not self._stopping:
            self._wake.clear()
            taken = 0
            try:
                taken = await self.dispatch_once(queue)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a moment; the rows are not lost
                log.exception("outbox dispatch failed")
            if taken >= self.batch:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
                if not self._stopping:
                    await asyncio.sleep(GATHER_S)

    @contextlib.asynccontextmanager
    async def dispatching(self, queue: JobQueue) -> AsyncIterator[None]:
        """Run the dispatcher for the life of a process (api lifespan, worker)."""
        self._stopping = False
        task = asyncio.create_task(self.run(queue), name="hadir-outbox")
        try:
            yield
        finally:
            # Asked to stop between rounds rather than cancelled: a cancel landing in a
            # transaction's commit would leak its pooled connection (Piccolo releases it after).
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=10)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # --- finishing ----------------------------------------------------------------------------

    async def pending(self, key: str) -> list[int]:
        """Ids of the rows of `key` now: what a job starting now will do."""
        rows = await OutboxItem.select(OutboxItem.id).where(OutboxItem.job_key == key)
        return [row["id"] for row in rows]

    async def done(self, ids: list[int]) -> None:
        if ids:
            await OutboxItem.delete().where(OutboxItem.id.is_in(ids))

    async def undone(self) -> int:
        """Rows not yet done and not given up (tests, health)."""
        return await OutboxItem.count().where(OutboxItem.gave_up_at.is_null())


JobFunction = Callable[..., Awaitable[Any]]


def outbox_job(function: JobFunction) -> JobFunction:
    """Wrap a job so a successful run removes the outbox rows of its key seen when it started.

    Rows added while it ran stay and are dispatched again once it is done: a check-out landing
    during a recompute of its day is not dropped. A failed run removes nothing.
    """

    @functools.wraps(function)
    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        outbox: Outbox = ctx["services"].outbox
        key = ctx.get("job_id")
        ids = await outbox.pending(key) if key else []
        result = await function(ctx, **kwargs)
        await outbox.done(ids)
        return result

    return run
