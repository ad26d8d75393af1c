"""Day status and monthly recap, pinned with worked examples on the default Pemda rule table."""

import datetime as dt

import pytest

from backend.attendance.day_status import (
    DISCIPLINE_SCALE,
    DayInput,
    DayStatus,
    Window,
    day_status,
    discipline_for,
    longest_absent_run,
    month_recap,
    window_for,
)
from backend.core.settings import Band, TppRules
from backend.org.demo_data import SCHEDULES

RULES = TppRules()
FIVE_DAY = next(s for s in SCHEDULES if s.code == "5HK").days
SIX_DAY = next(s for s in SCHEDULES if s.code == "6HK").days
# The five-day schedule as the org_schedule table stores it (JSON: string keys, lists).
FIVE_DAY_JSON = {str(k): list(v) for k, v in FIVE_DAY.items()}

MONDAY = dt.date(2026, 11, 23)
FRIDAY = dt.date(2026, 11, 27)
SATURDAY = dt.date(2026, 11, 28)
SUNDAY = dt.date(2026, 11, 29)


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def worked(
    day: dt.date,
    check_in: str | None = "07:30",
    check_out: str | None = "16:00",
    days: dict = FIVE_DAY,
    rules: TppRules = RULES,
) -> DayStatus:
    return day_status(
        DayInput(
            day,
            window_for(days, day),
            check_ins=[t(check_in)] if check_in else [],
            check_outs=[t(check_out)] if check_out else [],
        ),
        rules,
    )


# --- schedules -----------------------------------------------------------------------------


def test_window_for_reads_stored_json_and_demo_data_alike() -> None:
    assert window_for(FIVE_DAY_JSON, MONDAY) == Window(t("07:30"), t("16:00"))
    assert window_for(FIVE_DAY, MONDAY) == Window(t("07:30"), t("16:00"))
    assert window_for(FIVE_DAY_JSON, FRIDAY) == Window(t("07:30"), t("16:30"))
    assert window_for(FIVE_DAY_JSON, SATURDAY) is None
    assert window_for(SIX_DAY, SATURDAY) == Window(t("07:00"), t("12:30"))
    assert window_for(SIX_DAY, SUNDAY) is None


# --- lateness (TL) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_in", "minutes", "tl", "pct"),
    [
        ("07:00", 0, None, 0.0),
        ("07:30", 0, None, 0.0),  # exactly at the start is on time
        ("07:30:59", 0, None, 0.0),  # whole minutes, rounded down
        ("07:31", 1, "TL1", 0.5),
        ("08:00", 30, "TL1", 0.5),
        ("08:01", 31, "TL2", 1.0),
        ("08:30", 60, "TL2", 1.0),
        ("08:31", 61, "TL3", 1.25),
        ("09:00", 90, "TL3", 1.25),
        ("09:01", 91, "TL4", 2.5),
        ("11:45", 255, "TL4", 2.5),
    ],
)
def test_lateness_bands(check_in: str, minutes: int, tl: str | None, pct: float) -> None:
    result = worked(MONDAY, check_in=check_in)
    assert result.status == "present"
    assert (result.late_minutes, result.tl, result.deduction_pct) == (minutes, tl, pct)
    assert (result.early_minutes, result.psw) == (0, None)


def test_lateness_counts_from_the_earliest_check_in_and_explains_itself() -> None:
    result = day_status(
        DayInput(
            MONDAY,
            window_for(FIVE_DAY, MONDAY),
            check_ins=[t("08:20"), t("08:01")],
            check_outs=[t("16:05")],
        ),
        RULES,
    )
    assert (result.late_minutes, result.tl, result.deduction_pct) == (31, "TL2", 1.0)
    assert result.reasons == ["Terlambat 31 menit (TL2)"]


# --- early leave (PSW), Fridays ----------------------------------------------------------


