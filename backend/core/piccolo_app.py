from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.core.tables import AuditEntry, OutboxItem

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "core"),
    table_classes=[OutboxItem, AuditEntry],
    migration_dependencies=[],
)
