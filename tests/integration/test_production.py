"""Every command of the README, started as a real process the way the README starts it.

The production section's commands run on PostgreSQL (a database of this module's own), Redis (a
database claimed for this module), the S3 server (moto, through the minio SDK) and the local
push endpoint: `hadir migrate`, `seed-demo`, `import-geofences`, `export-geofences`,
`enrol-faces`, then `hadir run` (granian) and `hadir worker` side by side, used over HTTP as the
PWA uses them. The first command's `hadir run --demo` runs on the embedded default (SQLite,
local disk, in-process jobs) in an empty data folder. Each long-running process is stopped with
SIGTERM or SIGINT and must exit by itself, with status 0 and no traceback.

The processes are started once for the module and the tests run in file order, each building
on the one before (as an operator's shell session would).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from backend.org import demo_data
from tests.support import liveness as sequences
from tests.support import services as real
from tests.support.commands import (
    Running,
    assert_no_traceback,
    run_hadir,
    started,
    stop_cleanly,
    wait_healthy,
)
from tests.support.devicekeys import DeviceSigner, chain_part
from tests.support.factories import PASSWORD, TEACHER, by_role, checkin_files, meta
from tests.support.photos import photo, selfie
from tests.support.push_endpoint import PushEndpoint

pytestmark = pytest.mark.timeout(180)

PRINCIPAL = by_role("kepala_unit", unit_code=TEACHER.unit_code)
# A fence the operator adds with `import-geofences`: a second place of the teacher's school,
# ~3 km from the demo's, so a check-in there is inside only once the import has landed.
POSKO = (111.3600, -7.0900)  # (lon, lat)
POSKO_CODE = "LOC-E2E-POSKO"
T = TypeVar("T")


def eventually(what: str, probe: Callable[[], T | None], timeout: float = 60) -> T:
    """Poll `probe` until it returns something, within a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.25)


def next_working_day(after: dt.date) -> dt.date:
    """The next Monday-Friday after `after` that is not a demo holiday or cuti bersama."""
    holidays = {h.date for h in demo_data.HOLIDAYS}
    day = after + dt.timedelta(days=1)
    while day.isoweekday() > 5 or day in holidays:
        day += dt.timedelta(days=1)
    return day


# --- the production environment -------------------------------------------------------------


@pytest.fixture(scope="module")
def push() -> Iterator[PushEndpoint]:
    with PushEndpoint().running() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with real.s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
async def prod_db() -> AsyncIterator[str]:
    async with real.database(f"hadir_prod_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture(scope="module")
async def prod_redis() -> AsyncIterator[str]:
    async with real.redis_database() as url:
        yield url


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("production")


@pytest.fixture(scope="module")
def env(
    prod_db: str, prod_redis: str, s3: str, push: PushEndpoint, workdir: Path
) -> dict[str, str]:
    """The variables of the README's production section, pointed at this module's services."""
    vapid = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return {
        "HADIR_DATABASE_URL": prod_db,
        "HADIR_DATABASE_POOL_SIZE": "5",
        "HADIR_REDIS_URL": prod_redis,
        "HADIR_STORAGE": "minio",
        "HADIR_MINIO_ENDPOINT": s3,
        "HADIR_MINIO_ACCESS_KEY": "e2e-access",
        "HADIR_MINIO_SECRET_KEY": "e2e-secret",
        "HADIR_MINIO_BUCKET": "hadir-prod",
        "HADIR_SECRET_KEY": "e2e-secret-key-the-same-for-every-api-process-0123",
        "HADIR_VAPID_PRIVATE_KEY": vapid.decode(),
        "HADIR_PUSH_ALLOWED_ORIGINS": push.origin,
        # Nothing may land in the repository's var/: a stray default would show up here.
        "HADIR_DATA_DIR": str(workdir / "data"),
    }


def ok(result: Any, what: str) -> str:
    output = result.stdout + result.stderr
    assert_no_traceback(output, what)
    assert result.returncode == 0, f"{what} exited with {result.returncode}:\n{output[-4000:]}"
    return result.stdout


# --- one-shot commands ----------------------------------------------------------------------


def test_migrate_builds_the_schema_and_is_idempotent(env: dict[str, str]) -> None:
    ok(run_hadir(env, "migrate"), "hadir migrate")
    ok(run_hadir(env, "migrate"), "hadir migrate (again)")


def test_seed_demo_loads_the_regency(env: dict[str, str]) -> None:
    report = json.loads(ok(run_hadir(env, "seed-demo"), "hadir seed-demo"))
    assert report, report  # the command reports what it loaded


def test_import_geofences_adds_a_fence(env: dict[str, str], workdir: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(POSKO)},
                "properties": {
                    "code": POSKO_CODE,
                    "unit": TEACHER.unit_code,
                    "name": "Posko gugus sekolah",
                    "radius_m": 80,
                },
            }
        ],
    }
    path = workdir / "fences.geojson"
    path.write_text(json.dumps(collection))
    report = json.loads(ok(run_hadir(env, "import-geofences", str(path)), "import-geofences"))
    assert report["created"] == 1 and report["refused"] == [], report


