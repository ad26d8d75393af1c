"""Request-shape helpers shared by every domain's routes."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import Body, BodyKwarg, Parameter

from backend.core.errors import Invalid

MAX_ID = 2**31 - 1
# Row ids in paths and queries: PostgreSQL's `integer` column holds 1..2^31-1, and a larger number
# sent to it is a driver error (500), not "not found". Limits in the type refuse it with a 400.
# Litestar reads a parameter's limits from `Parameter`, not from msgspec's `Meta` (ignored there).
Id = Annotated[int, Parameter(ge=1, le=MAX_ID, description="Row id, 1 to 2147483647")]
# A code or word in a query (a unit code, a month, a flag reason): short, whatever it names.
Word = Annotated[str, Parameter(min_length=1, max_length=100)]
# The same, optional: Litestar loses limits put on one arm of a union.
MaybeWord = Annotated[str | None, Parameter(min_length=1, max_length=100)]


async def read_part(data: dict[str, Any], name: str, *, required: bool = True) -> bytes | None:
    """The bytes of one multipart part, sent as a file or as a plain field."""
    value = data.get(name)
    if value is None:
        if required:
            raise Invalid(f"Bagian '{name}' tidak ada dalam kiriman")
        return None
    if isinstance(value, list):
        raise Invalid(f"Bagian '{name}' dikirim lebih dari sekali")
    if isinstance(value, UploadFile):
        content = await value.read()
        return content if content or required else None
    return str(value).encode()


async def file_parts(
    data: dict[str, Any], *, besides: tuple[str, ...] = ("meta", "chain")
) -> dict[str, bytes]:
    """Every part of a multipart record but its meta and chain block, by part name: what a
    device signed beside the meta (backend/devices: the selfie, liveness frames, a letter)."""
    parts: dict[str, bytes] = {}
    for name, value in data.items():
        if name in besides or isinstance(value, list):
            continue  # a part sent twice is refused by read_part
        if isinstance(value, UploadFile):
            await value.seek(0)  # read_part may have read it already
            parts[name] = await value.read()
        else:
            parts[name] = str(value).encode()
    return parts


def json_part(description: str) -> Schema:
    """A multipart part holding a JSON document (sent as a file or a plain field)."""
    return Schema(
        type=OpenAPIType.STRING, content_media_type="application/json", description=description
    )


def file_part(media_type: str, description: str) -> Schema:
    """A multipart part holding a file."""
    return Schema(
        type=OpenAPIType.STRING,
        format="binary",  # type: ignore[arg-type]
        content_media_type=media_type,
        description=description,
    )


def multipart(description: str, *, required: list[str], **parts: Schema) -> BodyKwarg:
    """A multipart body read with `read_part`, documented with its parts (Litestar would
    describe a `dict[str, Any]` body as any object)."""
    return Body(
        media_type=RequestEncodingType.MULTI_PART,
        description=description,
        schema_extra={"properties": parts, "required": required},
    )
