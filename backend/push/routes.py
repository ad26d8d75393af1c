"""Web Push routes. PLACEHOLDER until the push domain lands: no routes yet."""

from typing import Any

ROUTES: list[Any] = []