def test_export_geofences_writes_every_fence(env: dict[str, str], workdir: Path) -> None:
    path = workdir / "exported.geojson"
    ok(run_hadir(env, "export-geofences", str(path)), "export-geofences FILE")
    exported = json.loads(path.read_text())
    codes = {f["properties"]["code"] for f in exported["features"]}
    assert codes == {loc.code for loc in demo_data.LOCATIONS} | {POSKO_CODE}


def test_enrol_faces_enrols_a_folder_of_photos(env: dict[str, str], workdir: Path) -> None:
    folder = workdir / "faces"
    folder.mkdir()
    (folder / f"{TEACHER.nip}.jpg").write_bytes(photo("obama.jpg"))
    report = json.loads(ok(run_hadir(env, "enrol-faces", str(folder)), "enrol-faces"))
    assert report == {"enrolled": [f"{TEACHER.nip}.jpg"], "refused": {}}


# --- hadir run + hadir worker ---------------------------------------------------------------


class Stack(msgspec.Struct):
    api: Running
    worker: Running
    base: str


@pytest.fixture(scope="module")
def stack(env: dict[str, str], workdir: Path) -> Iterator[Stack]:
    port = real.free_port()
    served = {**env, "HADIR_HOST": "127.0.0.1", "HADIR_PORT": str(port), "HADIR_WORKERS": "1"}
    with (
        started("hadir run", served, "run", log_dir=workdir) as api,
        started("hadir worker", env, "worker", log_dir=workdir) as worker,
    ):
        base = f"http://127.0.0.1:{port}"
        wait_healthy(api, base)
        yield Stack(api=api, worker=worker, base=base)


