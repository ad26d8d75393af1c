"""Web Push. PLACEHOLDER until the push domain lands."""

from __future__ import annotations

from backend.core.queue import JobQueue
from backend.core.settings import Settings


class Push:
    def __init__(self, *, settings: Settings, queue: JobQueue) -> None:
        self.settings = settings
        self.queue = queue

    async def notify(self, employee_id: int, *, title: str, body: str, url: str = "/") -> None:
        """Queue a notification to every device the employee subscribed (placeholder: no-op)."""
        return None
