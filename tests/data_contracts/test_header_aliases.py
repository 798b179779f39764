"""The declared headers are one consistent table per feed, compared the way people type them."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_contracts.feeds import FEEDS
from data_contracts.headers import (
    NOT_LOADED,
    MappingProblem,
    builtin_declarations,
    declared_headers,
    feed_for_name,
    header_key,
    load_headers,
)


def test_every_declared_header_leads_to_the_column_it_is_declared_for() -> None:
    common, per_feed = builtin_declarations()
    headers = load_headers()
    for name, feed in FEEDS.items():
        for column, spelled in per_feed[name].columns.items():
            assert column in feed.schema.columns, (name, column)
            for header in spelled:
                assert headers[name].target(header) == column, (name, column, header)
        for header in per_feed[name].not_loaded:
            assert headers[name].target(header) == NOT_LOADED, (name, header)
        for column, c in feed.schema.columns.items():
            assert headers[name].target(column) == column
            assert headers[name].target(c.title) == column, (name, column, c.title)
    assert set(common.columns) <= {c for f in FEEDS.values() for c in f.schema.columns}


def test_the_headers_of_the_national_information_systems_registry_form_are_understood() -> None:
    registry, members = load_headers()["children_registry"], load_headers()["household_members"]
    form = {
        "姓名": "name",
        "性别": "sex",
        "民族": "ethnicity_code",
        "出生日期": "birth_date",
        "公民身份证号码": "id_number",
        "身份证号": "id_number",
        "是否登记户口": "hukou_registered",
        "身体情况": "health_status",
        "残疾类别": "disability_category",
        "患病类型": "illness_type",
        "是否学校寄宿": "boarding",
        "就学情况": "schooling_status",
        "监护情况评估": "guardianship_assessment",
        "家庭经济来源": "family_income_sources",
        "救助帮扶情况": "assistance_flags",
    }
    assert {h: registry.target(h) for h in form} == form
    assert [registry.target(h) for h in ("监护人姓名", "与儿童关系", "家庭住址")] == [NOT_LOADED] * 3
    guardians = {"监护人姓名": "name", "联系电话": "phone", "与儿童关系": "relation", "身份证号": "id_number"}
    assert {h: members.target(h) for h in guardians} == guardians


@pytest.mark.parametrize(
    ("typed", "column"),
    [
        ("出生日期", "birth_date"),
        (" 出生 日期 ", "birth_date"),
        ("出生日期*", "birth_date"),
        ("出生日期（yyyy-mm-dd）", "birth_date"),
        ("出生日期(年月日)(必填)", "birth_date"),
        ("ＢＩＲＴＨ_ＤＡＴＥ", "birth_date"),
        ("Birth_Date", "birth_date"),
        ("年级", "grade_level"),
        ("年级（0=学前）", "grade_level"),
        ("儿童ID", "child_id"),
        ("儿童id", "child_id"),
    ],
)
def test_headers_are_compared_without_width_spaces_marks_case_or_a_trailing_hint(
    typed: str, column: str
) -> None:
    assert load_headers()["children_registry"].target(typed) == column


def test_a_header_of_no_column_is_unknown_and_reported_by_name() -> None:
    match = load_headers()["visit_logs"].match(["visit_id", "家长微信", "", "序号", "走访日期"])
    assert match.unknown == ["家长微信"] and match.not_loaded == ["序号"]
    assert match.columns == {0: "visit_id", 4: "visit_date"} and match.named == 2


def test_the_chinese_names_of_the_feeds_lead_to_one_feed_each() -> None:
    _, per_feed = builtin_declarations()
    for name, declared in per_feed.items():
        for chinese in [FEEDS[name].title, *declared.names]:
            assert feed_for_name(f"2024年{chinese}", load_headers()).name == name, chinese  # type: ignore[union-attr]
    assert feed_for_name("学校出勤2024", load_headers()).name == "school_attendance"  # type: ignore[union-attr]
    assert feed_for_name("visits_2024", load_headers()) is None


def test_the_page_lists_the_headers_people_read_not_their_compared_form() -> None:
    columns, left_out = declared_headers(FEEDS["children_registry"])
    assert columns["child_id"][:2] == ["儿童编号（源系统）", "儿童编号"] and "儿童ID" in columns["child_id"]
    assert "家庭住址" in left_out and "父亲姓名" in left_out


def test_a_county_mapping_takes_a_declared_header_for_another_column(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "visit_logs:\n  columns:\n    visit_date: 走访时间\n    recorded_at: 走访日期\n", "utf-8"
    )
    headers = load_headers(mapping)["visit_logs"]
    assert (headers.target("走访日期"), headers.target("走访时间")) == ("recorded_at", "visit_date")
    assert header_key("走访日期") in headers.targets


def test_a_county_mapping_that_gives_one_header_to_two_columns_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("visit_logs:\n  columns:\n    visit_date: 时间\n    recorded_at: 时间\n", "utf-8")
    with pytest.raises(MappingProblem, match=r"m\.yaml: header '时间' of feed visit_logs is given to both"):
        load_headers(mapping)
