from piccolo.columns import Boolean, Integer, Timestamptz, Varchar
from piccolo.table import Table


class Device(Table, tablename="devices_device"):
    """A device key an employee's app made with WebCrypto (ECDSA P-256, non-extractable) and
    registered: its public half, and where its chain of signed records stands."""

    employee = Integer(index=True)  # the owner (org_employee.id)
    public_key = Varchar(length=400)  # SPKI, base64
    fingerprint = Varchar(length=64, unique=True)  # hex SHA-256 of the SPKI's DER bytes
    label = Varchar(length=200, default="")  # the browser's user agent, as the app gave it
    registered_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)  # the newest signed record's arrival
    last_seq = Integer(default=0)  # the highest sequence number of a genuine link so far
    last_hash = Varchar(length=64, default="")  # that link's hash
    revoked_at = Timestamptz(null=True, default=None)  # records signed after it are refused


class ChainLink(Table, tablename="devices_chain_link"):
    """Every link of a device's chain the server has seen, logged before the record itself is
    judged, so a record refused for validation still holds its place, a replay is recognised,
    and gaps, reorders and duplicates can be shown afterwards."""

    device = Integer()  # devices_device.id
    seq = Integer()
    hash = Varchar(length=64)  # hex SHA-256 of the signed string
    prev = Varchar(length=64, default="")  # the hash the device says came before
    kind = Varchar(length=20)  # the outbox kind that was signed: checkin | permit
    client_id = Varchar(length=36, default="")  # the record's client_id as signed
    received_at = Timestamptz()
    # ok | chain_broken | signature_invalid (a forged signature: not counted in the chain)
    verdict = Varchar(length=20)
    message = Varchar(length=300, default="")  # the chain_broken sentence, if any
    counted = Boolean(default=True)  # a genuine link (signature valid): part of the chain
