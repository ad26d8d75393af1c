from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.status_codes import HTTP_200_OK

from backend.core.auth import Principal
from backend.core.policy import allow
from backend.core.schema import file_part, multipart, read_part
from backend.gerai.schemas import GeraiList, ImportReport
from backend.gerai.service import GeraiService

MAX_IMPORT_BODY = 5_000_000
IMPORT_PARTS = multipart(
    "A sheet of gerai (CSV or XLSX): Kode Gerai, Nama Gerai, Instansi, Kode Unit, Layanan, "
    "Jam Layanan, and optionally Petugas, Penyelia, Jumlah Pengguna Layanan",
    required=["file"],
    file=file_part(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "The sheet"
    ),
)


@get(
    "/api/v1/gerai",
    operation_id="listGerai",
    summary="The gerai of the MPP with their state now (open, empty, closed) and queue load",
    guards=[allow("gerai.list")],
)
async def list_gerai(
    request: Request[Principal, Any, Any], gerai: NamedDependency[GeraiService]
) -> GeraiList:
    return await gerai.list(request.user)


@post(
    "/api/v1/gerai/import",
    operation_id="importGerai",
    summary="Check (apply=false, the default) or apply a CSV/XLSX sheet of gerai; every refused "
    "row is reported with its reason",
    request_max_body_size=MAX_IMPORT_BODY,
    status_code=HTTP_200_OK,
    guards=[allow("gerai.import")],
)
async def import_gerai(
    data: Annotated[dict[str, Any], IMPORT_PARTS],
    gerai: NamedDependency[GeraiService],
    apply: FromQuery[bool] = False,
) -> ImportReport:
    return await gerai.import_sheet(await read_part(data, "file") or b"", apply=apply)


ROUTES = [list_gerai, import_gerai]
