"""One small hand-built county used by the indicator tests; every expected value is worked out by hand in
the test that checks it. As-of dates: 2024-01-20, 2024-06-01, 2024-06-10."""

from __future__ import annotations

from tests.features.factories import (
    T,
    WarehouseFactory,
    attendance_rows,
    benefit_row,
    calendar_rows,
    contact_row,
    episode_row,
    incident_row,
    member_row,
    registry_row,
    school_event_row,
    visit_row,
)

DATES = ["2024-01-20", "2024-06-01", "2024-06-10"]


def county() -> WarehouseFactory:
    f = WarehouseFactory()
    f.add(
        "children_registry",
        registry_row(1),
        registry_row(
            2,
            lbc_type="one_away_other_incapable",
            birth_date=T("2009-06-15"),
            boarding=True,
            health_status="disabled",
            disability_category="physical",
            disability_grade=2,
            illness_type="major_disease",
            guardianship_type="one_parent_home_incapable",
            mother_away=False,
            sex="M",
            ethnicity_code="03",
        ),
        registry_row(
            3, lbc_type="not_lbc", kunjing_types="poverty_dibao", father_away=False, mother_away=False
        ),
        registry_row(4, birth_date=T("2008-05-30")),  # turns 16 on 2024-05-30
        registry_row(5, lbc_type="not_lbc"),  # neither left-behind nor 困境
        registry_row(6, status="exited", exit_reason="parents_returned"),
        registry_row(7, recorded_at=T("2024-06-05")),  # registered after 2024-06-01
        registry_row(8),
        registry_row(
            8,
            snapshot_date=T("2024-04-01"),
            recorded_at=T("2024-04-03"),
            lbc_type="not_lbc",
            father_away=False,
        ),
    )
    f.add(
        "visit_logs",
        visit_row(1, "2023-05-01"),
        visit_row(
            1,
            "2024-01-10",
            hazards="open_water_nearby;dogs",
            carer_capacity_rating="fair",
            living_conditions=2,
        ),
        visit_row(
            1,
            "2024-04-01",
            mode="phone",
            child_seen=False,
            signs_of_neglect=True,
            child_mood="low",
            carer_capacity_rating="poor",
            next_visit_due=T("2024-05-01"),
            living_conditions=None,
        ),
        visit_row(1, "2024-05-20", recorded_at=T("2024-06-05"), carer_capacity_rating="good"),  # typed late
    )
    f.add(
        "school_attendance",
        attendance_rows(1, "PPPU", "2024-01-10"),
        attendance_rows(1, "UPPPPPPPPP", "2024-03-01"),
        attendance_rows(1, "UUPUP", "2024-04-01"),
        attendance_rows(1, "UUUPHHUPPPPPPPPPPPPPPPPPPPPPPP", "2024-05-02"),
    )
    f.add(
        "school_events",
        school_event_row(1, "2023-01-01", "transfer_out"),
        school_event_row(1, "2024-02-01", "dropout_flag"),
        school_event_row(
            1,
            "2024-03-01",
            "mental_health_screening",
            screening_instrument="PHQ9",
            screening_score=12.0,
            screening_positive=True,
        ),
        school_event_row(1, "2024-05-01", "teacher_concern", teacher_concern="mood;injury"),
    )
    f.add(
        "household_members",
        member_row(1, 10, health_status="chronic_illness", guardian_capacity="limited"),
        member_row(
            1,
            10,
            health_status="chronic_illness",
            guardian_capacity="incapable",
            valid_from=T("2024-06-02"),
            recorded_at=T("2024-06-05"),
        ),
        member_row(3, 10),
        member_row(
            1, 20, relation="father", lives_with_child=False, is_primary_caregiver=False, birth_year=1985
        ),
    )
    f.add(
        "parent_migration_episodes",
        episode_row(1, 20, "EP1"),
        episode_row(1, 20, "EP1", lost_contact_since=T("2023-11-01"), recorded_at=T("2024-01-10")),
        episode_row(
            1,
            21,
            "EP2",
            depart_date=T("2023-10-01"),
            return_date=T("2024-02-15"),
            recorded_at=T("2024-02-20"),
        ),
        episode_row(1, 21, "EP3", depart_date=T("2024-03-01"), recorded_at=T("2024-03-02")),
    )
    f.add(
        "parent_contact_log",
        contact_row(1, "2024-01-01"),
        contact_row(1, "2024-04-10"),
        contact_row(1, "2024-04-20", channel="parent_home_visit"),
        contact_row(1, "2024-05-20"),
    )
    f.add("incidents", incident_row(1, "2024-02-01", "injury"))
    f.add("assistance_benefits", benefit_row(2, "tekun", status="approved"))
    f.add(
        "calendar",
        calendar_rows(
            "2023-12-01",
            "2024-09-30",
            terms=[("2023F", "2023-12-01", "2024-01-26"), ("2024S", "2024-03-01", "2024-07-09")],
            holidays=[("winter", "2024-01-27", "2024-02-29"), ("summer", "2024-07-10", "2024-08-31")],
            spring=("2024-01-26", "2024-03-05"),
        ),
    )
    return f
