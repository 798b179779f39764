"""Scoring with the real features engine: features.pipeline.build_matrix on the ingested warehouse (opened
read-only beside serving's own read-only handle), scored by the registered champion, cached per date."""

from __future__ import annotations

import datetime as dt

import pytest

import features.pipeline  # noqa: F401  (the engine under test: an import error fails, never skips)
from tests.serving import factories as f

pytestmark = pytest.mark.db


def test_the_cohort_is_scored_from_the_real_feature_matrix_and_cached(app, client, county) -> None:
    from serving.access import Principal, Role, Scope
    from serving.scoring import Scorer
    from serving.visit_lists import get_or_create, list_rows

    svc = app.state.services
    scorer = Scorer(svc.warehouse, svc.champion)  # default builder: the real build_matrix
    model = svc.champion.require()
    as_of = dt.date(2024, 6, 1)
    scored = scorer.scores(model, as_of)
    assert set(scored["child_key"]) == {c.key for c in county.children}
    assert (
        scored["probability"].between(0, 1).all()
        and scored["band"].isin(["red", "orange", "yellow", "green"]).all()
    )
    assert scorer.scores(model, as_of) is scored and (scorer.hits, scorer.misses) == (1, 1)

    who = Principal("county_staff", Role.county, f.COUNTY)
    with svc.session() as session:
        the_list = get_or_create(
            session,
            scorer,
            svc.warehouse,
            model,
            Scope("village", f.VILLAGE_B1),
            dt.date(2024, 6, 1) + dt.timedelta(days=1),
            who,
        )
        rows = list_rows(session, the_list)
    assert {r.child_key for r in rows} == {c.key for c in county.in_village(f.VILLAGE_B1)}
    # the factory's child living alone is flagged by the real rules and tops the list, whatever its score
    alone = county.in_village(f.VILLAGE_B1)[f.ALONE_IN_B1].key
    assert [(r.rank, r.child_key, r.rule_flags) for r in rows if r.rule_flags] == [
        (1, alone, "living_alone_or_unsupervised")
    ]


def test_a_new_list_is_committed_only_with_the_audit_row_of_its_read(app, county) -> None:
    from serving import audit
    from serving.access import Principal, Role, Scope
    from serving.visit_lists import find_list, get_or_create

    svc = app.state.services
    model = svc.champion.require()
    who = Principal("county_staff", Role.county, f.COUNTY)
    scope, as_of = Scope("village", f.VILLAGE_B1), dt.date(2024, 6, 2)
    with svc.session() as reading, svc.session() as other:
        created = get_or_create(reading, svc.scorer, svc.warehouse, model, scope, as_of, who)
        assert created.id is not None
        assert find_list(other, scope, as_of, model) is None  # not visible before the audit commits it
        audit.record(reading, who, "read_visit_list", "ok", scope=str(scope), detail=f"list {created.id}")
        other.rollback()  # a fresh snapshot
        assert find_list(other, scope, as_of, model).id == created.id
