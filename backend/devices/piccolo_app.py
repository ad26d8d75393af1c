from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.devices.tables import ChainLink, Device

APP_CONFIG = AppConfig(
    app_name="devices",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "devices"),
    table_classes=[Device, ChainLink],
)
