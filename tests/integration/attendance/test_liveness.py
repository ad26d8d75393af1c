"""Liveness through the real API and the verification job: frames stored beside the selfie,
the verdict as a reason and a column, replays idempotent, bad parts refused in words."""

from __future__ import annotations

import datetime as dt
import json
import random

import msgspec
import pytest

from backend.attendance.jobs import purge_selfies
from backend.attendance.tables import CheckIn
from backend.services import open_services
from tests.support import liveness as sequences
from tests.support.factories import TEACHER, checkin_files, meta
from tests.support.jobs import drain
from tests.support.photos import photo, selfie


def files(body: dict, seq: sequences.Sequence) -> dict:
    body = {
        **body,
        "liveness": {
            "challenge": seq.challenge,
            "frames": [
                {"part": f"frame{i}", "step": step} for i, (step, _) in enumerate(seq.frames)
            ],
        },
    }
    sent = checkin_files(body, seq.selfie)
    for i, (_, jpeg) in enumerate(seq.frames):
        sent[f"frame{i}"] = (f"frame{i}.jpg", jpeg, "image/jpeg")
    return sent


@pytest.mark.timeout(400)
async def test_frames_are_stored_and_judged_by_the_job(client, teacher, clean):
    async with open_services(clean, face_executor=lambda: None) as services:
        await services.faces.enrol(TEACHER.nip, photo("biden.jpg"), enrolled_by=None)
    genuine = sequences.genuine("biden.jpg", ["left", "up"], random.Random(2))
    flat = sequences.replay("biden.jpg", ["left", "up"], random.Random(2))

    body = meta()
    first = await client.post("/api/v1/checkins", files=files(body, genuine), headers=teacher)
    assert first.status_code == 201, first.text
    # A retry of the same record is the same record; other frames under its client_id are not.
    again = await client.post("/api/v1/checkins", files=files(body, genuine), headers=teacher)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    swapped = sequences.Sequence(**{**genuine.__dict__, "frames": genuine.frames[::-1]})
    conflict = await client.post("/api/v1/checkins", files=files(body, swapped), headers=teacher)
    assert conflict.status_code == 409, conflict.text

    replayed = await client.post("/api/v1/checkins", files=files(meta(), flat), headers=teacher)
    assert replayed.status_code == 201, replayed.text
    plain = await client.post(
        "/api/v1/checkins", files=checkin_files(meta(), genuine.selfie), headers=teacher
    )
    assert plain.status_code == 201, plain.text

    # The job's time limit is outbox_retry_s: two liveness checks (~1 s each on an idle core)
    # behind a face check, on a test machine that may be busy.
    await drain(msgspec.structs.replace(clean, outbox_retry_s=240.0))

    rows = {
        row["id"]: row
        for row in await CheckIn.select().output(load_json=True)
        if row["id"] in (first.json()["id"], replayed.json()["id"], plain.json()["id"])
    }
    good, bad, old = (rows[r.json()["id"]] for r in (first, replayed, plain))
    assert good["status"] == "accepted", good["reasons"]
    assert good["liveness"] == "passed"
    assert [r["code"] for r in good["reasons"]] == ["inside_fence", "face_match", "liveness_passed"]
    assert len(good["liveness_keys"]) == 5
    assert good["liveness_keys"][0].startswith("liveness/")
    assert good["liveness_keys"][0].endswith(f"/{body['client_id']}/left-up/frame0-front.jpg")
    async with open_services(clean, face_executor=lambda: None) as services:
        assert await services.store.get(good["liveness_keys"][1]) == genuine.frames[1][1]

    assert bad["status"] == "flagged" and bad["liveness"] == "failed"
    reason = bad["reasons"][-1]
    assert reason["code"] == "liveness_failed"
    assert reason["message"].startswith("Tantangan gerak kepala gagal: ")

    # A record without frames (an older PWA) gets no liveness reason at all.
    assert old["liveness"] == "" and old["liveness_keys"] == []
    assert [r["code"] for r in old["reasons"]] == ["inside_fence", "face_match"]
    shown = (await client.get(f"/api/v1/checkins/{first.json()['id']}", headers=teacher)).json()
    assert shown["liveness"] == "passed"


async def test_frames_that_do_not_match_the_meta_are_refused_in_words(client, teacher, clean):
    jpeg = selfie("obama.jpg")
    frames = {"challenge": ["left", "up"], "frames": [{"part": "frame0", "step": "front"}]}
    sent = checkin_files(meta(liveness=frames), jpeg)
    missing = await client.post("/api/v1/checkins", files=sent, headers=teacher)
    assert missing.status_code == 422 and "frame0" in missing.json()["detail"], missing.text

    sent = checkin_files(meta(), jpeg)
    sent["frame3"] = ("frame3.jpg", jpeg, "image/jpeg")
    extra = await client.post("/api/v1/checkins", files=sent, headers=teacher)
    assert extra.status_code == 422 and "tanpa keterangan liveness" in extra.json()["detail"]

    twice = {"challenge": ["up", "up"], "frames": [{"part": "frame0", "step": "front"}]}
    sent = checkin_files(meta(liveness=twice), jpeg)
    sent["frame0"] = ("frame0.jpg", jpeg, "image/jpeg")
    same = await client.post("/api/v1/checkins", files=sent, headers=teacher)
    assert same.status_code == 422 and "berbeda" in same.json()["detail"]

    odd = {"challenge": ["left", "nod"], "frames": [{"part": "frame0", "step": "front"}]}
    sent = checkin_files(meta(liveness=odd), jpeg)
    sent["frame0"] = ("frame0.jpg", jpeg, "image/jpeg")
    bad = await client.post("/api/v1/checkins", files=sent, headers=teacher)
    assert 400 <= bad.status_code < 500, bad.text

    sent = checkin_files(meta(liveness=frames), jpeg)
    sent["frame0"] = ("frame0.jpg", b"not a jpeg", "image/jpeg")
    broken = await client.post("/api/v1/checkins", files=sent, headers=teacher)
    assert broken.status_code == 422 and "JPEG" in broken.json()["detail"], broken.text
    assert msgspec.json.decode(broken.content)["detail"]


async def test_frames_go_with_the_selfie_at_retention(client, teacher, clean):
    seq = sequences.Sequence(
        "genuine",
        "obama",
        ["right", "up"],
        [("front", selfie("obama.jpg")), ("right", selfie("obama2.jpg"))],
        selfie("obama.jpg"),
    )
    stored = await client.post("/api/v1/checkins", files=files(meta(), seq), headers=teacher)
    assert stored.status_code == 201, stored.text
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=clean.selfie_retention_days + 1)
    await CheckIn.update({CheckIn.received_at: old}).where(CheckIn.id == stored.json()["id"])
    [row] = await CheckIn.select(CheckIn.liveness_keys).where(CheckIn.id == stored.json()["id"])
    keys = (
        json.loads(row["liveness_keys"])
        if isinstance(row["liveness_keys"], str)
        else row["liveness_keys"]
    )
    assert len(keys) == 2
    async with open_services(clean, face_executor=lambda: None) as services:
        assert all([await services.store.exists(k) for k in keys])
        assert await purge_selfies({"services": services}) == 1
        assert not any([await services.store.exists(k) for k in keys])
    [after] = await CheckIn.select(CheckIn.liveness_keys).where(CheckIn.id == stored.json()["id"])
    assert after["liveness_keys"] in ([], "[]")
