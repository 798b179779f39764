"""The service database: migrations build exactly the declared tables, and append-only tables stay so — the
ORM refuses updates and deletes, and so does the database itself for raw SQL."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from serving.db import AppendOnlyError
from serving.tables import AuditEntry, Base, ConcernLevel, Decision, VisitList, VisitListRow

pytestmark = pytest.mark.db
_DAYS = itertools.count()


def _row(session) -> Decision:
    now = dt.datetime.now(dt.UTC)
    vl = VisitList(
        scope_kind="village",
        scope_code="360321999201",
        as_of=dt.date(2001, 1, 1) + dt.timedelta(days=next(_DAYS)),
        model_name="m",
        model_version="0",
        tie_break="t",
        row_count=1,
        created_by="x",
        created_at=now,
    )
    session.add(vl)
    session.flush()
    row = VisitListRow(
        list_id=vl.id,
        rank=1,
        child_key="c_00000000000000ff",
        village_code="360321999201",
        probability=0.1,
        percentile=50.0,
        band="green",
        rule_flags="",
        reasons=[],
        age_years=9,
        days_since_last_visit=3,
        data_freshness={},
    )
    session.add(row)
    session.flush()
    decision = Decision(
        list_row_id=row.id,
        child_key=row.child_key,
        action="visited",
        reason=None,
        findings=None,
        corrects_id=None,
        out_of_order=False,
        decided_by="x",
        role="county",
        decided_at=now,
    )
    session.add(decision)
    session.commit()
    return decision


def test_migrations_create_every_declared_table_with_its_columns(app, client) -> None:
    inspector = sa.inspect(app.state.services.engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name


def test_migrating_again_changes_nothing(app, client) -> None:
    from alembic.script import ScriptDirectory

    from serving.db import alembic_config, migrate

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    migrate(app.state.services.engine)  # idempotent: already at head
    with app.state.services.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head == "0005"


def test_a_decision_cannot_be_changed_or_deleted_through_the_orm(app, client) -> None:
    services = app.state.services
    with services.session() as session:
        decision = _row(session)
        decision.action = "no_action"
        with pytest.raises(AppendOnlyError):
            session.commit()
        session.rollback()
        session.delete(session.get(Decision, decision.id))
        with pytest.raises(AppendOnlyError):
            session.commit()


@pytest.mark.parametrize(
    "table", ["decisions", "audit_log", "visit_lists", "visit_list_rows", "concern_levels"]
)
def test_the_database_refuses_raw_updates_and_deletes_of_append_only_tables(app, client, table) -> None:
    services = app.state.services
    with services.session() as session:
        _row(session)
        session.add(
            AuditEntry(
                at=dt.datetime.now(dt.UTC),
                username="x",
                role="admin",
                action="t",
                child_key=None,
                scope=None,
                outcome="ok",
                detail=None,
            )
        )
        session.add(
            ConcernLevel(
                child_key="c_x",
                cycle=dt.date(2024, 1, 1),
                level="high",
                given_by="x",
                role="supervisor",
                given_at=dt.datetime.now(dt.UTC),
            )
        )
        session.commit()
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(sa.exc.DBAPIError), services.engine.begin() as conn:
            conn.execute(sa.text(statement))
