"""The composition root: every long-lived part built once from settings, for the api process,
the arq worker and the `hadir` command alike.

Each domain gets the services of the domains it reads handed to its constructor; none is patched
in afterwards. Follow-up work between domains flows as outbox events (`backend/core/outbox.py`),
not callbacks, so the order below is simply who reads whom.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor

import msgspec
from piccolo.engine.base import Engine

from backend.attendance.exports import RecapExports
from backend.attendance.recap import DayRecords
from backend.attendance.reviews import Reviews
from backend.attendance.service import CheckIns
from backend.attestations.service import Attestations
from backend.board.schemas import GeraiTile
from backend.board.service import Board
from backend.board.signal import ChangeSignal
from backend.cctv.exits import ExitWatch
from backend.cctv.service import Cctv, GeraiDesk, OfficerWatch
from backend.core.auth import Principal
from backend.core.db import open_engine
from backend.core.outbox import Outbox
from backend.core.queue import InProcessQueue, JobQueue, open_queue
from backend.core.settings import Settings
from backend.core.storage import ObjectStore, open_store
from backend.devices.service import Devices
from backend.faces.service import Faces, face_pool
from backend.geofence.checks import FenceLimits
from backend.geofence.service import FenceEditor, Geofences
from backend.gerai.service import GeraiService
from backend.imports.handout import Handouts
from backend.imports.service import Imports
from backend.kiosk.service import Kiosks
from backend.org import imports as org_imports
from backend.org import service as org
from backend.org.service import Accounts, UnitDirectory, token_state
from backend.permits.service import Permits
from backend.push.service import Push
from backend.ratings.service import IkmFigures, Ratings, parse_weights

# What core.auth.TokenVersions reads to tell a current token from a revoked one.
TOKEN_STATE = token_state


class GeraiOnBoard:
    """The gerai registry and CCTV as the board reads them (board.service.GeraiSource and
    PictureSource): the alerts in words, the IKM as a number, the latest snapshot of each
    gerai's cameras, so that none of these domains imports another."""

    def __init__(self, gerai: GeraiService, cctv: Cctv | None = None) -> None:
        self.gerai = gerai
        self.cctv = cctv

    async def board(self, now: dt.datetime) -> list[GeraiTile]:
        tiles = []
        states = await self.gerai.board(now)
        queues = await self.cctv.open_queue_alerts([s.code for s in states]) if self.cctv else {}
        for state in states:
            queue = queues.get(state.code)
            queue_alert = None
            if queue is not None:
                minutes = max(0, int((now - queue["opened_at"]).total_seconds() // 60))
                queue_alert = (
                    f"Antrean panjang selama {minutes} menit "
                    f"(puncak {queue['peak']} orang, batas {queue['threshold']})"
                )
            alert = None
            if state.alert is not None:
                minutes = max(0, int((now - state.alert.empty_since).total_seconds() // 60))
                alert = f"Kosong selama {minutes} menit"
            ikm = state.ikm.ikm if state.ikm is not None else None
            tiles.append(
                GeraiTile(
                    code=state.code,
                    name=state.name,
                    agency=state.agency,
                    state=state.state,
                    load=state.load,
                    alert=alert,
                    ikm=float(ikm) if ikm is not None else None,
                    queue_alert=queue_alert,
                )
            )
        return tiles

    async def supervisors(self, code: str) -> list[int]:
        return await self.gerai.supervisors(code)

    async def latest_pictures(self, gerai_codes: list[str]) -> dict[str, tuple[str, dt.datetime]]:
        return await self.cctv.latest_pictures(gerai_codes) if self.cctv else {}

    async def picture_url(self, who: Principal, object_key: str) -> str:
        assert self.cctv is not None  # only asked for a picture latest_pictures gave
        return await self.cctv.picture_url(who, object_key)


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
    attestations: Attestations
    days: DayRecords
    exports: RecapExports
    imports: Imports
    gerai: GeraiService
    ratings: Ratings
    board: Board
    cctv: Cctv
    accounts: Accounts
    fence_editor: FenceEditor
    kiosks: Kiosks
    devices: Devices


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    queue: JobQueue | None = None,
    face_executor: Callable[[], Executor | None] | None = None,
    periodic: bool = False,
    dispatch: bool = False,
    gerai: GeraiDesk | None = None,
) -> AsyncIterator[Services]:
    """Open the database, storage, queue and face pool; close them in reverse order.

    `queue` is given by the arq worker (which has its own Redis pool); otherwise the queue is
    built from `settings.redis_url` (arq, connecting lazily: Redis may be down) or runs jobs
    in-process, where `periodic` also runs the periodic jobs (the api process of the embedded
    default). `dispatch` runs the outbox's dispatcher (api processes and workers).
    """
    from backend.worker import FUNCTIONS, SCHEDULE

    settings = settings.with_secret()
    async with contextlib.AsyncExitStack() as stack:
        engine = await stack.enter_async_context(open_engine(settings))
        store = await stack.enter_async_context(open_store(settings))
        if queue is None:
            queue = await stack.enter_async_context(
                open_queue(
                    settings.redis_url, FUNCTIONS, SCHEDULE, timeout_s=settings.redis_timeout_s
                )
            )
        outbox = Outbox(
            engine,
            poll_s=settings.outbox_poll_s,
            retry_s=settings.outbox_retry_s,
            max_attempts=settings.outbox_max_attempts,
        )
        units = UnitDirectory()
        # Signed records: check-ins and permits verify their device's signature and chain.
        devices = Devices(engine=engine, transaction=outbox.transaction, tree=units.tree)
        permits = Permits(
            devices=devices,
            store=store,
            outbox=outbox,
            presign_ttl_s=settings.presign_ttl_s,
            annual_leave_days=settings.annual_leave_days,
        )
        geofences = Geofences(settings.default_max_accuracy_m)
        faces = Faces(
            settings=settings,
            store=store,
            executor=face_executor or (lambda: face_pool(1)),
            transaction=outbox.transaction,
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
            devices=devices,
        )
        # Reminders skip those already in and those on leave.
        push = Push(
            settings=settings,
            outbox=outbox,
            on_permit=permits.approved_on,
            checked_in=checkins.checked_in,
        )
        # The board's IKM comes from the ratings' aggregates; gerai does not import ratings.
        figures = IkmFigures(parse_weights(settings.skm_weights))
        # A gerai is open when an assigned employee is checked in (attendance) or a camera's
        # fresh count shows someone in its officer zone (CCTV's camera table, read by OfficerWatch).
        registry = GeraiService(
            ikm=figures,
            outbox=outbox,
            units=units,
            on_duty=checkins.on_duty,
            empty_grace=dt.timedelta(minutes=settings.gerai_empty_grace_minutes),
            officers=OfficerWatch(
                dt.timedelta(seconds=settings.cctv_officer_max_age_s)
            ).gerai_with_officer,
        )
        # A head's attestation (no signal for days) counts an employee's day present; the day
        # status reads the attested days through attestations' service.
        attestations = Attestations(
            outbox=outbox,
            units=units,
            devices=devices,
            max_back_days=settings.attestation_max_back_days,
            max_span_days=settings.attestation_max_span_days,
        )
        days = DayRecords(
            rules_table=settings.tpp_rules,
            permits=permits,
            outbox=outbox,
            attested=attestations.attested_between,
        )
        # Queue loads and queue alerts go to the gerai registry (its supervisors); a test may
        # hand in another desk (`gerai`). CCTV reads check-ins (attendance) and faces for
        # evidence; the review desk gets that evidence back through `Reviews(evidence=...)`.
        exits = ExitWatch(
            settings=settings,
            engine=engine,
            store=store,
            outbox=outbox,
            faces=faces,
            leaves=permits,
            photo_url=faces.photo_url,
            bkd=lambda: org.employees_with_role("bkd"),
        )
        cctv = Cctv(
            settings=settings,
            engine=engine,
            store=store,
            outbox=outbox,
            geofences=geofences,
            photo_url=faces.photo_url,
            admins=lambda: org.employees_with_role("admin"),
            gerai=gerai or registry,
            checkins=checkins,
            faces=faces,
            exits=exits,
        )
        on_board = GeraiOnBoard(registry, cctv)
        signal = ChangeSignal(settings.redis_url, timeout_s=settings.redis_timeout_s)
        stack.push_async_callback(signal.close)
        board = Board(
            outbox=outbox,
            days=days,
            checkins=checkins,
            permits=permits,
            signal=signal,
            slow_ttl_s=settings.board_slow_ttl_s,
            gerai=on_board,
            pictures=on_board,
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
            reviews=Reviews(checkins=checkins, faces=faces, evidence=cctv),
            push=push,
            permits=permits,
            attestations=attestations,
            days=days,
            exports=RecapExports(
                days=days,
                store=store,
                outbox=outbox,
                chunk=settings.recap_export_chunk,
                link_ttl_s=settings.presign_ttl_s,
                keep_hours=settings.recap_export_keep_hours,
            ),
            imports=Imports(
                org_imports.importers(outbox.transaction),
                Handouts(secret=settings.secret_key, ttl_minutes=settings.handout_ttl_minutes),
            ),
            gerai=registry,
            ratings=Ratings(
                outbox=outbox,
                gerai=registry,
                secret_key=settings.secret_key,
                window=dt.timedelta(hours=settings.rating_window_hours),
                per_minute=settings.rating_per_minute,
                figures=figures,
            ),
            board=board,
            cctv=cctv,
            # An employee's trail includes their face references' entries (faces domain).
            accounts=Accounts(outbox.transaction, reference_keys=faces.reference_keys),
            fence_editor=FenceEditor(
                geofences=geofences,
                transaction=outbox.transaction,
                limits=FenceLimits(settings.fence_min_radius_m, settings.fence_max_extent_m),
                default_max_accuracy_m=settings.default_max_accuracy_m,
                tile_url=settings.tile_url,
            ),
            kiosks=Kiosks(
                settings=settings,
                outbox=outbox,
                faces=faces,
                checkins=checkins,
                permits=permits,
                units=units,
            ),
            devices=devices,
        )
        if isinstance(queue, InProcessQueue):
            queue.ctx["services"] = services
            if periodic:
                queue.start_periodic()
        if dispatch:
            # Entered last, so it stops first: before the queue it hands work to is closed.
            await stack.enter_async_context(outbox.dispatching(queue))
        yield services
