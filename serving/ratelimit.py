"""A sliding-window limit for the token endpoint. Hand-written (30 lines) rather than slowapi/limits: one
endpoint needs it, the lock file has no rate-limit library, and an in-process window is exactly right for the
single-worker service. Behind several workers, put the limit in the reverse proxy instead."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, attempts: int = 10, window_seconds: float = 60.0) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, *keys: str) -> float | None:
        """Count one attempt under each key; the seconds to wait if any key is over its limit, else None."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            if len(self._hits) > 10_000:  # forget idle keys so memory stays bounded
                self._hits = {k: q for k, q in self._hits.items() if q and q[-1] > now - self.window}
            for key in keys:
                q = self._hits.setdefault(key, deque())
                while q and q[0] <= now - self.window:
                    q.popleft()
                if len(q) >= self.attempts:
                    wait = max(wait, q[0] + self.window - now)
                else:
                    q.append(now)
        return wait or None