def test_leaving_at_four_is_on_time_monday_but_psw1_on_friday() -> None:
    monday = worked(MONDAY, check_out="16:00")
    assert (monday.psw, monday.early_minutes, monday.deduction_pct) == (None, 0, 0.0)
    friday = worked(FRIDAY, check_out="16:00")
    assert (friday.psw, friday.early_minutes, friday.deduction_pct) == ("PSW1", 30, 0.5)
    assert friday.reasons == ["Pulang cepat 30 menit (PSW1)"]


@pytest.mark.parametrize(
    ("check_out", "minutes", "psw", "pct"),
    [
        ("17:10", 0, None, 0.0),
        ("16:30", 0, None, 0.0),
        ("16:29:01", 0, None, 0.0),  # 59 seconds early is 0 whole minutes
        ("16:29", 1, "PSW1", 0.5),
        ("16:00", 30, "PSW1", 0.5),
        ("15:59", 31, "PSW2", 1.0),
        ("15:30", 60, "PSW2", 1.0),
        ("15:29", 61, "PSW3", 1.25),
        ("15:00", 90, "PSW3", 1.25),
        ("14:59", 91, "PSW4", 2.5),
    ],
)
def test_early_leave_bands_on_friday(
    check_out: str, minutes: int, psw: str | None, pct: float
) -> None:
    result = worked(FRIDAY, check_out=check_out)
    assert (result.early_minutes, result.psw, result.deduction_pct) == (minutes, psw, pct)
    assert result.tl is None


def test_early_leave_counts_from_the_latest_check_out() -> None:
    result = day_status(
        DayInput(
            FRIDAY,
            window_for(FIVE_DAY, FRIDAY),
            check_ins=[t("07:25")],
            check_outs=[t("12:00"), t("16:31"), t("14:00")],
        ),
        RULES,
    )
    assert (result.early_minutes, result.psw, result.deduction_pct) == (0, None, 0.0)


# --- missing records and the daily cap ----------------------------------------------------


def test_missing_check_out_is_psw4() -> None:
    result = worked(MONDAY, check_in="07:20", check_out=None)
    assert (result.status, result.psw, result.early_minutes) == ("present", "PSW4", 0)
    assert result.deduction_pct == 2.5
    assert result.reasons == ["Tidak presensi pulang (PSW4)"]


def test_missing_check_in_is_tl4() -> None:
    result = worked(MONDAY, check_in=None, check_out="16:10")
    assert (result.status, result.tl, result.late_minutes) == ("present", "TL4", 0)
    assert result.deduction_pct == 2.5
    assert result.reasons == ["Tidak presensi masuk (TL4)"]


def test_tl3_and_psw3_add_up_to_exactly_the_cap() -> None:
    result = worked(MONDAY, check_in="08:45", check_out="14:45")  # 75 late, 75 early
    assert (result.tl, result.psw) == ("TL3", "PSW3")
    assert result.deduction_pct == 2.5
    assert len(result.reasons) == 2  # not over the cap: nothing to explain


def test_tl3_and_psw2_stay_under_the_cap() -> None:
    result = worked(MONDAY, check_in="08:45", check_out="15:20")  # 75 late, 40 early
    assert (result.tl, result.psw, result.deduction_pct) == ("TL3", "PSW2", 2.25)


def test_tl3_and_psw4_are_capped_at_2_5_percent() -> None:
    result = worked(MONDAY, check_in="08:45", check_out=None)
    assert (result.tl, result.psw, result.late_minutes) == ("TL3", "PSW4", 75)
    assert result.deduction_pct == 2.5
    assert result.reasons[-1] == "Potongan TL+PSW 3,75 % dibatasi 2,5 % per hari"


def test_absent_is_five_percent_and_not_under_the_daily_cap() -> None:
    result = worked(MONDAY, check_in=None, check_out=None)
    assert (result.status, result.tl, result.psw, result.deduction_pct) == (
        "absent",
        None,
        None,
        5.0,
    )
    assert result.reasons == ["Tidak masuk tanpa keterangan (potongan 5 %)"]


