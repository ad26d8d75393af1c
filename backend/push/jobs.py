"""Web Push jobs. PLACEHOLDER until the push domain lands: no jobs yet."""

from typing import Any

FUNCTIONS: list[Any] = []
PERIODIC: list[tuple[Any, set[int]]] = []
