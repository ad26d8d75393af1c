"""Enrolment of reference photos and verification of check-in selfies.

Face detection and encoding are CPU-bound (100-200 ms each): they run in a process pool, never
on the event loop and never in the request path.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import multiprocessing
import signal
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, TypeVar

import msgspec
import numpy as np
from piccolo.query.functions.aggregate import Count, Max

from backend.core import audit
from backend.core.auth import Principal
from backend.core.errors import FieldError, Invalid, NotFound
from backend.core.settings import Settings
from backend.core.storage import ObjectStore
from backend.faces import liveness, recognition
from backend.faces.schemas import FaceReference as FaceReferenceOut
from backend.faces.schemas import PhotoCheck, QualityProblem
from backend.faces.tables import FaceReference, PhotoAccess
from backend.org import service as org

log = logging.getLogger(__name__)
T = TypeVar("T")

# An employee has a handful of references; the desk lists at most this many.
MAX_REFERENCES_LISTED = 50


def face_pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: forking a process that already runs an event loop and threads is unsafe.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_start_pool_worker,
    )


def _start_pool_worker() -> None:
    # Ctrl-C signals the whole process group; the parent shuts the pool down, so a worker
    # ignores SIGINT instead of dying mid-job with a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    recognition.load_models()


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


class FaceCheck(msgspec.Struct, frozen=True):
    """A selfie's face verdict: a reason code, its words, and the distance when one was measured.

    The attendance domain turns it into one of a check-in's reasons."""

    code: str
    message: str
    distance: float | None = None


# The face reasons as the employee reads them (a notification, the PWA): the distances in the
# stored message are the model's numbers, for BKD. The PWA has the same words (checkin.js).
EMPLOYEE_WORDS = {
    "face_match": "Wajah cocok dengan foto referensi",
    "face_mismatch": "Wajah kurang mirip dengan foto referensi; BKD akan memeriksanya",
    # The spoof-risk score and its parts are BKD's (attendance/risk.py).
    "high_risk": "Beberapa tanda tidak biasa; BKD akan memeriksanya",
    "liveness_passed": "Gerakan kepala sesuai tantangan",
}

# The challenge's steps as the PWA asks for them (checkin.js STEP_WORDS).
STEP_WORDS = {
    "left": "toleh ke kiri",
    "right": "toleh ke kanan",
    "up": "lihat ke atas",
    "front": "lihat lurus ke kamera",
}


def liveness_reason(challenge: list[str], result: liveness.Result) -> FaceCheck:
    """What the liveness check means, in words (no model numbers: the employee reads them too)."""
    asked = " lalu ".join(STEP_WORDS[s] for s in challenge)
    if result.passed:
        return FaceCheck("liveness_passed", f"Tantangan gerak kepala berhasil ({asked})")
    step = STEP_WORDS.get(result.step or "", "")
    words = {
        "no_face": f"Wajah tidak terlihat pada gambar langkah '{step}'",
        "several_faces": f"Terlihat lebih dari satu wajah pada gambar langkah '{step}'",
        "step_missing": f"Langkah '{step}' tidak terlihat dilakukan (diminta: {asked})",
        "wrong_order": f"Langkah dilakukan dengan urutan terbalik (diminta: {asked})",
        "other_person": "Wajah pada gambar tantangan bukan orang yang sama dengan selfie",
        "flat": (
            f"Gerakan '{step}' tampak seperti gambar datar (foto atau layar) yang digerakkan, "
            "bukan kepala sungguhan"
        ),
        "unclear": f"Gambar langkah '{step}' terlalu buram atau gelap untuk diperiksa",
    }
    return FaceCheck(
        "liveness_failed", "Tantangan gerak kepala gagal: " + words.get(result.failure or "", "")
    )


def for_employee(code: str, message: str) -> str:
    """A check-in reason in the words the employee reads: face distances left to BKD."""
    return EMPLOYEE_WORDS.get(code, message)


