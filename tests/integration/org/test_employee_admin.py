"""Finding employees (BKD and admins) and reading one's audit trail: account changes, password
resets and face references, newest first, paged; an asn may do neither."""

from __future__ import annotations

import httpx

from backend.core import audit
from backend.org.service import employee_id_by_nip
from tests.support.factories import TEACHER, by_role, login
from tests.support.photos import photo

ADMIN = by_role("admin")


async def test_search_by_nip_digits_or_name(client: httpx.AsyncClient, clean) -> None:
    bkd = await login(client, by_role("bkd").nip)
    by_nip = (
        await client.get("/api/v1/admin/employees", params={"q": TEACHER.nip[:12]}, headers=bkd)
    ).json()
    assert TEACHER.nip in [e["nip"] for e in by_nip["items"]]
    assert all(e["nip"].startswith(TEACHER.nip[:12]) for e in by_nip["items"])
    by_name = (
        await client.get("/api/v1/admin/employees", params={"q": "nurhay"}, headers=bkd)
    ).json()
    [teacher] = by_name["items"]
    assert teacher["nip"] == TEACHER.nip
    assert teacher["unit"] == TEACHER.unit_code and teacher["unit_name"]
    assert teacher["roles"] == ["asn"] and teacher["active"] is True

    first = (await client.get("/api/v1/admin/employees", params={"limit": 5}, headers=bkd)).json()
    assert len(first["items"]) == 5 and first["next_cursor"]
    second = (
        await client.get(
            "/api/v1/admin/employees",
            params={"limit": 5, "cursor": first["next_cursor"]},
            headers=bkd,
        )
    ).json()
    assert not {e["nip"] for e in first["items"]} & {e["nip"] for e in second["items"]}
    bad = await client.get("/api/v1/admin/employees", params={"cursor": "abc"}, headers=bkd)
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]
    too_many = await client.get("/api/v1/admin/employees", params={"limit": 999}, headers=bkd)
    assert too_many.status_code == 400


async def test_the_trail_gathers_account_and_face_changes(client: httpx.AsyncClient, clean):
    admin = await login(client, ADMIN.nip)
    path = f"/api/v1/admin/employees/{TEACHER.nip}"
    before = (await client.get(f"{path}/audit", headers=admin)).json()["items"]
    changed = await client.patch(path, json={"position": "Guru Kelas 4"}, headers=admin)
    assert changed.status_code == 200, changed.text
    reset = await client.post(f"{path}/password-reset", headers=admin)
    assert reset.status_code == 200
    enrolled = await client.post(
        f"/api/v1/faces/{TEACHER.nip}/references",
        files={"photo": ("a.jpg", photo("obama.jpg"), "image/jpeg")},
        headers=admin,
    )
    assert enrolled.status_code == 201, enrolled.text
    await client.patch(path, json={"position": TEACHER.position}, headers=admin)

    trail = (await client.get(f"{path}/audit", headers=admin)).json()
    new = trail["items"][: len(trail["items"]) - len(before)]
    assert [e["action"] for e in new] == [
        "employee.update",
        "face.enrol",
        "employee.password_reset",
        "employee.update",
    ]
    assert new[-1]["before"]["position"] == TEACHER.position
    assert new[-1]["after"]["position"] == "Guru Kelas 4"
    assert new[0]["actor"] == ADMIN.nip and new[0]["actor_name"] == ADMIN.name
    assert all("password_hash" not in (e["after"] or {}) for e in new)

    paged = (await client.get(f"{path}/audit", params={"limit": 2}, headers=admin)).json()
    assert [e["id"] for e in paged["items"]] == [e["id"] for e in trail["items"][:2]]
    rest = (
        await client.get(
            f"{path}/audit", params={"limit": 2, "cursor": paged["next_cursor"]}, headers=admin
        )
    ).json()
    assert [e["id"] for e in rest["items"]] == [e["id"] for e in trail["items"][2:4]]

    unknown = await client.get("/api/v1/admin/employees/199001012015031999/audit", headers=admin)
    assert unknown.status_code == 404
    malformed = await client.get("/api/v1/admin/employees/12345/audit", headers=admin)
    assert malformed.status_code == 422
    assert "NIP" in malformed.json()["detail"]


async def test_an_asn_may_not_search_or_read_a_trail(client: httpx.AsyncClient, clean) -> None:
    asn = await login(client, TEACHER.nip)
    assert (await client.get("/api/v1/admin/employees", headers=asn)).status_code == 403
    trail = await client.get(f"/api/v1/admin/employees/{TEACHER.nip}/audit", headers=asn)
    assert trail.status_code == 403


async def test_the_trail_holds_entries_keyed_by_row_id_too(client: httpx.AsyncClient, clean):
    """Piccolo Admin keys an employee's row by its id, the review desk a reference it enrols by
    the reference's id: both belong to the employee's trail; another's do not."""
    admin = await login(client, ADMIN.nip)
    enrolled = await client.post(
        f"/api/v1/faces/{TEACHER.nip}/references",
        files={"photo": ("a.jpg", photo("obama.jpg"), "image/jpeg")},
        headers=admin,
    )
    reference_id = enrolled.json()["id"]
    teacher_id = await employee_id_by_nip(TEACHER.nip)
    other_id = await employee_id_by_nip(ADMIN.nip)
    # As backend/core/admin.py and Faces.enrol_selfie write them.
    for action, target, key in (
        ("admin.update", "org_employee", str(teacher_id)),
        ("face.enrol_from_review", "faces_reference", str(reference_id)),
        ("admin.update", "org_employee", str(other_id)),
        ("face.enrol_from_review", "faces_reference", str(reference_id + 1000)),
    ):
        await audit.record(
            actor=ADMIN.nip, action=action, target=target, target_key=key, before=None, after={}
        )
    trail = (await client.get(f"/api/v1/admin/employees/{TEACHER.nip}/audit", headers=admin)).json()
    assert [(e["action"], e["target_key"]) for e in trail["items"]] == [
        ("face.enrol_from_review", str(reference_id)),
        ("admin.update", str(teacher_id)),
        ("face.enrol", TEACHER.nip),
    ]
