from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.gerai.tables import Gerai, GeraiAlert, GeraiMember

APP_CONFIG = AppConfig(
    app_name="gerai",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "gerai"),
    table_classes=[Gerai, GeraiMember, GeraiAlert],
    migration_dependencies=["backend.org.piccolo_app"],
)
