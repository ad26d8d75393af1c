"""The access policy, generated: every route of the app x every role x a target that is the
caller's own, a colleague's in the same unit, or someone's in another unit, against the one
table in backend/core/policy.py.

Each role is played by its demo account (README). A request the table allows must not be
refused (403, or 404 for records whose existence is not confirmed); one it does not allow must
be. A route missing from the table, or from the request builders below, fails the test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.core import policy
from backend.org import demo_data
from tests.support.cctv import cctv_world
from tests.support.devicekeys import DeviceSigner
from tests.support.factories import by_role, checkin_files, jpeg, login, meta
from tests.support.jobs import drain

# One demo account per role (README's table), and who counts as own / same unit / other unit.
ACCOUNTS = {
    "asn": demo_data.EMPLOYEES[0],  # Siti, teacher at SD Negeri 1 Bleboh
    "kepala_unit": by_role("kepala_unit", unit_code="SDN-BLEBOH-1"),
    "bkd": next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "bkd")),
    "command": next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "command")),
    "admin": next(e for e in demo_data.EMPLOYEES if "admin" in e.roles),
}
OTHER_UNIT = "DESA-NGLIRON"  # under none of the accounts' units
RELATIONS = ("own", "unit", "other")
NEEDED = {"own": policy.OWN, "unit": policy.UNIT, "other": policy.ANY}


def target_of(caller: demo_data.DemoEmployee, relation: str) -> demo_data.DemoEmployee:
    if relation == "own":
        return caller
    if relation == "unit":
        return next(
            e
            for e in demo_data.EMPLOYEES
            if e.unit_code == caller.unit_code and e.nip != caller.nip
        )
    return next(e for e in demo_data.EMPLOYEES if e.unit_code == OTHER_UNIT)


def expected(roles: tuple[str, ...], action: str, relation: str) -> bool:
    """Read straight off the table: the widest scope of the roles covers the relation."""
    row = policy.POLICY[action]
    scopes = [policy.SCOPES.index(row[role]) for role in roles if role in row]
    if not scopes or (relation == "own" and action in policy.NOT_OWN):
        return False
    return max(scopes) >= policy.SCOPES.index(NEEDED[relation])


class World:
    """Records of every target: one flagged check-in and one pending permit each."""

    def __init__(self) -> None:
        self.checkin: dict[str, int] = {}
        self.permit: dict[str, int] = {}
        self.counter = 0
        self.camera = 0  # a registered camera's id
        self.location = 0  # where it stands
        self.export: dict[str, int] = {}  # a recap export of each unit, by code
        self.kiosk = 0  # a registered face kiosk's id (at `location`)

    def next_days(self) -> tuple[str, str]:
        self.counter += 1
        start = dt.date.today() + dt.timedelta(days=40 + 9 * self.counter)
        return start.isoformat(), (start + dt.timedelta(days=6)).isoformat()


def permit_files(world: World) -> dict[str, Any]:
    start, end = world.next_days()
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "cuti_tahunan",
        "start_date": start,
        "end_date": end,
        "reason": "Keperluan keluarga",
    }
    return {
        "meta": ("m.json", msgspec.json.encode(body), "application/json"),
        "attachment": ("surat.jpg", jpeg(32, 32), "image/jpeg"),
    }


def unlocated() -> dict[str, Any]:
    return checkin_files(meta(lat=None, lon=None, accuracy_m=None))


SUBSCRIPTION = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/policy-matrix",
    "keys": {"p256dh": "B" + "A" * 86, "auth": "A" * 22},
}

# operation id -> (whether the route acts on a target's records, request builder).
Request = tuple[str, str, dict[str, Any]]
Builder = Callable[[World, demo_data.DemoEmployee], Request]
MONTH = dt.date.today().strftime("%Y-%m")
REQUESTS: dict[str, tuple[bool, Builder]] = {
    "me": (False, lambda w, t: ("GET", "/api/v1/me", {})),
    "createCheckIn": (False, lambda w, t: ("POST", "/api/v1/checkins", {"files": unlocated()})),
    "listCheckIns": (False, lambda w, t: ("GET", "/api/v1/checkins", {})),
    "getCheckIn": (True, lambda w, t: ("GET", f"/api/v1/checkins/{w.checkin[t.nip]}", {})),
    "listReviews": (False, lambda w, t: ("GET", "/api/v1/reviews", {})),
    "listReviewUnits": (False, lambda w, t: ("GET", "/api/v1/reviews/units", {})),
    "decideReview": (
        True,
        lambda w, t: (
            "POST",
            f"/api/v1/reviews/{w.checkin[t.nip]}",
            {"json": {"decision": "reject", "note": "uji"}},
        ),
    ),
    # The world's check-ins are flagged, not accepted: allowed answers 409, nothing enrolled.
    "useSelfieAsReference": (
        True,
        lambda w, t: ("POST", f"/api/v1/reviews/{w.checkin[t.nip]}/reference", {}),
    ),
    "myDays": (
        False,
        lambda w, t: ("GET", "/api/v1/days", {"params": {"start": dt.date.today().isoformat()}}),
    ),
    "monthlyRecap": (
        True,
        lambda w, t: ("GET", "/api/v1/recap", {"params": {"unit": t.unit_code, "month": MONTH}}),
    ),
    "enrolFace": (
        True,
        lambda w, t: (
            "POST",
            f"/api/v1/faces/{t.nip}/references",
            {"files": {"photo": ("x.jpg", jpeg(64, 64), "image/jpeg")}},
        ),
    ),
    "listFaceReferences": (True, lambda w, t: ("GET", f"/api/v1/faces/{t.nip}/references", {})),
    "createPermit": (False, lambda w, t: ("POST", "/api/v1/permits", {"files": permit_files(w)})),
    "listMyPermits": (False, lambda w, t: ("GET", "/api/v1/permits", {})),
    "permitInbox": (False, lambda w, t: ("GET", "/api/v1/permits/inbox", {})),
    "myLeaveBalance": (False, lambda w, t: ("GET", "/api/v1/permits/leave", {})),
    "dinasLuarDestinations": (
        False,
        lambda w, t: ("GET", "/api/v1/permits/destinations", {"params": {"q": "kantor"}}),
    ),
    "getPermit": (True, lambda w, t: ("GET", f"/api/v1/permits/{w.permit[t.nip]}", {})),
    "decidePermit": (
        True,
        lambda w, t: (
            "POST",
            f"/api/v1/permits/{w.permit[t.nip]}/decision",
            {"json": {"decision": "reject", "note": "uji"}},
        ),
    ),
    "cancelPermit": (
        True,
        lambda w, t: ("POST", f"/api/v1/permits/{w.permit[t.nip]}/cancel", {}),
    ),
    "permitAttachment": (
        True,
        lambda w, t: ("GET", f"/api/v1/permits/{w.permit[t.nip]}/attachment", {}),
    ),
    "getPushKey": (False, lambda w, t: ("GET", "/api/v1/push/key", {})),
    "subscribePush": (
        False,
        lambda w, t: ("POST", "/api/v1/push/subscriptions", {"json": SUBSCRIPTION}),
    ),
    "unsubscribePush": (
        False,
        lambda w, t: (
            "DELETE",
            "/api/v1/push/subscriptions",
            {"params": {"endpoint": SUBSCRIPTION["endpoint"]}},
        ),
    ),
    # Recap exports (issue 9): asked for by unit, read by id (one per target's unit).
    "createRecapExport": (
        True,
        lambda w, t: (
            "POST",
            "/api/v1/recap/exports",
            {"json": {"unit": t.unit_code, "month": MONTH, "format": "csv"}},
        ),
    ),
    "getRecapExport": (
        True,
        lambda w, t: ("GET", f"/api/v1/recap/exports/{w.export[t.unit_code]}", {}),
    ),
    "listRecapUnits": (False, lambda w, t: ("GET", "/api/v1/recap/units", {})),
    # A handout nobody made: 410 for those who may download handouts at all.
    "importPasswordHandout": (
        False,
        lambda w, t: ("GET", f"/api/v1/admin/imports/handouts/{uuid.uuid4()}", {}),
    ),
    # The back office (issue 9). A dry run: nothing is written.
    "importMasterData": (
        False,
        lambda w, t: (
            "POST",
            "/api/v1/admin/imports/holidays",
            {"files": {"file": ("libur.csv", b"Tanggal,Keterangan\n2031-01-01,Tahun Baru\n")}},
        ),
    ),
    # A wrong old password: 422, so the account is not changed (allowed: not 403/404).
    "changePassword": (
        False,
        lambda w, t: (
            "POST",
            "/api/v1/me/password",
            {"json": {"old_password": "bukan-ini", "new_password": "kata-sandi-baru-1"}},
        ),
    ),
    # Gerai of the MPP.
    "listGerai": (False, lambda w, t: ("GET", "/api/v1/gerai", {})),
    "importGerai": (
        False,
        lambda w, t: (
            "POST",
            "/api/v1/gerai/import",
            {"files": {"file": ("g.csv", b"Kode Gerai,Nama Gerai\n", "text/csv")}},
        ),
    ),
    "ratingsIkm": (
        False,
        lambda w, t: (
            "GET",
            "/api/v1/ratings/ikm",
            {"params": {"from": "2026-01-01", "to": "2026-12-31"}},
        ),
    ),
    "ratingComments": (
        False,
        lambda w, t: (
            "GET",
            "/api/v1/ratings/comments",
            {"params": {"from": "2026-01-01", "to": "2026-12-31"}},
        ),
    ),
    "ratingsReport": (
        False,
        lambda w, t: (
            "GET",
            "/api/v1/ratings/report.xlsx",
            {"params": {"from": "2026-01-01", "to": "2026-12-31"}},
        ),
    ),
    "createCamera": (
        False,
        lambda w, t: (
            "POST",
            "/api/v1/cctv/cameras",
            {
                "json": {
                    "code": "CAM-POLICY",
                    "name": "x",
                    "location_id": w.location,
                    "mode": "push",
                }
            },
        ),
    ),
    "listCameras": (False, lambda w, t: ("GET", "/api/v1/cctv/cameras", {})),
    # A face kiosk at the camera's location; revoking twice answers the same.
    "createKiosk": (
        False,
        lambda w, t: (
            "POST",
            "/api/v1/kiosks",
            {"json": {"name": "Kiosk uji", "location_id": w.location}},
        ),
    ),
    "listKiosks": (False, lambda w, t: ("GET", "/api/v1/kiosks", {})),
    "revokeKiosk": (False, lambda w, t: ("POST", f"/api/v1/kiosks/{w.kiosk}/revoke", {})),
    "updateCameraZones": (
        False,
        lambda w, t: (
            "PATCH",
            f"/api/v1/cctv/cameras/{w.camera}",
            {"json": {"queue_threshold": 5}},
        ),
    ),
    "rotateCameraKey": (
        False,
        lambda w, t: ("POST", f"/api/v1/cctv/cameras/{w.camera}/key", {}),
    ),
    "listCameraSnapshots": (
        False,
        lambda w, t: ("GET", f"/api/v1/cctv/cameras/{w.camera}/snapshots", {}),
    ),
    "listCctvAlerts": (False, lambda w, t: ("GET", "/api/v1/cctv/alerts", {})),
    # A head of unit gets their own staff's events (the list is narrowed, never refused).
    "listCctvExits": (False, lambda w, t: ("GET", "/api/v1/cctv/exits", {})),
    # The position it already has: allowed answers 200 and changes nothing.
    "updateEmployee": (
        True,
        lambda w, t: (
            "PATCH",
            f"/api/v1/admin/employees/{t.nip}",
            {"json": {"position": t.position}},
        ),
    ),
    # A reset leaves a one-time password; `clean` gives demo accounts theirs back.
    "resetPassword": (
        True,
        lambda w, t: ("POST", f"/api/v1/admin/employees/{t.nip}/password-reset", {}),
    ),
    "registerDevice": (
        False,
        lambda w, t: ("POST", "/api/v1/devices", {"json": {"public_key": DeviceSigner().spki}}),
    ),
    "listMyDevices": (False, lambda w, t: ("GET", "/api/v1/devices", {})),
    "listEmployeeDevices": (
        True,
        lambda w, t: ("GET", f"/api/v1/admin/employees/{t.nip}/devices", {}),
    ),
}


def app_routes(app: Litestar) -> list[tuple[str, Any]]:
    """(key, handler) of every route the app serves, but the framework's own (OPTIONS, the
    OpenAPI pages) and the PWA's static files."""
    found = []
    for route in app.routes:
        if route.path.startswith("/schema") or route.path in (
            "/",
            "/{file_path:path}",
            "/desk",
            "/desk/{file_path:path}",
        ):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.http_methods == {"OPTIONS"}:
                continue
            found.append((handler.operation_id or handler.handler_name, handler))
    return found


