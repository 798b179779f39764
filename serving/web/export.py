"""The visit list as an Excel workbook (openpyxl): the same rows, order and filters as the page."""

from __future__ import annotations

import io

from serving.web import views
from serving.web.pages import ListPage

FILL = {"red": "FFCDD2", "orange": "FFE0B2", "yellow": "FFF9C4", "green": "C8E6C9"}
HEADER = [
    "排序",
    "姓名",
    "儿童编号",
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
    """The table the workbook holds, one list per row (also what tests compare against the page)."""
    out: list[list[object]] = []
    for r in page.rows:
        reasons = [x.text_zh for x in r.reasons[:3]] + [""] * (3 - min(3, len(r.reasons)))
        out.append(
            [
                r.rank,
                (r.name or "") if with_names else "",
                r.child_key,
                page.areas.get(r.village_code, r.village_code),
                r.age_years,
                views.band_zh(r.band),
                round(r.percentile, 1),
                "；".join(f.label_zh for f in r.rule_flags),
                *reasons,
                r.days_since_last_visit,
                views.list_freshness(r.data_freshness, page.data.as_of),
                page.status.get(r.list_row_id, ""),
            ]
        )
    return out


def workbook(page: ListPage, with_names: bool) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "走访清单"
    data = page.data
    ws.append(
        [
            f"走访清单 {data.scope}，截至 {data.as_of.isoformat()}，模型版本 {data.model_version}，"
            f"共 {len(page.rows)} 人（名单共 {data.total} 人）"
        ]
    )
    ws.append([f"{views.NOTE}。排序：强制报告情形优先，其后按风险由高到低。"])
    ws.append(HEADER)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for values, r in zip(rows_of(page, with_names), page.rows, strict=True):
        ws.append(values)
        ws.cell(ws.max_row, 6).fill = PatternFill("solid", fgColor=FILL.get(r.band, "FFFFFF"))
        for col in (8, 9, 10, 11):
            ws.cell(ws.max_row, col).alignment = Alignment(wrap_text=True, vertical="top")
    widths = [6, 10, 20, 10, 6, 8, 8, 22, 30, 30, 30, 10, 24, 10]
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(3, i).column_letter].width = width
    ws.freeze_panes = "A4"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
