"""The visit list as an Excel workbook (openpyxl): the same rows, order and filters as the page."""

from __future__ import annotations

import datetime as dt
import io

from serving import localtime
from serving.web import views
from serving.web.pages import ListPage, shown_band

FILL = {"red": "FFCDD2", "orange": "FFE0B2", "yellow": "FFF9C4", "green": "C8E6C9"}
HEADER = [
    "排序",
    "姓名",  # "编号" in the data team's workbook: it sees pseudonymous keys, never names
    "村",
    "年龄",
    "风险等级",
    "百分位",
    "强制报告情形",
    "主要原因一",
    "主要原因二",
    "主要原因三",
    "距上次走访（天）",
    "数据截至",
    "状态",
]


def rows_of(page: ListPage, with_names: bool) -> list[list[object]]:
    """The table the workbook holds, one list per row (also what tests compare against the page): the band
    as the page shows it (a rule-flagged child reads 强制报告), the percentile rounded as on the page."""
    out: list[list[object]] = []
    for r in page.rows:
        reasons = [x.text_zh for x in r.reasons[:3]] + [""] * (3 - min(3, len(r.reasons)))
        out.append(
            [
                r.rank,
                (r.name or "") if with_names else r.child_key,
                page.areas.get(r.village_code, r.village_code),
                r.age_years,
                views.band_label(r.band, bool(r.rule_flags)),
                round(r.percentile),
                "；".join(f.label_zh for f in r.rule_flags),
                *reasons,
                r.days_since_last_visit,
                views.list_freshness(r.data_freshness, page.data.as_of),
                page.status.get(r.list_row_id, ""),
            ]
        )
    return out


def area_name(page: ListPage) -> str:
    """The list's area as people name it (e.g. 石桥村), from the list's scope."""
    code = page.village or page.data.scope.split(":", 1)[-1]  # a village chosen on a township's list
    return page.areas.get(code, code)


def filename(page: ListPage) -> str:
    """e.g. 走访清单_石桥村_2025年1月6日.xlsx"""
    return f"走访清单_{area_name(page)}_{localtime.date_zh(page.data.as_of)}.xlsx"


def workbook(page: ListPage, with_names: bool, tz: str = localtime.DEFAULT_TIMEZONE) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "走访清单"
    data = page.data
    ws.append(
        [
            f"走访清单 {area_name(page)}，数据截至 {localtime.date_zh(data.as_of)}，模型版本 "
            f"{data.model_version}，共 {len(page.rows)} 人（名单共 {data.total} 人），导出于 "
            f"{localtime.datetime_zh(dt.datetime.now(dt.UTC), tz)}"
        ]
    )
    ws.append(
        [
            f"{views.NOTE}。排序：强制报告情形优先，其后按风险由高到低。"
            f"“{views.FLAGGED}”：{views.FLAGGED_MEANING}。"
        ]
    )
    ws.append(HEADER if with_names else [h if h != "姓名" else "编号" for h in HEADER])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for values, r in zip(rows_of(page, with_names), page.rows, strict=True):
        ws.append(values)
        band = shown_band(r)
        ws.cell(ws.max_row, 5).fill = PatternFill("solid", fgColor=FILL.get(band, "FFFFFF"))
        for col in (7, 8, 9, 10):
            ws.cell(ws.max_row, col).alignment = Alignment(wrap_text=True, vertical="top")
    widths = [6, 20, 10, 6, 8, 8, 22, 30, 30, 30, 10, 24, 10]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(3, i).column_letter].width = width
    ws.freeze_panes = "A4"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