def test_every_route_is_in_the_policy_table_and_the_matrix(app: Litestar) -> None:
    for key, handler in app_routes(app):
        if key in policy.PUBLIC:
            assert policy.action_of(handler) is None, key
            continue
        action = policy.action_of(handler)
        assert action in policy.POLICY, f"route {key} has no allow(action) from the policy table"
        assert key in REQUESTS, f"route {key} is not walked by the policy matrix test"
    served = {key for key, _ in app_routes(app)}
    assert set(REQUESTS) <= served, set(REQUESTS) - served


@pytest.fixture
async def world(client: httpx.AsyncClient, clean) -> World:
    world = World()
    people = {target_of(c, r).nip for c in ACCOUNTS.values() for r in RELATIONS}
    for nip in sorted(people):
        headers = await login(client, nip)
        created = await client.post("/api/v1/checkins", files=unlocated(), headers=headers)
        assert created.status_code == 201, created.text
        world.checkin[nip] = created.json()["id"]
        permit = await client.post("/api/v1/permits", files=permit_files(world), headers=headers)
        assert permit.status_code == 201, permit.text
        world.permit[nip] = permit.json()["id"]
    await drain(clean)  # verification flags every check-in: no location, no enrolled face
    await board_world(world, people)
    await export_world(world, people)
    world.location, world.camera = await cctv_world(client)
    world.kiosk = await kiosk_world(world.location)
    await desk_world(world, people)
    return world


