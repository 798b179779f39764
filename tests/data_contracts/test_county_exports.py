"""Files the way county systems and Excel users make them: Chinese headers, title rows, several sheets, a
county's own header mapping, Excel dates. Each test writes its own file by hand and checks exact counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from data_contracts.ingest import IngestReport
from data_contracts.normalize import parse_datetime
from data_contracts.warehouse import connect
from tests.data_contracts.factories import BASE, row, rows, write_world

Ingest = Callable[..., IngestReport]

# The registry as a county system exports it: no contract name, no contract title where an export header
# differs (optional columns left out).
COUNTY_REGISTRY_HEADERS = {
    "child_id": "儿童编号",
    "name": "姓名",
    "id_number": "身份证号",
    "snapshot_date": "统计日期",
    "status": "状态",
    "exit_reason": "注销原因",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity_code": "民族",
    "hukou_registered": "是否有户口",
    "residence_village_code": "现居住地代码",
    "father_away": "父亲是否外出务工",
    "mother_away": "母亲是否外出务工",
    "lbc_type": "留守儿童类型",
    "lbc_since": "留守开始日期",
    "kunjing_types": "困境类型",
    "health_status": "健康状况",
    "disability_category": "残疾类型",
    "disability_grade": "残疾等级",
    "illness_type": "疾病类型",
    "schooling_status": "就学状态",
    "school_id": "学校编号",
    "grade_level": "年级",
    "boarding": "是否住校",
    "guardianship_type": "监护类型",
    "guardianship_assessment": "监护评估",
    "entrusted_guardian_id": "委托监护人编号",
    "entrustment_notified_school": "是否告知学校",
    "entrustment_notified_village": "是否告知村委会",
    "parents_marital_status": "父母婚姻情况",
    "family_income_sources": "经济来源",
    "assistance_flags": "救助情况",
    "children_director_id": "儿童主任编号",
    "recorded_at": "录入日期",
    "source_system": "来源系统",
}


def _table(records: list[dict], headers: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(records).fillna("").astype(str)
    return frame[list(headers)].rename(columns=headers)


def _count(warehouse: Path, sql: str) -> int:
    con = connect(warehouse)
    try:
        return int(con.execute(sql).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_a_registry_exported_with_the_county_systems_chinese_headers_in_gbk_loads_every_row(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=("admin_units", "schools", "workers"))
    children = [
        row("children_registry"),
        row("children_registry", child_id="C002", sex="男", ethnicity_code="苗族"),  # names, as exports carry
    ]
    table = _table(children, COUNTY_REGISTRY_HEADERS)
    table["家长微信"] = ["wx-1", "wx-2"]  # a column no contract knows
    table["家庭住址"] = ["某村1组", "某村2组"]  # a column the contract leaves out on purpose
    table.to_csv(folder / "children_registry.csv", index=False, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        (folder / "children_registry.csv").read_bytes().decode("utf-8")

    report = run_ingest(folder)
    (result,) = [f for f in report.files if f.feed == "children_registry"]
    c = result.counts
    assert (c.rows, c.header, c.blank, c.read, c.loaded, c.quarantined, c.duplicate) == (3, 1, 0, 2, 2, 0, 0)
    assert result.unknown_columns == ["家长微信"] and result.not_loaded_columns == ["家庭住址"]
    assert _count(warehouse, "SELECT count(*) FROM children_registry WHERE sex = 'M'") == 1
    assert _count(warehouse, "SELECT count(*) FROM children_registry WHERE ethnicity_code = '06'") == 1
    con = connect(warehouse)
    try:  # the columns not loaded are nowhere in the warehouse
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        for name in tables:
            text = con.execute(f'SELECT * FROM "{name}"').df().to_csv()
            assert "wx-1" not in text and "某村1组" not in text, name
    finally:
        con.close()


def test_a_county_mapping_file_beside_the_feeds_adds_the_countys_own_headers(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    visit = row("visit_logs")
    frame = pd.DataFrame([visit]).fillna("").astype(str).rename(columns={"visit_date": "家访时间"})
    frame.to_csv(folder / "visit_logs.csv", index=False)

    without = run_ingest(folder)
    assert [(f.path.name, f.error) for f in without.errors] == [
        ("visit_logs.csv", without.errors[0].error)
    ] and "visit_date" in (without.errors[0].error or "")

    (folder / "表头对照.yaml").write_text(
        "visit_logs:\n  columns:\n    visit_date: 家访时间\n", encoding="utf-8"
    )
    report = run_ingest(folder)
    assert report.feeds["visit_logs"].loaded == 1 and not report.errors
    assert report.headers_file == folder / "表头对照.yaml"
    assert all(path.name != "表头对照.yaml" for path, _ in report.ignored)


def test_a_mapping_file_passed_by_path_wins_over_a_declared_header(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    # in this county 走访方式 holds free notes, and 方式 is the mode
    visit = row("visit_logs") | {"走访方式": "步行前往"}
    pd.DataFrame([visit]).fillna("").astype(str).to_csv(folder / "visit_logs.csv", index=False)
    mapping = tmp_path / "county.yaml"
    mapping.write_text("visit_logs:\n  not_loaded: [走访方式]\n", encoding="utf-8")
    assert run_ingest(folder).errors  # 走访方式 and mode both give mode
    report = run_ingest(folder, headers_file=mapping)
    assert report.feeds["visit_logs"].loaded == 1
    (visits,) = [f for f in report.files if f.feed == "visit_logs"]
    assert visits.not_loaded_columns == ["走访方式"]


def _title_workbook(path: Path, header: list[str], data: list[list[object]], blank_at: int) -> None:
    """A sheet as a township types it: title, a blank row, the header, data with a blank row inside."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "花名册"
    sheet.append(["XX镇留守儿童花名册（2024年第一季度）"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append([])
    sheet.append(header)
    for i, values in enumerate(data):
        if i == blank_at:
            sheet.append([])
        sheet.append(values)
    book.save(path)


def test_an_xlsx_with_a_title_row_above_the_header_loads_and_says_where_the_header_was(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=("admin_units",))
    headers = {
        "school_id": "学校编号",
        "name_zh": "学校名称",
        "level": "学段",
        "township_code": "乡镇代码",
        "village_code": "所在村",
        "boarding_capacity": "寄宿床位",
    }
    schools = [row("schools", school_id=f"S{i}") for i in range(1, 4)]
    schools[2]["level"] = "大学"  # not a school level: quarantined
    data = _table(schools, headers).values.tolist()
    _title_workbook(folder / "学校名单.xlsx", list(headers.values()), data, blank_at=1)

    report = run_ingest(folder)
    (result,) = [f for f in report.files if f.feed == "schools"]
    assert (result.sheet, result.header_row) == ("花名册", 3)
    c = result.counts
    # 7 rows: title, blank, header | S1, blank, S2, S3
    assert (c.rows, c.header, c.blank, c.read, c.loaded, c.quarantined) == (7, 3, 1, 3, 2, 1)
    # data rows are numbered from the header: S3 is the 4th row below it (sheet row 7)
    assert _count(warehouse, "SELECT row_number FROM quarantine WHERE rule = 'isin'") == 4
    assert _count(warehouse, "SELECT _row_number FROM schools WHERE school_id = 'S2'") == 3


def test_a_csv_with_title_and_note_rows_above_the_header_loads_every_data_row(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    body = pd.DataFrame([row("visit_logs"), row("visit_logs", visit_id="V2")]).fillna("").to_csv(index=False)
    text = "某某县儿童主任走访记录,,\n填报单位：某某镇,,\n\n" + body
    (folder / "visit_logs.csv").write_text(text, encoding="utf-8-sig")
    report = run_ingest(folder)
    (result,) = [f for f in report.files if f.feed == "visit_logs"]
    c = result.counts
    assert result.header_row == 4
    assert (c.rows, c.header, c.read, c.loaded) == (6, 4, 2, 2)


def test_every_sheet_of_a_county_workbook_goes_to_its_feed_by_name_or_header(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=("admin_units", "workers"))
    path = folder / "某某县2024年数据.xlsx"  # named for no feed
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        pd.DataFrame(rows("schools")).fillna("").to_excel(book, sheet_name="学校名单", index=False)
        pd.DataFrame(rows("children_registry")).fillna("").to_excel(book, sheet_name="儿童信息", index=False)
        pd.DataFrame([row("visit_logs")]).fillna("").to_excel(book, sheet_name="走访记录", index=False)
        later = [row("visit_logs", visit_id="V2"), row("visit_logs", visit_id="V3")]
        pd.DataFrame(later).fillna("").to_excel(book, sheet_name="Sheet4", index=False)  # found by header
        pd.DataFrame({"说明": ["本表由某某镇填报"]}).to_excel(book, sheet_name="填表说明", index=False)

    report = run_ingest(folder)
    by_sheet = {f.sheet: (f.feed, f.counts.loaded) for f in report.files if f.sheet}
    assert by_sheet == {
        "学校名单": ("schools", 1),
        "儿童信息": ("children_registry", 1),
        "走访记录": ("visit_logs", 1),
        "Sheet4": ("visit_logs", 2),
    }
    assert [why for p, why in report.ignored if p == path] == [
        "sheet 填表说明: neither its name nor its header is of a feed"
    ]
    lineage = _count(
        warehouse, "SELECT count(*) FROM visit_logs WHERE _source_file = '某某县2024年数据.xlsx#Sheet4'"
    )
    assert lineage == 2


def test_a_workbook_named_for_a_feed_reads_each_data_sheet_and_skips_a_cover_sheet(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    with pd.ExcelWriter(folder / "visit_logs_2024.xlsx", engine="openpyxl") as book:
        pd.DataFrame({"填报说明": ["每次走访填一行"]}).to_excel(book, sheet_name="封面", index=False)
        first = [row("visit_logs", visit_id="V1"), row("visit_logs", visit_id="V2")]
        pd.DataFrame(first).fillna("").to_excel(book, sheet_name="上半年", index=False)
        pd.DataFrame([row("visit_logs", visit_id="V3")]).fillna("").to_excel(
            book, sheet_name="下半年", index=False
        )
    report = run_ingest(folder)
    sheets = {f.sheet: (f.counts.loaded, f.skipped) for f in report.files if f.feed == "visit_logs"}
    assert sheets["上半年"] == (2, None) and sheets["下半年"] == (1, None)
    assert sheets["封面"][0] == 0 and "no header row" in (sheets["封面"][1] or "")
    assert report.feeds["visit_logs"].loaded == 3 and not report.errors


def test_excel_serial_dates_in_date_fields_are_read_and_numbers_elsewhere_are_not(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=BASE)
    book = openpyxl.Workbook()
    sheet = book.active
    visits = [
        row("visit_logs", visit_id="V1", living_conditions="4"),
        row("visit_logs", visit_id="V2"),
        row("visit_logs", visit_id="V3"),
    ]
    header = list(visits[0])
    sheet.append(header)
    for visit in visits:
        sheet.append([visit[h] for h in header])
    date_col = header.index("visit_date") + 1
    sheet.cell(row=2, column=date_col, value=45332)  # a number cell: 2024-02-10
    sheet.cell(row=2, column=header.index("living_conditions") + 1, value=4)  # a number that is no date
    sheet.cell(row=3, column=date_col, value=dt.datetime(2024, 2, 11))  # a date cell
    sheet.cell(row=4, column=date_col, value=99999)  # year 2173: not a plausible date
    book.save(folder / "visit_logs.xlsx")

    report = run_ingest(folder)
    c = report.feeds["visit_logs"]
    assert (c.read, c.loaded, c.quarantined) == (3, 2, 1)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = con.execute(
            "SELECT visit_id, visit_date, living_conditions FROM visit_logs ORDER BY 1"
        ).fetchall()
        bad = con.execute("SELECT row_number, field, value FROM quarantine").fetchall()
    finally:
        con.close()
    assert got == [("V1", dt.datetime(2024, 2, 10), 4), ("V2", dt.datetime(2024, 2, 11), 3)]
    assert bad == [(3, "visit_date", "99999")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45332", "2024-02-10"),
        ("45332.5", "2024-02-10 12:00"),
        ("18264", "1950-01-01"),
        ("20240210", "2024-02-10"),
    ],
)
def test_an_excel_serial_is_the_day_excel_shows(text: str, expected: str) -> None:
    assert parse_datetime(text) == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["12345", "99999", "4533"])
def test_a_number_outside_the_plausible_dates_is_not_read_as_a_date(text: str) -> None:
    assert not isinstance(parse_datetime(text), pd.Timestamp)


def test_an_id_number_typed_into_a_number_cell_is_quarantined_not_loaded_wrong(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    folder = write_world(tmp_path / "in", only=("admin_units", "schools", "workers"))
    book = openpyxl.Workbook()
    sheet = book.active
    child = row("children_registry")
    header = list(child)
    sheet.append(header)
    sheet.append([child[h] for h in header])
    sheet.cell(
        row=2, column=header.index("id_number") + 1, value=int(child["id_number"])
    )  # Excel keeps 15 digits
    book.save(folder / "children_registry.xlsx")
    report = run_ingest(folder)
    assert report.feeds["children_registry"].quarantined == 1
    value = _count(
        warehouse, "SELECT count(*) FROM quarantine WHERE field = 'id_number' AND rule = 'str_matches'"
    )
    assert value == 1
