"""Ingest of county exports: a 1M-row attendance CSV and a 200k-row attendance XLSX, both with a title row and
Chinese headers, against a 20,000-child registry. Prints rows per second and peak memory for reading alone
and for the whole ingest (each measured in a fresh process, so one figure does not carry the other's peak).

    .venv/bin/python benchmarks/bench_ingest_exports.py
    .venv/bin/python benchmarks/bench_ingest_exports.py --csv-rows 200000 --xlsx-rows 50000   # a quick look
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import VILLAGE, _attendance, _reference_tables, _registry

CHILDREN = 20_000
TITLE = "某某县学校出勤统计表（2021年秋季学期）"
# the attendance columns under the headers a school system exports
HEADERS = {
    "child_id": "儿童编号",
    "school_id": "学校编号",
    "date": "出勤日期",
    "status": "出勤状态",
    "term_id": "学期",
    "recorded_at": "录入时间",
    "source_system": "来源系统",
}


def _feeds(folder: Path) -> None:
    folder.mkdir(parents=True)
    admin = {"code": VILLAGE, "level": "village", "name_zh": "测试村", "parent_code": None}
    pd.DataFrame([admin | {"urban_rural": "rural", "region": "central"}]).to_parquet(
        folder / "admin_units.parquet"
    )
    _reference_tables(folder)
    _registry(CHILDREN).to_parquet(folder / "children_registry.parquet")


def _export(rows: int, seed: int) -> pd.DataFrame:
    frame = _attendance(rows, CHILDREN, bad_share=0.0, seed=seed).rename(columns=HEADERS)
    frame["出勤状态"] = frame["出勤状态"].map(
        {"present": "出勤", "absent_excused": "请假", "absent_unexcused": "无故缺勤", "late": "迟到"}
    )
    return frame


def write_csv(path: Path, rows: int) -> None:
    frame = _export(rows, seed=1)
    frame["出勤日期"] = frame["出勤日期"].dt.strftime("%Y/%m/%d")
    frame["录入时间"] = frame["录入时间"].dt.strftime("%Y-%m-%d %H:%M")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(TITLE + "," * (len(HEADERS) - 1) + "\r\n")
        frame.to_csv(handle, index=False, lineterminator="\r\n")
        # a few broken lines among the good ones, as hand-edited exports have
        handle.write('C000001,S01,2021/9/1,出勤,"2021-1,2021-09-04,school_xueji\r\n')
        handle.write("C000002,S01,2021/9/1,出勤,2021-1,2021-09-04,school_xueji,extra\r\n")


def write_xlsx(path: Path, rows: int) -> None:
    import openpyxl

    frame = _export(rows, seed=2)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("出勤")
    sheet.append([TITLE])
    sheet.append([])
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        sheet.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in values])
    book.save(path)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(folder: Path, what: str) -> None:
    """In a fresh process: read the attendance table alone, or ingest the folder; print JSON."""
    from data_contracts.headers import load_headers
    from data_contracts.ingest import CHUNK_ROWS, ingest_folder
    from data_contracts.readers import discover, read_chunks
    from data_contracts.table_layout import Layout

    t0 = time.perf_counter()
    if what == "read":
        headers = load_headers()
        (source,) = [s for s in discover(folder, headers)[0] if s.feed.name == "school_attendance"]
        layout = Layout()
        rows = sum(chunk.size for chunk in read_chunks(source, headers, CHUNK_ROWS, layout))
        out = {"rows": rows, "blank": layout.blank_rows, "header_rows": layout.header_rows}
    else:
        report = ingest_folder(
            folder, folder.parent / f"{folder.name}.duckdb", "bench-secret", progress=False
        )
        c = report.feeds["school_attendance"]
        if report.errors or c.rows == 0:
            raise SystemExit(f"benchmark setup did not load: {report.errors or report.feeds}")
        out = {"rows": c.read, "loaded": c.loaded, "quarantined": c.quarantined, "header_rows": c.header}
    out |= {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}
    print(json.dumps(out))


def _child(folder: Path, what: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what, "--folder", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(
    csv_rows: Annotated[int, typer.Option(help="Attendance rows in the CSV.")] = 1_000_000,
    xlsx_rows: Annotated[int, typer.Option(help="Attendance rows in the XLSX.")] = 200_000,
    measure_: Annotated[str | None, typer.Option("--measure", hidden=True)] = None,
    folder: Annotated[Path | None, typer.Option(hidden=True)] = None,
) -> None:
    if measure_ is not None and folder is not None:
        measure(folder, measure_)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for kind, rows, write in (("csv", csv_rows, write_csv), ("xlsx", xlsx_rows, write_xlsx)):
            feeds = Path(tmp) / kind
            _feeds(feeds)
            t0 = time.perf_counter()
            path = feeds / f"school_attendance.{kind}"
            write(path, rows)
            made = time.perf_counter() - t0
            size = path.stat().st_size / 1e6
            read = _child(feeds, "read")
            whole = _child(feeds, "ingest")
            print(
                f"{kind.upper()}: {rows:,} attendance rows + title row, Chinese headers "
                f"({size:.0f} MB, made in {made:.0f} s)"
            )
            print(
                f"  read only:  {read['seconds']:.1f} s  ({read['rows'] / read['seconds']:,.0f} rows/s), "
                f"peak RSS {read['peak_mb']:,.0f} MB"
            )
            print(
                f"  ingest:     {whole['seconds']:.1f} s  ({whole['rows'] / whole['seconds']:,.0f} rows/s), "
                f"peak RSS {whole['peak_mb']:,.0f} MB  (whole run, with the 20,000-child registry)"
            )
            print(
                f"  loaded / quarantined: {whole['loaded']:,} / {whole['quarantined']:,}; "
                f"header and title rows: {whole['header_rows']}"
            )


if __name__ == "__main__":
    typer.run(main)