async def test_every_route_answers_every_role_as_the_table_says(
    app: Litestar, client: httpx.AsyncClient, world: World
) -> None:
    mismatches = []
    walked = 0
    for role, account in ACCOUNTS.items():
        headers = await login(client, account.nip)
        for key, handler in app_routes(app):
            if key in policy.PUBLIC:
                continue
            action = policy.action_of(handler)
            targeted, build = REQUESTS[key]
            for relation in RELATIONS if targeted else ("own",):
                target = target_of(account, relation)
                method, path, kwargs = build(world, target)
                response = await client.request(method, path, headers=headers, **kwargs)
                walked += 1
                assert response.status_code < 500, (role, key, relation, response.text)
                allowed = response.status_code not in (403, 404)
                if allowed != expected(account.roles, action, relation):
                    mismatches.append(
                        f"{role} {key} {relation}: {response.status_code} {response.text[:120]}"
                    )
    assert not mismatches, "\n".join(mismatches)
    assert walked >= 5 * len(REQUESTS)


async def kiosk_world(location: int) -> int:
    from backend.kiosk.tables import Kiosk

    [row] = await Kiosk.insert(
        Kiosk(name="Kiosk uji", location_id=location, created_at=dt.datetime.now(dt.UTC))
    ).returning(Kiosk.id)
    return row["id"]


