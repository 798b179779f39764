"""What the pages show beside a score — caregiver, guardianship, age, days since the last visit, freshness —
is the features' own point-in-time computation (features.facts over features.asof), never a second reading
of the warehouse: a caregiver who died, a household version in force only after the as-of date and a
registry snapshot dated after it are not shown, exactly as the model does not see them.

The warehouse is written directly (tests/features/factories.py): ingest would refuse a record entered
before its event, but a warehouse may still hold one (an older contract, a hand fix): no page shows it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from features.facts import display_facts
from features.pipeline import build_matrix
from serving.warehouse import Warehouse
from tests.features.factories import T, WarehouseFactory, ck, member_row, pk, registry_row, visit_row

AS_OF = dt.date(2024, 5, 1)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    f = WarehouseFactory()
    f.add("children_registry", registry_row(1), registry_row(2), registry_row(3))
    # child 3: a snapshot recorded before the as-of date but dated after it (it describes June)
    f.add(
        "children_registry",
        registry_row(
            3,
            snapshot_date=T("2024-06-01"),
            recorded_at=T("2024-04-01"),
            guardianship_type="self_or_siblings",
        ),
    )
    # child 1: grandfather (living with the child) and grandmother both primary caregivers; he died in March
    f.add(
        "household_members",
        member_row(1, 10, relation="paternal_grandfather", birth_year=1948),
        member_row(
            1,
            10,
            relation="paternal_grandfather",
            birth_year=1948,
            alive=False,
            valid_from=T("2024-03-01"),
            recorded_at=T("2024-03-05"),
        ),
        member_row(1, 11, relation="paternal_grandmother", lives_with_child=False, birth_year=1956),
    )
    # child 2: grandmother; an aunt takes over as primary caregiver from June (both recorded in April)
    june, april = T("2024-06-01"), T("2024-04-20")
    f.add(
        "household_members",
        member_row(2, 20),
        member_row(2, 20, is_primary_caregiver=False, valid_from=june, recorded_at=april),
        member_row(2, 21, relation="aunt", birth_year=1985, valid_from=june, recorded_at=april),
    )
    f.add("visit_logs", visit_row(1, "2024-04-10"), visit_row(2, "2024-03-01"))
    return f.build(tmp_path_factory.mktemp("facts") / "wh.duckdb")


@pytest.fixture(scope="module")
def served(warehouse: Path):
    wh = Warehouse(warehouse)
    yield wh
    wh.close()


def test_a_caregiver_who_died_is_not_shown(served: Warehouse) -> None:
    before = served.guardian(ck(1), dt.date(2024, 2, 1), with_identity=False)
    after = served.guardian(ck(1), AS_OF, with_identity=False)
    assert before is not None and before["person_key"] == pk(10)  # alive then, and living with the child
    assert after is not None and (after["person_key"], after["relation"]) == (pk(11), "paternal_grandmother")
    assert after["alive"] is True


def test_a_household_version_in_force_only_after_the_as_of_date_is_not_shown(served: Warehouse) -> None:
    shown = served.guardian(ck(2), AS_OF, with_identity=False)
    assert shown is not None and (shown["person_key"], shown["relation"]) == (pk(20), "paternal_grandmother")
    later = served.guardian(ck(2), dt.date(2024, 7, 1), with_identity=False)
    assert later is not None and later["person_key"] == pk(21)


def test_a_registry_snapshot_dated_after_the_as_of_date_is_not_shown(served: Warehouse) -> None:
    profile = served.profile(ck(3), AS_OF)
    assert profile is not None
    assert (profile["guardianship_type"], profile["snapshot_date"]) == ("grandparents", "2024-01-01")


def test_the_facts_beside_a_score_are_the_ones_the_model_saw(warehouse: Path, served: Warehouse) -> None:
    """Same child, same date: the caregiver's age, the child's age and the days since the last visit on the
    page equal the model's own inputs."""
    matrix = build_matrix(warehouse, [AS_OF]).set_index("child_key")
    extras = served.list_extras([ck(1), ck(2)], AS_OF)
    for n in (1, 2):
        row = matrix.loc[ck(n)]
        shown = served.guardian(ck(n), AS_OF, with_identity=False)
        assert AS_OF.year - shown["birth_year"] == row["caregiver_age"]
        assert extras[ck(n)]["age_years"] == row["age_years"]
        assert extras[ck(n)]["days_since_last_visit"] == row["days_since_last_visit"]
    assert extras[ck(1)]["freshness"]["visit_logs"] == "2024-04-10"


def test_facts_cover_every_child_with_a_visible_snapshot_at_each_date(warehouse: Path) -> None:
    facts = display_facts(warehouse, ["2023-12-01", "2024-05-01"])
    assert facts.children.empty or set(facts.children["as_of"]) == {
        T("2024-05-01")
    }  # nothing before 2024-01-05
    assert sorted(facts.children["child_key"]) == [ck(1), ck(2), ck(3)]
    assert list(facts.feeds["as_of"]) == [T("2023-12-01"), T("2024-05-01")]


def test_facts_are_computed_on_warehouses_laid_out_differently_in_one_process(tmp_path: Path) -> None:
    """A compiled plan names every column it reads: a warehouse with lineage columns (as ingest writes it)
    and one without must not share one."""
    import duckdb

    f = WarehouseFactory().add("children_registry", registry_row(1)).add("household_members", member_row(1))
    with_lineage = f.build(tmp_path / "ingested.duckdb", all_tables=True)
    con = duckdb.connect(str(with_lineage))
    con.execute('ALTER TABLE children_registry ADD COLUMN "_source_file" VARCHAR')
    con.close()
    plain = f.build(tmp_path / "plain.duckdb", all_tables=True)
    for path in (with_lineage, plain, with_lineage):
        facts = display_facts(path, [AS_OF])
        assert list(facts.children["caregiver_person_key"]) == [pk(10)]
