from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.ratings.tables import Rating, RatingDay

APP_CONFIG = AppConfig(
    app_name="ratings",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "ratings"),
    table_classes=[Rating, RatingDay],
    migration_dependencies=["backend.gerai.piccolo_app"],
)
