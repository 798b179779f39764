"""The feed registry: every contract with what ingest and features need to know about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandera.pandas as pa

from data_contracts import models as m


@dataclass(frozen=True)
class Feed:
    model: type[pa.DataFrameModel]
    # column -> (feed, column) that must already exist; a row that points nowhere is quarantined
    references: dict[str, tuple[str, str]] = field(default_factory=dict)

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        return self.model.to_schema()

    @cached_property
    def meta(self) -> dict[str, Any]:
        # pandera keeps Config.metadata under the model's name
        return self.model.get_metadata()[self.model.__name__]["dataframe"]

    @property
    def name(self) -> str:
        return self.meta["feed"]

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def key(self) -> list[str]:
        return list(self.meta["key"])

    @property
    def event_time(self) -> str | None:
        return self.meta.get("event_time")

    @property
    def is_reference(self) -> bool:
        return bool(self.meta.get("reference", False))

    def columns_with(self, flag: str) -> list[str]:
        """Columns whose metadata carries `flag` (e.g. 'pii', 'pseudonymize', 'set')."""
        return [name for name, col in self.schema.columns.items() if (col.metadata or {}).get(flag)]


_CHILD = ("children_registry", "child_id")
_PERSON = ("household_members", "person_id")
_UNIT = ("admin_units", "code")
_SCHOOL = ("schools", "school_id")
_WORKER = ("workers", "worker_id")

# Order matters: reference tables and the registry load before the feeds that point at them. A reference
# must point backwards in this order, so `children_registry.entrusted_guardian_id` (a person of
# household_members, which itself points at the registry) and `incidents.case_id` (cases load after
# incidents) are not checked here.
FEEDS: dict[str, Feed] = {
    f.name: f
    for f in [
        Feed(m.AdminUnits),
        Feed(m.Calendar),
        Feed(m.Schools, {"township_code": _UNIT, "village_code": _UNIT}),
        Feed(m.Workers, {"township_code": _UNIT, "village_code": _UNIT}),
        Feed(
            m.ChildrenRegistry,
            {"residence_village_code": _UNIT, "school_id": _SCHOOL, "children_director_id": _WORKER},
        ),
        Feed(m.HouseholdMembers, {"child_id": _CHILD}),
        Feed(m.ParentMigrationEpisodes, {"child_id": _CHILD, "person_id": _PERSON}),
        Feed(m.ParentContactLog, {"child_id": _CHILD, "parent_id": _PERSON}),
        Feed(m.VisitLogs, {"child_id": _CHILD, "worker_id": _WORKER}),
        Feed(m.SchoolAttendance, {"child_id": _CHILD, "school_id": _SCHOOL}),
        Feed(m.SchoolEvents, {"child_id": _CHILD, "school_id": _SCHOOL}),
        Feed(m.Incidents, {"child_id": _CHILD}),
        Feed(m.AssistanceBenefits, {"child_id": _CHILD}),
        Feed(m.Cases, {"child_id": _CHILD}),
    ]
}


def feed(name: str) -> Feed:
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known feeds: {', '.join(FEEDS)}") from None
