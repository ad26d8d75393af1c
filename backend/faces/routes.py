from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath

from backend.core.auth import Principal
from backend.core.errors import Invalid
from backend.core.policy import allow
from backend.core.schema import file_part, multipart
from backend.faces.schemas import FaceReference
from backend.faces.service import Faces

MAX_PHOTO_BODY = 12_000_000  # a reference photo straight from a camera
PHOTO_PARTS = multipart(
    "A reference photo with exactly one face",
    required=["photo"],
    photo=file_part("image/jpeg", "The photo, JPEG"),
)


@post(
    "/api/v1/faces/{nip:str}/references",
    operation_id="enrolFace",
    summary="Enrol a reference photo (exactly one face) for an employee",
    guards=[allow("face.enrol")],
    request_max_body_size=MAX_PHOTO_BODY,
)
async def enrol_face(
    request: Request[Principal, Any, Any],
    nip: FromPath[str],
    data: Annotated[dict[str, Any], PHOTO_PARTS],
    faces: NamedDependency[Faces],
) -> FaceReference:
    photo = data.get("photo")
    if not isinstance(photo, UploadFile):
        raise Invalid("Bagian 'photo' (berkas JPEG) tidak ada dalam kiriman")
    reference_id = await faces.enrol(nip, await photo.read(), enrolled_by=request.user.employee_id)
    return FaceReference(id=reference_id, nip=nip, created_at=dt.datetime.now(dt.UTC))


@get(
    "/api/v1/faces/{nip:str}/references",
    operation_id="listFaceReferences",
    guards=[allow("face.list")],
)
async def list_references(nip: FromPath[str], faces: NamedDependency[Faces]) -> list[FaceReference]:
    rows = await faces.list_references(nip)
    return [FaceReference(id=row["id"], nip=nip, created_at=row["created_at"]) for row in rows]


ROUTES = [enrol_face, list_references]
