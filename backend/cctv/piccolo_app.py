from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.cctv.tables import Alert, Camera, Seen, Snapshot

APP_CONFIG = AppConfig(
    app_name="cctv",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "cctv"),
    table_classes=[Camera, Snapshot, Alert, Seen],
    migration_dependencies=["backend.geofence.piccolo_app"],
)
