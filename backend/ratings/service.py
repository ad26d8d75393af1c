"""Citizens' ratings of the gerai (SKM, PermenPANRB 14/2017): the public submission with its
abuse limits, the per gerai per day aggregates kept in the same transaction, and the IKM.

Abuse is limited without collecting identities: a signed, HttpOnly device cookie (random,
kept as a keyed hash) allows one rating per gerai per visit window; each api process limits
submissions per address per minute; sizes are bounded by the types.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import secrets
import time
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from backend.core import policy
from backend.core.auth import Principal
from backend.core.errors import Conflict, DomainError, Invalid, NotFound
from backend.core.outbox import Outbox
from backend.core.paging import after, page
from backend.gerai.schemas import IkmBrief
from backend.gerai.service import GeraiService
from backend.org import service as org
from backend.ratings import report, skm
from backend.ratings.schemas import (
    CommentList,
    ElementFigures,
    IkmReport,
    ProfileField,
    PublicGerai,
    Question,
    RatingComment,
    RatingCreate,
    RatingReceipt,
)
from backend.ratings.tables import Rating, RatingDay

DEVICE_COOKIE = "hadir_nilai"
THANKS = "Terima kasih! Penilaian Anda sudah kami terima."
MAX_PERIOD_DAYS = 3 * 366


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class AddressLimiter:
    """At most `per_minute` submissions per client address per minute, in this process (a
    sliding window). Kept in memory: a limit on floods, not an exact count across processes."""

    def __init__(self, per_minute: int, *, max_addresses: int = 50_000) -> None:
        self.per_minute = per_minute
        self.max_addresses = max_addresses
        self.seen: dict[str, collections.deque[float]] = {}

    def check(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self.seen) > self.max_addresses:
            self.seen.clear()  # a flood of addresses: forget, rather than grow without bound
        hits = self.seen.setdefault(address, collections.deque())
        while hits and hits[0] <= now - 60:
            hits.popleft()
        if len(hits) >= self.per_minute:
            wait = int(hits[0] + 60 - now) + 1
            raise TooManyRequests(
                f"Terlalu banyak penilaian dari jaringan ini; coba lagi {wait} detik lagi",
                retry_after_s=wait,
            )
        hits.append(now)


def parse_weights(text: str) -> dict[str, Fraction | Decimal]:
    """`HADIR_SKM_WEIGHTS` ('U1=0.2,U2=0.1,...'); empty: 1/9 each."""
    if not text.strip():
        return dict(skm.EQUAL_WEIGHTS)
    weights: dict[str, Fraction | Decimal] = {}
    for part in text.split(","):
        code, _, value = part.partition("=")
        weights[code.strip().upper()] = Decimal(value.strip())
    skm.check_weights(weights)
    return weights


def sums_sql(prefix: str = "") -> str:
    cols = [f"SUM({prefix}s{i}) AS s{i}, SUM({prefix}n{i}) AS n{i}" for i in range(1, 10)]
    return f"SUM({prefix}respondents) AS respondents, " + ", ".join(cols)


def figures(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {f"U{i}": (int(row.get(f"s{i}") or 0), int(row.get(f"n{i}") or 0)) for i in range(1, 10)}


def _profile(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = msgspec.json.decode(value or "{}")
    return {k: v for k, v in (value or {}).items() if isinstance(v, str)}


class IkmFigures:
    """The IKM per gerai from the daily aggregates: what the command board shows. Needs no other
    service, so the gerai domain is handed it at construction (as its `IkmSource`)."""

    def __init__(self, weights: dict[str, Fraction | Decimal]) -> None:
        self.weights = weights

    async def ikm_by_gerai(
        self, gerai_ids: list[int], start: dt.date, end: dt.date
    ) -> dict[int, IkmBrief]:
        """The board's IKM per gerai over [start, end], from the daily aggregates."""
        if not gerai_ids:
            return {}
        rows = await RatingDay.raw(
            f"SELECT gerai, {sums_sql()} FROM ratings_day WHERE day >= {{}} AND day <= {{}} "
            f"AND gerai IN ({', '.join(str(int(i)) for i in gerai_ids)}) GROUP BY gerai",
            start,
            end,
        )
        result = {}
        for row in rows:
            value = skm.ikm(figures(row), self.weights)
            letter = skm.grade(value)[0] if value is not None else None
            result[row["gerai"]] = IkmBrief(
                ikm=skm.round2(value) if value is not None else None,
                grade=letter,
                respondents=int(row["respondents"] or 0),
            )
        return result