async def export_world(world: World, people: set[str]) -> None:
    """A finished-or-not recap export of each target's unit, for reading by id."""
    from backend.attendance.tables import RecapExport

    world.export = {}
    for unit in sorted({e.unit_code for e in demo_data.EMPLOYEES if e.nip in people}):
        [row] = await RecapExport.insert(
            RecapExport(
                request_key=f"{unit}:{MONTH}:csv:unit",
                unit=unit,
                month=MONTH,
                format="csv",
                requested_by=1,
                state="queued",
                created_at=dt.datetime.now(dt.UTC),
            )
        ).returning(RecapExport.id)
        world.export[unit] = row["id"]


# --- the command board (backend/board) ---------------------------------------------------------


async def board_world(world: World, people: set[str]) -> None:
    """A teguran to each target, for the acknowledgement route."""
    from backend.board.tables import Teguran
    from backend.org.tables import Employee

    ids = {
        row["nip"]: row["id"]
        for row in await Employee.select(Employee.id, Employee.nip).where(
            Employee.nip.is_in(sorted(people))
        )
    }
    sender = ids.get(ACCOUNTS["command"].nip) or next(iter(ids.values()))
    world.teguran = {}
    for nip in sorted(people):
        [row] = await Teguran.insert(
            Teguran(
                sender=sender,
                recipient=ids[nip],
                kind="catatan",
                message="uji",
                sent_at=dt.datetime.now(dt.UTC),
            )
        ).returning(Teguran.id)
        world.teguran[nip] = row["id"]


