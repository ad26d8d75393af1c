"""The composition root: every long-lived part built once from settings, for the api process,
the arq worker and the `hadir` command alike."""

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
from backend.core.queue import InProcessQueue, JobQueue, open_queue
from backend.core.settings import Settings
from backend.core.storage import ObjectStore, open_store
from backend.faces.service import Faces, face_pool
from backend.geofence.service import Geofences
from backend.org.service import UnitDirectory
from backend.permits.service import Permits
from backend.push.service import Push


class Services(msgspec.Struct):
    settings: Settings
    engine: Engine
    store: ObjectStore
    queue: JobQueue
    units: UnitDirectory
    geofences: Geofences
    checkins: CheckIns
    faces: Faces
    reviews: Reviews
    push: Push
    permits: Permits
    days: DayRecords


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    queue: JobQueue | None = None,
    face_executor: Callable[[], Executor | None] | None = None,
    periodic: bool = False,
) -> AsyncIterator[Services]:
    """Open the database, storage, queue and face pool; close them in reverse order.

    `queue` is given by the arq worker (which has its own Redis pool); otherwise the queue is
    built from `settings.redis_url` (arq) or runs jobs in-process, where `periodic` also runs
    the periodic jobs (the api process of the embedded default).
    """
    from backend.worker import FUNCTIONS, PERIODIC

    settings = settings.with_secret()
    async with contextlib.AsyncExitStack() as stack:
        engine = await stack.enter_async_context(open_engine(settings))
        store = await stack.enter_async_context(open_store(settings))
        if queue is None:
            queue = await stack.enter_async_context(
                open_queue(settings.redis_url, FUNCTIONS, PERIODIC)
            )
        push = Push(settings=settings, queue=queue)
        permits = Permits(store=store, push=push, queue=queue, presign_ttl_s=settings.presign_ttl_s)
        # Reminders skip people on leave; Permits needs Push first, so this is wired after.
        push.on_permit = permits.approved_on
        units = UnitDirectory()
        geofences = Geofences(settings.default_max_accuracy_m)
        checkins = CheckIns(
            settings=settings,
            engine=engine,
            store=store,
            queue=queue,
            geofences=geofences,
            units=units,
            permits=permits,
            push=push,
        )
        faces = Faces(
            settings=settings,
            store=store,
            checkins=checkins,
            executor=face_executor or (lambda: face_pool(1)),
        )
        stack.callback(faces.close)
        services = Services(
            settings=settings,
            engine=engine,
            store=store,
            queue=queue,
            units=units,
            geofences=geofences,
            checkins=checkins,
            faces=faces,
            reviews=Reviews(checkins=checkins, faces=faces),
            push=push,
            permits=permits,
            days=DayRecords(rules_table=settings.tpp_rules, permits=permits),
        )
        if isinstance(queue, InProcessQueue):
            queue.ctx["services"] = services
            if periodic:
                queue.start_periodic()
        yield services
