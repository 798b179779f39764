"""Prometheus gauges of the latest monitoring run, read from the service database at each scrape, so every
web worker reports the same figures (nothing is held in one process). Registered on the app's own registry
(`serving.metrics.Metrics`)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy.orm import Session

from serving.monitoring import figures as m
from serving.monitoring import history


class MonitorGauges:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.feed_age = Gauge(
            "shouhu_feed_age_days",
            "Days since the feed's latest record (county)",
            ["feed"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.drift = Gauge(
            "shouhu_drift_psi",
            "PSI against the champion's reference cohort",
            ["subject"],
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.precision = Gauge(
            "shouhu_realised_precision_at_k",
            "Realised precision@k of the issued lists of the latest list date whose horizon has passed",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.alerts = Gauge(
            "shouhu_monitor_alerts",
            "Alerts raised by the latest monitor run",
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.as_of = Gauge(
            "shouhu_monitor_as_of_seconds",
            "As-of date of the latest monitor run (Unix time)",
            registry=registry,
            multiprocess_mode="mostrecent",
        )

    def update(self, session: Session) -> None:
        stored = history.latest(session)
        if stored is None:
            return
        import datetime as dt

        run = stored.run
        county = (run.summary or {}).get("county")
        self.alerts.set(run.alerts)
        self.as_of.set(dt.datetime(run.as_of.year, run.as_of.month, run.as_of.day, tzinfo=dt.UTC).timestamp())
        self.feed_age.clear()
        for f in stored.of(m.FEED_AGE):
            if f.area_code == county and f.value is not None:
                self.feed_age.labels(f.subject).set(f.value)
        self.drift.clear()
        for f in (*stored.of(m.PSI_SCORE), *stored.of(m.PSI_INPUT)):
            if f.value is not None:
                self.drift.labels(f.subject).set(f.value)
        done = [f for f in stored.of(m.PRECISION) if f.value is not None]
        if done:
            last = max(f.detail.get("as_of", "") for f in done)
            values = [f.value for f in done if f.detail.get("as_of") == last and f.value is not None]
            self.precision.set(sum(values) / len(values))
