"""The spoof-risk score of a check-in: each signal hadir has becomes a part with its weight,
its points and one sentence in Indonesian that says why, and the parts add up to the score.

Pure functions: the signals come in (`RiskSignals`), a `RiskScore` goes out. Weights and
thresholds are settings (`RiskRules` in backend/core/settings.py); a weight is the points a
part gives at full strength on the scale 0..`risk_score_max`, and the total is capped there.
A part's severity is a share between 0 and 1 of its weight (CCTV that saw the employee's face
is the one part that takes points off). The score is evidence for BKD, never a verdict: at or
over `risk_flag_threshold` it only sends the record to the desk (`high_risk`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import msgspec

from backend.attendance.schemas import Reason, RiskPart
from backend.core.settings import RiskRules

# The parts in the order the desk lists them, with the name a person reads in `high_risk`.
LABELS = {
    "accuracy": "pola akurasi GPS",
    "coordinates": "koordinat",
    "travel": "perjalanan mustahil",
    "device": "perangkat",
    "clock": "jam ponsel",
    "mock": "lokasi palsu",
    "liveness": "tantangan gerak",
    "face": "jarak wajah",
    "cctv": "CCTV",
}


class RiskScore(msgspec.Struct, frozen=True):
    total: float
    parts: list[RiskPart]


class Past(msgspec.Struct, frozen=True):
    """One of the employee's earlier records, as the patterns need it."""

    work_date: dt.date
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    device_id: int | None = None


class CctvSignal(msgspec.Struct, frozen=True):
    """What the location's cameras gave around the check-in (cctv service's summary)."""

    snapshots: int  # snapshots linked to the check-in
    matched: int  # of them, those where the employee's face was seen
    best_distance: float | None = None


class RiskSignals(msgspec.Struct, frozen=True):
    reasons: list[Reason]  # every reason of the settled record (arrival, travel, face)
    work_date: dt.date
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    skew_s: float = 0.0  # received_at - sent_at
    face_code: str | None = None
    face_distance: float | None = None
    face_tolerance: float = 0.5
    device_id: int | None = None
    history: list[Past] = msgspec.field(default_factory=list)  # newest first
    cctv: CctvSignal | None = None  # None: the location has no camera evidence (yet)


