"""Citizens' ratings on real PostgreSQL: the public gerai, submission with replay, the device
window, bad input in words, the aggregates against a recomputation, the IKM and who reads it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx

from backend.gerai import demo
from backend.ratings import skm
from backend.ratings.tables import Rating
from tests.support.factories import by_role, login

GERAI = "MPP-G01"


def rating(**overrides):
    body = {
        "client_id": str(uuid.uuid4()),
        "gerai": GERAI,
        "service": "Perekaman KTP-el",
        "answers": {code: 3 for code in skm.CODES},
        "comment": "<script>alert(1)</script> antre lama",
        "profile": {"sex": "P", "age": "30-39"},
    }
    body.update(overrides)
    return body


async def test_public_gerai_has_services_and_the_nine_questions(client: httpx.AsyncClient):
    answer = await client.get(f"/api/v1/public/gerai/{GERAI}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["name"] == "Gerai Disdukcapil" and "Perekaman KTP-el" in body["services"]
    assert [q["code"] for q in body["questions"]] == list(skm.CODES)
    assert (await client.get("/api/v1/public/gerai/NOPE")).status_code == 404
    svg = await client.get(f"/api/v1/public/gerai/{GERAI}/qr.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    png = await client.get(f"/api/v1/public/gerai/{GERAI}/qr.png")
    assert png.content.startswith(b"\x89PNG")
    page = await client.get(f"/nilai/{GERAI}")
    assert page.status_code == 200 and "/src/nilai.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    poster = await client.get(f"/nilai/{GERAI}/poster")
    assert "Gerai Disdukcapil" in poster.text and "qr.svg" in poster.text


async def test_one_rating_per_device_per_window_and_replays_answer_200(client: httpx.AsyncClient):
    first = rating()
    created = await client.post("/api/v1/public/ratings", json=first)
    assert created.status_code == 201, created.text
    cookie = created.headers["set-cookie"]
    assert "HttpOnly" in cookie and "hadir_nilai=" in cookie
    replay = await client.post("/api/v1/public/ratings", json=first)
    assert replay.status_code == 200
    assert await Rating.count() == 1
    second = await client.post("/api/v1/public/ratings", json=rating())
    assert second.status_code == 409 and "sudah kami terima" in second.json()["detail"]
    # Another gerai from the same device is fine; a forged cookie is a new device.
    other = rating(gerai="MPP-G04", service="Pindah Faskes")
    assert (await client.post("/api/v1/public/ratings", json=other)).status_code == 201
    client.cookies.set("hadir_nilai", "forged.0000", path="/api/v1/public/")
    client.cookies.clear()
    assert (await client.post("/api/v1/public/ratings", json=rating())).status_code == 201


async def test_bad_ratings_are_refused_in_words_and_nothing_is_stored(client: httpx.AsyncClient):
    cases = [
        (rating(answers={**{c: 3 for c in skm.CODES}, "U3": 5}), "U3"),
        (rating(answers={c: 3 for c in skm.CODES[:8]}), "U9"),
        (rating(gerai="NOPE"), "tidak dikenal"),
        (rating(service="Layanan lain"), "tidak ada"),
        (rating(comment="x" * 1001), "comment"),
        (rating(profile={"sex": "X"}), "sex"),
    ]
    for body, words in cases:
        answer = await client.post("/api/v1/public/ratings", json=body)
        assert 400 <= answer.status_code < 500, (body, answer.text)
        assert words in answer.text, (words, answer.text)
    assert await Rating.count() == 0
    big = await client.post(
        "/api/v1/public/ratings",
        content=b"{" + b" " * 9000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413


async def test_ikm_from_aggregates_equals_a_recomputation(app, client: httpx.AsyncClient):
    sent = []
    for n in range(12):
        answers = {code: 1 + (n + i) % 4 for i, code in enumerate(skm.CODES)}
        client.cookies.clear()
        answer = await client.post("/api/v1/public/ratings", json=rating(answers=answers))
        assert answer.status_code == 201
        sent.append(answers)
    bkd = await login(client, by_role("bkd").nip)
    report = await client.get(
        "/api/v1/ratings/ikm",
        params={"gerai": GERAI, "from": "2026-01-01", "to": "2027-12-31"},
        headers=bkd,
    )
    assert report.status_code == 200, report.text
    body = report.json()
    totals = {c: (sum(a[c] for a in sent), len(sent)) for c in skm.CODES}
    assert body["respondents"] == 12
    assert {c: (e["sum"], e["count"]) for c, e in body["elements"].items()} == totals
    assert Decimal(body["ikm"]) == skm.round2(skm.ikm(totals))
    assert body["grade"] == skm.grade(skm.ikm(totals))[0]
    assert body["min_sample"] > 12 and body["sample_reached"] is False
    # The MPP's head (unit scope) reads it; a teacher sees nothing of it.
    head = await login(client, demo.WAHYU)
    assert (
        await client.get(
            "/api/v1/ratings/ikm",
            params={"gerai": GERAI, "from": "2026-01-01", "to": "2027-12-31"},
            headers=head,
        )
    ).json()["respondents"] == 12
    teacher = await login(client)
    hidden = await client.get(
        "/api/v1/ratings/ikm",
        params={"gerai": GERAI, "from": "2026-01-01", "to": "2027-12-31"},
        headers=teacher,
    )
    assert hidden.status_code == 404
    # The board shows it too.
    board = {
        g.code: g
        for g in await app.state.services.gerai.board(
            __import__("datetime").datetime.now(__import__("datetime").UTC)
        )
    }
    assert board[GERAI].ikm is not None and board[GERAI].ikm.respondents == 12


async def test_comments_come_back_as_text_paged_to_those_who_may_read_them(
    client: httpx.AsyncClient,
):
    script = "<script>alert('x')</script> & <b>antre</b> lama"
    sent = []
    for n in range(5):
        client.cookies.clear()
        body = rating(comment=f"{script} #{n}" if n != 2 else "   ")  # a blank one is no comment
        assert (await client.post("/api/v1/public/ratings", json=body)).status_code == 201
        sent.append(body["comment"].strip())
    client.cookies.clear()
    other = rating(gerai="MPP-G04", service="Pindah Faskes", comment="gerai lain")
    assert (await client.post("/api/v1/public/ratings", json=other)).status_code == 201
    period = {"from": "2026-01-01", "to": "2027-12-31"}

    bkd = await login(client, by_role("bkd").nip)
    seen, cursor = [], None
    while True:
        params = {**period, "gerai": GERAI, "limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = await client.get("/api/v1/ratings/comments", params=params, headers=bkd)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.headers["x-content-type-options"] == "nosniff"
        body = answer.json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    # Exactly the text sent, every character, oldest first, no blank ones, no other gerai.
    assert [item["comment"] for item in seen] == [c for c in sent if c]
    assert {item["gerai"] for item in seen} == {GERAI}
    assert set(seen[0]) == {"gerai", "service", "day", "received_at", "comment"}  # no identity
    everything = await client.get("/api/v1/ratings/comments", params=period, headers=bkd)
    assert "gerai lain" in [item["comment"] for item in everything.json()["items"]]

    # The MPP's head reads them; a teacher (no gerai supervised) gets none; a gerai not theirs
    # is not confirmed.
    head = await login(client, demo.WAHYU)
    mine = await client.get("/api/v1/ratings/comments", params=period, headers=head)
    assert len(mine.json()["items"]) == 5
    teacher = await login(client)
    assert (await client.get("/api/v1/ratings/comments", params=period, headers=teacher)).json()[
        "items"
    ] == []
    hidden = await client.get(
        "/api/v1/ratings/comments", params={**period, "gerai": GERAI}, headers=teacher
    )
    assert hidden.status_code == 404
    bad = await client.get(
        "/api/v1/ratings/comments", params={**period, "cursor": "zz"}, headers=bkd
    )
    assert bad.status_code == 422 and "cursor" in bad.text


def summary_rows(sheet) -> dict[str, list]:
    """Column A label -> the row's values from the first score column (U1..U9)."""
    from backend.ratings import report

    found = {}
    for row in sheet.iter_rows(values_only=True):
        if isinstance(row[0], str):
            found[row[0]] = list(row[report.FIRST_SCORE_COLUMN - 1 :][:9])
    return found