# --- six-day schools, days off, holidays, permits ----------------------------------------


def test_six_day_school_saturday() -> None:
    on_time = worked(SATURDAY, check_in="06:55", check_out="12:30", days=SIX_DAY)
    assert (on_time.status, on_time.deduction_pct) == ("present", 0.0)
    late = worked(SATURDAY, check_in="07:31", check_out="12:00", days=SIX_DAY)
    assert (late.tl, late.late_minutes, late.psw, late.early_minutes) == ("TL2", 31, "PSW1", 30)
    assert late.deduction_pct == 1.5
    # The same Saturday is a day off on the five-day schedule.
    assert worked(SATURDAY, check_in="06:55", check_out="12:30").status == "off"


def test_sunday_is_off_even_with_check_ins() -> None:
    result = worked(SUNDAY, check_in="10:00", check_out="11:00")
    assert (result.status, result.deduction_pct, result.late_minutes, result.tl) == (
        "off",
        0.0,
        0,
        None,
    )
    assert worked(SUNDAY, check_in=None, check_out=None).status == "off"  # not absent


def test_holiday_on_a_weekday_beats_the_schedule() -> None:
    day = dt.date(2026, 8, 17)  # a Monday
    result = day_status(
        DayInput(day, window_for(FIVE_DAY, day), "Proklamasi Kemerdekaan Republik Indonesia"),
        RULES,
    )
    assert (result.status, result.deduction_pct) == ("holiday", 0.0)
    assert result.reasons == ["Hari libur: Proklamasi Kemerdekaan Republik Indonesia"]


def test_cuti_bersama_is_a_holiday_even_for_someone_who_came_late() -> None:
    day = dt.date(2026, 12, 24)  # a Thursday
    result = day_status(
        DayInput(
            day,
            window_for(FIVE_DAY, day),
            "Cuti Bersama Kelahiran Yesus Kristus",
            check_ins=[t("09:30")],
            permit="cuti_tahunan",  # a leave over cuti bersama takes no leave day
        ),
        RULES,
    )
    assert (result.status, result.tl, result.permit, result.deduction_pct) == (
        "holiday",
        None,
        None,
        0.0,
    )


def test_holiday_on_a_day_off_stays_off() -> None:
    day = dt.date(2026, 3, 22)  # Idul Fitri, a Sunday
    result = day_status(DayInput(day, window_for(FIVE_DAY, day), "Idul Fitri 1447 Hijriah"), RULES)
    assert result.status == "off"
    assert result.reasons == ["Bukan hari kerja (Idul Fitri 1447 Hijriah)"]


def test_permit_day_has_no_deduction() -> None:
    result = day_status(
        DayInput(MONDAY, window_for(FIVE_DAY, MONDAY), permit="cuti_tahunan"), RULES
    )
    assert (result.status, result.permit, result.deduction_pct) == (
        "permit",
        "cuti_tahunan",
        0.0,
    )
    assert result.reasons == ["Cuti tahunan"]


def test_dinas_luar_ignores_check_ins_made_elsewhere() -> None:
    result = day_status(
        DayInput(
            MONDAY,
            window_for(FIVE_DAY, MONDAY),
            check_ins=[t("10:15")],
            check_outs=[t("13:00")],
            permit="dinas_luar",
        ),
        RULES,
    )
    assert (result.status, result.permit, result.tl, result.psw) == (
        "permit",
        "dinas_luar",
        None,
        None,
    )
    assert (result.late_minutes, result.early_minutes, result.deduction_pct) == (0, 0, 0.0)


# --- shifts across midnight ----------------------------------------------------------------


