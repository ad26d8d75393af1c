from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.permits.tables import Permit

APP_CONFIG = AppConfig(
    app_name="permits",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "permits"),
    table_classes=[Permit],
    migration_dependencies=["backend.attendance.piccolo_app"],
)
