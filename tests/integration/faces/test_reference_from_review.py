""" "Jadikan foto referensi" at the review desk: the selfie of a check-in BKD accepted becomes a
reference photo through the faces service, once, audited; a rejected or undecided one cannot."""

from __future__ import annotations

from backend.core import audit
from backend.faces.tables import FaceReference
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta
from tests.support.jobs import drain
from tests.support.photos import selfie


async def flagged(client, headers, settings, picture: str) -> int:
    """A check-in without a GPS fix of someone not enrolled yet: flagged for the desk."""
    body = meta(lat=None, lon=None, accuracy_m=None)
    made = await client.post(
        "/api/v1/checkins", files=checkin_files(body, selfie(picture)), headers=headers
    )
    assert made.status_code == 201, made.text
    await drain(settings)
    checked = await client.get(f"/api/v1/checkins/{made.json()['id']}", headers=headers)
    assert checked.json()["status"] == "flagged", checked.text
    return made.json()["id"]


async def test_an_accepted_selfie_becomes_a_reference_once(client, teacher, clean) -> None:
    verifier = by_role("bkd")
    bkd = await login(client, verifier.nip)
    good = await flagged(client, teacher, clean, "obama2.jpg")
    wrong = await flagged(client, teacher, clean, "biden.jpg")
    undecided = await flagged(client, teacher, clean, "obama3.jpg")
    for checkin_id, decision in ((good, "accept"), (wrong, "reject")):
        answer = await client.post(
            f"/api/v1/reviews/{checkin_id}",
            json={"decision": decision, "note": "uji"},
            headers=bkd,
        )
        assert answer.status_code == 200, answer.text

    made = await client.post(f"/api/v1/reviews/{good}/reference", headers=bkd)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["nip"] == TEACHER.nip and body["checkin_id"] == good and body["created"]
    # A second click (or a colleague at once) makes no second reference.
    again = await client.post(f"/api/v1/reviews/{good}/reference", headers=bkd)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert not again.json()["created"]
    assert await FaceReference.count() == 1
    listed = await client.get(f"/api/v1/faces/{TEACHER.nip}/references", headers=bkd)
    assert [r["id"] for r in listed.json()] == [body["id"]]
    [entry] = await audit.entries(target="faces_reference")
    assert entry["actor"] == verifier.nip and entry["action"] == "face.enrol_from_review"
    assert entry["target_key"] == str(body["id"]) and entry["after"]["checkin_id"] == good

    # The new reference works: the teacher's next selfie is matched against it.
    nxt = await client.post(
        "/api/v1/checkins", files=checkin_files(meta(), selfie("obama.jpg")), headers=teacher
    )
    await drain(clean)
    checked = (await client.get(f"/api/v1/checkins/{nxt.json()['id']}", headers=teacher)).json()
    assert checked["status"] == "accepted", checked
    assert any(r["code"] == "face_match" for r in checked["reasons"])
    # The desk shows it among the employee's references.
    queue = (await client.get("/api/v1/reviews", headers=bkd)).json()["items"]
    [item] = [i for i in queue if i["checkin"]["id"] == undecided]
    assert len(item["reference_urls"]) == 1 and item["reference_url"] == item["reference_urls"][0]

    # A rejected check-in, or one not decided yet, is not vouched for.
    for checkin_id in (wrong, undecided):
        refused = await client.post(f"/api/v1/reviews/{checkin_id}/reference", headers=bkd)
        assert refused.status_code == 409, refused.text
        assert "sudah diterima BKD" in refused.json()["detail"]
    # A check-in accepted by the verification itself, not at the desk, neither.
    refused = await client.post(f"/api/v1/reviews/{nxt.json()['id']}/reference", headers=bkd)
    assert refused.status_code == 409
    assert (await client.post("/api/v1/reviews/999999/reference", headers=bkd)).status_code == 404
    assert await FaceReference.count() == 1


async def test_a_selfie_without_one_face_is_refused_in_words(client, teacher, clean) -> None:
    bkd = await login(client, by_role("bkd").nip)
    empty = await flagged(client, teacher, clean, "landscape.jpg")
    decided = await client.post(
        f"/api/v1/reviews/{empty}", json={"decision": "accept"}, headers=bkd
    )
    assert decided.status_code == 200, decided.text
    refused = await client.post(f"/api/v1/reviews/{empty}/reference", headers=bkd)
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "Selfie ini tidak dapat menjadi foto referensi: tidak ada wajah"
    )
    assert await FaceReference.count() == 0


async def test_only_bkd_and_never_for_ones_own_selfie(client, teacher, clean) -> None:
    verifier, colleague = (e for e in _bkd_people())
    mine = await login(client, verifier.nip)
    own = await flagged(client, mine, clean, "obama2.jpg")
    other = await login(client, colleague.nip)
    accepted = await client.post(
        f"/api/v1/reviews/{own}", json={"decision": "accept"}, headers=other
    )
    assert accepted.status_code == 200, accepted.text
    assert (await client.post(f"/api/v1/reviews/{own}/reference", headers=mine)).status_code == 403
    assert (
        await client.post(f"/api/v1/reviews/{own}/reference", headers=teacher)
    ).status_code == 403
    assert (await client.post(f"/api/v1/reviews/{own}/reference", headers=other)).status_code == 201


def _bkd_people():
    from backend.org import demo_data

    return [e for e in demo_data.EMPLOYEES if e.roles == ("asn", "bkd")][:2]
