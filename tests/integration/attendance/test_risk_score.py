"""The spoof-risk score as production computes it: check-ins sent through the api with different
signals settle (arq worker, real face models) to different scores with their parts stored; the
BKD queue sorts by it, paged; CCTV evidence arriving later moves a record down; the employee's
own view never carries the score."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from backend.attendance.risk import CctvSignal
from backend.attendance.tables import CheckIn
from backend.core.settings import Settings
from backend.services import open_services
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta, school_point
from tests.support.jobs import drain
from tests.support.photos import photo, selfie


async def submit(client: httpx.AsyncClient, headers: dict[str, str], body: dict) -> int:
    response = await client.post(
        "/api/v1/checkins", files=checkin_files(body, selfie("obama.jpg")), headers=headers
    )
    assert response.status_code == 201, response.text
    assert "risk_score" not in response.json()
    return response.json()["id"]


def near_school(metres_north: float) -> dict:
    """A fix as a phone gives it: seven decimals that jitter, an accuracy that wanders."""
    lon, lat = school_point()
    return {"lat": round(lat + metres_north / 111_320 + 1.234e-6, 7), "lon": round(lon + 3.1e-6, 7)}


async def walk(client, headers, **params) -> list[int]:
    found, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/reviews", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        found += [item["checkin"]["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return found


@pytest.mark.timeout(240)
async def test_signals_settle_to_scores_and_the_desk_sorts_by_them(
    client: httpx.AsyncClient, teacher: dict[str, str], clean: Settings
) -> None:
    async with open_services(clean, face_executor=lambda: None) as services:
        await services.faces.enrol(TEACHER.nip, photo("obama.jpg"), enrolled_by=None)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # A phone as it should be: inside, jittered fix, wandering accuracy.
    genuine = await submit(client, teacher, meta(**near_school(3), accuracy_m=13.7))
    # A mock-location app: the fence's centre as typed, 1 m accuracy, and the hint.
    spoofed = await submit(client, teacher, meta(accuracy_m=1.0, mock_location=True))
    # No fix at all: flagged, but nothing else suspicious.
    no_fix = await submit(client, teacher, meta(lat=None, lon=None, accuracy_m=None))
    # The phone's clock 20 minutes behind: flagged, the skew counted by its size.
    behind = (now - dt.timedelta(minutes=20)).isoformat()
    skewed = await submit(
        client,
        teacher,
        meta(**near_school(-4), accuracy_m=8.2, captured_at=behind, sent_at=behind),
    )

    await drain(clean)

    rows = {
        r["id"]: r
        for r in await CheckIn.select(
            CheckIn.id, CheckIn.status, CheckIn.reasons, CheckIn.risk_score, CheckIn.risk_parts
        ).output(load_json=True)
    }
    scores = {i: rows[i]["risk_score"] for i in (genuine, spoofed, no_fix, skewed)}
    assert rows[genuine]["status"] == "accepted"
    assert scores[genuine] < 15  # only "tanpa tantangan gerak"
    assert scores[spoofed] >= clean.risk_flag_threshold
    assert scores[spoofed] > scores[skewed] > scores[no_fix] >= scores[genuine]
    assert [r["code"] for r in rows[spoofed]["reasons"]][-2:] == ["high_risk", "face_match"]
    assert all(
        r["code"] != "high_risk" for i in (genuine, no_fix, skewed) for r in rows[i]["reasons"]
    )
    parts = {p["code"]: p for p in rows[spoofed]["risk_parts"]}
    assert parts["mock"]["points"] == clean.risk_rules.weights.mock
    assert parts["accuracy"]["points"] == clean.risk_rules.weights.accuracy
    assert "diketik" in parts["coordinates"]["sentence"]

    bkd = await login(client, by_role("bkd").nip)
    flagged = [spoofed, skewed, no_fix]
    assert await walk(client, bkd, order="risk") == flagged
    assert await walk(client, bkd, order="risk", limit=1) == flagged
    assert await walk(client, bkd) == [spoofed, no_fix, skewed]  # the default: oldest first
    body = (await client.get("/api/v1/reviews", params={"order": "risk"}, headers=bkd)).json()
    top = body["items"][0]
    assert top["risk_score"] == scores[spoofed]
    assert [p["code"] for p in top["risk_parts"]][:3] == ["accuracy", "coordinates", "travel"]
    assert all(p["sentence"] and p["weight"] > 0 for p in top["risk_parts"])
    assert "risk_score" not in top["checkin"]

    # CCTV saw the face at the clock-skewed record's place: it moves below the record without
    # a fix; the status stays as decided.
    async with open_services(clean, face_executor=lambda: None) as services:
        lowered = await services.checkins.rescore(skewed, CctvSignal(snapshots=2, matched=1))
        assert await services.checkins.rescore(genuine + 10_000, CctvSignal(1, 1)) is None
    assert lowered == pytest.approx(scores[skewed] - clean.risk_rules.weights.cctv, abs=0.2)
    assert await walk(client, bkd, order="risk", limit=2) == [spoofed, no_fix, skewed]

    # The employee's own view: reasons in words, never the score.
    mine = (await client.get(f"/api/v1/checkins/{spoofed}", headers=teacher)).json()
    assert "risk_score" not in mine and "risk_parts" not in mine
    assert "Risiko pemalsuan tinggi" in mine["reasons"][-2]["message"]


async def test_a_bad_risk_cursor_is_refused_in_words(client: httpx.AsyncClient, clean) -> None:
    bkd = await login(client, by_role("bkd").nip)
    bad = await client.get(
        "/api/v1/reviews", params={"order": "risk", "cursor": "bm9wZQ"}, headers=bkd
    )
    assert bad.status_code in (400, 422) and "cursor" in bad.text
