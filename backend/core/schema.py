"""Request-shape helpers shared by every domain's routes."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile

from backend.core.errors import Invalid


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
