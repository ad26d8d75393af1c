from __future__ import annotations

import datetime as dt

import msgspec


class FaceReference(msgspec.Struct, frozen=True):
    id: int
    nip: str
    created_at: dt.datetime
    # For the enrolment desk's list: who enrolled it (None: a command line or a removed
    # account) and a short-lived signed link to the photo (each one handed out is logged).
    enrolled_by_nip: str | None = None
    enrolled_by_name: str | None = None
    photo_url: str | None = None


class QualityProblem(msgspec.Struct, frozen=True):
    code: str  # no_face | multiple_faces | face_too_small | blurred
    message: str


class PhotoCheck(msgspec.Struct, frozen=True):
    """The desk's feedback on a photo before it is enrolled; `ok`: it would be accepted."""

    ok: bool
    width: int
    height: int
    faces: int
    face_px: int | None
    sharpness: float | None
    problems: list[QualityProblem]


class EnrolReport(msgspec.Struct, frozen=True):
    enrolled: list[str]  # file names
    refused: dict[str, str]  # file name -> why
