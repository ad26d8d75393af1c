"""Recap exports: a recap asked for as a file and built by a job, not in the request.

`POST /api/v1/recap/exports` records what was asked (an `attendance_recap_export` row) and, in
the same transaction, the outbox event that asks for `build_recap_export:<id>` (a predictable job
id): arq on Redis, or the in-process queue of the embedded default. The job judges the staff
`recap_export_chunk` employees at a time and stores its progress (done/total) after each step, so
`GET /api/v1/recap/exports/{id}` shows it. The file goes to the object store and is handed out
as a short-lived signed link of this origin. Asking again for the same unit, month, format and
scope while one is queued or running answers that one. Finished exports are deleted (record
and file) after `recap_export_keep_hours`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import anyio.to_thread
import msgspec
from piccolo.engine.postgres import PostgresEngine

from backend.attendance.recap import DayRecords, month_start, recap_plan, to_csv, to_xlsx
from backend.attendance.tables import RecapExport
from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.errors import NotFound
from backend.core.outbox import Outbox
from backend.core.storage import ObjectStore
from backend.org import service as org
from backend.org.schemas import UnitNode

MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
RUNNING = ("queued", "running")


class ExportRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What to export: a unit (by code), a month, the file format, and whether the units under
    the unit are included (an OPD with its schools; the Pemda: the whole regency)."""

    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    month: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$")]
    format: Literal["xlsx", "csv"] = "xlsx"
    subtree: bool = False


class RecapExportView(msgspec.Struct, frozen=True):
    """An export and how far its job got: `done` of `total` employees judged."""

    id: int
    unit: str
    month: str
    format: str
    subtree: bool
    state: str  # queued | running | done | failed
    done: int
    total: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
    filename: str
    error: str
    # Once done: a signed link of this origin, valid for `presign_ttl_s`; ask again for a new one.
    download_url: str | None = None


class RecapUnitChoice(msgspec.Struct, frozen=True):
    """A unit the caller may recap, in tree order: its own staff and its whole subtree's."""

    code: str
    name: str
    kind: str
    parent: str | None
    depth: int
    staff: int
    staff_subtree: int


