"""The composition root: every long-lived part built once from settings, for the api process,
the arq worker and the `hadir` command alike.

Each domain gets the services of the domains it reads handed to its constructor; none is patched
in afterwards. Follow-up work between domains flows as outbox events (`backend/core/outbox.py`),
not callbacks, so the order below is simply who reads whom.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor

import msgspec
from piccolo.engine.base import Engine

from backend.attendance.recap import DayRecords
from backend.attendance.reviews import Reviews
from backend.attendance.service import CheckIns
from backend.core.db import open_engine
from backend.core.outbox import Outbox
from backend.core.queue import InProcessQueue, JobQueue, open_queue
from backend.core.settings import Settings
from backend.core.storage import ObjectStore, open_store
from backend.faces.service import Faces, face_pool
from backend.geofence.service import Geofences
from backend.imports.service import Imports
from backend.org import imports as org_imports
from backend.org.service import Accounts, UnitDirectory, token_state
from backend.permits.service import Permits
from backend.push.service import Push

# What core.auth.TokenVersions reads to tell a current token from a revoked one.
TOKEN_STATE = token_state


class Services(msgspec.Struct):
    settings: Settings
    engine: Engine
    store: ObjectStore
    queue: JobQueue
    outbox: Outbox
    units: UnitDirectory
    geofences: Geofences
    checkins: CheckIns
    faces: Faces
    reviews: Reviews
    push: Push
    permits: Permits
    days: DayRecords
    imports: Imports
    accounts: Accounts


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    queue: JobQueue | None = None,
    face_executor: Callable[[], Executor | None] | None = None,
    periodic: bool = False,
    dispatch: bool = False,
) -> AsyncIterator[Services]:
    """Open the database, storage, queue and face pool; close them in reverse order.

    `queue` is given by the arq worker (which has its own Redis pool); otherwise the queue is
    built from `settings.redis_url` (arq, connecting lazily: Redis may be down) or runs jobs
    in-process, where `periodic` also runs the periodic jobs (the api process of the embedded
    default). `dispatch` runs the outbox's dispatcher (api processes and workers).
    """
    from backend.worker import FUNCTIONS, PERIODIC

    settings = settings.with_secret()
    async with contextlib.AsyncExitStack() as stack:
        engine = await stack.enter_async_context(open_engine(settings))
        store = await stack.enter_async_context(open_store(settings))
        if queue is None:
            queue = await stack.enter_async_context(
                open_queue(
                    settings.redis_url, FUNCTIONS, PERIODIC, timeout_s=settings.redis_timeout_s
                )
            )
        outbox = Outbox(
            engine,
            poll_s=settings.outbox_poll_s,
            retry_s=settings.outbox_retry_s,
            max_attempts=settings.outbox_max_attempts,
        )
        permits = Permits(store=store, outbox=outbox, presign_ttl_s=settings.presign_ttl_s)
        units = UnitDirectory()
        geofences = Geofences(settings.default_max_accuracy_m)
        faces = Faces(
            settings=settings,
            store=store,
            executor=face_executor or (lambda: face_pool(1)),
        )
        stack.callback(faces.close)
        checkins = CheckIns(
            settings=settings,
            engine=engine,
            store=store,
            outbox=outbox,
            geofences=geofences,
            units=units,
            permits=permits,
            faces=faces,
        )
        # Reminders skip those already in and those on leave.
        push = Push(
            settings=settings,
            outbox=outbox,
            on_permit=permits.approved_on,
            checked_in=checkins.checked_in,
        )
        services = Services(
            settings=settings,
            engine=engine,
            store=store,
            queue=queue,
            outbox=outbox,
            units=units,
            geofences=geofences,
            checkins=checkins,
            faces=faces,
            reviews=Reviews(checkins=checkins, faces=faces),
            push=push,
            permits=permits,
            days=DayRecords(rules_table=settings.tpp_rules, permits=permits),
            imports=Imports(org_imports.importers(outbox.transaction)),
            accounts=Accounts(outbox.transaction),
        )
        if isinstance(queue, InProcessQueue):
            queue.ctx["services"] = services
            if periodic:
                queue.start_periodic()
        if dispatch:
            # Entered last, so it stops first: before the queue it hands work to is closed.
            await stack.enter_async_context(outbox.dispatching(queue))
        yield services