class Ratings:
    def __init__(
        self,
        *,
        outbox: Outbox,
        gerai: GeraiService,
        secret_key: str,
        window: dt.timedelta,
        per_minute: int,
        figures: IkmFigures,
    ) -> None:
        self.outbox = outbox
        self.gerai = gerai
        self.key = hashlib.sha256(b"hadir-rating-device:" + secret_key.encode()).digest()
        self.window = window
        self.limiter = AddressLimiter(per_minute)
        self.figures = figures
        self.weights = figures.weights

    # --- the device cookie ----------------------------------------------------------------------

    def _sign(self, device: str) -> str:
        return hmac.new(self.key, device.encode(), hashlib.sha256).hexdigest()[:32]

    def device_of(self, cookie: str | None) -> tuple[str, str | None]:
        """(the device's keyed hash, a new cookie to set or None): an unsigned or forged cookie
        is replaced by a new device."""
        if cookie and "." in cookie:
            device, signature = cookie.rsplit(".", 1)
            if hmac.compare_digest(self._sign(device), signature):
                return self._sign("id:" + device), None
        device = secrets.token_urlsafe(18)
        return self._sign("id:" + device), f"{device}.{self._sign(device)}"

    # --- the citizen's side -----------------------------------------------------------------

    async def public_gerai(self, code: str) -> PublicGerai:
        row = await self.gerai.by_code(code)
        return PublicGerai(
            code=row["code"],
            name=row["name"],
            agency=row["agency"],
            services=list(row["services"] or []),
            questions=[
                Question(code=c, element=e, question=q, answers=list(a))
                for c, (e, q, a) in skm.ELEMENTS.items()
            ],
            profile=[
                ProfileField(name=n, label=label, options=list(options))
                for n, (label, options) in skm.PROFILE.items()
            ],
        )

    async def submit(
        self,
        body: RatingCreate,
        *,
        cookie: str | None,
        address: str,
        now: dt.datetime | None = None,
    ) -> tuple[RatingReceipt, bool, str | None]:
        """(receipt, created, cookie to set). A replay of a client_id answers its receipt."""
        now = now or dt.datetime.now(dt.UTC)
        stored = (
            await Rating.select(Rating.created_at).where(Rating.client_id == body.client_id).first()
        )
        if stored:
            return self._receipt(body, stored["created_at"]), False, None
        self.limiter.check(address)
        try:
            gerai = await self.gerai.by_code(body.gerai)
        except NotFound as exc:
            raise Invalid(exc.detail) from None
        if body.service not in (gerai["services"] or []):
            raise Invalid(f"Layanan '{body.service[:60]}' tidak ada di {gerai['name']}")
        device, new_cookie = self.device_of(cookie)
        since = now - self.window
        if new_cookie is None and await Rating.exists().where(
            (Rating.device == device) & (Rating.gerai == gerai["id"]) & (Rating.created_at > since)
        ):
            raise Conflict(
                f"Terima kasih, penilaian Anda untuk {gerai['name']} sudah kami terima. "
                f"Satu perangkat dapat menilai satu gerai sekali dalam "
                f"{int(self.window.total_seconds() // 3600)} jam."
            )
        zone = ZoneInfo((await self.gerai.unit_of(gerai)).timezone)
        day = now.astimezone(zone).date()
        scores = msgspec.structs.asdict(body.answers)
        async with self.outbox.transaction():
            inserted = (
                await Rating.insert(
                    Rating(
                        client_id=body.client_id,
                        gerai=gerai["id"],
                        service=body.service,
                        answers=scores,
                        comment=body.comment.strip(),
                        profile=msgspec.to_builtins(body.profile) if body.profile else {},
                        device=device,
                        day=day,
                        created_at=now,
                    )
                )
                .on_conflict(action="DO NOTHING")
                .returning(Rating.id)
            )
            if not inserted:  # the same client_id landed meanwhile (parallel retries)
                return self._receipt(body, now), False, None
            await self._add_to_day(gerai, day, scores)
        return self._receipt(body, now), True, new_cookie

    def _receipt(self, body: RatingCreate, at: dt.datetime) -> RatingReceipt:
        return RatingReceipt(
            client_id=body.client_id, gerai=body.gerai, received_at=at, message=THANKS
        )

    async def _add_to_day(
        self, gerai: dict[str, Any], day: dt.date, scores: dict[str, int]
    ) -> None:
        s = [scores[f"U{i}"] for i in range(1, 10)]
        columns = ", ".join([f"s{i}" for i in range(1, 10)] + [f"n{i}" for i in range(1, 10)])
        updates = ", ".join(
            [f"s{i} = ratings_day.s{i} + excluded.s{i}" for i in range(1, 10)]
            + [f"n{i} = ratings_day.n{i} + 1" for i in range(1, 10)]
        )
        placeholders = ", ".join(["{}"] * 18)
        await RatingDay.raw(
            f"INSERT INTO ratings_day (gerai, unit, agency, day, respondents, {columns}) "
            f"VALUES ({{}}, {{}}, {{}}, {{}}, 1, {placeholders}) "
            f"ON CONFLICT (gerai, day) DO UPDATE SET respondents = ratings_day.respondents + 1, "
            f"{updates}",
            gerai["id"],
            gerai["unit"],
            gerai["agency"],
            day,
            *s,
            *[1] * 9,
        )

    # --- the numbers --------------------------------------------------------------------------

    async def _allowed_gerai(self, who: Principal, action: str = "ratings.ikm") -> list[int] | None:
        """None: any gerai; else the gerai `who` supervises and those of the units they head."""
        if policy.scope(who, action) == policy.ANY:
            return None
        ids = set(await self.gerai.supervised_by(who.employee_id))
        if policy.scope(who, action) == policy.UNIT:
            ids |= set(await self.gerai.ids_where(unit_ids=await org.unit_ids_under(who.unit_id)))
        return sorted(ids)

    @staticmethod
    def _check_period(start: dt.date, end: dt.date) -> None:
        if end < start:
            raise Invalid("Tanggal 'to' tidak boleh sebelum 'from'")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise Invalid(f"Periode paling panjang {MAX_PERIOD_DAYS} hari")

    async def comments(
        self,
        who: Principal,
        *,
        gerai: str | None,
        start: dt.date,
        end: dt.date,
        limit: int,
        cursor: str | None,
    ) -> CommentList:
        """Non-empty comments of the gerai `who` may read, oldest first, one page at a time."""
        self._check_period(start, end)
        allowed = await self._allowed_gerai(who, "ratings.comments")
        where = (Rating.day >= start) & (Rating.day <= end) & (Rating.comment != "")
        if gerai is not None:
            row = await self.gerai.by_code(gerai)
            if allowed is not None and row["id"] not in allowed:
                raise NotFound(f"Gerai '{gerai[:40]}' tidak dikenal")
            where &= Rating.gerai == row["id"]
        elif allowed is not None:
            where &= Rating.gerai.is_in(allowed or [-1])
        later = after(Rating.created_at, Rating.id, cursor)
        if later is not None:
            where &= later
        rows = await (
            Rating.select(
                Rating.id,
                Rating.gerai,
                Rating.service,
                Rating.day,
                Rating.created_at,
                Rating.comment,
            )
            .where(where)
            .order_by(Rating.created_at, Rating.id)
            .limit(limit + 1)
        )
        rows, next_cursor = page(rows, limit, "created_at")
        code = await self.gerai.code_by_id(list({r["gerai"] for r in rows}))
        return CommentList(
            items=[
                RatingComment(
                    gerai=code[r["gerai"]],
                    service=r["service"],
                    day=r["day"],
                    received_at=r["created_at"],
                    comment=r["comment"],
                )
                for r in rows
            ],
            next_cursor=next_cursor,
        )

    async def _gerai_ids(
        self, who: Principal, *, gerai: str | None, agency: str | None, unit: str | None
    ) -> list[int]:
        """The gerai counted: those of the filters (unit and below, agency, one gerai) that
        `who` may read. A gerai not theirs is NotFound, as if it did not exist."""
        allowed = await self._allowed_gerai(who)
        unit_ids = None
        if unit is not None:
            units = {u.code: u.id for u in (await self.gerai.units.snapshot.get()).values()}
            if unit not in units:
                raise NotFound(f"Unit '{unit[:40]}' tidak dikenal")
            unit_ids = await org.unit_ids_under(units[unit])
        ids = await self.gerai.ids_where(unit_ids=unit_ids, agency=agency)
        if gerai is not None:
            row = await self.gerai.by_code(gerai)
            ids = [i for i in ids if i == row["id"]]
            if allowed is not None and row["id"] not in allowed:
                raise NotFound(f"Gerai '{gerai[:40]}' tidak dikenal")
        if allowed is not None:
            ids = [i for i in ids if i in set(allowed)]
        return ids

    async def report(
        self,
        who: Principal,
        *,
        gerai: str | None,
        agency: str | None,
        unit: str | None,
        start: dt.date,
        end: dt.date,
    ) -> tuple[bytes, str]:
        """(the XLSX in the standard's layout, its file name), from the ratings themselves."""
        self._check_period(start, end)
        ids = await self._gerai_ids(who, gerai=gerai, agency=agency, unit=unit)
        scores = ", ".join(f"(r.answers->>'U{i}')::int AS u{i}" for i in range(1, 10))
        rows = (
            await Rating.raw(
                f"SELECT r.day, r.gerai, r.service, r.profile, {scores} FROM ratings_rating r "
                f"WHERE r.day >= {{}} AND r.day <= {{}} "
                f"AND r.gerai IN ({', '.join(str(int(i)) for i in ids)}) "
                f"ORDER BY r.day, r.created_at, r.id",
                start,
                end,
            )
            if ids
            else []
        )
        code = await self.gerai.code_by_id(ids)
        respondents = [
            report.Respondent(
                day=row["day"],
                gerai=code[row["gerai"]],
                service=row["service"],
                scores={f"U{i}": row[f"u{i}"] for i in range(1, 10)},
                profile=_profile(row["profile"]),
            )
            for row in rows
        ]
        codes = await self.gerai.codes(ids)
        scope = gerai or unit or agency or "semua gerai"
        title = f"{scope} ({', '.join(codes) or 'tidak ada gerai'})"
        data = report.to_xlsx(respondents, title=title, start=start, end=end, weights=self.weights)
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in scope)[:60]
        return data, f"skm-{safe}-{start.isoformat()}-{end.isoformat()}.xlsx"

    async def ikm(
        self,
        who: Principal,
        *,
        gerai: str | None,
        agency: str | None,
        unit: str | None,
        start: dt.date,
        end: dt.date,
    ) -> IkmReport:
        self._check_period(start, end)
        ids = await self._gerai_ids(who, gerai=gerai, agency=agency, unit=unit)
        rows = (
            await RatingDay.raw(
                f"SELECT {sums_sql()} FROM ratings_day WHERE day >= {{}} AND day <= {{}} "
                f"AND gerai IN ({', '.join(str(int(i)) for i in ids)})",
                start,
                end,
            )
            if ids
            else [{}]
        )
        totals = figures(rows[0]) if rows else figures({})
        respondents = int((rows[0] or {}).get("respondents") or 0)
        value = skm.ikm(totals, self.weights)
        letter, label = skm.grade(value) if value is not None else (None, None)
        yearly = await self.gerai.service_users(ids)
        population = round(yearly * ((end - start).days + 1) / 365)
        needed = skm.min_sample(population)
        codes = await self.gerai.codes(ids)
        return IkmReport(
            respondents=respondents,
            elements={
                code: ElementFigures(
                    sum=t,
                    count=n,
                    nrr=skm.round2(skm.nrr(t, n)) if n else None,  # type: ignore[arg-type]
                )
                for code, (t, n) in totals.items()
            },
            ikm=skm.round2(value) if value is not None else None,
            grade=letter,
            label=label,
            min_sample=needed,
            sample_reached=respondents >= needed and respondents > 0,
            population=population,
            start=start,
            end=end,
            gerai=codes,
        )