def test_night_shift_crossing_midnight() -> None:
    night = {"1": ["22:00", "06:00"]}
    window = window_for(night, MONDAY)
    assert window == Window(t("22:00"), t("06:00"))
    late = day_status(
        DayInput(MONDAY, window, check_ins=[t("22:10")], check_outs=[t("05:30")]), RULES
    )
    assert (late.tl, late.late_minutes, late.psw, late.early_minutes) == ("TL1", 10, "PSW1", 30)
    assert late.deduction_pct == 1.0
    # Arriving before 22:00 and leaving after 06:00 the next morning is on time both ways.
    on_time = day_status(
        DayInput(MONDAY, window, check_ins=[t("21:50")], check_outs=[t("06:05")]), RULES
    )
    assert (on_time.late_minutes, on_time.early_minutes, on_time.deduction_pct) == (0, 0, 0.0)
    # A check-in after midnight is late by the hours since 22:00.
    very_late = day_status(
        DayInput(MONDAY, window, check_ins=[t("00:30")], check_outs=[t("06:00")]), RULES
    )
    assert (very_late.tl, very_late.late_minutes, very_late.deduction_pct) == ("TL4", 150, 2.5)


# --- another rule table ----------------------------------------------------------------


PERMENTAN_68_2012 = TppRules(
    tl=[
        Band("TL1", 1, 30, 0.5),
        Band("TL2", 31, 60, 1.0),
        Band("TL3", 61, 90, 1.5),
        Band("TL4", 91, None, 2.0),
    ],
    psw=[
        Band("PSW1", 1, 30, 0.5),
        Band("PSW2", 31, 60, 1.0),
        Band("PSW3", 61, 90, 1.5),
        Band("PSW4", 91, None, 2.0),
    ],
    no_record_pct=2.0,
    daily_cap_pct=3.0,
)


def test_a_custom_rule_table_changes_the_result() -> None:
    tl3 = worked(MONDAY, check_in="09:00")
    assert tl3.deduction_pct == 1.25
    assert worked(MONDAY, check_in="09:00", rules=PERMENTAN_68_2012).deduction_pct == 1.5
    assert worked(MONDAY, check_in="09:01", rules=PERMENTAN_68_2012).deduction_pct == 2.0
    # TL3 + PSW4 (no record): 3.75 capped at 2.5 by default, 1.5 + 2.0 = 3.5 capped at 3.0 here.
    assert worked(MONDAY, check_in="08:45", check_out=None).deduction_pct == 2.5
    custom = worked(MONDAY, check_in="08:45", check_out=None, rules=PERMENTAN_68_2012)
    assert (custom.tl, custom.psw, custom.deduction_pct) == ("TL3", "PSW4", 3.0)


def test_a_tolerance_before_tl1_records_minutes_without_a_category() -> None:
    tolerant = TppRules(tl=[Band("TL1", 16, 60, 0.5), Band("TL2", 61, None, 1.0)])
    within = worked(MONDAY, check_in="07:45", rules=tolerant)
    assert (within.late_minutes, within.tl, within.deduction_pct) == (15, None, 0.0)
    beyond = worked(MONDAY, check_in="07:46", rules=tolerant)
    assert (beyond.late_minutes, beyond.tl, beyond.deduction_pct) == (16, "TL1", 0.5)
    missing = worked(MONDAY, check_in=None, rules=tolerant)
    assert (missing.tl, missing.deduction_pct) == ("TL2", 2.5)  # the top band, no_record_pct


# --- monthly recap -----------------------------------------------------------------------


def november(overrides: dict[int, tuple[str | None, str | None, str | None]]) -> list[DayStatus]:
    """November 2026 on 5HK (21 working days, no holidays): on time except the overrides,
    day -> (check-in, check-out, permit)."""
    statuses = []
    for number in range(1, 31):
        day = dt.date(2026, 11, number)
        check_in, check_out, permit = overrides.get(number, ("07:25", "16:35", None))
        statuses.append(
            day_status(
                DayInput(
                    day,
                    window_for(FIVE_DAY_JSON, day),
                    check_ins=[t(check_in)] if check_in else [],
                    check_outs=[t(check_out)] if check_out else [],
                    permit=permit,
                ),
                RULES,
            )
        )
    return statuses


