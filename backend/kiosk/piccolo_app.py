from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.kiosk.tables import Capture, Kiosk

APP_CONFIG = AppConfig(
    app_name="kiosk",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "kiosk"),
    table_classes=[Kiosk, Capture],
    migration_dependencies=["backend.attendance.piccolo_app"],
)
