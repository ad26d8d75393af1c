from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.attendance.tables import CheckIn, DayRecord, RecapExport, Review

APP_CONFIG = AppConfig(
    app_name="attendance",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "attendance"),
    table_classes=[CheckIn, Review, DayRecord, RecapExport],
    migration_dependencies=["backend.geofence.piccolo_app"],
)