def test_month_recap_counts_and_deduction() -> None:
    statuses = november(
        {
            3: ("08:10", "16:00", None),  # TL2, 40 minutes: 1.0
            4: (None, None, None),  # absent: 5.0
            5: (None, None, "cuti_tahunan"),
            6: ("07:30", "16:00", None),  # Friday, PSW1 30 minutes: 0.5
            9: ("07:30", None, None),  # PSW4 no record: 2.5
            10: ("09:15", "14:00", None),  # TL4 105 + PSW4 120 = 5.0, capped 2.5
        }
    )
    recap = month_recap("198903152015032001", "Siti Nurhayati, S.Pd.", statuses, 1, RULES)
    assert recap.days == {
        "present": 19,
        "attested": 0,
        "absent": 1,
        "permit": 1,
        "holiday": 0,
        "off": 9,
        "permit:izin": 0,
        "permit:sakit": 0,
        "permit:cuti_tahunan": 1,
        "permit:cuti_besar": 0,
        "permit:cuti_sakit": 0,
        "permit:cuti_melahirkan": 0,
        "permit:cuti_alasan_penting": 0,
        "permit:dinas_luar": 0,
        "permit:tugas_belajar": 0,
        "permit:izin_keluar_kantor": 0,  # counted apart by the recap: the day stays present
        "TL1": 0,
        "TL2": 1,
        "TL3": 0,
        "TL4": 1,
        "PSW1": 1,
        "PSW2": 0,
        "PSW3": 0,
        "PSW4": 2,
    }
    assert (recap.late_minutes, recap.early_minutes) == (145, 150)
    assert recap.deduction_pct == 11.5  # 1.0 + 5.0 + 0.5 + 2.5 + 2.5
    assert (recap.absent_days_year, recap.longest_absent_run) == (1, 1)
    assert (recap.discipline.level, recap.discipline.next_threshold) == ("belum_ada", 2)


def test_month_recap_caps_the_deduction() -> None:
    absent_all_month = november({n: (None, None, None) for n in range(1, 31)})
    recap = month_recap("1", "A", absent_all_month, 21, RULES)
    assert recap.days["absent"] == 21
    assert recap.deduction_pct == 100.0  # 21 x 5 % = 105 %
    low_cap = month_recap(
        "1", "A", november({4: (None, None, None)}), 1, TppRules(monthly_cap_pct=4.0)
    )
    assert low_cap.deduction_pct == 4.0
    # 21 working days in a row, weekends between: dismissal whatever the yearly count says.
    assert recap.longest_absent_run == 21
    assert recap.discipline.level == "pemberhentian"


def test_month_recap_sees_a_run_carried_over_from_last_month() -> None:
    # Absent Monday 2 to Thursday 5 November: 4 days, plus 6 still open from October.
    statuses = november({n: (None, None, None) for n in (2, 3, 4, 5)})
    alone = month_recap("1", "A", statuses, 10, RULES)
    assert (alone.longest_absent_run, alone.discipline.level) == (4, "pernyataan_tidak_puas")
    carried = month_recap("1", "A", statuses, 10, RULES, carried_absent_run=6)
    assert (carried.longest_absent_run, carried.discipline.level) == (10, "pemberhentian")


# --- consecutive absences and the PP 94/2021 scale ------------------------------------------


def test_absent_run_skips_days_off_and_breaks_on_present_or_permit() -> None:
    # Thu 5, Fri 6, (weekend), Mon 9, Tue 10 absent: 4 working days in a row.
    across_weekend = november({n: (None, None, None) for n in (5, 6, 9, 10)})
    assert longest_absent_run(across_weekend) == 4
    broken_by_permit = november(
        {5: (None, None, None), 6: (None, None, "sakit"), 9: (None, None, None)}
    )
    assert longest_absent_run(broken_by_permit) == 1
    broken_by_presence = november({n: (None, None, None) for n in (2, 3, 5, 6, 9)})
    assert longest_absent_run(broken_by_presence) == 3  # 5, 6, 9
    assert longest_absent_run(reversed(across_weekend)) == 4  # order of the input does not matter
    assert longest_absent_run([]) == 0


