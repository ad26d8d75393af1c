"""Accounts: a one-time password must be replaced at first login (`must_change_password`), and
a token version per employee that ends every session when it is raised (deactivation, a new
password, new roles)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-01T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "must_change_password and token_version on employees"


def _params(default: object) -> dict:
    return {
        "default": default,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="org", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Employee",
        tablename="org_employee",
        column_name="must_change_password",
        db_column_name="must_change_password",
        column_class_name="Boolean",
        column_class=Boolean,
        params=_params(False),
        schema=None,
    )
    manager.add_column(
        table_class_name="Employee",
        tablename="org_employee",
        column_name="token_version",
        db_column_name="token_version",
        column_class_name="Integer",
        column_class=Integer,
        params=_params(0),
        schema=None,
    )
    return manager
