from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from backend.org.tables import Employee


class PushSubscription(Table, tablename="push_subscription"):
    """One browser's Web Push subscription (`PushSubscription.toJSON()`), owned by whoever is
    logged in on that device."""

    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.cascade, index=True)
    endpoint = Varchar(length=1000, unique=True)  # the push service's URL for this browser
    p256dh = Varchar(length=100)  # browser's P-256 public key, base64url (87 characters)
    auth = Varchar(length=50)  # 16-byte auth secret, base64url (22 characters)
    created_at = Timestamptz()
    last_sent_at = Timestamptz(null=True, default=None)


class PushNotification(Table, tablename="push_notification"):
    """Each notification is a row first (with its `notify:<id>` outbox event), then sent once."""

    employee = ForeignKey(Employee, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=30)  # reminder | permit_request | permit_decision | checkin_flagged
    title = Varchar(length=100)
    body = Varchar(length=500)
    url = Varchar(length=300, default="/")  # opened when the notification is tapped
    # e.g. "reminder:<employee>:<date>": the same notice is never made twice, even by two
    # workers at once. NULL for notices that may repeat (NULLs never collide).
    dedupe_key = Varchar(length=100, null=True, default=None, unique=True)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    # Set while one run sends it: a second run leaves it alone (cleared when the send ends).
    sending_since = Timestamptz(null=True, default=None)
    last_error = Varchar(length=300, default="")  # why the last send failed (kept if given up)
