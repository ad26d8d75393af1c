from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from backend.attendance.exports import (
    ExportRequest,
    RecapExports,
    RecapExportView,
    RecapUnitChoice,
)
from backend.attendance.recap import DayRecords, DayView, to_csv, to_xlsx
from backend.attendance.reviews import Reviews
from backend.attendance.schemas import (
    CheckIn,
    CheckInList,
    ReviewDecision,
    ReviewList,
    ReviewReference,
    ReviewUnit,
)
from backend.attendance.service import FRAME_PARTS, CheckIns
from backend.core.auth import Principal
from backend.core.errors import Invalid
from backend.core.paging import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from backend.core.policy import allow
from backend.core.schema import (
    Id,
    MaybeWord,
    Word,
    file_part,
    file_parts,
    json_part,
    multipart,
    read_part,
)
from backend.core.settings import Settings
from backend.geofence.schemas import Location
from backend.geofence.service import Geofences
from backend.org import service as org
from backend.org.schemas import ScheduleToday, User

MAX_CHECKIN_BODY = 1_000_000  # the selfie limit is a setting; this only stops runaway uploads
CHECKIN_PARTS = multipart(
    "One check-in: its record as JSON and the selfie",
    required=["meta", "selfie"],
    meta=json_part("The record: client_id, kind, lat, lon, accuracy_m, captured_at, sent_at..."),
    selfie=file_part("image/jpeg", "The selfie, a JPEG of about 480 px"),
    chain=json_part(
        "Optional: the device's signed chain block {device, seq, prev, hash, sig, signed} "
        "(README: Signed records)"
    ),
    **{
        name: file_part(
            "image/jpeg", "A liveness challenge frame (~240x320 JPEG), as meta.liveness names it"
        )
        for name in FRAME_PARTS
    },
)


class Me(msgspec.Struct, frozen=True):
    """Who the caller is and where they may check in.

    `locations` is not every fence of a large unit: it is the unit's `me_locations_max` fences
    nearest to `lon`/`lat` (the phone's last fix, when it sends one; else the middle of the
    unit's fences), nearest first, each in full GeoJSON as before. `locations_total` says how
    many the unit has; when it is larger, the PWA's map and local hint cover the nearest ones
    only, and the server still decides each check-in against every fence of the unit.
    """

    user: User
    schedule_today: ScheduleToday
    locations: list[Location]
    server_time: dt.datetime
    locations_total: int = 0


