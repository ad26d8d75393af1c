from pathlib import Path

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="push",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "push"),
    table_classes=[],
    migration_dependencies=["backend.faces.piccolo_app"],
)
