"""Pure rules of permits: how a span of dates is written, and the remaining annual leave."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.permits.service import date_span, leave_balance


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (dt.date(2026, 12, 5), dt.date(2026, 12, 5), "5 Desember 2026"),
        (dt.date(2026, 12, 5), dt.date(2026, 12, 7), "5 s.d. 7 Desember 2026"),
        (dt.date(2026, 11, 30), dt.date(2026, 12, 2), "30 November s.d. 2 Desember 2026"),
        (dt.date(2026, 12, 30), dt.date(2027, 1, 2), "30 Desember 2026 s.d. 2 Januari 2027"),
    ],
)
def test_a_span_of_dates_is_written_as_the_app_writes_dates(start, end, words):
    assert date_span(start, end) == words


def test_leave_balance_is_the_allowance_less_what_was_approved_never_below_zero():
    balance = leave_balance(2026, 12, 3, 2)
    assert (balance.used_days, balance.pending_days, balance.remaining_days) == (3, 2, 9)
    assert leave_balance(2026, 12, 15, 0).remaining_days == 0
