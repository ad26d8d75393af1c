from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.faces.tables import FaceReference, PhotoAccess

APP_CONFIG = AppConfig(
    app_name="faces",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "faces"),
    table_classes=[FaceReference, PhotoAccess],
    migration_dependencies=["backend.attendance.piccolo_app"],
)