@get(
    "/api/v1/me",
    operation_id="me",
    summary="The caller, today's schedule, and where they may check in",
    guards=[allow("me.read")],
)
async def me(
    request: Request[Principal, Any, Any],
    units: NamedDependency[org.UnitDirectory],
    geofences: NamedDependency[Geofences],
    settings: NamedDependency[Settings],
    lon: Annotated[float | None, Parameter(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Parameter(ge=-90, le=90)] = None,
) -> Me:
    who = request.user
    now = dt.datetime.now(dt.UTC)
    locations, total = await geofences.near(who.unit_id, lon, lat, settings.me_locations_max)
    return Me(
        user=await org.get_user(who.employee_id),
        schedule_today=await org.schedule_today(
            who.employee_id, await units.timezone(who.unit_id), now
        ),
        locations=locations,
        server_time=now,
        locations_total=total,
    )


@post(
    "/api/v1/checkins",
    operation_id="createCheckIn",
    summary="Submit one check-in (multipart: meta JSON + selfie JPEG); replays are idempotent",
    request_max_body_size=MAX_CHECKIN_BODY,
    guards=[allow("checkin.create")],
)
async def create_checkin(
    request: Request[Principal, Any, Any],
    data: Annotated[dict[str, Any], CHECKIN_PARTS],
    checkins: NamedDependency[CheckIns],
) -> Response[CheckIn]:
    frames = {name: await read_part(data, name, required=False) for name in FRAME_PARTS}
    stored, created = await checkins.submit(
        request.user,
        await read_part(data, "meta"),
        await read_part(data, "selfie"),
        {name: part for name, part in frames.items() if part is not None},
        chain=await read_part(data, "chain", required=False),
        files=await file_parts(data),
    )
    return Response(stored, status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@get("/api/v1/checkins/{checkin_id:int}", operation_id="getCheckIn", guards=[allow("checkin.read")])
async def get_checkin(
    request: Request[Principal, Any, Any],
    checkin_id: FromPath[Id],
    checkins: NamedDependency[CheckIns],
) -> CheckIn:
    return await checkins.get(request.user, checkin_id)


@get(
    "/api/v1/checkins",
    operation_id="listCheckIns",
    summary="Own check-ins of one local day",
    guards=[allow("checkin.list")],
)
async def list_checkins(
    request: Request[Principal, Any, Any],
    checkins: NamedDependency[CheckIns],
    date: FromQuery[dt.date | None] = None,
) -> CheckInList:
    return await checkins.list_day(request.user, date)


@get(
    "/api/v1/reviews",
    operation_id="listReviews",
    summary="The backlog of flagged check-ins for BKD across days and units, oldest first "
    "(or newest, or highest spoof-risk first), "
    "paged (`limit`, `cursor`), with `total`",
    guards=[allow("review.list")],
)
async def list_reviews(
    request: Request[Principal, Any, Any],
    reviews: NamedDependency[Reviews],
    unit: Annotated[
        str | None,
        Parameter(
            min_length=1,
            max_length=100,
            description="Unit code: that unit and every unit below it (an OPD with its schools).",
        ),
    ] = None,
    date: Annotated[
        dt.date | None, Parameter(description="One work date (local day of the record).")
    ] = None,
    reason: FromQuery[MaybeWord] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
    start: Annotated[
        dt.date | None, Parameter(description="First work date of the range (inclusive).")
    ] = None,
    end: Annotated[
        dt.date | None, Parameter(description="Last work date of the range (inclusive).")
    ] = None,
    order: Annotated[
        str,
        Parameter(
            pattern="^(oldest|newest|risk)$",
            description="`oldest` (default) or `newest` first, by the time the server received "
            "the record, or `risk`: the highest spoof-risk score first (unscored records last, "
            "ties oldest first). A cursor belongs to the order it was made with.",
        ),
    ] = "oldest",
) -> ReviewList:
    return await reviews.queue(
        request.user,
        unit=unit,
        day=date,
        reason=reason,
        limit=limit,
        cursor=cursor,
        start=start,
        end=end,
        newest_first=order == "newest",
        by_risk=order == "risk",
    )


@get(
    "/api/v1/reviews/units",
    operation_id="listReviewUnits",
    summary="Units for the review desk's filter, in tree order, with the flagged check-ins "
    "waiting under each",
    guards=[allow("review.list")],
)
async def list_review_units(
    request: Request[Principal, Any, Any], reviews: NamedDependency[Reviews]
) -> list[ReviewUnit]:
    return await reviews.units(request.user)


@post(
    "/api/v1/reviews/{checkin_id:int}",
    operation_id="decideReview",
    summary="Accept or reject a flagged check-in (once; audited)",
    guards=[allow("review.decide")],
    status_code=HTTP_200_OK,
)
async def decide_review(
    request: Request[Principal, Any, Any],
    checkin_id: FromPath[Id],
    data: JSONBody[ReviewDecision],
    reviews: NamedDependency[Reviews],
) -> CheckIn:
    return await reviews.decide(request.user, checkin_id, data)


@post(
    "/api/v1/reviews/{checkin_id:int}/reference",
    operation_id="useSelfieAsReference",
    summary="Jadikan foto referensi: enrol an accepted check-in's selfie as a reference photo "
    "(once; 201 made, 200 already made; audited)",
    guards=[allow("review.reference")],
)
async def use_selfie_as_reference(
    request: Request[Principal, Any, Any],
    checkin_id: FromPath[Id],
    reviews: NamedDependency[Reviews],
) -> Response[ReviewReference]:
    made = await reviews.use_as_reference(request.user, checkin_id)
    return Response(made, status_code=HTTP_201_CREATED if made.created else HTTP_200_OK)


@get(
    "/api/v1/days",
    operation_id="myDays",
    summary="Own day statuses (present, TL/PSW, permit...) for a range",
    guards=[allow("days.read")],
)
async def my_days(
    request: Request[Principal, Any, Any],
    days: NamedDependency[DayRecords],
    start: FromQuery[dt.date],
    end: FromQuery[dt.date | None] = None,
) -> list[DayView]:
    last = end or start
    if last < start or (last - start).days > 62:
        raise Invalid("Rentang tanggal harus 1 s.d. 62 hari, dari 'start' sampai 'end'")
    return await days.days_of(request.user.employee_id, start, last)


@get(
    "/api/v1/recap",
    operation_id="monthlyRecap",
    summary="Monthly recap of a unit as JSON, CSV or XLSX (bkd, command; kepala_unit for their own units)",
    guards=[allow("recap.read")],
)
async def monthly_recap(
    request: Request[Principal, Any, Any],
    days: NamedDependency[DayRecords],
    unit: FromQuery[Word],
    month: FromQuery[Word],
    settings: NamedDependency[Settings],
    format: FromQuery[Word] = "json",
    subtree: Annotated[
        bool,
        Parameter(
            description="Include every unit under `unit` (an OPD with its schools; the Pemda: "
            "the whole regency); over `HADIR_RECAP_DIRECT_MAX` employees answers 422: use "
            "POST /api/v1/recap/exports"
        ),
    ] = False,
) -> Response[Any]:
    if format not in ("json", "csv", "xlsx"):
        raise Invalid("format harus json, csv atau xlsx")
    recap = await days.recap(
        request.user,
        unit,
        month,
        now=dt.datetime.now(dt.UTC),
        subtree=subtree,
        direct_max=settings.recap_direct_max,
    )
    if format == "json":
        return Response(recap)
    scope = "-semua" if subtree else ""
    name = f"rekap-{recap.unit}{scope}-{recap.month}.{format}"
    content, media = (
        (to_csv(recap), "text/csv; charset=utf-8")
        if format == "csv"
        else (to_xlsx(recap), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@post(
    "/api/v1/recap/exports",
    operation_id="createRecapExport",
    summary="Ask for a recap as a file (XLSX or CSV), built by a job with progress; an identical "
    "request while one is queued or running answers that one (200) instead of a new one (202)",
    guards=[allow("recap.read")],
    status_code=HTTP_202_ACCEPTED,
    responses={
        HTTP_200_OK: ResponseSpec(
            data_container=RecapExportView,
            description="The identical export still queued or running",
            generate_examples=False,
        )
    },
)
async def create_recap_export(
    request: Request[Principal, Any, Any],
    data: JSONBody[ExportRequest],
    exports: NamedDependency[RecapExports],
) -> Response[RecapExportView]:
    view, created = await exports.request(request.user, data, now=dt.datetime.now(dt.UTC))
    return Response(view, status_code=HTTP_202_ACCEPTED if created else HTTP_200_OK)


@get(
    "/api/v1/recap/exports/{export_id:int}",
    operation_id="getRecapExport",
    summary="A recap export's progress (done/total employees) and, once done, a short-lived link",
    guards=[allow("recap.read")],
)
async def get_recap_export(
    request: Request[Principal, Any, Any],
    export_id: FromPath[Id],
    exports: NamedDependency[RecapExports],
) -> RecapExportView:
    return await exports.get(request.user, export_id)


@get(
    "/api/v1/recap/units",
    operation_id="listRecapUnits",
    summary="The units the caller may recap, in tree order, with their staff and their subtree's",
    guards=[allow("recap.read")],
)
async def list_recap_units(
    request: Request[Principal, Any, Any],
    exports: NamedDependency[RecapExports],
) -> list[RecapUnitChoice]:
    return await exports.units(request.user)


ROUTES = [
    me,
    create_checkin,
    get_checkin,
    list_checkins,
    list_reviews,
    list_review_units,
    decide_review,
    use_selfie_as_reference,
    my_days,
    monthly_recap,
    create_recap_export,
    get_recap_export,
    list_recap_units,
]