def login(client: httpx.Client, nip: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_a_check_in_with_a_real_selfie_settles_to_accepted(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        assert client.get("/health").json()["status"] == "ok"
        teacher = login(client, TEACHER.nip)
        lon, lat = POSKO  # inside the imported fence
        body = meta(lon=lon, lat=lat)
        created = client.post(
            "/api/v1/checkins", files=checkin_files(body, selfie("obama2.jpg")), headers=teacher
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "pending"

        def settled() -> dict[str, Any] | None:
            stack.worker.alive()
            got = client.get(f"/api/v1/checkins/{created.json()['id']}", headers=teacher).json()
            return None if got["status"] == "pending" else got

        record = eventually("the worker verifies the check-in", settled)
    assert record["status"] == "accepted", record
    assert record["geofence"]["decision"] == "inside", record


def test_a_signed_check_in_with_a_real_head_turn_settles_accepted(stack: Stack) -> None:
    """Issue 13 as production runs it: the phone's device key is registered, the record is
    signed into its chain, the head-turn frames (a real face turned in 3-D, tests/support/
    liveness) ride with the selfie, and `hadir worker` judges face, liveness and risk."""
    signer = DeviceSigner()
    turning = sequences.genuine("obama.jpg", ["right", "up"], random.Random(11))
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        teacher = login(client, TEACHER.nip)
        device = client.post(
            "/api/v1/devices", json={"public_key": signer.spki, "label": "e2e"}, headers=teacher
        )
        assert device.status_code == 201, device.text
        lon, lat = POSKO
        body = meta(
            lon=lon,
            lat=lat + 0.0000137,
            accuracy_m=7.3,
            liveness={
                "challenge": turning.challenge,
                "frames": [
                    {"part": f"frame{i}", "step": step}
                    for i, (step, _) in enumerate(turning.frames)
                ],
            },
        )
        frames = {f"frame{i}": data for i, (_, data) in enumerate(turning.frames)}
        unsent = {k: v for k, v in body.items() if k != "sent_at"}
        block = signer.block("checkin", unsent, {"selfie": turning.selfie, **frames})
        files = checkin_files(body, turning.selfie)
        files.update({name: (f"{name}.jpg", data, "image/jpeg") for name, data in frames.items()})
        files["chain"] = chain_part(block)
        created = client.post("/api/v1/checkins", files=files, headers=teacher)
        assert created.status_code == 201, created.text
        assert created.json()["device_id"] == device.json()["id"]

        def settled() -> dict[str, Any] | None:
            stack.worker.alive()
            got = client.get(f"/api/v1/checkins/{created.json()['id']}", headers=teacher).json()
            return None if got["status"] == "pending" else got

        record = eventually("the worker judges face and liveness", settled, timeout=120)
    codes = [r["code"] for r in record["reasons"]]
    assert record["status"] == "accepted", record
    assert record["liveness"] == "passed" and "liveness_passed" in codes, record


def test_a_permit_decision_reaches_the_day_record_and_a_push_arrives(
    stack: Stack, push: PushEndpoint
) -> None:
    day = next_working_day(dt.date.today())
    with httpx.Client(base_url=stack.base, timeout=30) as client:
        teacher, principal = login(client, TEACHER.nip), login(client, PRINCIPAL.nip)
        phone, head_phone = push.subscribe(), push.subscribe()
        for headers, browser in ((teacher, phone), (principal, head_phone)):
            response = client.post(
                "/api/v1/push/subscriptions", json=browser.to_json(), headers=headers
            )
            assert response.status_code == 201, response.text

        values = {
            "client_id": str(uuid.uuid4()),
            "kind": "sakit",
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
            "reason": "Demam tinggi, surat dokter menyusul",
        }
        files = {"meta": ("meta.json", msgspec.json.encode(values), "application/json")}
        created = client.post("/api/v1/permits", files=files, headers=teacher)
        assert created.status_code == 201, created.text
        permit = created.json()
        assert permit["approver"]["nip"] == PRINCIPAL.nip

        decided = client.post(
            f"/api/v1/permits/{permit['id']}/decision",
            json={"decision": "approve", "note": "Semoga lekas sembuh"},
            headers=principal,
        )
        assert decided.status_code == 200, decided.text

        def day_record() -> dict[str, Any] | None:
            days = client.get(
                "/api/v1/days", params={"start": day.isoformat()}, headers=teacher
            ).json()
            return days[0] if days and days[0]["status"] == "permit" else None

        record = eventually("the day record shows the permit", day_record)
        assert record["permit"] == "sakit", record

    def notices(browser: Any, kind: str) -> list[dict[str, Any]] | None:
        stack.worker.alive()
        found = [n for n in map(json.loads, push.texts(browser)) if n["kind"] == kind]
        return found or None

    (request,) = eventually("the head's push", lambda: notices(head_phone, "permit_request"))
    (decision,) = eventually("the teacher's push", lambda: notices(phone, "permit_decision"))
    assert decision["title"] and decision["body"], decision
    assert request["title"] and request["body"], request
    assert push.refusals == []


def test_the_api_and_the_worker_stop_cleanly(stack: Stack) -> None:
    stop_cleanly(stack.worker, signal.SIGTERM)
    stop_cleanly(stack.api, signal.SIGTERM)


# --- the first README command: hadir run --demo on the embedded default -----------------------


def test_run_demo_on_the_embedded_default(tmp_path: Path) -> None:
    port = real.free_port()
    demo_env = {"HADIR_DATA_DIR": str(tmp_path), "HADIR_PORT": str(port)}
    with started("hadir run --demo", demo_env, "run", "--demo", log_dir=tmp_path) as server:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(server, base, timeout=120)
        assert f"Demo login: NIP {TEACHER.nip}" in server.output()
        with httpx.Client(base_url=base, timeout=30) as client:
            teacher = login(client, TEACHER.nip)
            created = client.post(
                "/api/v1/checkins",
                files=checkin_files(meta(), selfie("obama2.jpg")),
                headers=teacher,
            )
            assert created.status_code == 201, created.text

            def settled() -> dict[str, Any] | None:
                got = client.get(f"/api/v1/checkins/{created.json()['id']}", headers=teacher)
                return None if got.json()["status"] == "pending" else got.json()

            record = eventually("the in-process job verifies the check-in", settled, timeout=90)
        # No demo account has an enrolled face: the check-in waits for BKD.
        assert record["status"] == "flagged", record
        assert "not_enrolled" in {reason["code"] for reason in record["reasons"]}, record
        stop_cleanly(server, signal.SIGINT)
    assert (tmp_path / "hadir.sqlite").is_file()
    assert list((tmp_path / "objects" / "selfies").rglob("*.jpg"))
