from piccolo.columns import UUID, DoublePrecision, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Kiosk(Table, tablename="kiosk_kiosk"):
    """A shared tablet at one location's door that identifies staff by face (Batu's Block
    Office). Registered by an admin; activated once with a one-time code, when the tablet's
    own device key (WebCrypto P-256) is registered; every later request is signed with it."""

    name = Varchar(length=100)
    location_id = Integer(index=True)  # geofence_location.id: where it stands
    code_hash = Varchar(length=64, default="", index=True)  # SHA-256 of the code; "" once used
    code_expires_at = Timestamptz(null=True, default=None)
    public_key = Varchar(length=400, default="")  # SPKI base64; "" until activated
    activated_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    created_by = Integer(null=True, default=None)  # employee id of the admin
    created_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)


class Capture(Table, tablename="kiosk_capture"):
    """One capture a kiosk sent and what it came to, stored once per client_id so a capture
    sent again (a retry after a dropped link, a replayed request) gets the same answer and
    records nothing new. No picture is kept here: an identified employee's frontal frame is
    the check-in's selfie; a stranger's is not stored at all."""

    client_id = UUID(unique=True)
    kiosk_id = Integer(index=True)
    outcome = Varchar(length=12)  # recorded | flagged | unknown | no_face
    employee_id = Integer(null=True, default=None)
    checkin_id = Integer(null=True, default=None)
    kind = Varchar(length=3, default="")
    distance = DoublePrecision(null=True, default=None)
    margin = DoublePrecision(null=True, default=None)
    message = Varchar(length=300, default="")
    content_hash = Varchar(length=64)
    captured_at = Timestamptz()
    received_at = Timestamptz()
