"""Everything the app holds for its lifetime: database, warehouse, champion model, scorer, caches, metrics.
Built by `create_app` without doing any work; `start()` (the lifespan) checks the database schema (migrating
it first only when asked: `shouhu serve --migrate`, the demo), loads the champion and starts polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from serving.champion import Champion
from serving.child_panel import LRU
from serving.db import make_engine, make_sessionmaker, migrate, require_current_schema
from serving.metrics import Metrics
from serving.ratelimit import SignInLimiter
from serving.scoring import MatrixBuilder, Scorer
from serving.warehouse import Warehouse
from shouhu.settings import Settings


class TTLCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._data: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if value is not None:
            if len(self._data) > 10_000:
                self._data.clear()
            self._data[key] = (now + self.seconds, value)
        return value


class Services:
    def __init__(
        self, settings: Settings, builder: MatrixBuilder | None = None, migrate_on_start: bool = False
    ) -> None:
        self.settings = settings
        self.migrate_on_start = migrate_on_start
        self.engine = make_engine(settings.database_url)
        self.sessionmaker = make_sessionmaker(self.engine)
        self.warehouse = Warehouse(settings.warehouse, as_of=settings.as_of)
        self.champion = Champion(
            settings.mlflow_tracking_uri, settings.model_name, settings.model_poll_seconds
        )
        self.scorer = Scorer(self.warehouse, self.champion, builder)
        self.panel_cache = LRU(4096)
        self.metrics = Metrics()
        self.token_limiter = SignInLimiter()
        # token subject -> (principal, token version), for a few seconds: a disabled account, a reset password
        # or a revoked token stops working within that time
        self.principals = TTLCache(seconds=5.0)
        self._users = 0  # lifespans running on this app (a test client and a live server may share it)
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                if self.migrate_on_start:
                    migrate(self.engine)
                require_current_schema(self.engine)  # never serve on a schema the code does not know
                self.champion.start()

    def stop(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                self.champion.stop()
                self.warehouse.close()
                self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessionmaker() as session:
            yield session
