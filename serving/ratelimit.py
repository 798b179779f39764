"""The sign-in limiter: *failed* attempts counted in a sliding window per username, per (username, address)
and per address, each with its own threshold. Successes never count, so ten colleagues signing in from one
township office (one NAT address) do not lock each other out; the per-address threshold is higher than the
per-username ones but still stops one password sprayed over many usernames; the per-username one stops
guessing one account from many addresses. While any key is over its limit the password is not checked.

The address is the peer's, or the one a trusted proxy names (`serving.server`, SHOUHU_TRUSTED_PROXIES).
Hand-written (about 50 lines) rather than slowapi/limits: one endpoint needs it, it counts failures only,
and an in-process window suits the single-worker service. Behind several workers: limit in the proxy."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    per_user_address: int = 5  # one person mistyping, or one machine guessing one account
    per_user: int = 10  # one account guessed from many addresses
    per_address: int = 20  # one password sprayed over many accounts (an office shares one address)
    window_seconds: float = 900.0


class SignInLimiter:
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        name = username[:64]
        return [
            (("user+address", name, address), self.limits.per_user_address),
            (("user", name), self.limits.per_user),
            (("address", address), self.limits.per_address),
        ]

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.limits.window_seconds:
            q.popleft()
        return q

    def wait(self, username: str, address: str) -> float | None:
        """Seconds to wait before this sign-in may be tried, or None when it may be tried now."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key, limit in self._keys(username, address):
                q = self._recent(key, now)
                if len(q) >= limit:
                    wait = max(wait, q[-limit] + self.limits.window_seconds - now)
        return wait or None

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 50_000:  # forget idle keys so memory stays bounded
                cutoff = now - self.limits.window_seconds
                self._failures = {k: q for k, q in self._failures.items() if q and q[-1] > cutoff}
            for key, _limit in self._keys(username, address):
                self._recent(key, now).append(now)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