def verdict_reason(verdict: recognition.Verdict, tolerance: float) -> FaceCheck:
    """What the face check means, in words BKD and the employee understand."""
    if verdict.code == "match":
        return FaceCheck(
            "face_match",
            f"Wajah cocok dengan foto referensi (jarak {_decimal(verdict.distance or 0)})",
        )
    if verdict.code == "no_face":
        return FaceCheck("no_face", "Tidak ada wajah yang terlihat pada selfie")
    if verdict.code == "multiple_faces":
        return FaceCheck(
            "multiple_faces", f"Terlihat {verdict.faces} wajah pada selfie; harus satu"
        )
    if verdict.code == "not_enrolled":
        return FaceCheck(
            "not_enrolled", "Belum ada foto referensi wajah; BKD perlu mendaftarkannya"
        )
    return FaceCheck(
        "face_mismatch",
        f"Wajah tidak cocok dengan foto referensi (jarak {_decimal(verdict.distance or 0)}, "
        f"batas {_decimal(tolerance)})",
    )


def quality_problems(
    quality: recognition.PhotoQuality, *, min_face_px: int, min_sharpness: float
) -> list[QualityProblem]:
    """What keeps a photo from being a good reference, in words for the BKD desk."""
    if quality.faces == 0:
        return [
            QualityProblem(
                "no_face",
                "Tidak ada wajah yang terlihat. Pastikan wajah menghadap kamera, tidak tertutup, "
                "dan cahaya cukup.",
            )
        ]
    problems = []
    if quality.faces > 1:
        problems.append(
            QualityProblem(
                "multiple_faces",
                f"Terlihat {quality.faces} wajah; foto referensi harus memuat satu orang saja.",
            )
        )
    if quality.face_px is not None and quality.face_px < min_face_px:
        problems.append(
            QualityProblem(
                "face_too_small",
                f"Wajah terlalu kecil ({quality.face_px} piksel, minimal {min_face_px}). "
                "Dekatkan kamera atau potong foto sehingga wajah memenuhi bingkai.",
            )
        )
    if quality.sharpness is not None and quality.sharpness < min_sharpness:
        problems.append(
            QualityProblem(
                "blurred",
                f"Foto kabur (ketajaman {_decimal(quality.sharpness)}, minimal "
                f"{_decimal(min_sharpness)}). Tahan kamera tetap diam dan pastikan fokus.",
            )
        )
    return problems


