"""Who may decide a flagged check-in: never its owner, also when the owner is a BKD verifier."""

from __future__ import annotations

from backend.org import demo_data
from tests.support.factories import checkin_files, login, meta
from tests.support.jobs import drain

VERIFIERS = [e for e in demo_data.EMPLOYEES if "bkd" in e.roles]


async def test_a_verifier_cannot_decide_their_own_flagged_check_in(client, clean):
    own, other = VERIFIERS[1], VERIFIERS[2]
    mine = await login(client, own.nip)
    colleague = await login(client, other.nip)
    # No location: flagged for review once verified (no enrolled face either).
    body = meta(lat=None, lon=None, accuracy_m=None)
    created = await client.post("/api/v1/checkins", files=checkin_files(body), headers=mine)
    checkin_id = created.json()["id"]
    await drain(clean)

    # The queue does not offer one's own records for decision...
    queue = (await client.get("/api/v1/reviews", headers=mine)).json()["items"]
    assert checkin_id not in [item["checkin"]["id"] for item in queue]
    # ...and deciding one directly is refused, saying who may decide instead.
    refused = await client.post(
        f"/api/v1/reviews/{checkin_id}", json={"decision": "accept"}, headers=mine
    )
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "sendiri" in detail and "verifikator BKD lain" in detail
    assert (await client.get(f"/api/v1/checkins/{checkin_id}", headers=mine)).json()[
        "status"
    ] == "flagged"

    # Another verifier sees it and decides it.
    queue = (await client.get("/api/v1/reviews", headers=colleague)).json()["items"]
    assert checkin_id in [item["checkin"]["id"] for item in queue]
    decided = await client.post(
        f"/api/v1/reviews/{checkin_id}", json={"decision": "accept"}, headers=colleague
    )
    assert decided.status_code == 200 and decided.json()["status"] == "accepted"