@pytest.mark.parametrize(
    ("days", "level", "next_threshold"),
    [
        (0, "belum_ada", 3),
        (2, "belum_ada", 1),
        (3, "teguran_lisan", 1),
        (4, "teguran_tertulis", 3),
        (6, "teguran_tertulis", 1),
        (7, "pernyataan_tidak_puas", 4),
        (10, "pernyataan_tidak_puas", 1),
        (11, "potongan_tukin_6_bulan", 3),
        (13, "potongan_tukin_6_bulan", 1),
        (14, "potongan_tukin_9_bulan", 3),
        (16, "potongan_tukin_9_bulan", 1),
        (17, "potongan_tukin_12_bulan", 4),
        (20, "potongan_tukin_12_bulan", 1),
        (21, "penurunan_jabatan", 4),
        (24, "penurunan_jabatan", 1),
        (25, "pembebasan_jabatan", 3),
        (27, "pembebasan_jabatan", 1),
        (28, "pemberhentian", None),
        (40, "pemberhentian", None),
    ],
)
def test_discipline_scale_boundaries(days: int, level: str, next_threshold: int | None) -> None:
    result = discipline_for(days, 0)
    assert (result.level, result.next_threshold) == (level, next_threshold)


def test_discipline_descriptions_and_categories() -> None:
    assert discipline_for(2).description == "Belum ada hukuman disiplin"
    assert discipline_for(2).category == ""
    assert (discipline_for(5).description, discipline_for(5).category) == (
        "Teguran tertulis",
        "ringan",
    )
    twelve = discipline_for(18)
    assert twelve.description == "Pemotongan tunjangan kinerja 25% selama 12 bulan"
    assert twelve.category == "sedang"
    assert discipline_for(26).description == (
        "Pembebasan dari jabatan menjadi jabatan pelaksana selama 12 bulan"
    )
    assert discipline_for(28).category == "berat"
    assert [step.from_days for step in DISCIPLINE_SCALE] == [0, 3, 4, 7, 11, 14, 17, 21, 25, 28]


def test_ten_consecutive_working_days_is_dismissal_below_28() -> None:
    nine = discipline_for(9, 9)
    assert (nine.level, nine.next_threshold) == ("pernyataan_tidak_puas", 2)
    ten = discipline_for(10, 10)
    assert (ten.level, ten.category, ten.next_threshold) == ("pemberhentian", "berat", None)
    assert ten.description == (
        "Pemberhentian dengan hormat tidak atas permintaan sendiri"
        " (tidak masuk 10 hari kerja berturut-turut)"
    )


def test_a_day_still_in_progress_is_not_judged_yet() -> None:
    window = Window(start=dt.time(7, 0), end=dt.time(13, 30))
    day = dt.date(2026, 11, 23)
    nothing_yet = day_status(DayInput(day=day, window=window, day_over=False), TppRules())
    assert (nothing_yet.status, nothing_yet.deduction_pct) == ("open", 0.0)
    assert nothing_yet.reasons == ["Belum presensi hari ini"]
    morning = day_status(
        DayInput(day=day, window=window, check_ins=[dt.time(7, 5)], day_over=False), TppRules()
    )
    assert (morning.status, morning.tl, morning.psw) == ("present", "TL1", None)
    assert morning.deduction_pct == 0.5
    assert morning.reasons == ["Terlambat 5 menit (TL1)", "Belum presensi pulang"]
    evening = day_status(DayInput(day=day, window=window, check_ins=[dt.time(7, 5)]), TppRules())
    assert evening.psw == "PSW4" and evening.deduction_pct == 2.5
