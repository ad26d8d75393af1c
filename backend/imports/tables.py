from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class HandoutSheet(Table, tablename="imports_handout_sheet"):
    """One unit's page of the password handout of an applied employee import: the new
    employees' one-time passwords, encrypted with a key derived from the server's secret.

    Deleted when it is downloaded (once) or when it expires, whichever comes first: after that
    the passwords exist nowhere on the server (only their argon2 hashes on the accounts).
    """

    handout = Varchar(length=36, index=True)  # a random id, one per applied import
    unit = Varchar(length=40)  # the unit's code
    unit_name = Varchar(length=200)
    people = Integer()  # how many passwords the page holds
    sealed = Text()  # Fernet token of the JSON list of {nip, name, password}
    created_by = Integer()  # the employee id of who applied the import: only they download it
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)
