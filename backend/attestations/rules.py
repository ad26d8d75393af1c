"""The rules of an attestation, pure: which days a head may attest, and how the device clock
is corrected. The service gathers the facts; these functions say yes or no, in words."""

from __future__ import annotations

import datetime as dt

from backend.core.errors import Forbidden, Invalid


def corrected_capture(
    captured_at: dt.datetime, sent_at: dt.datetime, received_at: dt.datetime
) -> dt.datetime:
    """captured_at + (received_at - sent_at), as for check-ins, never after its arrival: a
    phone's wrong clock shifts both of its times alike."""
    return min(captured_at + (received_at - sent_at), received_at)


def check_attester(attester_id: int, employee_id: int, *, within_unit: bool) -> None:
    """Nobody attests their own day; a head attests only their own unit's staff."""
    if attester_id == employee_id:
        raise Forbidden("Anda tidak dapat mengatestasi kehadiran Anda sendiri")
    if not within_unit:
        raise Forbidden("Atestasi hanya untuk pegawai di unit Anda sendiri")


def check_days(
    start: dt.date,
    end: dt.date,
    *,
    made_on: dt.date,
    today: dt.date,
    max_back_days: int,
    max_span_days: int,
) -> int:
    """The number of days of [start, end], or a 422 in words.

    `made_on` is the local date the head confirmed it (the corrected capture time), `today` the
    local date it arrived. Only days already begun when it was made, at most `max_back_days`
    before that, and made at most `max_back_days` before it arrived (a phone offline for a week
    still syncs a week's attestations; one found a month later in a drawer does not count).
    """
    if end < start:
        raise Invalid("Tanggal akhir tidak boleh sebelum tanggal mulai")
    span = (end - start).days + 1
    if span > max_span_days:
        raise Invalid(f"Atestasi paling banyak {max_span_days} hari sekaligus")
    if end > made_on:
        raise Invalid("Atestasi hanya untuk hari ini atau hari yang sudah lewat")
    if start < made_on - dt.timedelta(days=max_back_days):
        raise Invalid(f"Atestasi paling jauh {max_back_days} hari ke belakang")
    if made_on < today - dt.timedelta(days=max_back_days):
        raise Invalid(
            f"Atestasi ini dibuat lebih dari {max_back_days} hari lalu dan tidak dapat dikirim lagi"
        )
    return span


def dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
