"""The file forms county systems export are all read, and read the same."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data_contracts import enums as E
from data_contracts.ingest import IngestReport
from data_contracts.normalize import parse_bool, parse_code, parse_code_set, parse_datetime
from tests.data_contracts.factories import BASE, frame, row, write, write_world

Ingest = Callable[..., IngestReport]


def _visit(warehouse: Path) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT * FROM visit_logs").df().iloc[0].to_dict()
    finally:
        con.close()


@pytest.mark.parametrize(
    ("fmt", "encoding"),
    [
        ("csv", "utf-8"),
        ("csv", "utf-8-sig"),
        ("csv", "gbk"),
        ("csv", "gb18030"),
        ("xlsx", None),
        ("parquet", None),
    ],
)
def test_every_supported_format_and_encoding_loads_the_same_visit(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path, fmt: str, encoding: str | None
) -> None:
    write_world(tmp_path / "in", only=BASE)
    visit = row(
        "visit_logs",
        worker_role="儿童主任",
        visit_type="常规走访",
        child_mood="低落",
        hazards="临近水域、危房",
    )
    write(tmp_path / "in", "visit_logs", [visit], fmt, encoding=encoding or "utf-8")
    report = run_ingest(tmp_path / "in")
    assert report.feeds["visit_logs"].loaded == 1, report.files
    got = _visit(warehouse)
    assert (got["worker_role"], got["visit_type"], got["child_mood"]) == (
        "children_director",
        "routine",
        "low",
    )
    assert got["hazards"] == "open_water_nearby;unsafe_housing"
    assert got["visit_date"] == pd.Timestamp("2024-02-10")


def test_a_gbk_file_is_really_not_utf8_so_the_fallback_is_exercised(tmp_path: Path) -> None:
    path = write(tmp_path, "visit_logs", [row("visit_logs", worker_role="儿童主任")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")


def test_a_bom_csv_keeps_its_first_column_name(tmp_path: Path, run_ingest: Ingest) -> None:
    write_world(tmp_path / "in", only=("children_registry",))
    path = write(
        tmp_path / "in",
        "admin_units",
        [row("admin_units"), row("admin_units", code="360321101201", level="村", parent_code="360321101000")],
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    report = run_ingest(tmp_path / "in")
    assert report.feeds["admin_units"].loaded == 2 and not report.errors


@pytest.mark.parametrize(
    "text",
    [
        "2016-09-05",
        "2016/9/5",
        "20160905",
        "2016年9月5日",
        "２０１６年９月５日",
        " 2016-09-05 ",
        "2016.09.05",
    ],
)
def test_the_common_date_forms_mean_the_same_day(text: str) -> None:
    assert parse_datetime(text) == pd.Timestamp("2016-09-05")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-09-05 08:30", "2016-09-05 08:30"),
        ("2016/9/5 8:30:15", "2016-09-05 08:30:15"),
        ("2016年9月5日 08时30分", "2016-09-05 08:30"),
        ("2016-09-05T08:30:00", "2016-09-05 08:30"),
        ("2016-09-05 00:00:00", "2016-09-05"),
    ],
)
def test_dates_with_times_keep_the_time(text: str, expected: str) -> None:
    assert parse_datetime(text) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", True),
        ("否", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        (" 是 ", True),
        ("１", True),
    ],
)
def test_yes_no_in_chinese_english_and_digits(text: str, expected: bool) -> None:
    assert parse_bool(text) is expected


def test_sex_official_terms_and_codes_map_to_codes() -> None:
    assert [parse_code(v, E.SEX) for v in ["男", "女", "M", "f", "男性"]] == ["M", "F", "M", "F", "M"]


def test_ethnicity_names_short_names_and_numbers_that_lost_their_zero_map_to_gb3304_codes() -> None:
    given = ["汉族", "汉", "苗族", "土家", "１", "6", "06", "97", "火星族"]
    assert [parse_code(v, E.ETHNICITY) for v in given] == [
        "01",
        "01",
        "06",
        "15",
        "01",
        "06",
        "06",
        "97",
        "火星族",
    ]
    assert "火星族" not in E.ETHNICITY  # an unknown name stays as written, for the contract's check to report


@pytest.mark.parametrize("name", [n for n in dir(E) if n.isupper() and isinstance(getattr(E, n), dict)])
def test_every_official_chinese_term_of_every_vocabulary_maps_to_its_code(name: str) -> None:
    vocab = getattr(E, name)
    for code, term in vocab.items():
        assert parse_code(term, vocab) == code
        assert parse_code(f" {code} ", vocab) == code


@pytest.mark.parametrize(
    "text",
    [
        "临近水域、危房",
        "临近水域，危房",
        "open_water_nearby;unsafe_housing",
        "临近水域, unsafe_housing",
        "临近水域；危房;危房",
    ],
)
def test_set_fields_accept_any_common_separator(text: str) -> None:
    assert parse_code_set(text, E.HAZARD) == "open_water_nearby;unsafe_housing"


def test_full_width_digits_and_letters_in_ids_and_numbers_are_read_as_ascii(
    tmp_path: Path, run_ingest: Ingest, warehouse: Path
) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(
        tmp_path / "in",
        "visit_logs",
        [
            row(
                "visit_logs",
                visit_id="Ｖ００１",
                worker_id="Ｗ０１",
                living_conditions="４",
                visit_date="２０２４－０２－１０",
            )
        ],
    )
    run_ingest(tmp_path / "in")
    got = _visit(warehouse)
    assert (got["visit_id"], got["worker_id"], got["living_conditions"]) == ("V001", "W01", 4)


def test_headers_may_be_the_chinese_titles_of_the_columns(tmp_path: Path, run_ingest: Ingest) -> None:
    from data_contracts.feeds import FEEDS

    write_world(tmp_path / "in", only=("admin_units",))
    titles = {n: c.title for n, c in FEEDS["schools"].schema.columns.items()}
    frame([row("schools")]).rename(columns=titles).to_csv(tmp_path / "in" / "schools.csv", index=False)
    assert run_ingest(tmp_path / "in").feeds["schools"].loaded == 1


def test_a_simulator_output_folder_is_read_from_its_feeds_subfolder(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    write_world(tmp_path / "out" / "feeds", only=(*BASE, "visit_logs"))
    (tmp_path / "out" / "simulation.json").write_text("{}")
    (tmp_path / "out" / "truth").mkdir()
    report = run_ingest(tmp_path / "out")
    assert report.feeds["visit_logs"].loaded == 1
    assert report.ignored == []


def test_a_file_named_for_no_feed_is_reported_not_skipped_silently(
    tmp_path: Path, run_ingest: Ingest
) -> None:
    write_world(tmp_path / "in", only=BASE)
    write(tmp_path / "in", "visit_logs", [row("visit_logs")], stem="visits_2024")
    (tmp_path / "in" / "readme.txt").write_text("notes")
    ignored = {p.name: why for p, why in run_ingest(tmp_path / "in").ignored}
    assert set(ignored) == {"visits_2024.csv", "readme.txt"}


def test_a_file_goes_to_the_feed_with_the_longest_matching_name(tmp_path: Path) -> None:
    from data_contracts.readers import match_feed

    assert match_feed("schools_2024").name == "schools"
    assert match_feed("school_events_2024q3").name == "school_events"
    assert match_feed("visit_logs_2024q3").name == "visit_logs"
    assert match_feed("school") is None
