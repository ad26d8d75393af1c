from __future__ import annotations

import datetime as dt
import html
from typing import Annotated, Any

import segno
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.core.app import PWA_DIR
from backend.core.auth import Principal
from backend.core.paging import DEFAULT_PAGE_SIZE, PageCursor, PageLimit
from backend.core.policy import allow
from backend.core.schema import MaybeWord
from backend.ratings.schemas import (
    CommentList,
    IkmReport,
    PublicGerai,
    RatingCreate,
    RatingReceipt,
)
from backend.ratings.service import DEVICE_COOKIE, Ratings

MAX_RATING_BODY = 8_000  # nine answers, a comment of 1,000 characters, a profile
Code = Annotated[str, Parameter(min_length=1, max_length=40)]


def rating_url(request: Request[Any, Any, Any], code: str) -> str:
    return f"{str(request.base_url).rstrip('/')}/nilai/{code}"


@get(
    "/api/v1/public/gerai/{code:str}",
    operation_id="publicGerai",
    summary="A gerai's name, agency, services and the nine SKM questions (no login)",
)
async def public_gerai(code: FromPath[Code], ratings: NamedDependency[Ratings]) -> PublicGerai:
    return await ratings.public_gerai(code)


@post(
    "/api/v1/public/ratings",
    operation_id="submitRating",
    summary="A citizen's rating of a gerai (no login): 201, 200 on replay of the same client_id",
    request_max_body_size=MAX_RATING_BODY,
)
async def submit_rating(
    request: Request[Any, Any, Any],
    data: JSONBody[RatingCreate],
    ratings: NamedDependency[Ratings],
) -> Response[RatingReceipt]:
    receipt, created, cookie = await ratings.submit(
        data,
        cookie=request.cookies.get(DEVICE_COOKIE),
        address=request.client.host if request.client else "",
    )
    response = Response(receipt, status_code=HTTP_201_CREATED if created else HTTP_200_OK)
    if cookie:
        response.set_cookie(
            DEVICE_COOKIE,
            cookie,
            max_age=400 * 86400,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/api/v1/public/",
        )
    return response


@get(
    "/api/v1/public/gerai/{code:str}/qr.svg",
    operation_id="geraiQrSvg",
    summary="The QR of a gerai's rating page, SVG",
)
async def qr_svg(
    request: Request[Any, Any, Any], code: FromPath[Code], ratings: NamedDependency[Ratings]
) -> Response[bytes]:
    gerai = await ratings.public_gerai(code)
    data = segno.make(rating_url(request, gerai.code), error="m").svg_inline(scale=8).encode()
    return Response(
        data, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


@get(
    "/api/v1/public/gerai/{code:str}/qr.png",
    operation_id="geraiQrPng",
    summary="The QR of a gerai's rating page, PNG",
)
async def qr_png(
    request: Request[Any, Any, Any], code: FromPath[Code], ratings: NamedDependency[Ratings]
) -> Response[bytes]:
    import io

    gerai = await ratings.public_gerai(code)
    buffer = io.BytesIO()
    segno.make(rating_url(request, gerai.code), error="m").save(
        buffer, kind="png", scale=10, border=4
    )
    return Response(
        buffer.getvalue(),
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@get("/nilai/{code:str}", operation_id="ratingPage", include_in_schema=False)
async def rating_page(code: FromPath[Code]) -> Response[bytes]:
    """The public rating page: one small static document; it reads the code from its address."""
    return Response((PWA_DIR / "nilai.html").read_bytes(), media_type="text/html; charset=utf-8")


@get("/nilai/{code:str}/poster", operation_id="ratingPoster", include_in_schema=False)
async def rating_poster(
    request: Request[Any, Any, Any], code: FromPath[Code], ratings: NamedDependency[Ratings]
) -> Response[bytes]:
    """An A5 poster to stand on the counter: the gerai's name, agency and QR (escaped text)."""
    gerai = await ratings.public_gerai(code)
    e = html.escape
    url = rating_url(request, gerai.code)
    page = f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>{e(gerai.name)} · Nilai layanan kami</title>
<link rel="stylesheet" href="/src/poster.css"></head>
<body><main class="poster">
<p class="kicker">Survei Kepuasan Masyarakat</p>
<h1>{e(gerai.name)}</h1><p class="agency">{e(gerai.agency)}</p>
<img class="qr" src="/api/v1/public/gerai/{e(gerai.code)}/qr.svg" alt="Kode QR penilaian {e(gerai.name)}">
<p class="ask">Pindai kode QR ini dan nilai layanan kami.<br>Tanpa login, kurang dari 1 menit.</p>
<p class="url">{e(url)}</p>
</main></body></html>"""
    return Response(page.encode(), media_type="text/html; charset=utf-8")


@get(
    "/api/v1/ratings/ikm",
    operation_id="ratingsIkm",
    summary="The IKM of a gerai, agency or unit over a period, with each element's sum, count and NRR",
    guards=[allow("ratings.ikm")],
)
async def ratings_ikm(
    request: Request[Principal, Any, Any],
    ratings: NamedDependency[Ratings],
    start: Annotated[dt.date, QueryParameter(name="from")],
    end: Annotated[dt.date, QueryParameter(name="to")],
    gerai_code: Annotated[
        str | None, QueryParameter(name="gerai", min_length=1, max_length=40)
    ] = None,
    agency: Annotated[str | None, Parameter(min_length=1, max_length=200)] = None,
    unit: MaybeWord = None,
) -> IkmReport:
    return await ratings.ikm(
        request.user, gerai=gerai_code, agency=agency, unit=unit, start=start, end=end
    )


@get(
    "/api/v1/ratings/comments",
    operation_id="ratingComments",
    summary="Citizens' comments on a gerai over a period, oldest first, paged; plain text",
    guards=[allow("ratings.comments")],
)
async def rating_comments(
    request: Request[Principal, Any, Any],
    ratings: NamedDependency[Ratings],
    start: Annotated[dt.date, QueryParameter(name="from")],
    end: Annotated[dt.date, QueryParameter(name="to")],
    gerai_code: Annotated[
        str | None, QueryParameter(name="gerai", min_length=1, max_length=40)
    ] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> CommentList:
    return await ratings.comments(
        request.user, gerai=gerai_code, start=start, end=end, limit=limit, cursor=cursor
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@get(
    "/api/v1/ratings/report.xlsx",
    operation_id="ratingsReport",
    summary="The SKM tabulation as XLSX in PermenPANRB 14/2017's layout, with the respondent profile",
    guards=[allow("ratings.ikm")],
    media_type=XLSX,
)
async def ratings_report(
    request: Request[Principal, Any, Any],
    ratings: NamedDependency[Ratings],
    start: Annotated[dt.date, QueryParameter(name="from")],
    end: Annotated[dt.date, QueryParameter(name="to")],
    gerai_code: Annotated[
        str | None, QueryParameter(name="gerai", min_length=1, max_length=40)
    ] = None,
    agency: Annotated[str | None, Parameter(min_length=1, max_length=200)] = None,
    unit: MaybeWord = None,
) -> Response[bytes]:
    data, name = await ratings.report(
        request.user, gerai=gerai_code, agency=agency, unit=unit, start=start, end=end
    )
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


ROUTES = [
    public_gerai,
    submit_rating,
    qr_svg,
    qr_png,
    rating_page,
    rating_poster,
    ratings_ikm,
    rating_comments,
    ratings_report,
]