class Faces:
    def __init__(
        self,
        *,
        settings: Settings,
        store: ObjectStore,
        executor: Callable[[], Executor | None] = lambda: face_pool(1),
        transaction: Callable[[], contextlib.AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        # The transaction of an enrolment or removal with its audit entry: the outbox's, which
        # on SQLite takes the write lock first (a read-then-write one fails as "locked").
        self._transaction = transaction or (lambda: FaceReference._meta.db.transaction())
        self._make_executor = executor
        self._executor: Executor | None = None
        self._started = False

    @property
    def executor(self) -> Executor | None:
        # Made on first use: an api process whose jobs run on arq workers never verifies a face
        # and should not start a pool of model-loading processes.
        if not self._started:
            self._executor = self._make_executor()
            self._started = True
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            # wait=True: a granian worker leaves through os._exit after multiprocessing's
            # atexit, which joins the pool's processes and can close the call queue before the
            # stop sentinels are written; not waiting here hung `hadir run` on SIGINT/SIGTERM.
            self._executor.shutdown(wait=True, cancel_futures=True)

    async def _run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        # partial, not a lambda: the call travels to a worker process by pickle.
        return await loop.run_in_executor(
            self.executor, functools.partial(function, *args, **kwargs)
        )

    async def references(self, employee_id: int) -> list[np.ndarray]:
        rows = await FaceReference.select(FaceReference.encoding).where(
            FaceReference.employee == employee_id
        )
        return [recognition.encoding_from_bytes(row["encoding"]) for row in rows]

    async def references_of(self, employee_ids: list[int]) -> dict[int, list[np.ndarray]]:
        """The enrolled encodings of many employees in one query (1:N identification among a
        location's staff); those not enrolled are absent."""
        if not employee_ids:
            return {}
        rows = await FaceReference.select(FaceReference.employee, FaceReference.encoding).where(
            FaceReference.employee.is_in(sorted(set(employee_ids)))
        )
        found: dict[int, list[np.ndarray]] = {}
        for row in rows:
            found.setdefault(row["employee"], []).append(
                recognition.encoding_from_bytes(row["encoding"])
            )
        return found

    async def reference_stamp(self, employee_ids: list[int]) -> tuple[int, int]:
        """(how many references, the newest reference id) of these employees: changes with
        every enrolment (a new id) and removal (a smaller count), so a cache of their
        encodings (the face kiosk's) knows when to read them again."""
        if not employee_ids:
            return 0, 0
        row = await (
            FaceReference.select(
                Count(FaceReference.id, alias="n"), Max(FaceReference.id, alias="newest")
            )
            .where(FaceReference.employee.is_in(sorted(set(employee_ids))))
            .first()
        )
        return (row["n"] or 0, row["newest"] or 0) if row else (0, 0)

    async def identify_in_photo(
        self,
        photo: bytes,
        candidates: recognition.Gallery,
        *,
        tolerance: float,
        margin: float,
    ) -> tuple[int, recognition.Identification]:
        """Who the largest face in a photo is among `candidates` (1:N), computed in the face
        pool: the encoding and the distances to every candidate's references are CPU work (the
        gallery, stacked beforehand, travels to the worker as three arrays). Raises
        recognition.BadImage."""
        return await self._run(
            recognition.identify_photo,
            photo,
            candidates,
            tolerance=tolerance,
            margin=margin,
            max_pixels=self.settings.selfie_max_pixels,
            upsample=self.settings.face_upsample,
        )

    async def check_photo(self, photo: bytes) -> PhotoCheck:
        """The desk's feedback on a photo before it is enrolled: faces, size, sharpness and
        what is wrong with it (thresholds: HADIR_FACE_MIN_PX, HADIR_FACE_MIN_SHARPNESS)."""
        try:
            quality = await self._run(
                recognition.assess_photo, photo, max_pixels=self.settings.selfie_max_pixels * 4
            )
        except recognition.BadImage:
            raise Invalid("Foto referensi harus berupa JPEG yang utuh") from None
        problems = quality_problems(
            quality,
            min_face_px=self.settings.face_min_px,
            min_sharpness=self.settings.face_min_sharpness,
        )
        return PhotoCheck(
            ok=not problems,
            width=quality.width,
            height=quality.height,
            faces=quality.faces,
            face_px=quality.face_px,
            sharpness=quality.sharpness,
            problems=problems,
        )

    async def enrol(
        self,
        nip: str,
        photo: bytes,
        *,
        enrolled_by: int | None,
        check_quality: bool = False,
        actor: str | None = None,
    ) -> int:
        """Store a reference photo of exactly one face; returns the reference id.

        With `check_quality` (the BKD desk), a photo with a face too small or blurred is refused
        too, with the reasons `check_photo` gives. With `actor` (an NIP), the enrolment is
        written to the audit trail.
        """
        employee_id = await org.employee_id_by_nip(nip)
        if employee_id is None:
            raise NotFound(f"Pegawai dengan NIP {nip} tidak ditemukan")
        if check_quality:
            # The face count is refused below with the words it always had.
            checked = await self.check_photo(photo)
            problems = [p for p in checked.problems if checked.faces == 1]
            if problems:
                raise Invalid(
                    " ".join(p.message for p in problems),
                    errors=[FieldError(field="photo", message=p.message) for p in problems],
                )
        encoding = await self._reference_encoding(
            photo,
            wrong_faces="Foto referensi harus memuat tepat satu wajah; {found}",
            broken="Foto referensi harus berupa JPEG yang utuh",
        )
        key = f"references/{nip}/{uuid.uuid4()}.jpg"
        await self.store.put(key, photo, "image/jpeg")
        created_at = dt.datetime.now(dt.UTC)
        async with self._transaction():
            inserted = await FaceReference.insert(
                FaceReference(
                    employee=employee_id,
                    encoding=recognition.encoding_to_bytes(encoding),
                    photo_key=key,
                    enrolled_by=enrolled_by,
                    created_at=created_at,
                )
            ).returning(FaceReference.id)
            reference_id = inserted[0]["id"]
            if actor is not None:
                await audit.record(
                    actor=actor,
                    action="face.enrol",
                    target="faces_reference",
                    target_key=nip,
                    before=None,
                    after={"id": reference_id, "photo_key": key, "created_at": created_at},
                )
        return reference_id

    async def references_for_desk(self, who: Principal, nip: str) -> list[FaceReferenceOut]:
        """An employee's references, oldest first, with who enrolled each and a signed link to
        its photo (each link logged, purpose `enrolment`)."""
        employee_id = await org.employee_id_by_nip(nip)
        if employee_id is None:
            return []
        rows = await (
            FaceReference.select(
                FaceReference.id,
                FaceReference.created_at,
                FaceReference.photo_key,
                FaceReference.enrolled_by,
            )
            .where(FaceReference.employee == employee_id)
            .order_by(FaceReference.created_at)
            .order_by(FaceReference.id)
            .limit(MAX_REFERENCES_LISTED)
        )
        enrollers = await org.staff_by_id(
            sorted({r["enrolled_by"] for r in rows if r["enrolled_by"]})
        )
        out = []
        for row in rows:
            by = enrollers.get(row["enrolled_by"]) if row["enrolled_by"] else None
            out.append(
                FaceReferenceOut(
                    id=row["id"],
                    nip=nip,
                    created_at=row["created_at"],
                    enrolled_by_nip=by.nip if by else None,
                    enrolled_by_name=by.name if by else None,
                    photo_url=await self.photo_url(
                        who, row["photo_key"], checkin_id=None, purpose="enrolment"
                    ),
                )
            )
        return out

    async def reference_keys(self, nip: str) -> list[str]:
        """The ids of the employee's reference photos, as audit keys (the review desk keys its
        enrolments by reference id): for the employee's trail in org."""
        employee_id = await org.employee_id_by_nip(nip)
        if employee_id is None:
            return []
        rows = await (
            FaceReference.select(FaceReference.id)
            .where(FaceReference.employee == employee_id)
            .limit(MAX_REFERENCES_LISTED)
        )
        return [str(row["id"]) for row in rows]

    async def remove(self, who: Principal, nip: str, reference_id: int) -> None:
        """Remove a reference: its row (the encoding) and its photo; audited. The employee's
        next selfie is compared with the references left."""
        employee_id = await org.employee_id_by_nip(nip)
        if employee_id is None:
            raise NotFound(f"Pegawai dengan NIP {nip} tidak ditemukan")
        async with self._transaction():
            row = await (
                FaceReference.select(
                    FaceReference.id,
                    FaceReference.photo_key,
                    FaceReference.enrolled_by,
                    FaceReference.created_at,
                )
                .where((FaceReference.id == reference_id) & (FaceReference.employee == employee_id))
                .first()
            )
            if row is None:
                raise NotFound(f"Foto referensi {reference_id} milik NIP {nip} tidak ditemukan")
            await FaceReference.delete().where(FaceReference.id == reference_id)
            await audit.record(
                actor=who.nip,
                action="face.remove",
                target="faces_reference",
                target_key=nip,
                before=row,
                after=None,
            )
        try:
            await self.store.delete(row["photo_key"])
        except NotFound:
            pass  # already gone: the row was what mattered

    async def enrol_selfie(
        self, who: Principal, *, employee_id: int, nip: str, selfie_key: str, checkin_id: int
    ) -> tuple[int, dt.datetime, bool]:
        """A check-in's selfie that BKD accepted becomes a reference photo (the review desk's
        "Jadikan foto referensi"): (reference id, enrolled at, whether made now).

        Once per check-in: the copy's key names the check-in, and a unique index on the key
        makes a second request (a double click, a colleague at once) return the first one
        instead of a duplicate. The copy outlives the selfie's retention. Audited."""
        key = f"references/{nip}/checkin-{checkin_id}.jpg"
        existing = await self._reference_by_key(key)
        if existing is not None:
            return existing["id"], existing["created_at"], False
        try:
            selfie = await self.store.get(selfie_key)
        except NotFound:
            raise Invalid("Foto selfie presensi ini sudah tidak tersimpan") from None
        encoding = await self._reference_encoding(
            selfie,
            wrong_faces="Selfie ini tidak dapat menjadi foto referensi: {found}",
            broken="Selfie ini rusak dan tidak dapat menjadi foto referensi",
        )
        await self.store.put(key, selfie, "image/jpeg")
        now = dt.datetime.now(dt.UTC)
        async with self._transaction():
            inserted = (
                await FaceReference.insert(
                    FaceReference(
                        employee=employee_id,
                        encoding=recognition.encoding_to_bytes(encoding),
                        photo_key=key,
                        enrolled_by=who.employee_id,
                        created_at=now,
                    )
                )
                # Lost a race with the same request: the unique key index keeps one row.
                .on_conflict(target=FaceReference.photo_key, action="DO NOTHING")
                .returning(FaceReference.id)
            )
            if inserted:
                reference_id = inserted[0]["id"]
                await audit.record(
                    actor=who.nip,
                    action="face.enrol_from_review",
                    target="faces_reference",
                    target_key=str(reference_id),
                    before=None,
                    after={"nip": nip, "checkin_id": checkin_id, "photo_key": key},
                )
        if not inserted:
            existing = await self._reference_by_key(key)
            assert existing is not None
            return existing["id"], existing["created_at"], False
        return reference_id, now, True

    async def _reference_encoding(self, photo: bytes, *, wrong_faces: str, broken: str) -> Any:
        """The encoding of the one face a reference photo must show, or a refusal in the
        caller's words (`wrong_faces` gets `{found}`: "tidak ada wajah", "ada 2 wajah")."""
        try:
            return await self._run(
                recognition.reference_encoding,
                photo,
                max_pixels=self.settings.selfie_max_pixels * 4,
            )
        except recognition.FaceCountError as exc:
            found = "tidak ada wajah" if exc.faces == 0 else f"ada {exc.faces} wajah"
            raise Invalid(wrong_faces.format(found=found)) from None
        except recognition.BadImage:
            raise Invalid(broken) from None

    async def _reference_by_key(self, key: str) -> dict[str, Any] | None:
        return (
            await FaceReference.select(FaceReference.id, FaceReference.created_at)
            .where(FaceReference.photo_key == key)
            .first()
        )

    async def verify_selfie(self, employee_id: int, selfie_key: str) -> FaceCheck:
        """Compare a stored selfie with the employee's enrolled references."""
        references = await self.references(employee_id)
        try:
            selfie = await self.store.get(selfie_key)
            verdict = await self._run(
                recognition.verify_selfie,
                selfie,
                references,
                tolerance=self.settings.face_tolerance,
                max_pixels=self.settings.selfie_max_pixels,
                upsample=self.settings.face_upsample,
            )
        except recognition.BadImage as exc:
            return FaceCheck("bad_selfie", f"Foto selfie rusak dan tidak dapat dibaca ({exc})")
        except NotFound:
            return FaceCheck("bad_selfie", "Foto selfie tidak ditemukan di penyimpanan")
        check = verdict_reason(verdict, self.settings.face_tolerance)
        return msgspec.structs.replace(check, distance=verdict.distance)

    async def check_liveness(
        self, challenge: list[str], frames: list[tuple[str, bytes]], selfie: bytes
    ) -> FaceCheck:
        """Did a real head turn as asked? `frames` are (step, JPEG) in capture order, `selfie`
        the frontal photo every frame must match (the phone's selfie, or a kiosk's frontal
        frame). `liveness_passed` or `liveness_failed` with the step in words (faces/liveness.py
        and the `liveness_*` settings)."""
        thresholds = liveness.Thresholds(
            yaw=self.settings.liveness_yaw,
            pitch=self.settings.liveness_pitch,
            tolerance=self.settings.liveness_tolerance,
            parallax=self.settings.liveness_parallax,
        )
        try:
            result = await self._run(
                liveness.check,
                challenge,
                frames,
                selfie,
                thresholds=thresholds,
                max_pixels=self.settings.selfie_max_pixels,
            )
        except recognition.BadImage:
            return FaceCheck(
                "liveness_failed", "Tantangan gerak kepala gagal: gambar tantangan rusak"
            )
        check = liveness_reason(challenge, result)
        return msgspec.structs.replace(check, distance=result.distance)

    async def faces_in_picture(self, jpeg: bytes, *, max_pixels: int) -> list[np.ndarray]:
        """Encodings of the faces in a picture that is not a selfie (CCTV evidence), computed
        in the face pool (CPU work). BadImage when it cannot be decoded."""
        return await self._run(
            recognition.picture_encodings,
            jpeg,
            max_pixels=max_pixels,
            upsample=self.settings.face_upsample,
        )

    async def nearest(self, employee_id: int, encodings: list[np.ndarray]) -> float | None:
        """How close the employee's enrolled references come to any of these faces (None: not
        enrolled, or no face). A distance, never a verdict."""
        if not encodings:
            return None
        return recognition.nearest_distance(await self.references(employee_id), encodings)

    # --- photos for people (UU PDP: every URL handed out is logged) ------------------------

    async def photo_url(
        self, who: Principal, key: str, *, checkin_id: int | None, purpose: str = "review"
    ) -> str:
        await PhotoAccess.insert(
            PhotoAccess(
                employee=who.employee_id,
                object_key=key,
                purpose=purpose,
                checkin_id=checkin_id,
                accessed_at=dt.datetime.now(dt.UTC),
            )
        )
        return await self.store.presigned_get_url(key, self.settings.presign_ttl_s)

    async def reference_url(
        self, who: Principal, employee_id: int, *, checkin_id: int | None
    ) -> str | None:
        latest = (
            await FaceReference.select(FaceReference.photo_key)
            .where(FaceReference.employee == employee_id)
            .order_by(FaceReference.created_at, ascending=False)
            .first()
        )
        if latest is None:
            return None
        return await self.photo_url(who, latest["photo_key"], checkin_id=checkin_id)

    async def reference_urls(
        self, who: Principal, employee_id: int, *, checkin_id: int | None, limit: int = 3
    ) -> list[str]:
        """Links to the employee's newest reference photos (each one logged), newest first."""
        rows = await (
            FaceReference.select(FaceReference.photo_key)
            .where(FaceReference.employee == employee_id)
            .order_by(FaceReference.created_at, ascending=False)
            .order_by(FaceReference.id, ascending=False)
            .limit(limit)
        )
        return [await self.photo_url(who, row["photo_key"], checkin_id=checkin_id) for row in rows]

    async def list_references(self, nip: str) -> list[dict]:
        employee_id = await org.employee_id_by_nip(nip)
        if employee_id is None:
            return []
        return await (
            FaceReference.select(FaceReference.id, FaceReference.created_at)
            .where(FaceReference.employee == employee_id)
            .order_by(FaceReference.created_at)
        )
