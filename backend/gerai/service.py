"""The gerai of the MPP: registry, open / empty / closed from attendance, the empty alert, queue
load from CCTV, import from a sheet, and the board's view.

Whether someone is on duty is asked of attendance (`on_duty`), a unit's clock of org's
directory, and the SKM figures of the ratings domain through `IkmSource`; none of their tables
is read here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.errors import Invalid, NotFound
from backend.core.outbox import Outbox
from backend.gerai import importer, rules
from backend.gerai.schemas import (
    GeraiList,
    GeraiState,
    GeraiSummary,
    IkmBrief,
    ImportRefusal,
    ImportReport,
    OpenAlert,
)
from backend.gerai.tables import Gerai, GeraiAlert, GeraiMember
from backend.org import service as org
from backend.org.schemas import UnitRef
from backend.org.service import UnitDirectory

STAFF, SUPERVISOR = "staff", "supervisor"
MAX_GERAI = 2_000  # a regency's MPP hosts tens; a province's several hundred
EMPTY_ALERT = "empty"

OnDuty = Callable[[list[int], dt.date], Awaitable[set[int]]]
# The codes of those gerai (asked about) where a camera shows an officer at the desk at `now`
# (the CCTV domain answers, wired by the composition root).
OfficersSeen = Callable[[list[str], dt.datetime], Awaitable[set[str]]]


class IkmSource(Protocol):
    """Where the board's SKM figures come from (the ratings domain provides it)."""

    async def ikm_by_gerai(
        self, gerai_ids: list[int], start: dt.date, end: dt.date
    ) -> dict[int, IkmBrief]: ...


def _hours(row: dict[str, Any]) -> rules.Hours:
    return row["hours"] or {}