REQUESTS.update(
    {
        "getBoard": (False, lambda w, t: ("GET", "/api/v1/board", {})),
        "streamBoard": (
            False,
            lambda w, t: ("GET", "/api/v1/board/stream", {"params": {"once": "true"}}),
        ),
        "unitToday": (
            True,
            lambda w, t: ("GET", "/api/v1/board/today", {"params": {"unit": t.unit_code}}),
        ),
        "remindNotYetIn": (
            True,
            lambda w, t: ("POST", "/api/v1/board/remind", {"json": {"unit": t.unit_code}}),
        ),
        "sendTeguran": (
            False,
            lambda w, t: (
                "POST",
                "/api/v1/board/teguran",
                {"json": {"kind": "catatan", "message": "uji", "unit": OTHER_UNIT}},
            ),
        ),
        "listTeguran": (False, lambda w, t: ("GET", "/api/v1/board/teguran", {})),
        "ackTeguran": (
            True,
            lambda w, t: (
                "POST",
                f"/api/v1/board/teguran/{w.teguran[t.nip]}/ack",
                {"json": {"note": "siap"}},
            ),
        ),
    }
)


def attestation_body(target: demo_data.DemoEmployee) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return {
        "client_id": str(uuid.uuid4()),
        "nip": target.nip,
        "start_date": (now + dt.timedelta(hours=7)).date().isoformat(),  # today in WIB
        "end_date": (now + dt.timedelta(hours=7)).date().isoformat(),
        "reason": "Tidak ada sinyal, ponsel rusak",
        "captured_at": now.isoformat(),
        "sent_at": now.isoformat(),
    }


REQUESTS.update(
    {
        "createAttestation": (
            True,
            lambda w, t: ("POST", "/api/v1/attestations", {"json": attestation_body(t)}),
        ),
        "listMyAttestations": (False, lambda w, t: ("GET", "/api/v1/attestations", {})),
        "attestationSummary": (False, lambda w, t: ("GET", "/api/v1/attestations/summary", {})),
    }
)


# --- the back office's desks: fences, face enrolment, accounts ----------------------------------


async def desk_world(world: World, people: set[str]) -> None:
    """The camera's location's fence as stored (put back unchanged by updateFence), and
    references to remove: one per request that may reach each target."""
    from backend.faces.tables import FaceReference
    from backend.geofence.tables import Location
    from backend.org.tables import Employee

    row = (
        await Location.select().where(Location.id == world.location).output(load_json=True).first()
    )
    world.fence = {
        "geometry": row["geometry"],
        "radius_m": row["radius_m"],
        "max_accuracy_m": row["max_accuracy_m"],
    }
    ids = {
        r["nip"]: r["id"]
        for r in await Employee.select(Employee.id, Employee.nip).where(
            Employee.nip.is_in(sorted(people))
        )
    }
    world.references = {}
    for nip in sorted(people):
        rows = await FaceReference.insert(
            *[
                FaceReference(
                    employee=ids[nip],
                    encoding=bytes(1024),
                    photo_key=f"references/{nip}/policy-{i}.jpg",
                    created_at=dt.datetime.now(dt.UTC),
                )
                for i in range(len(ACCOUNTS) * len(RELATIONS))
            ]
        ).returning(FaceReference.id)
        world.references[nip] = [r["id"] for r in rows]


REQUESTS.update(
    {
        "listLocations": (False, lambda w, t: ("GET", "/api/v1/admin/locations", {})),
        "getFence": (
            False,
            lambda w, t: ("GET", f"/api/v1/admin/locations/{w.location}/fence", {}),
        ),
        "checkFence": (
            False,
            lambda w, t: (
                "POST",
                f"/api/v1/admin/locations/{w.location}/fence/check",
                {"json": w.fence},
            ),
        ),
        "updateFence": (
            False,
            lambda w, t: ("PUT", f"/api/v1/admin/locations/{w.location}/fence", {"json": w.fence}),
        ),
        "checkFacePhoto": (
            True,
            lambda w, t: (
                "POST",
                f"/api/v1/faces/{t.nip}/references/check",
                {"files": {"photo": ("x.jpg", jpeg(64, 64), "image/jpeg")}},
            ),
        ),
        # Each request takes a reference of its own: one removed is not there for the next.
        "removeFaceReference": (
            True,
            lambda w, t: (
                "DELETE",
                f"/api/v1/faces/{t.nip}/references/{w.references[t.nip].pop()}",
                {},
            ),
        ),
        "listEmployees": (False, lambda w, t: ("GET", "/api/v1/admin/employees", {})),
        "employeeAudit": (
            True,
            lambda w, t: ("GET", f"/api/v1/admin/employees/{t.nip}/audit", {}),
        ),
    }
)
