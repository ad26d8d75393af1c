from piccolo.columns import JSON, UUID, Date, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Attestation(Table, tablename="attestations_attestation"):
    """A head of unit's word that one of their staff was at work on days nobody could check in
    (a school with no signal, a dead phone): made on the head's phone, offline, and synced later.

    Employee and unit ids are plain integers: this domain reaches org through its service and
    keeps no foreign keys into org's tables (as the board does).
    """

    client_id = UUID(unique=True)  # made on the phone: the PWA outbox may send it twice
    employee = Integer(index=True)  # whose days are attested
    attester = Integer(index=True)  # the kepala_unit who attests
    unit = Integer()  # the employee's unit when it arrived
    start_date = Date(index=True)  # local days of the employee's unit, inclusive
    end_date = Date()
    days = Integer()  # end_date - start_date + 1
    reason = Varchar(length=500)
    captured_at = Timestamptz()  # device clock when the head confirmed
    sent_at = Timestamptz()  # device clock at (first) send
    received_at = Timestamptz()  # server clock
    corrected_captured_at = Timestamptz()  # captured_at + (received_at - sent_at)
    content_hash = Varchar(length=64)  # what a replay must match; excludes sent_at and chain
    # The signed hash-chained block the PWA outbox adds to every item (devices domain), as sent;
    # None from a client that sent none.
    chain = JSON(null=True, default=None)
    # unsigned | verified | failed: what the device signature check said, and its reasons
    # ([{"code": ..., "message": ...}]) for BKD's screen.
    signature_status = Varchar(length=12, default="unsigned")
    signature_reasons = JSON(default="[]")
