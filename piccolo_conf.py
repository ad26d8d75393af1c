"""Piccolo's configuration, for its own CLI (`piccolo migrations new <app> --auto`).

hadir's processes do not rely on the engine built here: `backend.core.db.bind()` replaces it with
the engine built from the settings handed to the app, worker or command.
"""

from piccolo.conf.apps import AppRegistry

from backend.core.db import engine_from_settings
from backend.core.settings import Settings

DB = engine_from_settings(Settings.from_env())

APP_REGISTRY = AppRegistry(
    apps=[
        "backend.core.piccolo_app",
        "backend.org.piccolo_app",
        "backend.geofence.piccolo_app",
        "backend.attendance.piccolo_app",
        "backend.faces.piccolo_app",
        "backend.push.piccolo_app",
        "backend.permits.piccolo_app",
        "backend.gerai.piccolo_app",
        "backend.ratings.piccolo_app",
        "backend.board.piccolo_app",
        "backend.cctv.piccolo_app",
        "backend.imports.piccolo_app",
        "backend.kiosk.piccolo_app",
        "backend.devices.piccolo_app",
        "backend.attestations.piccolo_app",
    ]
)