class RecapExports:
    def __init__(
        self,
        *,
        days: DayRecords,
        store: ObjectStore,
        outbox: Outbox,
        chunk: int,
        link_ttl_s: int,
        keep_hours: int,
    ) -> None:
        self.days = days
        self.store = store
        self.outbox = outbox
        self.chunk = chunk
        self.link_ttl_s = link_ttl_s
        self.keep_hours = keep_hours

    async def request(
        self, who: Principal, asked: ExportRequest, *, now: dt.datetime
    ) -> tuple[RecapExportView, bool]:
        """The export of what was asked: a new one (True), or the one already queued or running
        for the very same unit, month, format and scope (False)."""
        month_start(asked.month)
        unit = await self.days.recap_unit(who, asked.unit)
        key = f"{unit.code}:{asked.month}:{asked.format}:{'tree' if asked.subtree else 'unit'}"
        async with self.outbox.transaction():
            if isinstance(RecapExport._meta.db, PostgresEngine):
                # Two identical requests at once: the second waits and finds the first.
                await RecapExport.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"recap:{key}")
            running = (
                await RecapExport.select()
                .where((RecapExport.request_key == key) & RecapExport.state.is_in(list(RUNNING)))
                .order_by(RecapExport.id, ascending=False)
                .first()
            )
            if running is not None:
                return await self._view(running), False
            [row] = await RecapExport.insert(
                RecapExport(
                    request_key=key,
                    unit=unit.code,
                    month=asked.month,
                    format=asked.format,
                    subtree=asked.subtree,
                    requested_by=who.employee_id,
                    state="queued",
                    created_at=now,
                )
            ).returning(RecapExport.id)
            await self.outbox.add(events.recap_export_requested(row["id"]))
        return await self.get(who, row["id"]), True

    async def get(self, who: Principal, export_id: int) -> RecapExportView:
        row = await RecapExport.select().where(RecapExport.id == export_id).first()
        if row is None:
            raise NotFound("Ekspor rekap tidak ditemukan (berkas lama dihapus setelah sehari)")
        unit = await org.unit_by_code(row["unit"])
        if unit is None or not await policy.reaches(who, "recap.read", org.TREE, unit_id=unit.id):
            raise NotFound("Ekspor rekap tidak ditemukan (berkas lama dihapus setelah sehari)")
        return await self._view(row)

    async def _view(self, row: dict[str, Any]) -> RecapExportView:
        url = None
        if row["state"] == "done" and row["object_key"]:
            url = await self.store.presigned_get_url(row["object_key"], self.link_ttl_s)
        return RecapExportView(
            id=row["id"],
            unit=row["unit"],
            month=row["month"],
            format=row["format"],
            subtree=bool(row["subtree"]),
            state=row["state"],
            done=row["done"],
            total=row["total"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            filename=row["filename"],
            error=row["error"],
            download_url=url,
        )

    async def build(self, export_id: int, *, now: dt.datetime | None = None) -> str:
        """The job: judge the staff step by step (storing the progress), write the file to the
        object store, mark it done. Running it again after it is done changes nothing."""
        row = await RecapExport.select().where(RecapExport.id == export_id).first()
        if row is None:
            return "gone"
        if row["state"] == "done":
            return "done"
        unit = await org.unit_by_code(row["unit"])
        if unit is None:
            await self._finish(export_id, "failed", error=f"Unit {row['unit']} tidak ada lagi")
            return "failed"
        await RecapExport.update({RecapExport.state: "running", RecapExport.error: ""}).where(
            RecapExport.id == export_id
        )

        async def progress(done: int, total: int) -> None:
            await RecapExport.update({RecapExport.done: done, RecapExport.total: total}).where(
                RecapExport.id == export_id
            )

        try:
            recap = await self.days.build(
                unit,
                row["month"],
                now=now or dt.datetime.now(dt.UTC),
                subtree=bool(row["subtree"]),
                chunk=self.chunk,
                progress=progress,
            )
            writer = to_xlsx if row["format"] == "xlsx" else to_csv
            # openpyxl is plain Python: in a thread, so the in-process queue's api stays live.
            content = await anyio.to_thread.run_sync(writer, recap)
            scope = "-semua" if row["subtree"] else ""
            filename = f"rekap-{unit.code}{scope}-{row['month']}.{row['format']}"
            key = f"recap-exports/{export_id}/{filename}"
            await self.store.put(key, content, MEDIA[row["format"]])
        except Exception as exc:
            # Shown on the screen; the outbox hands the job over again (a database or store
            # away for a moment), and a later run starts over.
            await self._finish(export_id, "failed", error=f"{type(exc).__name__}: {exc}"[:300])
            raise
        await self._finish(export_id, "done", object_key=key, filename=filename)
        return "done"

    async def _finish(
        self,
        export_id: int,
        state: str,
        *,
        error: str = "",
        object_key: str = "",
        filename: str = "",
    ) -> None:
        await RecapExport.update(
            {
                RecapExport.state: state,
                RecapExport.error: error,
                RecapExport.object_key: object_key,
                RecapExport.filename: filename,
                RecapExport.finished_at: dt.datetime.now(dt.UTC),
            }
        ).where(RecapExport.id == export_id)

    async def purge(self, now: dt.datetime) -> int:
        """Delete exports finished more than `keep_hours` ago, with their files."""
        cutoff = now - dt.timedelta(hours=self.keep_hours)
        rows = await RecapExport.select(RecapExport.id, RecapExport.object_key).where(
            RecapExport.finished_at.is_not_null() & (RecapExport.finished_at < cutoff)
        )
        for row in rows:
            if row["object_key"]:
                await self.store.delete(row["object_key"])
        if rows:
            await RecapExport.delete().where(RecapExport.id.is_in([r["id"] for r in rows]))
        return len(rows)

    async def units(self, who: Principal) -> list[RecapUnitChoice]:
        """The units the caller may recap, in tree order (parents first, siblings by name):
        every unit for bkd, admin and command; a head's own unit and those under it."""
        nodes = await org.unit_nodes()
        if policy.scope(who, "recap.read") == policy.ANY:
            roots = sorted((n for n in nodes if n.parent is None), key=lambda n: n.name)
        else:
            roots = [n for n in nodes if n.id == who.unit_id]
        codes = {n.id: n.code for n in nodes}
        choices: list[RecapUnitChoice] = []
        for root in roots:
            plan = await recap_plan(root, subtree=True)
            choices += _with_subtree_counts(plan, codes)
        return choices


def _with_subtree_counts(
    plan: list[tuple[UnitNode, int]], codes: dict[int, str]
) -> list[RecapUnitChoice]:
    depth: dict[int, int] = {}
    subtree: dict[int, int] = {}
    for node, count in plan:
        depth[node.id] = depth.get(node.parent, -1) + 1 if node.parent in depth else 0
        subtree[node.id] = count
    # Children come after their parents: add each unit's total to its parent, last first.
    for node, _ in reversed(plan):
        if node.parent in subtree:
            subtree[node.parent] += subtree[node.id]
    return [
        RecapUnitChoice(
            code=node.code,
            name=node.name,
            kind=node.kind,
            parent=codes.get(node.parent) if node.parent is not None else None,
            depth=depth[node.id],
            staff=count,
            staff_subtree=subtree[node.id],
        )
        for node, count in plan
    ]
