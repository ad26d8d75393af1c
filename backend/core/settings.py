"""Settings, loaded once in `create_app()` (or the CLI/worker entry point) and passed down.

Every field maps to an environment variable `HADIR_<FIELD>`; the README's settings table lists
them all (a test keeps the two in step). Nothing reads the environment at import time.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec
import msgspec.inspect

from backend.core.net import origin_of

ENV_PREFIX = "HADIR_"


def Doc(description: str) -> msgspec.Meta:
    return msgspec.Meta(extra={"description": description})


class Band(msgspec.Struct, frozen=True):
    """One lateness (TL) or early-leave (PSW) category: minutes from..to (to None = open)."""

    code: str
    from_min: int
    to_min: int | None
    deduction_pct: float


class TppRules(msgspec.Struct, frozen=True):
    """TL/PSW categories and TPP (allowance) deductions: the common Pemda template by default.

    Regulations differ (Permentan 68/2012 uses 0.5/1/1.5/2 %): this is data, set per Pemda
    through HADIR_TPP_RULES as JSON."""

    tl: list[Band] = msgspec.field(
        default_factory=lambda: [
            Band("TL1", 1, 30, 0.5),
            Band("TL2", 31, 60, 1.0),
            Band("TL3", 61, 90, 1.25),
            Band("TL4", 91, None, 2.5),
        ]
    )
    psw: list[Band] = msgspec.field(
        default_factory=lambda: [
            Band("PSW1", 1, 30, 0.5),
            Band("PSW2", 31, 60, 1.0),
            Band("PSW3", 61, 90, 1.25),
            Band("PSW4", 91, None, 2.5),
        ]
    )
    no_record_pct: float = 2.5  # a missing check-in or check-out counts as TL4 / PSW4
    absent_pct: float = 5.0  # absent without reason, per day
    daily_cap_pct: float = 2.5  # TL + PSW together, per day
    monthly_cap_pct: float = 100.0


class RiskWeights(msgspec.Struct, frozen=True):
    """Points each part of the spoof-risk score gives at full strength, on the scale
    0..HADIR_RISK_SCORE_MAX (backend/attendance/risk.py). A weight of 0 turns a part off."""

    accuracy: float = 15.0  # the same accuracy again and again, or an implausible <= 1 m
    coordinates: float = 15.0  # no jitter across days, or too few decimals
    travel: float = 20.0  # `impossible_travel`
    device: float = 10.0  # a device other than the employee's usual one
    clock: float = 10.0  # `clock_skew` (by its size) and `late_sync`
    mock: float = 25.0  # the phone said its location was mocked
    liveness: float = 20.0  # `liveness_failed`; half of it without a challenge at all
    face: float = 15.0  # a face distance close to (or past) HADIR_FACE_TOLERANCE
    cctv: float = 10.0  # taken off when CCTV saw the face; a little added when it did not


class RiskRules(msgspec.Struct, frozen=True):
    """Weights and thresholds of the spoof-risk score, set per Pemda through HADIR_RISK_RULES
    as JSON; the defaults are this project's judgement, not a regulation."""

    weights: RiskWeights = msgspec.field(default_factory=RiskWeights)
    history: int = 30  # the employee's previous records the patterns are judged against
    exact_accuracy_m: float = 1.0  # a reported accuracy at or below this is implausible
    repeat_accuracy: int = 3  # this many earlier records with the very same accuracy: full
    few_decimals: int = 4  # lat or lon with this many decimals or fewer: typed, not measured
    same_place_decimals: int = 6  # lat/lon equal to this many decimals (~0.1 m) = "identical"
    same_place_days: int = 2  # identical coordinates on this many other days: full
    clock_full_s: int = 3600  # a skew this large gives the clock part in full
    late_sync_share: float = 0.3  # share of the clock part for a record synced late only
    no_liveness_share: float = 0.5  # share of the liveness part when no challenge was done
    face_calm_share: float = 0.7  # distances below this share of the tolerance add nothing
    device_seen_share: float = 0.4  # share of the device part for an earlier, not usual, device
    cctv_unseen_share: float = 0.3  # share of the CCTV part added when cameras did not see them


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    # --- where things live -------------------------------------------------------------------
    data_dir: Annotated[
        str,
        Doc(
            "Folder for the embedded default: the SQLite file, objects on disk, the generated secret."
        ),
    ] = "var"
    database_url: Annotated[
        str,
        Doc(
            "`postgresql://user@host:port/db` for PostgreSQL, `sqlite:///path` for SQLite; empty means SQLite at `<data_dir>/hadir.sqlite`."
        ),
    ] = ""
    database_pool_size: Annotated[int, Doc("PostgreSQL connections per api process.")] = 20
    database_timeout_s: Annotated[
        float,
        Doc(
            "Longest wait to open a PostgreSQL connection or to take one from the pool; past it the request answers 503 with Retry-After."
        ),
    ] = 5.0
    database_command_timeout_s: Annotated[
        float,
        Doc(
            "Longest one PostgreSQL statement may run (migrations excepted); past it the request answers 503 with Retry-After."
        ),
    ] = 5.0
    storage: Annotated[
        str,
        Doc(
            "`local` (files under `<data_dir>/objects`) or `minio` (any S3-compatible server via the `minio` SDK)."
        ),
    ] = "local"
    minio_endpoint: Annotated[str, Doc("host:port of MinIO / the S3 server.")] = "127.0.0.1:9000"
    minio_access_key: Annotated[str, Doc("Access key for MinIO.")] = "minioadmin"
    minio_secret_key: Annotated[str, Doc("Secret key for MinIO.")] = "minioadmin"
    minio_secure: Annotated[bool, Doc("Use HTTPS to reach MinIO.")] = False
    minio_bucket: Annotated[
        str,
        Doc("Bucket holding selfies, reference photos and CCTV snapshots (created at start-up)."),
    ] = "hadir"
    minio_region: Annotated[
        str, Doc("Region name sent to MinIO (MinIO ignores it; S3 servers may not).")
    ] = "us-east-1"
    storage_timeout_s: Annotated[
        float,
        Doc(
            "Longest one object-storage call may take, retries included (also the connect and read timeout of each S3 request); past it the request answers 503 with Retry-After."
        ),
    ] = 5.0
    redis_url: Annotated[
        str,
        Doc("`redis://host:port/db` to queue jobs on arq; empty runs the same jobs in-process."),
    ] = ""
    # --- serving --------------------------------------------------------------------------------
    host: Annotated[str, Doc("Address the `hadir run` server binds.")] = "127.0.0.1"
    port: Annotated[int, Doc("Port the `hadir run` server binds.")] = 8000
    workers: Annotated[
        int, Doc("Server processes for `hadir run` (granian workers). With SQLite keep 1.")
    ] = 1
    secret_key: Annotated[
        str,
        Doc(
            "Signs bearer tokens and local presigned URLs; empty means a random key generated once and kept in `<data_dir>/secret_key`. Set it in production, the same for every api process."
        ),
    ] = ""
    token_ttl_hours: Annotated[
        int, Doc("Lifetime of a bearer token. Long, because the PWA syncs offline records with it.")
    ] = 168
    presign_ttl_s: Annotated[int, Doc("Lifetime of presigned photo URLs.")] = 300
    password_hash_concurrency: Annotated[
        int,
        Doc(
            "Password checks (argon2, 64 MiB and tens of ms each) run at once per api process; the rest wait."
        ),
    ] = 2
    password_hash_queue: Annotated[
        int,
        Doc(
            "Logins allowed to wait for a password check per api process; more answer 503 with Retry-After at once."
        ),
    ] = 32
    # --- check-in rules -------------------------------------------------------------------------
    selfie_max_bytes: Annotated[
        int, Doc("Largest selfie accepted (the PWA sends ~480 px JPEGs well under 100 KB).")
    ] = 300_000
    selfie_max_pixels: Annotated[
        int, Doc("Largest width x height decoded, against decompression bombs.")
    ] = 4_000_000
    default_max_accuracy_m: Annotated[
        float, Doc("GPS accuracy limit for a location that sets none; worse accuracy is flagged.")
    ] = 100.0
    me_locations_max: Annotated[
        int,
        Doc(
            "Most fences /api/v1/me sends: the unit's nearest to the position given (else to the"
            " middle of its fences); the check-in itself always weighs every fence of the unit."
        ),
    ] = 10
    max_clock_skew_s: Annotated[
        int, Doc("Device clock skew (received_at - sent_at) above which a check-in is flagged.")
    ] = 300
    max_capture_age_hours: Annotated[
        int,
        Doc("A record arriving longer than this after its (corrected) capture time is flagged."),
    ] = 24
    future_tolerance_s: Annotated[
        int,
        Doc(
            "A record whose captured_at is later than its sent_at by more than this is refused (it claims a capture in the future)."
        ),
    ] = 300
    max_travel_kmh: Annotated[
        float,
        Doc("Speed between an employee's consecutive records above which travel is 'impossible'."),
    ] = 150.0
    # --- faces ----------------------------------------------------------------------------------
    face_tolerance: Annotated[
        float, Doc("Face distance at or below which a selfie matches the enrolled reference.")
    ] = 0.5
    liveness_yaw: Annotated[
        float,
        Doc(
            "Liveness: change of the nose's offset along the eye line, in inter-ocular distances, that counts as turning left or right (0.06 is about 8 degrees)."
        ),
    ] = 0.06
    liveness_pitch: Annotated[
        float,
        Doc(
            "Liveness: shortening of the nose-to-eye-line distance, in inter-ocular distances, that counts as looking up."
        ),
    ] = 0.06
    liveness_parallax: Annotated[
        float,
        Doc(
            "Liveness: how far, in inter-ocular distances, the nose must stand off the plane of the face around it in the turned frame (a flat picture: ~0; a head turned 20 degrees: ~0.1)."
        ),
    ] = 0.02
    liveness_tolerance: Annotated[
        float,
        Doc(
            "Liveness: face distance of every challenge frame to the selfie at or below which it is the same person (looser than HADIR_FACE_TOLERANCE: frames are 240x320 and turned)."
        ),
    ] = 0.6
    face_upsample: Annotated[
        int, Doc("HOG upsampling for selfies (1 finds smaller faces at about twice the cost).")
    ] = 0
    face_min_px: Annotated[
        int,
        Doc(
            "Smallest face width in pixels of the original photo accepted as a reference (the encoder works on a 150 px chip)."
        ),
    ] = 80
    face_min_sharpness: Annotated[
        float,
        Doc(
            "Smallest sharpness of a reference photo's face: the variance of the Laplacian of the face scaled to 128 px wide; below it the photo is called blurred."
        ),
    ] = 25.0
    risk_rules: Annotated[
        RiskRules,
        Doc(
            "Spoof-risk score: the points of each part at full strength and the thresholds of the rules, as JSON (see RiskRules in backend/core/settings.py)."
        ),
    ] = msgspec.field(default_factory=RiskRules)
    risk_score_max: Annotated[
        float,
        Doc("Top of the spoof-risk scale (0 to this); the sum of the parts is capped here."),
    ] = 100.0
    risk_flag_threshold: Annotated[
        float,
        Doc(
            "A settled check-in whose spoof-risk score reaches this is flagged (`high_risk`) for BKD: by default two strong signals, or the GPS patterns together with a weak face match or a missing head-turn challenge."
        ),
    ] = 60.0
    fence_min_radius_m: Annotated[
        float,
        Doc(
            "A fence narrower than this (a circle's radius, a polygon's narrowest part or equal-area radius) gets a warning: a phone's GPS cannot tell inside from outside."
        ),
    ] = 25.0
    fence_max_extent_m: Annotated[
        float,
        Doc("A fence wider than this gets a warning (no office or school is that big)."),
    ] = 5000.0
    tile_url: Annotated[
        str,
        Doc(
            "Map tiles behind the fence editor's drawing, as `https://host/{z}/{x}/{y}.png`; empty: no map (the default, nothing leaves the intranet). Its origin is added to the CSP's img-src."
        ),
    ] = ""
    selfie_retention_days: Annotated[
        int, Doc("Days selfies are kept before the retention job deletes them (UU PDP 27/2022).")
    ] = 90
    tpp_rules: Annotated[
        TppRules,
        Doc(
            "TL/PSW bands and TPP deduction percentages as JSON (see TppRules); the default is the common Pemda template."
        ),
    ] = msgspec.field(default_factory=TppRules)
    vapid_private_key: Annotated[
        str,
        Doc(
            "Web Push VAPID private key (PEM text); empty means one generated once and kept in `<data_dir>/vapid_private.pem`. Set it in production, the same for every api process and worker."
        ),
    ] = ""
    vapid_subject: Annotated[
        str, Doc("Contact sent to push services with each notification (mailto: or https URL).")
    ] = "mailto:bkd@hadir.invalid"
    push_timeout_s: Annotated[
        float,
        Doc(
            "Connect and read timeout of each POST to a push service; one that does not answer is a failed try, retried later."
        ),
    ] = 10.0
    push_allowed_origins: Annotated[
        str,
        Doc(
            "Comma-separated origins (`http://127.0.0.1:8123`) of push services allowed besides public https ones; any other endpoint on a private, loopback or link-local address is refused."
        ),
    ] = ""
    verify_sweep_minutes: Annotated[
        int,
        Doc("A check-in pending longer than this is re-queued by the sweep (its job was lost)."),
    ] = 10
    # --- follow-up work (the outbox and the job queue) -------------------------------------
    redis_timeout_s: Annotated[
        float,
        Doc(
            "Limit on connecting to Redis and on each Redis call; a Redis that hangs delays queued work, never a request."
        ),
    ] = 2.0
    outbox_poll_s: Annotated[
        float,
        Doc(
            "How often each api process and worker looks for follow-up work in the outbox (work added by the same process is dispatched at once)."
        ),
    ] = 1.0
    outbox_retry_s: Annotated[
        float,
        Doc(
            "Follow-up work handed to the queue but not done within this many seconds is handed over again (a lost job, a killed worker); also the longest one job may run on the worker."
        ),
    ] = 60.0
    outbox_max_attempts: Annotated[
        int,
        Doc(
            "Hand-overs of one piece of follow-up work before it is given up and kept with the reason in `core_outbox`."
        ),
    ] = 20
    token_check_ttl_s: Annotated[
        float,
        Doc(
            "How long an api process trusts what it last read of an employee's token version and active flag; a deactivation, a new password or new roles end that employee's sessions within this many seconds."
        ),
    ] = 5.0
    gerai_empty_grace_minutes: Annotated[
        int,
        Doc(
            "A gerai with nobody checked in this many minutes into its service hours (or after its staff left) raises an alert to its supervisors."
        ),
    ] = 15
    rating_window_hours: Annotated[
        int,
        Doc(
            "One citizen rating per device (a signed HttpOnly cookie) per gerai within this many hours: a visit."
        ),
    ] = 6
    rating_per_minute: Annotated[
        int,
        Doc(
            "Ratings accepted per client address per minute in each api process; more answer 429 with Retry-After."
        ),
    ] = 30
    skm_weights: Annotated[
        str,
        Doc(
            "Weights of the SKM elements, 'U1=0.2,U2=0.1,...' summing to 1; empty means 1/9 each (PermenPANRB 14/2017)."
        ),
    ] = ""

    # --- the command board (backend/board) ----------------------------------------------------
    board_slow_ttl_s: Annotated[
        float,
        Doc(
            "The board's 30-day part (those most often late or absent, the trends) is rebuilt at most this often per api process; the counts of today are always current."
        ),
    ] = 60.0
    board_refresh_s: Annotated[
        float,
        Doc(
            "A board stream sends the state at least this often even with no change signal (a signal lost while Redis was away), and a keep-alive comment in between."
        ),
    ] = 30.0
    # --- CCTV ----------------------------------------------------------------------------
    cctv_purpose: Annotated[
        str,
        Doc(
            "Why CCTV pictures are kept (UU PDP 27/2022: the purpose is stated); shown with every camera list."
        ),
    ] = "Pemantauan antrean gerai dan bukti pendukung presensi"
    cctv_retention_days: Annotated[
        int,
        Doc(
            "Snapshots older than this are deleted from the object store; their counts stay (UU PDP)."
        ),
    ] = 30
    cctv_max_bytes: Annotated[
        int, Doc("Largest snapshot accepted from a camera (a 4K JPEG is about 1-2 MB).")
    ] = 5_000_000
    cctv_max_pixels: Annotated[
        int,
        Doc(
            "Largest snapshot in pixels, read from the JPEG header before decoding (a decompression bomb is refused unread)."
        ),
    ] = 4096 * 2160
    cctv_min_push_interval_s: Annotated[
        float,
        Doc(
            "A camera pushing again sooner than this after its last accepted snapshot gets 429 with Retry-After."
        ),
    ] = 1.0
    cctv_dark_intervals: Annotated[
        int,
        Doc(
            "A camera with no snapshot for this many of its intervals is `dark`; the dark-camera job raises an alert."
        ),
    ] = 4
    cctv_queue_threshold: Annotated[
        int,
        Doc(
            "People in a queue zone at or above which the queue is long, for cameras that set none."
        ),
    ] = 8
    cctv_queue_open_after: Annotated[
        int,
        Doc(
            "Consecutive analysed snapshots at or above the threshold that open a queue alert (hysteresis)."
        ),
    ] = 3
    cctv_queue_close_after: Annotated[
        int,
        Doc("Consecutive analysed snapshots below the threshold that close an open queue alert."),
    ] = 3
    cctv_officer_max_age_s: Annotated[
        int,
        Doc(
            "A camera's count of people in its officer zone (the desk side of a gerai's counter) keeps its gerai `open` for this many seconds after the picture, or the Frigate count, it came from."
        ),
    ] = 180
    cctv_pull_timeout_s: Annotated[
        float,
        Doc(
            "Limit on each snapshot fetched from a pull or Frigate camera (connect and read together)."
        ),
    ] = 5.0
    cctv_pull_concurrency: Annotated[
        int, Doc("Cameras fetched at once by the pull job; a slow one holds one place only.")
    ] = 16
    cctv_pull_backoff_max_s: Annotated[
        int,
        Doc(
            "Longest wait before a failing pull camera is tried again (the wait doubles per failure from its interval)."
        ),
    ] = 900
    mqtt_url: Annotated[
        str,
        Doc(
            "MQTT broker carrying Frigate's live person counts (`mqtt://host:1883`); empty: no MQTT consumer."
        ),
    ] = ""
    mqtt_topic_prefix: Annotated[
        str, Doc("Frigate's MQTT topic prefix (Frigate's `mqtt.topic_prefix`).")
    ] = "frigate"
    cctv_evidence_window_s: Annotated[
        int,
        Doc(
            "Snapshots this many seconds either side of a check-in at a location with cameras are linked to it as evidence."
        ),
    ] = 300
    cctv_exit_purpose: Annotated[
        str,
        Doc(
            "Why exit cameras identify faces (UU PDP 27/2022: the purpose is stated); shown with every list of exit events."
        ),
    ] = (
        "Bukti pendukung bagi kepala unit dan BKD tentang pegawai yang keluar kantor pada jam "
        "kerja tanpa izin keluar kantor atau dinas luar; bukan sanksi otomatis"
    )
    cctv_exit_tolerance: Annotated[
        float,
        Doc(
            "Exit cameras: face distance at or below which a face is taken as one of the location's staff (1:N, stricter than HADIR_FACE_TOLERANCE)."
        ),
    ] = 0.42
    cctv_exit_margin: Annotated[
        float,
        Doc(
            "Exit cameras: how much nearer the best-matching employee must be than the second best; closer than that, nobody is named."
        ),
    ] = 0.1
    cctv_exit_merge_s: Annotated[
        int,
        Doc(
            "Exit cameras: the same employee seen again within this many seconds of their last exit event is the same event."
        ),
    ] = 300
    kiosk_tolerance: Annotated[
        float,
        Doc(
            "Face kiosk: face distance at or below which the best-matching employee of the kiosk's location is named (1:N, stricter than HADIR_FACE_TOLERANCE: a wrong name records someone else's attendance)."
        ),
    ] = 0.42
    kiosk_margin: Annotated[
        float,
        Doc(
            "Face kiosk: how much nearer the best-matching employee must be than the second best; closer than that, nobody is named and nothing is recorded."
        ),
    ] = 0.1
    kiosk_code_ttl_hours: Annotated[
        int,
        Doc(
            "Face kiosk: how long a kiosk's one-time activation code stays valid after it is shown to the admin who registered the kiosk."
        ),
    ] = 72
    kiosk_out_from: Annotated[
        str,
        Doc(
            "Face kiosk: local time (HH:MM) from which an employee's kiosk capture counts as a check-out (pulang) when they already checked in that day; before it, or with no check-in yet, it is a check-in (masuk)."
        ),
    ] = "12:00"
    login_nip_free_failures: Annotated[
        int,
        Doc(
            "Failed logins of one NIP that cost nothing; each further one doubles that NIP's wait before the next try (2 s, 4 s, ...), up to `HADIR_LOGIN_NIP_MAX_WAIT_S`. A success resets it."
        ),
    ] = 5
    login_nip_max_wait_s: Annotated[
        float,
        Doc(
            "The longest one NIP waits after failed logins: an attacker guessing its password slows it to one try per this many seconds, never locks it."
        ),
    ] = 300.0
    login_address_failures: Annotated[
        int,
        Doc(
            "Failed logins from one address within `HADIR_LOGIN_ADDRESS_WINDOW_S` after which that address gets 429 until the window ends (one machine trying many NIPs)."
        ),
    ] = 50
    login_address_window_s: Annotated[
        float,
        Doc("The window of `HADIR_LOGIN_ADDRESS_FAILURES`, in seconds."),
    ] = 600.0
    annual_leave_days: Annotated[
        int,
        Doc(
            "Cuti tahunan allowed per calendar year, in working days: the PWA's remaining annual leave (sisa cuti) is this minus the approved cuti tahunan of the year."
        ),
    ] = 12
    attestation_max_back_days: Annotated[
        int,
        Doc(
            "How far back a head of unit may attest a staff member's day (no signal, a dead phone), in days before the attestation was made; an attestation made longer ago than this is refused when it finally arrives."
        ),
    ] = 14
    attestation_max_span_days: Annotated[
        int,
        Doc("The most days one attestation covers (a range of days for one employee)."),
    ] = 7
    help_contact: Annotated[
        str,
        Doc(
            "Whom an employee asks for help (a forgotten password, a refused record): shown on the PWA's login screen, e.g. `Helpdesk BKD, WA 0812-...`. Empty: the login screen says to ask the unit admin or BKD."
        ),
    ] = ""
    trusted_proxies: Annotated[
        str,
        Doc(
            "Comma-separated addresses of reverse proxies in front of the api: for requests from them the client's address is read from X-Forwarded-For (the rightmost entry that is not itself a trusted proxy). Empty: the peer's address."
        ),
    ] = ""
    # --- recap exports and password handouts (issue 9) -------------------------------------
    recap_direct_max: Annotated[
        int,
        Doc(
            "A recap of a unit with everything under it (`subtree=true`) over this many employees is not answered in the request: ask for it as an export (`POST /api/v1/recap/exports`), built by a job with progress."
        ),
    ] = 2000
    recap_export_chunk: Annotated[
        int,
        Doc(
            "Employees an export job reads and judges per step; its progress is stored after each step."
        ),
    ] = 500
    recap_export_keep_hours: Annotated[
        int,
        Doc(
            "Finished recap exports (the record and the file in the object store) are deleted after this many hours."
        ),
    ] = 24
    handout_ttl_minutes: Annotated[
        int,
        Doc(
            "New employees' one-time passwords kept (encrypted) for the XLSX handout after an import is applied; gone after the first download of each unit's sheet or after this many minutes."
        ),
    ] = 30

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    def __post_init__(self) -> None:
        if self.tile_url and (
            not self.tile_url.startswith(("https://", "http://"))
            or not all(f"{{{k}}}" in self.tile_url for k in "zxy")
        ):
            raise ValueError("tile_url must be an http(s) URL with {z}, {x} and {y}")

    @property
    def tile_origin(self) -> str | None:
        """The origin of `tile_url` for the CSP (`https://host:port`), or None without one."""
        if not self.tile_url:
            return None
        return origin_of(self.tile_url)

    @property
    def push_origins(self) -> frozenset[str]:
        """`push_allowed_origins` as normalised origins (`scheme://host:port`)."""
        return frozenset(
            origin_of(item.strip()) for item in self.push_allowed_origins.split(",") if item.strip()
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path / 'hadir.sqlite'}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `HADIR_*` variables (strings converted by msgspec)."""
        env = os.environ if env is None else env
        raw: dict[str, Any] = {
            name: env[ENV_PREFIX + name.upper()]
            for name in cls.__struct_fields__
            if ENV_PREFIX + name.upper() in env
        }
        # Structured settings (rule tables) arrive as JSON text in the environment.
        for name, value in list(raw.items()):
            if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
                raw[name] = msgspec.json.decode(value)
        raw.update(overrides)
        return msgspec.convert(raw, cls, strict=False)

    def with_secret(self) -> Settings:
        """Fill in `secret_key`, generating and keeping one under `data_dir` if unset."""
        if self.secret_key:
            return self
        path = self.data_path / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return msgspec.structs.replace(self, secret_key=path.read_text().strip())


def settings_fields() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for each setting: for docs and tests."""
    defaults = Settings()
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    return [
        (
            ENV_PREFIX + field.name.upper(),
            _shown(getattr(defaults, field.name)),
            getattr(field.type, "extra", {}).get("description", ""),
        )
        for field in info.fields
    ]


def _shown(value: Any) -> str:
    if isinstance(value, msgspec.Struct):
        return msgspec.json.encode(value).decode()
    return repr(value)
