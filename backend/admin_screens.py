"""The master data on Piccolo Admin's screens (/admin/): which tables, what each hides, and the
rules a write through them must keep.

A composition module like `backend/services.py`: the screens edit tables, so it names the
tables of several domains; the mechanism (hadir login, the role check, the audit) is in
`backend/core/admin.py`. Check-ins, selfies, reviews, permits, snapshots, the outbox and the
audit trail itself are not here: they are records, not master data.

Secrets are not on the screens at all: employees and cameras are shown through table classes
of their own over the same database tables (`org_employee`, `cctv_camera`) that simply lack the
password hash, the token version and the camera key hash, so no screen, filter, export or API
answer can carry them, and no write can set them.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import (
    JSON,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig

from backend.cctv.tables import Camera
from backend.core.admin import AdminSessions, Refused, Rules, Screen, Values, create
from backend.core.auth import ROLES, PasswordChecker, Principal, TokenVersions
from backend.core.ratelimit import LoginLimiter
from backend.core.settings import Settings
from backend.geofence import fences
from backend.geofence.tables import Location
from backend.gerai.tables import Gerai, GeraiMember
from backend.org import service as org
from backend.org.tables import Employee, Holiday, Schedule, Unit

ORG, PLACES, MPP = "Organisasi", "Lokasi & kamera", "MPP"


class EmployeeScreen(Table, tablename="org_employee"):
    """org_employee without password_hash and token_version."""

    nip = Varchar(length=18, unique=True)
    name = Varchar(length=200)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.restrict)
    schedule = ForeignKey(Schedule, null=True, on_delete=OnDelete.set_null)
    roles = Array(Varchar(length=20))
    position = Varchar(length=200, default="")
    active = Boolean(default=True)
    created_at = Timestamptz()
    must_change_password = Boolean(default=False)


class CameraScreen(Table, tablename="cctv_camera"):
    """cctv_camera without key_hash and the pull password; its health columns read-only."""

    code = Varchar(length=40, unique=True)
    name = Varchar(length=200)
    location = ForeignKey(Location, null=False, on_delete=OnDelete.restrict)
    mode = Varchar(length=10)
    gerai = Varchar(length=40, null=True, default=None)
    zone = JSON(null=True, default=None)
    queue_threshold = Integer(default=0)
    snapshot_url = Varchar(length=500, default="")
    frigate_camera = Varchar(length=100, default="")
    auth = Varchar(length=10, default="none")
    username = Varchar(length=100, default="")
    interval_s = Integer(default=30)
    exit = Boolean(default=False)
    created_at = Timestamptz()
    last_snapshot_at = Timestamptz(null=True, default=None)
    last_people = Integer(null=True, default=None)
    failures = Integer(default=0)
    last_error = Varchar(length=300, default="")


# The screens' own table classes follow whichever engine the process bound to the real ones.
_FOLLOW = ((EmployeeScreen, Employee), (CameraScreen, Camera))


def _follow_engine() -> None:
    for screen, real in _FOLLOW:
        screen._meta.db = real._meta.db


# Account changes that end the employee's sessions (as PATCH /api/v1/admin/employees does).
ENDS_SESSIONS = ("active", "roles", "unit")


def _check_employee(who: Principal, before: Values | None, values: Values) -> None:
    if "nip" in values:
        org.parse_nip(str(values["nip"]))
    if "roles" in values:
        roles = values["roles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Refused(422, "invalid", "roles: daftar peran")
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise Refused(
                422,
                "invalid",
                f"roles: peran '{unknown[0]}' tidak dikenal; yang ada: {', '.join(ROLES)}",
            )
        if "asn" not in roles:
            raise Refused(422, "invalid", "roles: setiap pegawai berperan 'asn'")
    if before is not None and before["id"] == who.employee_id:
        if values.get("active") is False or ("roles" in values and "admin" not in values["roles"]):
            raise Refused(
                422,
                "invalid",
                "Anda tidak dapat menonaktifkan akun sendiri atau mencabut peran admin sendiri",
            )


def _employee_rules(versions: TokenVersions | None) -> Rules:
    async def end_sessions(who: Principal, before: Values | None, after: Values | None) -> None:
        if before is None or after is None:
            return
        if any(before[f] != after[f] for f in ENDS_SESSIONS):
            await Employee.update({Employee.token_version: Employee.token_version + 1}).where(
                Employee.id == after["id"]
            )

    def forget(before: Values | None, after: Values | None) -> None:
        if versions is not None and (before or after):
            versions.forget((after or before or {})["id"])

    return Rules(
        # A new account gets no password here (it cannot log in until an admin resets one:
        # POST /api/v1/admin/employees/{nip}/password-reset hands out a one-time password).
        read_only=frozenset({"created_at", "must_change_password"}),
        # Check-ins, permits and reviews refer to employees: deactivate instead.
        delete=False,
        check=_check_employee,
        after=end_sessions,
        committed=forget,
    )


def _check_location(settings: Settings) -> Any:
    def check(who: Principal, before: Values | None, values: Values) -> None:
        merged = {**(before or {}), **values}
        if not merged.get("geometry"):
            raise Refused(422, "invalid", "geometry: isi GeoJSON Point, Polygon atau MultiPolygon")
        try:
            fences.Fence.from_geojson(
                0,
                merged["geometry"],
                radius_m=merged.get("radius_m"),
                max_accuracy_m=merged.get("max_accuracy_m") or settings.default_max_accuracy_m,
            )
        except ValueError as exc:
            raise Refused(422, "invalid", f"geometry: {exc}") from None

    return check


_CAMERA_HEALTH = frozenset(
    {"created_at", "last_snapshot_at", "last_people", "failures", "last_error", "code"}
)


def screens(settings: Settings, versions: TokenVersions | None) -> list[Screen]:
    return [
        Screen(
            TableConfig(
                Unit,
                menu_group=ORG,
                visible_columns=[Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent],
            ),
            # Employees, locations and gerai refer to units (ON DELETE RESTRICT): the database
            # refuses deleting a unit in use, and says so.
        ),
        Screen(
            TableConfig(
                EmployeeScreen,
                menu_group=ORG,
                visible_columns=[
                    EmployeeScreen.id,
                    EmployeeScreen.nip,
                    EmployeeScreen.name,
                    EmployeeScreen.unit,
                    EmployeeScreen.roles,
                    EmployeeScreen.active,
                ],
                link_column=EmployeeScreen.nip,
            ),
            _employee_rules(versions),
        ),
        Screen(TableConfig(Schedule, menu_group=ORG)),
        Screen(TableConfig(Holiday, menu_group=ORG)),
        Screen(
            TableConfig(
                Location,
                menu_group=PLACES,
                exclude_visible_columns=[Location.geometry],
            ),
            Rules(read_only=frozenset({"updated_at"}), check=_check_location(settings)),
        ),
        Screen(
            TableConfig(
                CameraScreen,
                menu_group=PLACES,
                visible_columns=[
                    CameraScreen.id,
                    CameraScreen.code,
                    CameraScreen.name,
                    CameraScreen.location,
                    CameraScreen.mode,
                    CameraScreen.last_snapshot_at,
                ],
            ),
            # A camera is registered through POST /api/v1/cctv/cameras, which hands out its
            # push key once; its history (snapshots, alerts) hangs on it.
            Rules(read_only=_CAMERA_HEALTH, create=False, delete=False),
        ),
        Screen(
            TableConfig(
                Gerai,
                menu_group=MPP,
                exclude_visible_columns=[Gerai.hours, Gerai.services],
            ),
            Rules(read_only=frozenset({"empty_since", "load", "load_at"}), delete=False),
        ),
        Screen(TableConfig(GeraiMember, menu_group=MPP)),
    ]


def build(
    settings: Settings,
    jwt: Any,
    versions: TokenVersions | None,
    passwords: PasswordChecker,
    logins: LoginLimiter,
) -> Any:
    """The ASGI app mounted at /admin/."""

    async def login(
        nip: str, password: str, peer: str | None, forwarded_for: str | None
    ) -> tuple[Principal, bool]:
        address = logins.address_of(peer, forwarded_for)
        principal, user = await org.login(nip, password, passwords, logins, address)
        return principal, user.must_change_password

    async def change_password(who: Principal, old: str, new: str) -> Principal:
        principal, _ = await org.change_password(who, old, new, passwords)
        if versions is not None:
            versions.forget(who.employee_id)
        return principal

    built: list[Any] = []

    async def mounted(scope: Any, receive: Any, send: Any) -> None:
        # Built at the first request, not with the app: Piccolo Admin makes a pydantic model
        # per table and route (~0.35 s), which every test's create_app would pay.
        if not built:
            sessions = AdminSessions(jwt, versions, login, change_password)
            built.append(create(screens(settings, versions), sessions))
        _follow_engine()
        await built[0](scope, receive, send)

    return mounted
