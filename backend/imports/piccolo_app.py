from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.imports.tables import HandoutSheet

APP_CONFIG = AppConfig(
    app_name="imports",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "imports"),
    table_classes=[HandoutSheet],
)
