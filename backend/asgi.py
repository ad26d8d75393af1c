"""ASGI entry point for granian (`--factory backend.asgi:app_from_env`): each server process reads
the HADIR_* environment once and builds the app from it."""

from litestar import Litestar

from backend.core.app import create_app
from backend.core.settings import Settings


def app_from_env() -> Litestar:
    return create_app(Settings.from_env())
