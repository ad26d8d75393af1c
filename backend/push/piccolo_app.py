from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.push.tables import PushNotification, PushSubscription

APP_CONFIG = AppConfig(
    app_name="push",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "push"),
    table_classes=[PushSubscription, PushNotification],
    migration_dependencies=["backend.faces.piccolo_app"],
)
