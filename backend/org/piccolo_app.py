from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.org.tables import Employee, Holiday, Schedule, Unit

APP_CONFIG = AppConfig(
    app_name="org",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "org"),
    table_classes=[Unit, Schedule, Employee, Holiday],
)