class GeraiService:
    def __init__(
        self,
        *,
        outbox: Outbox,
        units: UnitDirectory,
        on_duty: OnDuty,
        empty_grace: dt.timedelta,
        ikm: IkmSource | None = None,
        officers: OfficersSeen | None = None,
    ) -> None:
        self.officers = officers
        self.outbox = outbox
        self.units = units
        self.on_duty = on_duty
        self.empty_grace = empty_grace
        self.ikm = ikm

    # --- reading ------------------------------------------------------------------------------

    async def _rows(self, where: Any = None) -> list[dict[str, Any]]:
        query = Gerai.select(
            Gerai.id,
            Gerai.code,
            Gerai.name,
            Gerai.agency,
            Gerai.unit,
            Gerai.services,
            Gerai.hours,
            Gerai.service_users,
            Gerai.empty_since,
            Gerai.load,
            Gerai.load_at,
        ).output(load_json=True)
        query = query.where(Gerai.active == True)  # noqa: E712
        if where is not None:
            query = query.where(where)
        return await query.order_by(Gerai.code).limit(MAX_GERAI)

    async def unit_of(self, row: dict[str, Any]) -> UnitRef:
        """The unit of a gerai row (as `by_code` returns it): its code and timezone, for the
        local day of a rating or a check-in."""
        units = await self.units.snapshot.get()
        unit = units.get(row["unit"])
        if unit is None:  # a unit added since the snapshot was taken
            self.units.snapshot.invalidate()
            unit = (await self.units.snapshot.get())[row["unit"]]
        return unit

    async def _states(self, rows: list[dict[str, Any]], now: dt.datetime) -> dict[int, str]:
        """The state of each gerai at `now`, asking attendance once per unit-day."""
        if not rows:
            return {}
        members = await GeraiMember.select(GeraiMember.gerai, GeraiMember.employee).where(
            GeraiMember.gerai.is_in([r["id"] for r in rows]) & (GeraiMember.role == STAFF)
        )
        staff: dict[int, set[int]] = {}
        for m in members:
            staff.setdefault(m["gerai"], set()).add(m["employee"])
        by_day: dict[dt.date, list[dict[str, Any]]] = {}
        local: dict[int, dt.datetime] = {}
        for row in rows:
            unit = await self.unit_of(row)
            local[row["id"]] = now.astimezone(ZoneInfo(unit.timezone))
            if rules.window_at(_hours(row), local[row["id"]]) is not None:
                by_day.setdefault(local[row["id"]].date(), []).append(row)
        present: set[int] = set()
        for day, day_rows in by_day.items():
            ids = sorted({e for r in day_rows for e in staff.get(r["id"], ())})
            present |= await self.on_duty(ids, day)
        seen: set[str] = set()
        if self.officers is not None and by_day:
            seen = await self.officers([r["code"] for rs in by_day.values() for r in rs], now)
        return {
            row["id"]: rules.state_at(
                _hours(row),
                local[row["id"]],
                len(staff.get(row["id"], set()) & present),
                officer_on_camera=row["code"] in seen,
            )
            for row in rows
        }

    async def _visible_filter(self, who: Principal) -> Any:
        if policy.scope(who, "gerai.list") == policy.ANY:
            return None
        units = await org.unit_ids_under(who.unit_id)
        mine = await GeraiMember.select(GeraiMember.gerai).where(
            GeraiMember.employee == who.employee_id
        )
        ids = [m["gerai"] for m in mine]
        condition = Gerai.unit.is_in(sorted(units))
        return condition | Gerai.id.is_in(ids) if ids else condition

    async def list(self, who: Principal, now: dt.datetime | None = None) -> GeraiList:
        """The gerai `who` may see: all for bkd, command and admin; the MPP's own (and those one
        serves at or supervises) for its staff."""
        now = now or dt.datetime.now(dt.UTC)
        rows = await self._rows(await self._visible_filter(who))
        states = await self._states(rows, now)
        items = []
        for row in rows:
            unit = await self.unit_of(row)
            items.append(
                GeraiSummary(
                    code=row["code"],
                    name=row["name"],
                    agency=row["agency"],
                    unit=unit.code,
                    state=states[row["id"]],  # type: ignore[arg-type]
                    load=row["load"],
                    load_at=row["load_at"],
                    services=list(row["services"] or []),
                    hours=rules.format_hours(_hours(row)),
                )
            )
        return GeraiList(items=items)

    async def board(self, now: dt.datetime) -> list[GeraiState]:
        """Every active gerai as the command board shows it: state, queue load, the open empty
        alert and the IKM so far this year (in the unit's time zone). Reads the gerai table,
        their staff, today's records of that staff, open alerts and the SKM aggregates."""
        rows = await self._rows()
        states = await self._states(rows, now)
        ids = [row["id"] for row in rows]
        alerts: dict[int, OpenAlert] = {}
        if ids:
            for a in await GeraiAlert.select(
                GeraiAlert.gerai, GeraiAlert.kind, GeraiAlert.opened_at, GeraiAlert.empty_since
            ).where(GeraiAlert.gerai.is_in(ids) & GeraiAlert.closed_at.is_null()):
                alerts[a["gerai"]] = OpenAlert(
                    kind=a["kind"], opened_at=a["opened_at"], empty_since=a["empty_since"]
                )
        ikm: dict[int, IkmBrief] = {}
        if self.ikm is not None and ids:
            today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
            ikm = await self.ikm.ikm_by_gerai(ids, today.replace(month=1, day=1), today)
        result = []
        for row in rows:
            unit = await self.unit_of(row)
            result.append(
                GeraiState(
                    code=row["code"],
                    name=row["name"],
                    agency=row["agency"],
                    unit=unit.code,
                    state=states[row["id"]],  # type: ignore[arg-type]
                    load=row["load"],
                    load_at=row["load_at"],
                    alert=alerts.get(row["id"]),
                    ikm=ikm.get(row["id"]),
                )
            )
        return result

    async def by_code(self, code: str) -> dict[str, Any]:
        """One active gerai's row (id, code, name, agency, unit, services, hours, service_users);
        NotFound names the code."""
        rows = await self._rows(Gerai.code == code)
        if not rows:
            raise NotFound(f"Gerai '{code[:40]}' tidak dikenal")
        row = rows[0]
        row["unit_code"] = (await self.unit_of(row)).code
        return row

    async def supervised_by(self, employee_id: int) -> list[int]:
        """Ids of the gerai an employee supervises (their SKM and comments are theirs to read)."""
        rows = await GeraiMember.select(GeraiMember.gerai).where(
            (GeraiMember.employee == employee_id) & (GeraiMember.role == SUPERVISOR)
        )
        return [row["gerai"] for row in rows]

    async def ids_where(
        self, *, unit_ids: set[int] | None = None, agency: str | None = None
    ) -> list[int]:
        """Ids of the active gerai of these units and/or this agency."""
        query = Gerai.select(Gerai.id).where(Gerai.active == True)  # noqa: E712
        if unit_ids is not None:
            query = query.where(Gerai.unit.is_in(sorted(unit_ids) or [-1]))
        if agency is not None:
            query = query.where(Gerai.agency == agency)
        return [row["id"] for row in await query.limit(MAX_GERAI)]

    async def service_users(self, gerai_ids: list[int]) -> int:
        """The recorded yearly service users of these gerai together (the SKM's population)."""
        if not gerai_ids:
            return 0
        rows = await Gerai.select(Gerai.service_users).where(Gerai.id.is_in(gerai_ids))
        return sum(row["service_users"] for row in rows)

    async def code_by_id(self, gerai_ids: list[int]) -> dict[int, str]:
        """Id -> code of these gerai (active or not: old ratings keep their gerai's code)."""
        if not gerai_ids:
            return {}
        rows = await Gerai.select(Gerai.id, Gerai.code).where(Gerai.id.is_in(sorted(gerai_ids)))
        return {row["id"]: row["code"] for row in rows}

    async def codes(self, gerai_ids: list[int]) -> list[str]:
        if not gerai_ids:
            return []
        rows = await Gerai.select(Gerai.code).where(Gerai.id.is_in(gerai_ids)).order_by(Gerai.code)
        return [row["code"] for row in rows]

    # --- CCTV ---------------------------------------------------------------------------------

    async def supervisors(self, gerai_code: str) -> list[int]:
        """The employee ids who answer for a gerai (a teguran, a queue alert goes to them)."""
        gerai = await Gerai.select(Gerai.id).where(Gerai.code == gerai_code).first()
        if gerai is None:
            raise NotFound(f"Gerai {gerai_code} tidak ditemukan")
        rows = await GeraiMember.select(GeraiMember.employee).where(
            (GeraiMember.gerai == gerai["id"]) & (GeraiMember.role == SUPERVISOR)
        )
        return sorted(row["employee"] for row in rows)

    async def record_load(self, gerai_code: str, people: int, at: dt.datetime) -> None:
        """The queue load a camera counted at `at` (the CCTV domain calls this). An older count
        arriving late does not replace a newer one."""
        if people < 0:
            raise Invalid("Jumlah orang dalam antrean tidak boleh negatif")
        if not await Gerai.exists().where(Gerai.code == gerai_code):
            raise NotFound(f"Gerai '{gerai_code[:40]}' tidak dikenal")
        await Gerai.update({Gerai.load: people, Gerai.load_at: at}).where(
            (Gerai.code == gerai_code) & (Gerai.load_at.is_null() | (Gerai.load_at <= at))
        )

    # --- the empty watch ----------------------------------------------------------------------

    async def watch(self, now: dt.datetime) -> int:
        """Note when each gerai went empty during its hours; one empty past the grace period
        opens an alert and tells its supervisors by push (outbox, same transaction); one open
        or closed again ends its alert. Returns the number of alerts opened."""
        rows = await self._rows()
        states = await self._states(rows, now)
        opened = 0
        for row in rows:
            state = states[row["id"]]
            if state == rules.EMPTY:
                since = row["empty_since"]
                if since is None:
                    await Gerai.update({Gerai.empty_since: now}).where(Gerai.id == row["id"])
                elif rules.empty_too_long(since, now, self.empty_grace):
                    opened += await self._open_alert(row, since, now)
            elif row["empty_since"] is not None:
                async with self.outbox.transaction():
                    await Gerai.update({Gerai.empty_since: None}).where(Gerai.id == row["id"])
                    closed = (
                        await GeraiAlert.update({GeraiAlert.closed_at: now})
                        .where((GeraiAlert.gerai == row["id"]) & GeraiAlert.closed_at.is_null())
                        .returning(GeraiAlert.id)
                    )
                    # The board shows open alerts: its streams are told.
                    await self.outbox.add(
                        *[events.board_changed(f"gerai-empty:{a['id']}:close") for a in closed]
                    )
        return opened

    async def _open_alert(self, row: dict[str, Any], since: dt.datetime, now: dt.datetime) -> int:
        async with self.outbox.transaction():
            if await GeraiAlert.exists().where(
                (GeraiAlert.gerai == row["id"]) & GeraiAlert.closed_at.is_null()
            ):
                return 0
            inserted = await GeraiAlert.insert(
                GeraiAlert(gerai=row["id"], kind=EMPTY_ALERT, opened_at=now, empty_since=since)
            ).returning(GeraiAlert.id)
            alert_id = inserted[0]["id"]
            await self.outbox.add(events.board_changed(f"gerai-empty:{alert_id}:open"))
            supervisors = await GeraiMember.select(GeraiMember.employee).where(
                (GeraiMember.gerai == row["id"]) & (GeraiMember.role == SUPERVISOR)
            )
            unit = await self.unit_of(row)
            local = since.astimezone(ZoneInfo(unit.timezone)).strftime("%H:%M")
            await self.outbox.add(
                *[
                    events.notice(
                        s["employee"],
                        kind="gerai_empty",
                        subject=str(alert_id),
                        title=f"{row['name']} kosong",
                        body=f"Tidak ada petugas di {row['name']} ({row['agency']}) "
                        f"sejak {local} pada jam layanan.",
                        url="/",
                    )
                    for s in supervisors
                ]
            )
        return 1

    # --- import -------------------------------------------------------------------------------

    async def import_sheet(self, data: bytes, *, apply: bool) -> ImportReport:
        """Check every row of a CSV/XLSX sheet; with `apply`, create or update the good rows
        (all in one transaction) and leave the refused ones out. The report names each refused
        row and why. A sheet that cannot be read at all is a 422."""
        try:
            rows, refusals, ignored = importer.parse_rows(importer.read_table(data))
        except importer.ImportFileError as exc:
            raise Invalid(str(exc)) from None
        refused = [ImportRefusal(row=r, code=c, reason=why) for r, c, why in refusals]
        units = {u.code: u for u in (await self.units.snapshot.get()).values()}
        nips = await org.employees_by_nip(
            [n for r in rows for n in (r.staff or []) + (r.supervisors or [])]
        )
        existing = {
            row["code"]: row["id"]
            for row in await Gerai.select(Gerai.code, Gerai.id).where(
                Gerai.code.is_in([r.code for r in rows] or [""])
            )
        }
        good: list[importer.GeraiRow] = []
        for row in rows:
            unit = units.get(row.unit_code)
            unknown = [n for n in (row.staff or []) + (row.supervisors or []) if n not in nips]
            reason = (
                f"Kode Unit '{row.unit_code}' tidak dikenal"
                if unit is None
                else f"Unit {row.unit_code} bukan Mal Pelayanan Publik (jenis '{unit.kind}')"
                if unit.kind != "mpp"
                else f"NIP {unknown[0]} tidak dikenal atau tidak aktif"
                if unknown
                else ""
            )
            if reason:
                refused.append(ImportRefusal(row=row.row, code=row.code, reason=reason))
            else:
                good.append(row)
        created = sum(1 for r in good if r.code not in existing)
        if apply and good:
            async with self.outbox.transaction():
                for row in good:
                    await self._save(row, units[row.unit_code].id, existing.get(row.code), nips)
        return ImportReport(
            applied=apply,
            created=created,
            updated=len(good) - created,
            refused=sorted(refused, key=lambda r: r.row),
            ignored_columns=ignored,
        )

    async def _save(
        self, row: importer.GeraiRow, unit_id: int, gerai_id: int | None, nips: dict[str, int]
    ) -> None:
        values = {
            Gerai.name: row.name,
            Gerai.agency: row.agency,
            Gerai.unit: unit_id,
            Gerai.services: row.services,
            Gerai.hours: row.hours,
            Gerai.active: True,
        }
        if row.service_users is not None:
            values[Gerai.service_users] = row.service_users
        if gerai_id is None:
            inserted = await Gerai.insert(
                Gerai(
                    code=row.code,
                    unit=unit_id,
                    name=row.name,
                    agency=row.agency,
                    services=row.services,
                    hours=row.hours,
                    service_users=row.service_users or 0,
                )
            ).returning(Gerai.id)
            gerai_id = inserted[0]["id"]
        else:
            await Gerai.update(values).where(Gerai.id == gerai_id)
        for role, listed in ((STAFF, row.staff), (SUPERVISOR, row.supervisors)):
            if listed is None:
                continue
            await GeraiMember.delete().where(
                (GeraiMember.gerai == gerai_id) & (GeraiMember.role == role)
            )
            await GeraiMember.insert(
                *[
                    GeraiMember(gerai=gerai_id, employee=nips[n], role=role)
                    for n in dict.fromkeys(listed)
                ]
            )
