"""The demo's one line explaining its numbers: the children registered when the simulated county starts,
those who registered later (households registering during the simulated years), and how many are in the
screening cohort — and so on the lists — on the as-of date the lists open at. The numbers differ on purpose:
the cohort is the children under 16, active, left behind or in difficulty (困境) by their latest registry
record before that date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DemoCounts:
    registered_at_start: int
    in_registry: int  # everyone the registry ever held: those at the start plus entrants
    as_of: dt.date | None
    in_cohort: int  # the county list's total
    in_village: int  # the demo director's village list's total

    @property
    def entrants(self) -> int:
        return max(self.in_registry - self.registered_at_start, 0)

    def line(self, village_name: str) -> str:
        if self.as_of is None:
            return f"{self.registered_at_start} children registered at the start; nothing recorded yet"
        return (
            f"counts: {self.registered_at_start} children registered at the start + {self.entrants} who "
            f"registered later = {self.in_registry} in the registry; on {self.as_of:%Y-%m-%d}, the lists' "
            f"as-of date, {self.in_cohort} are in the screening cohort (under 16, active, left behind or "
            f"困境) and on the county list, {self.in_village} of them on {village_name}'s list"
        )


def lists_as_of(warehouse: Path) -> dt.date | None:
    """The as-of date the lists open at: the day after the latest record (serving's default)."""
    from serving.warehouse import Warehouse

    wh = Warehouse(warehouse)
    try:
        return wh.latest_date()
    finally:
        wh.close()


def cohort_sizes(warehouse: Path, as_of: dt.date, village: str) -> tuple[int, int]:
    """Children in the screening cohort on `as_of`: in the whole warehouse, and in `village`."""
    from features.asof import cohort, registry_snapshot
    from features.backend import as_of_frame, open_warehouse

    wh = open_warehouse(warehouse)
    try:
        dates = wh.load_frame("demo_as_of", as_of_frame([as_of]))
        frame = wh.execute(cohort(registry_snapshot(wh, dates)).select("child_key", "village_code"))
    finally:
        wh.close()
    return int(frame["child_key"].nunique()), int(
        frame.loc[frame["village_code"] == village, "child_key"].nunique()
    )


def demo_counts(
    warehouse: Path,
    registered_at_start: int,
    in_registry: int,
    village: str,
    as_of: dt.date | None = None,
) -> DemoCounts:
    """`as_of`: the date the demo serves its lists for (it follows the feeds); else serving's default."""
    as_of = as_of or lists_as_of(warehouse)
    in_cohort, in_village = cohort_sizes(warehouse, as_of, village) if as_of else (0, 0)
    return DemoCounts(registered_at_start, in_registry, as_of, in_cohort, in_village)
