"""The command board: counts per unit and local day kept current as day records change, the
state built from them, the head of unit's today, reminders and teguran.

Attendance tells the board of every change of a stored day record through the outbox
(`day_recorded`, written in the transaction that stores the day); `apply_day` turns it into
increments of the unit's counts and keeps the last state per employee-day, so the board never
reads attendance's tables and the cost of a board does not grow with the records: the live part
reads one row per (unit, count) of today, the 30-day part (watch list, trends) is rebuilt at
most every `board_slow_ttl_s`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import msgspec
from piccolo.engine.postgres import PostgresEngine

from backend.attendance.recap import DayRecords
from backend.attendance.service import CheckIns
from backend.board import counts as rules
from backend.board.schemas import (
    BoardState,
    DayTrend,
    GeraiTile,
    MonthDay,
    Reminded,
    StaffToday,
    TeguranCreate,
    TeguranLogEntry,
    TeguranView,
    UnitToday,
    UnitTodayView,
    Watch,
    WeekdayTrend,
)
from backend.board.signal import ChangeSignal
from backend.board.tables import BoardCount, BoardDay, Teguran, TeguranLog
from backend.core import outbox as events
from backend.core import policy
from backend.core.auth import Principal
from backend.core.cache import Snapshot
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.outbox import Outbox
from backend.org import service as org
from backend.org.schemas import ScheduledGroup, UnitNode
from backend.permits.service import Permits

WATCH_CANDIDATES = 50  # most often late or absent, before sorting by the PP 94/2021 scale
WATCH_SHOWN = 20
TREND_DAYS = 30
TEGURAN_LISTED = 100


class GeraiSource(Protocol):
    """The gerai registry as the board reads it (backend/gerai's service, wired by the
    composition root). `board` returns objects with the attributes of `GeraiTile` (code, name,
    agency, state, load, alert, ikm); `supervisors` the employee ids a teguran goes to."""

    async def board(self, now: dt.datetime) -> Sequence[Any]: ...

    async def supervisors(self, code: str) -> list[int]: ...


class PictureSource(Protocol):
    """The gerai's latest CCTV pictures (the CCTV domain, wired by the composition root):
    `latest_pictures` maps a gerai's code to its latest snapshot's object key and time;
    `picture_url` signs one for a viewer and logs the view."""

    async def latest_pictures(
        self, gerai_codes: list[str]
    ) -> dict[str, tuple[str, dt.datetime]]: ...

    async def picture_url(self, who: Principal, object_key: str) -> str: ...


def _increment_sql() -> str:
    return (
        "INSERT INTO board_count (unit, day, key, n) VALUES ({}, {}, {}, {})"
        " ON CONFLICT (unit, day, key) DO UPDATE SET n = board_count.n + excluded.n"
    )


class Board:
    def __init__(
        self,
        *,
        outbox: Outbox,
        days: DayRecords,
        checkins: CheckIns,
        permits: Permits,
        signal: ChangeSignal,
        slow_ttl_s: float = 60.0,
        gerai: GeraiSource | None = None,
        pictures: PictureSource | None = None,
    ) -> None:
        self.pictures = pictures
        self.outbox = outbox
        self.days = days
        self.checkins = checkins
        self.permits = permits
        self.signal = signal
        self.gerai = gerai
        self.slow_ttl_s = slow_ttl_s
        self.units: Snapshot[list[UnitNode]] = Snapshot(org.unit_nodes, ttl_s=60.0)
        self.groups: Snapshot[list[ScheduledGroup]] = Snapshot(org.scheduled_groups, ttl_s=60.0)
        self._slow: tuple[float, dt.date, Any] | None = None
        self._slow_lock = asyncio.Lock()
        self._built: tuple[int, BoardState] | None = None
        self._build_lock = asyncio.Lock()

    # --- keeping the counts current ----------------------------------------------------------

    async def apply_day(
        self,
        *,
        employee_id: int,
        unit_id: int,
        day: dt.date,
        state: rules.DayState,
        computed_at: dt.datetime,
    ) -> bool:
        """Take the new state of one employee-day; returns whether it differs from the one kept
        (the counts, or what a head sees of that person, changed). A state older than the one
        kept (an event delivered late) changes nothing."""
        async with self.outbox.transaction():
            query = BoardDay.select().where(
                (BoardDay.employee == employee_id) & (BoardDay.day == day)
            )
            if isinstance(BoardDay._meta.db, PostgresEngine):
                query = query.lock_rows("UPDATE")
            rows = await query
            old = rows[0] if rows else None
            if old is not None and old["computed_at"] > computed_at:
                return False
            old_state = (old["status"], old["permit"], old["tl"], old["psw"]) if old else None
            if old is not None and old["unit"] != unit_id:
                changes = {old["unit"]: rules.change(old_state, None)}
                changes[unit_id] = rules.change(None, state)
            else:
                changes = {unit_id: rules.change(old_state, state)}
            for unit, delta in changes.items():
                for key, n in sorted(delta.items()):
                    await BoardCount.raw(_increment_sql(), unit, day, key, n)
            status, permit, tl, psw = state
            values = {
                "unit": unit_id,
                "status": status,
                "permit": permit,
                "tl": tl,
                "psw": psw,
                "computed_at": computed_at,
            }
            await BoardDay.insert(BoardDay(employee=employee_id, day=day, **values)).on_conflict(
                target=(BoardDay.employee, BoardDay.day),
                action="DO UPDATE",
                values=[getattr(BoardDay, name) for name in values],
            )
        return old_state != state or old is None or old["unit"] != unit_id

    async def rebuild(self, start: dt.date, end: dt.date) -> int:
        """Count [start, end] afresh from attendance's stored day records (`hadir
        board-rebuild`): for days stored before the board existed, or after restoring a
        backup. Replaces the window's board rows in one transaction; returns the days read."""
        states: list[tuple[Any, ...]] = []
        after = 0
        while page := await self.days.stored_states(start, end, after_id=after):
            states += [row[1:] for row in page]
            after = page[-1][0]
        totals: dict[tuple[int, dt.date], dict[str, int]] = {}
        for _, unit, day, status, permit, tl, psw, _ in states:
            bucket = totals.setdefault((unit, day), {})
            for key, n in rules.contribution((status, permit, tl, psw)).items():
                bucket[key] = bucket.get(key, 0) + n
        async with self.outbox.transaction():
            window = (BoardDay.day >= start) & (BoardDay.day <= end)
            await BoardDay.delete().where(window)
            await BoardCount.delete().where((BoardCount.day >= start) & (BoardCount.day <= end))
            for chunk in range(0, len(states), 1000):
                await BoardDay.insert(
                    *[
                        BoardDay(
                            employee=employee,
                            unit=unit,
                            day=day,
                            status=status,
                            permit=permit,
                            tl=tl,
                            psw=psw,
                            computed_at=computed_at,
                        )
                        for employee, unit, day, status, permit, tl, psw, computed_at in states[
                            chunk : chunk + 1000
                        ]
                    ]
                )
            counts = [
                BoardCount(unit=unit, day=day, key=key, n=n)
                for (unit, day), bucket in totals.items()
                for key, n in bucket.items()
            ]
            for chunk in range(0, len(counts), 1000):
                await BoardCount.insert(*counts[chunk : chunk + 1000])
        await self.signal.publish()
        return len(states)

    # --- the state ---------------------------------------------------------------------------

    async def state(self, now: dt.datetime, unit_code: str | None = None) -> BoardState:
        units = await self.units_today(now, unit_code)
        watch, presence, weekdays = await self._slow_part(now)
        return BoardState(
            generated_at=now,
            version=self.signal.version,
            root=unit_code,
            units=units,
            watch=watch,
            presence_30d=presence,
            late_by_weekday=weekdays,
            gerai=await self.gerai_tiles(now),
        )

    async def shared_state(self, version: int) -> BoardState:
        """The whole Pemda's state for a change `version`, built once however many streams ask."""
        async with self._build_lock:
            if self._built is None or self._built[0] != version:
                self._built = (version, await self.state(dt.datetime.now(dt.UTC)))
            return self._built[1]

    async def for_viewer(self, state: BoardState, who: Principal) -> BoardState:
        """The state as `who` sees it: each gerai tile with a signed link to its latest
        snapshot, made for them and logged. The state itself is shared by every viewer."""
        if self.pictures is None or not state.gerai:
            return state
        latest = await self.pictures.latest_pictures([tile.code for tile in state.gerai])
        if not latest:
            return state
        tiles = []
        for tile in state.gerai:
            picture = latest.get(tile.code)
            if picture is not None:
                url = await self.pictures.picture_url(who, picture[0])
                tile = msgspec.structs.replace(tile, thumbnail=url, thumbnail_at=picture[1])
            tiles.append(tile)
        return msgspec.structs.replace(state, gerai=tiles)

    async def gerai_tiles(self, now: dt.datetime) -> list[GeraiTile]:
        if self.gerai is None:
            return []
        return [
            msgspec.convert(item, GeraiTile, from_attributes=True)
            for item in await self.gerai.board(now)
        ]

    async def units_today(self, now: dt.datetime, root: str | None = None) -> list[UnitToday]:
        """Every unit's day in its own time zone (or the subtree of `root`), parents first: its
        own counts from the stored aggregates and its staff expected from org's schedules,
        summed up the tree."""
        nodes = await self.units.get()
        by_id = {node.id: node for node in nodes}
        if root is not None and not any(node.code == root for node in nodes):
            raise NotFound(f"Unit {root} tidak ditemukan")
        local = {
            node.id: now.astimezone(ZoneInfo(node.timezone or "Asia/Jakarta")).date()
            for node in nodes
        }
        dates = sorted(set(local.values()))
        holidays = await org.holidays_between(dates[0], dates[-1]) if dates else {}
        own: dict[int, dict[str, int]] = {node.id: {} for node in nodes}
        for row in await BoardCount.select(
            BoardCount.unit, BoardCount.day, BoardCount.key, BoardCount.n
        ).where(BoardCount.day.is_in(dates) & (BoardCount.n != 0)):
            if local.get(row["unit"]) == row["day"]:
                own[row["unit"]][row["key"]] = row["n"]
        expected: dict[int, int] = dict.fromkeys(by_id, 0)
        for group in await self.groups.get():
            day = local.get(group.unit)
            if day is not None and rules.expected_today(group.days, day, holidays.get(day)):
                expected[group.unit] += group.staff
        children: dict[int | None, list[int]] = {}
        for node in nodes:
            parent = node.parent if node.parent in by_id else None
            children.setdefault(parent, []).append(node.id)
        order: list[int] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            unit_id = stack.pop()
            order.append(unit_id)
            stack.extend(reversed(children.get(unit_id, [])))
        totals: dict[int, dict[str, int]] = {}
        waiting: dict[int, int] = {}
        for unit_id in reversed(order):  # children before parents
            total = dict(own[unit_id])
            waiting[unit_id] = rules.not_yet_in(expected[unit_id], own[unit_id])
            for child in children.get(unit_id, []):
                for key, n in totals[child].items():
                    total[key] = total.get(key, 0) + n
                expected[unit_id] += expected[child]
                waiting[unit_id] += waiting[child]
            totals[unit_id] = total
        if root is not None:
            start = next(node.id for node in nodes if node.code == root)
            keep: set[int] = set()
            stack = [start]
            while stack:
                unit_id = stack.pop()
                keep.add(unit_id)
                stack.extend(children.get(unit_id, []))
            order = [unit_id for unit_id in order if unit_id in keep]
        result = []
        for unit_id in order:
            node, total = by_id[unit_id], totals[unit_id]
            parent = by_id.get(node.parent) if node.parent else None
            result.append(
                UnitToday(
                    code=node.code,
                    name=node.name,
                    kind=node.kind,
                    parent=parent.code if parent else None,
                    timezone=node.timezone,
                    date=local[unit_id],
                    expected=expected[unit_id],
                    present=total.get("present", 0),
                    late=total.get("late", 0),
                    early=total.get("early", 0),
                    permit=total.get("permit", 0),
                    permits={
                        key.split(":", 1)[1]: n
                        for key, n in sorted(total.items())
                        if key.startswith("permit:")
                    },
                    absent=total.get("absent", 0),
                    not_yet_in=waiting[unit_id],
                    share_present=rules.share(total.get("present", 0), expected[unit_id]),
                    attested=total.get("attested", 0),
                )
            )
        return result

    async def _slow_part(
        self, now: dt.datetime
    ) -> tuple[list[Watch], list[DayTrend], list[WeekdayTrend]]:
        """The watch list and the 30-day trends: they move slowly, so they are rebuilt at most
        every `slow_ttl_s` (and when the date changes)."""
        today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
        cached = self._slow
        if cached and cached[1] == today and time.monotonic() - cached[0] < self.slow_ttl_s:
            return cached[2]
        async with self._slow_lock:
            cached = self._slow
            if cached and cached[1] == today and time.monotonic() - cached[0] < self.slow_ttl_s:
                return cached[2]
            value = (await self.watch(today), *await self.trends(today))
            self._slow = (time.monotonic(), today, value)
            return value

    async def watch(self, today: dt.date) -> list[Watch]:
        """The employees most often late or absent over the last 30 days, with where each
        stands on PP 94/2021; those nearest the next threshold first."""
        start = today - dt.timedelta(days=TREND_DAYS - 1)
        rows = await BoardDay.raw(
            "SELECT employee,"
            " SUM(CASE WHEN tl IS NOT NULL THEN 1 ELSE 0 END) AS late,"
            " SUM(CASE WHEN status = 'absent' THEN 1 ELSE 0 END) AS absent"
            " FROM board_day WHERE day >= {} AND day <= {}"
            " AND (tl IS NOT NULL OR status = 'absent')"
            " GROUP BY employee ORDER BY COUNT(*) DESC, employee LIMIT {}",
            start,
            today,
            WATCH_CANDIDATES,
        )
        if not rows:
            return []
        ids = [row["employee"] for row in rows]
        people = await org.staff_by_id(ids)
        standing = await self.days.standing(ids, today)
        units = {node.id: node.code for node in await self.units.get()}
        watch = [
            Watch(
                nip=people[row["employee"]].nip,
                name=people[row["employee"]].name,
                unit=units.get(people[row["employee"]].unit, ""),
                late_days=int(row["late"]),
                absent_days=int(row["absent"]),
                absent_days_year=standing[row["employee"]][0],
                discipline=standing[row["employee"]][1],
            )
            for row in rows
            if row["employee"] in people
        ]
        watch.sort(key=rules.watch_order)
        return watch[:WATCH_SHOWN]

    async def trends(self, today: dt.date) -> tuple[list[DayTrend], list[WeekdayTrend]]:
        start = today - dt.timedelta(days=TREND_DAYS - 1)
        rows = await BoardCount.raw(
            "SELECT day, key, SUM(n) AS n FROM board_count WHERE day >= {} AND day <= {}"
            " AND key IN ('present', 'late', 'absent', 'permit') GROUP BY day, key",
            start,
            today,
        )
        per_day: dict[dt.date, dict[str, int]] = {}
        for row in rows:
            day = (
                row["day"] if isinstance(row["day"], dt.date) else dt.date.fromisoformat(row["day"])
            )
            per_day.setdefault(day, {})[row["key"]] = int(row["n"])
        return rules.presence_trend(per_day, start, today), rules.weekday_trend(per_day)

    # --- a head of unit's today -------------------------------------------------------------

    async def today(self, who: Principal, unit_code: str | None, now: dt.datetime) -> UnitTodayView:
        view, _ = await self._staff_today(await self._unit_for(who, unit_code, "board.today"), now)
        decided = (await self.permits.decided_by(who)).items
        return msgspec.structs.replace(view, decided=decided)

    async def _staff_today(
        self, node: UnitNode, now: dt.datetime
    ) -> tuple[UnitTodayView, dict[str, int]]:
        """The head's view of `node` and its subtree, and each person's id by NIP."""
        zone = ZoneInfo(node.timezone or "Asia/Jakarta")
        day = now.astimezone(zone).date()
        ids = sorted(await org.unit_ids_under(node.id))
        staff = await org.staff_of(ids)
        staff_ids = [person.id for person in staff]
        stored = {
            row["employee"]: row
            for row in await BoardDay.select().where(
                BoardDay.employee.is_in(staff_ids or [0]) & (BoardDay.day == day)
            )
        }
        times = await self.checkins.first_last(staff_ids, day)
        holiday = (await org.holidays_between(day, day)).get(day)
        codes = {unit.id: unit.code for unit in await self.units.get()}
        people = []
        for person in staff:
            row = stored.get(person.id)
            first, last = times.get(person.id, (None, None))
            people.append(
                StaffToday(
                    nip=person.nip,
                    name=person.name,
                    unit=codes.get(person.unit, ""),
                    position=person.position,
                    state=rules.staff_state(
                        (row["status"], row["permit"], row["tl"], row["psw"]) if row else None,
                        checked_in=first is not None or last is not None,
                        expected=rules.expected_today(person.days, day, holiday),
                    ),
                    permit=row["permit"] if row else None,
                    tl=row["tl"] if row else None,
                    psw=row["psw"] if row else None,
                    check_in=first.astimezone(zone) if first else None,
                    check_out=last.astimezone(zone) if last else None,
                )
            )
        [unit] = [u for u in await self.units_today(now, node.code) if u.code == node.code]
        view = UnitTodayView(unit=unit, staff=people, month=await self._month(ids, day))
        return view, {person.nip: person.id for person in staff}

    async def _month(self, unit_ids: list[int], day: dt.date) -> list[MonthDay]:
        rows = await BoardCount.select(BoardCount.day, BoardCount.key, BoardCount.n).where(
            BoardCount.unit.is_in(unit_ids)
            & (BoardCount.day >= day.replace(day=1))
            & (BoardCount.day <= day)
        )
        per_day: dict[dt.date, dict[str, int]] = {}
        for row in rows:
            counts = per_day.setdefault(row["day"], {})
            counts[row["key"]] = counts.get(row["key"], 0) + row["n"]
        return [
            MonthDay(
                date=date,
                present=c.get("present", 0),
                late=c.get("late", 0),
                permit=c.get("permit", 0),
                absent=c.get("absent", 0),
            )
            for date, c in sorted(per_day.items())
        ]

    async def remind(self, who: Principal, unit_code: str | None, now: dt.datetime) -> Reminded:
        """Push a reminder to each of the head's staff not yet in today, once per person and
        day however often the button is pressed (the notice's key is the person and the day)."""
        node = await self._unit_for(who, unit_code, "board.remind")
        view, ids = await self._staff_today(node, now)
        waiting = [ids[p.nip] for p in view.staff if p.state == "not_yet_in" and p.nip in ids]
        day = view.unit.date.isoformat()
        async with self.outbox.transaction():
            await self.outbox.add(
                *[
                    events.notice(
                        employee,
                        kind="board_remind",
                        subject=f"{employee}:{day}",
                        title="Pengingat presensi",
                        body=f"{who.name} mengingatkan: Anda belum presensi masuk hari ini.",
                        url="/",
                    )
                    for employee in waiting
                ]
            )
        return Reminded(reminded=len(waiting))

    async def _unit_for(self, who: Principal, unit_code: str | None, action: str) -> UnitNode:
        if unit_code is None:
            node = next((u for u in await self.units.get() if u.id == who.unit_id), None)
        else:
            node = await org.unit_by_code(unit_code)
        if node is None:
            raise NotFound(f"Unit {unit_code} tidak ditemukan")
        await policy.ensure(
            who, action, NotFound(f"Unit {node.code} tidak ditemukan"), org.TREE, unit_id=node.id
        )
        return node

    # --- teguran -----------------------------------------------------------------------------

    async def send_teguran(
        self, who: Principal, data: TeguranCreate, now: dt.datetime
    ) -> list[TeguranView]:
        """A reprimand or note from the board to a unit's heads or a gerai's supervisors,
        pushed through the outbox and written in the audit trail in one transaction."""
        if (data.unit is None) == (data.gerai is None):
            raise Invalid("unit: isi salah satu, unit atau gerai")
        if data.unit is not None:
            node = await org.unit_by_code(data.unit)
            if node is None:
                raise NotFound(f"Unit {data.unit} tidak ditemukan")
            recipients = await org.heads_of(node.id)
            if not recipients:
                raise Invalid(f"unit: {node.name} belum punya kepala unit")
            unit_id: int | None = node.id
        else:
            if self.gerai is None:
                raise NotFound(f"Gerai {data.gerai} tidak ditemukan")
            recipients = await self.gerai.supervisors(data.gerai or "")
            if not recipients:
                raise Invalid(f"gerai: gerai {data.gerai} belum punya penyelia")
            unit_id = None
        label = "Teguran" if data.kind == "teguran" else "Catatan"
        ids = []
        async with self.outbox.transaction():
            for recipient in recipients:
                [row] = await Teguran.insert(
                    Teguran(
                        sender=who.employee_id,
                        recipient=recipient,
                        unit=unit_id,
                        gerai=data.gerai,
                        kind=data.kind,
                        message=data.message,
                        sent_at=now,
                    )
                ).returning(Teguran.id)
                ids.append(row["id"])
                await TeguranLog.insert(
                    TeguranLog(
                        teguran=row["id"],
                        actor=who.employee_id,
                        action="sent",
                        note=data.message,
                        at=now,
                    )
                )
                await self.outbox.add(
                    events.notice(
                        recipient,
                        kind="teguran",
                        subject=str(row["id"]),
                        title=f"{label} dari {who.name}",
                        body=data.message[:300],
                        url=f"/#/teguran/{row['id']}",
                    )
                )
        return await self._views(ids)

    async def ack_teguran(
        self, who: Principal, teguran_id: int, note: str, now: dt.datetime
    ) -> TeguranView:
        async with self.outbox.transaction():
            row = await Teguran.select().where(Teguran.id == teguran_id).first()
            if row is None or row["recipient"] != who.employee_id:
                raise NotFound("Teguran tidak ditemukan")
            if row["acked_at"] is not None:
                raise Conflict("Teguran ini sudah dikonfirmasi")
            await Teguran.update({Teguran.acked_at: now, Teguran.ack_note: note}).where(
                Teguran.id == teguran_id
            )
            await TeguranLog.insert(
                TeguranLog(
                    teguran=teguran_id, actor=who.employee_id, action="acked", note=note, at=now
                )
            )
            await self.outbox.add(
                events.notice(
                    row["sender"],
                    kind="teguran_ack",
                    subject=str(teguran_id),
                    title=f"{who.name} telah membaca {row['kind']} Anda",
                    body=note[:300] or row["message"][:300],
                    url=f"/#/teguran/{teguran_id}",
                )
            )
        [view] = await self._views([teguran_id])
        return view

    async def list_teguran(self, who: Principal) -> list[TeguranView]:
        """The latest teguran: all of them for those whose role reaches any (command, bkd),
        else those sent to or by the caller."""
        query = (
            Teguran.select(Teguran.id).order_by(Teguran.id, ascending=False).limit(TEGURAN_LISTED)
        )
        if policy.scope(who, "teguran.list") != policy.ANY:
            query = query.where(
                (Teguran.recipient == who.employee_id) | (Teguran.sender == who.employee_id)
            )
        return await self._views([row["id"] for row in await query])

    async def _views(self, ids: list[int]) -> list[TeguranView]:
        if not ids:
            return []
        rows = await Teguran.select().where(Teguran.id.is_in(ids))
        logs = (
            await TeguranLog.select().where(TeguranLog.teguran.is_in(ids)).order_by(TeguranLog.id)
        )
        people = await org.staff_by_id(
            sorted(
                {r["sender"] for r in rows}
                | {r["recipient"] for r in rows}
                | {lg["actor"] for lg in logs}
            )
        )
        codes = {unit.id: unit.code for unit in await self.units.get()}

        def nip(employee: int) -> str:
            return people[employee].nip if employee in people else ""

        def name(employee: int) -> str:
            return people[employee].name if employee in people else ""

        by_id = {row["id"]: row for row in rows}
        return [
            TeguranView(
                id=row["id"],
                kind=row["kind"],
                message=row["message"],
                sender=nip(row["sender"]),
                sender_name=name(row["sender"]),
                recipient=nip(row["recipient"]),
                recipient_name=name(row["recipient"]),
                unit=codes.get(row["unit"]) if row["unit"] else None,
                gerai=row["gerai"],
                sent_at=row["sent_at"],
                acked_at=row["acked_at"],
                ack_note=row["ack_note"],
                log=[
                    TeguranLogEntry(
                        action=lg["action"], actor=nip(lg["actor"]), at=lg["at"], note=lg["note"]
                    )
                    for lg in logs
                    if lg["teguran"] == row["id"]
                ],
            )
            for row in (by_id[i] for i in ids if i in by_id)
        ]
