from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.geofence.tables import Location

APP_CONFIG = AppConfig(
    app_name="geofence",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "geofence"),
    table_classes=[Location],
    migration_dependencies=["backend.org.piccolo_app"],
)
