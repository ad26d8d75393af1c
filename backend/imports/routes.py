from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from backend.core.auth import Principal
from backend.core.errors import Invalid
from backend.core.policy import allow
from backend.core.schema import MaybeWord, Word, file_part, multipart
from backend.imports.schemas import ImportReport
from backend.imports.service import Imports

# 20,000 employees are ~1.5 MB of XLSX; a CSV of them ~2 MB.
MAX_IMPORT_BODY = 20_000_000
FILE_PARTS = multipart(
    "A CSV or XLSX/XLS/ODS file as BKD exports it (headers matched by name)",
    required=["file"],
    file=file_part("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "The file"),
)


@post(
    "/api/v1/admin/imports/{kind:str}",
    operation_id="importMasterData",
    summary="Dry-run or apply a bulk import (units, employees, schedules, holidays)",
    guards=[allow("import.run")],
    request_max_body_size=MAX_IMPORT_BODY,
    status_code=200,
)
async def run_import(
    request: Request[Principal, Any, Any],
    kind: FromPath[Word],
    data: Annotated[dict[str, Any], FILE_PARTS],
    imports: NamedDependency[Imports],
    apply: FromQuery[bool] = False,
    sheet: FromQuery[MaybeWord] = None,
) -> ImportReport:
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        raise Invalid("Bagian 'file' (berkas CSV atau XLSX) tidak ada dalam kiriman")
    return await imports.run(
        kind,
        await upload.read(),
        apply=apply,
        sheet=sheet,
        filename=upload.filename or "",
        by=request.user.employee_id,
    )


@get(
    "/api/v1/admin/imports/handouts/{handout:str}",
    operation_id="importPasswordHandout",
    summary="The new employees' one-time passwords of an applied import as a printable XLSX, a "
    "sheet per unit (or `unit`'s only): for whoever applied it, once; 410 after that or expiry",
    guards=[allow("import.run")],
    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
async def password_handout(
    request: Request[Principal, Any, Any],
    handout: FromPath[Word],
    imports: NamedDependency[Imports],
    unit: FromQuery[MaybeWord] = None,
) -> Response[bytes]:
    name, content = await imports.handout(handout, by=request.user.employee_id, unit=unit)
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


ROUTES = [run_import, password_handout]