async def test_the_xlsx_report_has_the_standards_table_and_equals_the_ikm_endpoint(
    client: httpx.AsyncClient,
):
    import io

    import openpyxl

    from backend.ratings import report

    sent = []
    profiles = [{"sex": "P", "age": "30-39"}, {"sex": "L"}, None, {"education": "SMA"}] * 3
    for n in range(11):
        answers = {code: 1 + (n * 3 + i) % 4 for i, code in enumerate(skm.CODES)}
        client.cookies.clear()
        body = rating(answers=answers, profile=profiles[n])
        assert (await client.post("/api/v1/public/ratings", json=body)).status_code == 201
        sent.append(answers)
    client.cookies.clear()  # another gerai: not in a report of MPP-G01
    other = rating(gerai="MPP-G04", service="Pindah Faskes")
    assert (await client.post("/api/v1/public/ratings", json=other)).status_code == 201
    bkd = await login(client, by_role("bkd").nip)
    params = {"gerai": GERAI, "from": "2026-01-01", "to": "2027-12-31"}
    ikm = (await client.get("/api/v1/ratings/ikm", params=params, headers=bkd)).json()
    answer = await client.get("/api/v1/ratings/report.xlsx", params=params, headers=bkd)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in answer.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [report.TABULATION, report.PROFILE]

    table = book[report.TABULATION]
    rows = list(table.iter_rows(values_only=True))
    header = rows.index(("No. Responden", "Tanggal", "Gerai", "Layanan", *skm.CODES))
    respondents = rows[header + 1 : header + 12]
    assert [r[0] for r in respondents] == list(range(1, 12))
    assert [list(r[4:13]) for r in respondents] == [[a[c] for c in skm.CODES] for a in sent]
    assert rows[header + 12] == (None,) * len(rows[header + 12])  # the respondents end here
    summary = summary_rows(table)
    elements = [ikm["elements"][c] for c in skm.CODES]
    assert summary[report.SUM] == [e["sum"] for e in elements]
    assert summary[report.COUNT] == [e["count"] for e in elements]
    assert [Decimal(str(v)) for v in summary[report.NRR]] == [Decimal(e["nrr"]) for e in elements]
    assert [round(Decimal(str(v)), 3) for v in summary[report.WEIGHT]] == [Decimal("0.111")] * 9
    weighted = [Decimal(str(v)) for v in summary[report.WEIGHTED]]
    assert weighted == [
        (Decimal(e["sum"]) / e["count"] / 9).quantize(Decimal("0.001")) for e in elements
    ]
    assert Decimal(str(summary[report.IKM][0])) == Decimal(ikm["ikm"])
    assert summary[report.GRADE][0] == ikm["grade"]
    assert summary[report.LABEL][0] == ikm["label"]
    assert summary[report.RESPONDENTS][0] == ikm["respondents"] == 11

    profile = {
        (r[1], r[2])
        for r in book[report.PROFILE].iter_rows(values_only=True)
        if r and isinstance(r[2], int)
    }
    assert {("P", 3), ("L", 3), ("SMA", 2), ("30-39", 3)} <= profile
    assert ("Tidak diisi", 5) in profile  # sex left out by 5 of 11

    # A teacher (no gerai) is not told the gerai exists; a period backwards is refused.
    teacher = await login(client)
    hidden = await client.get("/api/v1/ratings/report.xlsx", params=params, headers=teacher)
    assert hidden.status_code == 404
    backwards = {**params, "from": "2027-12-31", "to": "2026-01-01"}
    bad = await client.get("/api/v1/ratings/report.xlsx", params=backwards, headers=bkd)
    assert bad.status_code == 422 and "to" in bad.json()["detail"]
