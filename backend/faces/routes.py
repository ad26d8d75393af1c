from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from backend.core.auth import Principal
from backend.core.errors import Invalid
from backend.core.policy import allow
from backend.core.schema import file_part, multipart
from backend.faces.schemas import FaceReference, PhotoCheck
from backend.faces.service import Faces

ReferenceId = Annotated[int, Parameter(ge=1, le=2_147_483_647)]
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
    reference_id = await faces.enrol(
        nip,
        await photo.read(),
        enrolled_by=request.user.employee_id,
        check_quality=True,
        actor=request.user.nip,
    )
    return FaceReference(
        id=reference_id,
        nip=nip,
        created_at=dt.datetime.now(dt.UTC),
        enrolled_by_nip=request.user.nip,
        enrolled_by_name=request.user.name,
    )


@post(
    "/api/v1/faces/{nip:str}/references/check",
    operation_id="checkFacePhoto",
    summary="Check a photo before enrolling it: faces found, face size, sharpness, and what "
    "is wrong (no face, several faces, too small, blurred) in words; nothing is stored",
    guards=[allow("face.check")],
    request_max_body_size=MAX_PHOTO_BODY,
    status_code=200,
)
async def check_photo(
    nip: FromPath[str],
    data: Annotated[dict[str, Any], PHOTO_PARTS],
    faces: NamedDependency[Faces],
) -> PhotoCheck:
    photo = data.get("photo")
    if not isinstance(photo, UploadFile):
        raise Invalid("Bagian 'photo' (berkas JPEG) tidak ada dalam kiriman")
    return await faces.check_photo(await photo.read())


@delete(
    "/api/v1/faces/{nip:str}/references/{reference_id:int}",
    operation_id="removeFaceReference",
    summary="Remove a reference photo (its encoding and the photo); audited",
    guards=[allow("face.remove")],
    status_code=204,
)
async def remove_reference(
    request: Request[Principal, Any, Any],
    nip: FromPath[str],
    reference_id: FromPath[ReferenceId],
    faces: NamedDependency[Faces],
) -> None:
    await faces.remove(request.user, nip, reference_id)


@get(
    "/api/v1/faces/{nip:str}/references",
    operation_id="listFaceReferences",
    guards=[allow("face.list")],
)
async def list_references(
    request: Request[Principal, Any, Any], nip: FromPath[str], faces: NamedDependency[Faces]
) -> list[FaceReference]:
    return await faces.references_for_desk(request.user, nip)


ROUTES = [enrol_face, check_photo, list_references, remove_reference]
