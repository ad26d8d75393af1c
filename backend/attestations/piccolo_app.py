from pathlib import Path

from piccolo.conf.apps import AppConfig

from backend.attestations.tables import Attestation

APP_CONFIG = AppConfig(
    app_name="attestations",
    migrations_folder_path=str(Path(__file__).parents[2] / "migrations" / "attestations"),
    table_classes=[Attestation],
    migration_dependencies=["backend.attendance.piccolo_app"],
)
