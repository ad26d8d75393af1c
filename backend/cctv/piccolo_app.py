from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.cctv.tables import Alert, Camera, ExitEvent, Seen, Snapshot

APP_CONFIG = AppConfig(
    app_name="cctv",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "cctv"),
    table_classes=[Camera, Snapshot, Alert, Seen, ExitEvent],
    migration_dependencies=["backend.geofence.piccolo_app"],
)