def _number(value: float, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _part(code: str, weight: float, severity: float, sentence: str) -> RiskPart:
    severity = min(1.0, max(-1.0, severity))
    return RiskPart(code=code, weight=weight, points=round(weight * severity, 1), sentence=sentence)


def decimals(value: float) -> int:
    """Decimals as the phone sent the number (the shortest repr: 111.4167 -> 4, 1e-05 -> 5)."""
    exponent = Decimal(repr(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# --- the parts ---------------------------------------------------------------------------------


def accuracy_part(accuracy_m: float | None, previous: list[float], rules: RiskRules) -> RiskPart:
    """A phone's reported accuracy wanders from fix to fix; a mock-location app reports one
    constant, often an implausible 1 m or better."""
    weight = rules.weights.accuracy
    if accuracy_m is None:
        return _part("accuracy", weight, 0, "Tidak ada lokasi GPS, pola akurasi tidak dinilai.")
    if accuracy_m <= rules.exact_accuracy_m:
        return _part(
            "accuracy",
            weight,
            1,
            f"Akurasi GPS {_number(accuracy_m)} m terlalu tepat untuk ponsel; "
            "khas aplikasi lokasi palsu.",
        )
    repeats = sum(1 for a in previous if round(a, 2) == round(accuracy_m, 2))
    if repeats >= 2:
        severity = (repeats - 1) / max(1, rules.repeat_accuracy - 1)
        return _part(
            "accuracy",
            weight,
            severity,
            f"Akurasi GPS {_number(accuracy_m)} m sama persis dengan {repeats} presensi "
            "sebelumnya; akurasi ponsel biasanya berubah-ubah.",
        )
    return _part(
        "accuracy",
        weight,
        0,
        f"Akurasi GPS {_number(accuracy_m)} m wajar dan berubah-ubah seperti ponsel biasa.",
    )


def coordinates_part(
    lat: float | None, lon: float | None, work_date: dt.date, history: list[Past], rules: RiskRules
) -> RiskPart:
    """A real fix jitters: the same point to the decimetre on other days, or a point with only
    a few decimals (typed into a mock app), is suspicious."""
    weight = rules.weights.coordinates
    if lat is None or lon is None:
        return _part("coordinates", weight, 0, "Tidak ada koordinat GPS untuk dinilai.")
    shown = min(decimals(lat), decimals(lon))
    if shown <= rules.few_decimals:
        return _part(
            "coordinates",
            weight,
            1,
            f"Koordinat hanya {shown} angka desimal; GPS ponsel memberi lebih teliti, "
            "koordinat seperti ini biasanya diketik.",
        )
    places = rules.same_place_decimals
    here = (round(lat, places), round(lon, places))
    days = {
        p.work_date
        for p in history
        if p.work_date != work_date
        and p.lat is not None
        and p.lon is not None
        and (round(p.lat, places), round(p.lon, places)) == here
    }
    if days:
        return _part(
            "coordinates",
            weight,
            len(days) / max(1, rules.same_place_days),
            f"Koordinat sama persis ({places} desimal) dengan presensi pada {len(days)} hari "
            "lain; GPS ponsel sungguhan selalu bergeser sedikit.",
        )
    return _part(
        "coordinates", weight, 0, "Koordinat bergeser wajar dibanding presensi sebelumnya."
    )


def travel_part(reasons: list[Reason], rules: RiskRules) -> RiskPart:
    weight = rules.weights.travel
    travel = next((r for r in reasons if r.code == "impossible_travel"), None)
    if travel is not None:
        return _part("travel", weight, 1, f"{travel.message}.")
    return _part("travel", weight, 0, "Tidak ada perpindahan mustahil dari presensi sebelumnya.")


def device_part(device_id: int | None, previous: list[int], rules: RiskRules) -> RiskPart:
    """A check-in from another device than the employee's usual one (a borrowed phone, an
    emulator) is worth a look; a first record has no habit to compare with."""
    weight = rules.weights.device
    if device_id is None:
        return _part("device", weight, 0, "Perangkat tidak diketahui, tidak dinilai.")
    if not previous:
        return _part(
            "device", weight, 0, "Presensi pertama dengan perangkat tercatat; belum ada pembanding."
        )
    usual = Counter(previous).most_common(1)[0][0]
    if device_id == usual:
        return _part("device", weight, 0, "Dari perangkat yang biasa dipakai pegawai ini.")
    if device_id in previous:
        return _part(
            "device",
            weight,
            rules.device_seen_share,
            "Dari perangkat yang pernah dipakai, tetapi bukan yang biasa.",
        )
    return _part(
        "device", weight, 1, "Dari perangkat baru, berbeda dari yang biasa dipakai pegawai ini."
    )


def clock_part(reasons: list[Reason], skew_s: float, rules: RiskRules) -> RiskPart:
    """A phone clock set by hand (to fake a time) shows as skew; the larger, the more points.
    A record synced late alone is what offline work looks like: a small share."""
    weight = rules.weights.clock
    codes = {r.code for r in reasons}
    severity = 0.0
    words = []
    if "clock_skew" in codes:
        severity = 0.5 + 0.5 * min(1.0, abs(skew_s) / max(1, rules.clock_full_s))
        minutes = abs(skew_s) / 60
        words.append(f"jam ponsel selisih {_number(minutes, 0)} menit dari jam server")
    if "late_sync" in codes:
        severity = max(severity, rules.late_sync_share)
        words.append("dikirim lama setelah direkam")
    if not words:
        return _part("clock", weight, 0, "Jam ponsel sesuai jam server.")
    sentence = "; ".join(words)
    return _part("clock", weight, severity, sentence[0].upper() + sentence[1:] + ".")


def mock_part(reasons: list[Reason], rules: RiskRules) -> RiskPart:
    weight = rules.weights.mock
    if any(r.code == "mock_location" for r in reasons):
        return _part(
            "mock", weight, 1, "Ponsel sendiri melaporkan lokasinya palsu (mock location)."
        )
    return _part("mock", weight, 0, "Ponsel tidak melaporkan lokasi palsu.")


def liveness_part(reasons: list[Reason], rules: RiskRules) -> RiskPart:
    weight = rules.weights.liveness
    codes = {r.code for r in reasons}
    if "liveness_failed" in codes:
        return _part("liveness", weight, 1, "Tantangan gerak kepala gagal.")
    if "liveness_passed" in codes:
        return _part("liveness", weight, 0, "Tantangan gerak kepala berhasil.")
    return _part(
        "liveness",
        weight,
        rules.no_liveness_share,
        "Tanpa tantangan gerak: tidak ada bukti wajah yang hidup, bukan foto.",
    )


def face_part(
    code: str | None, distance: float | None, tolerance: float, rules: RiskRules
) -> RiskPart:
    """The nearer the distance comes to the tolerance, the more points; past it, or no single
    face to compare, in full."""
    weight = rules.weights.face
    if distance is None:
        if code == "not_enrolled":
            return _part(
                "face", weight, 0, "Pegawai belum punya foto referensi; wajah tidak dinilai."
            )
        return _part("face", weight, 1, "Tidak ada satu wajah yang dapat dibandingkan.")
    calm = tolerance * rules.face_calm_share
    severity = 1.0 if distance > tolerance else (distance - calm) / max(1e-9, tolerance - calm)
    if distance > tolerance:
        sentence = f"Jarak wajah {_number(distance, 2)} melewati batas {_number(tolerance, 2)}."
    elif severity > 0:
        sentence = (
            f"Jarak wajah {_number(distance, 2)} mendekati batas {_number(tolerance, 2)}: "
            "cocok, tetapi tidak meyakinkan."
        )
    else:
        sentence = (
            f"Jarak wajah {_number(distance, 2)} jauh di bawah batas {_number(tolerance, 2)}."
        )
    return _part("face", weight, max(0.0, severity), sentence)


def cctv_part(signal: CctvSignal | None, rules: RiskRules) -> RiskPart:
    """CCTV is evidence either way: the face seen near the time takes points off; cameras that
    took pictures then without seeing the face add a few (the employee may stand out of view)."""
    weight = rules.weights.cctv
    if signal is None or signal.snapshots == 0:
        return _part("cctv", weight, 0, "Tidak ada foto CCTV di lokasi sekitar waktu presensi.")
    if signal.matched:
        return _part(
            "cctv",
            weight,
            -1,
            f"Wajah pegawai terlihat di {signal.matched} dari {signal.snapshots} foto CCTV "
            "lokasi sekitar waktu presensi.",
        )
    return _part(
        "cctv",
        weight,
        rules.cctv_unseen_share,
        f"Ada {signal.snapshots} foto CCTV lokasi sekitar waktu presensi, "
        "tetapi wajah pegawai tidak terlihat.",
    )


# --- the score ---------------------------------------------------------------------------------


def score(signals: RiskSignals, rules: RiskRules, score_max: float) -> RiskScore:
    history = signals.history[: max(0, rules.history)]
    parts = [
        accuracy_part(
            signals.accuracy_m,
            [p.accuracy_m for p in history if p.accuracy_m is not None],
            rules,
        ),
        coordinates_part(signals.lat, signals.lon, signals.work_date, history, rules),
        travel_part(signals.reasons, rules),
        device_part(signals.device_id, [p.device_id for p in history if p.device_id], rules),
        clock_part(signals.reasons, signals.skew_s, rules),
        mock_part(signals.reasons, rules),
        liveness_part(signals.reasons, rules),
        face_part(signals.face_code, signals.face_distance, signals.face_tolerance, rules),
        cctv_part(signals.cctv, rules),
    ]
    total = min(score_max, max(0.0, sum(p.points for p in parts)))
    return RiskScore(total=round(total, 1), parts=parts)


def high_risk_reason(risk: RiskScore, threshold: float) -> Reason | None:
    """`high_risk` at or over the threshold; its message names the parts that weigh most.
    No numbers in it: reasons reach the employee's own history, the score is BKD's alone."""
    if risk.total < threshold:
        return None
    top = sorted((p for p in risk.parts if p.points > 0), key=lambda p: -p.points)[:3]
    return Reason(
        "high_risk",
        "Risiko pemalsuan tinggi, terutama dari " + ", ".join(LABELS[p.code] for p in top),
    )
