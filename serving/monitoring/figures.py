"""One monitored figure, as computed and as stored (`serving.tables.MonitorValue`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# metric names (the `metric` column; the dashboard and /metrics read them)
FEED_AGE = "feed_age_days"  # subject: feed; area: township, or the county for the whole feed
QUARANTINE = "quarantine_rate"  # subject: feed; detail: rates of earlier ingest runs (trend)
PSI_SCORE = "psi_score"  # the county's (or warehouse's) score
PSI_SCORE_TOWNSHIP = "psi_score_township"  # subject: "score"; area: township; detail: n
PSI_INPUT = "psi_input"  # subject: indicator
PRECISION = "precision_at_k"  # subject: list id; detail: as_of, scope, k, recall, outcomes
RECALL = "recall_at_k"
OUT_OF_ORDER = "out_of_order_share"  # subject: "all"; detail: counts
NO_ACTION_FLAGGED = "no_action_flagged_share"
CONCERN_AGREEMENT = "concern_band_agreement"
SELECTION = "selection_rate"  # subject: "<attribute>=<group>"; detail: n, selected


@dataclass(frozen=True)
class Figure:
    metric: str
    subject: str
    value: float | None
    area_code: str | None = None
    alert: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
