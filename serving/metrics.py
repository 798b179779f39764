"""Prometheus metrics of one app (own registry, so several apps in one process do not collide). Labels carry
route templates and status codes only — never a child key or name.

Several worker processes (deploy/systemd/shouhu-web.service) set PROMETHEUS_MULTIPROC_DIR before start: each
process then writes its values to files there, and a scrape answered by any worker sums the counters and
histograms of all of them (prometheus_client's multiprocess mode); gauges report the most recent value."""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shouhu_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "shouhu_http_request_seconds",
            "Request latency",
            ["route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.champion_version = Gauge(
            "shouhu_champion_version",
            "Champion version served",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.score_cache = Counter(
            "shouhu_score_cache", "Score cache lookups", ["result"], registry=self.registry
        )
        self.audit_rows = Counter(
            "shouhu_audit_rows", "Audit rows written", ["outcome"], registry=self.registry
        )
        self.decisions = Counter("shouhu_decisions", "Decisions recorded", ["action"], registry=self.registry)
        from serving.monitoring.gauges import MonitorGauges

        self.monitor = MonitorGauges(self.registry)  # from the latest `shouhu monitor` run, at each scrape

    def render(self) -> bytes:
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess

            every_worker = CollectorRegistry()
            multiprocess.MultiProcessCollector(every_worker)
            return generate_latest(every_worker)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)
