from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.board.tables import BoardCount, BoardDay, Teguran, TeguranLog

APP_CONFIG = AppConfig(
    app_name="board",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "board"),
    table_classes=[BoardDay, BoardCount, Teguran, TeguranLog],
    migration_dependencies=["backend.permits.piccolo_app"],
)
