"""Small SVG charts drawn on the server: they need no script and no internet, and they print. Colours and
sizes are SVG attributes (the pages' Content-Security-Policy allows no inline style). Texts are escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

INK, MUTED, BAR, ALERT, GRID = "#1f2933", "#7b8794", "#3e6fb0", "#c0392b", "#d9e2ec"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bars(
    items: Sequence[tuple[str, float | None, bool]],
    *,
    title: str,
    limit: float | None = None,
    percent: bool = False,
    width: int = 560,
    label_width: int = 190,
    row: int = 22,
) -> str:
    """Horizontal bars: (label, value, alert). `limit` draws the alert threshold as a dashed line."""
    values = [v for _, v, _ in items if v is not None]
    top = max([*values, limit or 0.0, 1e-9])
    if percent:
        top = max(top, 1.0) if top > 0.5 else top
    plot = width - label_width - 60
    height = 28 + row * max(len(items), 1)
    out = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="14" font-size="13" fill="{INK}" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value, alert) in enumerate(items):
        y = 24 + i * row
        out.append(
            f'<text x="{label_width - 6}" y="{y + 14}" font-size="12" fill="{INK}" '
            f'text-anchor="end">{escape(label[:28])}</text>'
        )
        if value is None:
            out.append(f'<text x="{label_width}" y="{y + 14}" font-size="12" fill="{MUTED}">无数据</text>')
            continue
        w = max(1.0, plot * value / top)
        out.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{ALERT if alert else BAR}"/>'
        )
        shown = f"{value:.0%}" if percent else _num(value) if value >= 1 else f"{value:.2f}"
        out.append(
            f'<text x="{label_width + w + 4:.1f}" y="{y + 14}" font-size="12" fill="{INK}">{shown}</text>'
        )
    if limit is not None and limit <= top:
        x = label_width + plot * limit / top
        out.append(
            f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{height}" stroke="{ALERT}" stroke-dasharray="4 3"/>'
        )
    out.append("</svg>")
    return "".join(out)


def lines(
    series: dict[str, Sequence[tuple[dt.date, float]]],
    *,
    title: str,
    percent: bool = False,
    limit: float | None = None,
    width: int = 560,
    height: int = 200,
) -> str:
    """One line per named series over dates (a point per date; a single date is a dot)."""
    points = [p for s in series.values() for p in s]
    if not points:
        height = 48  # no empty plot area on the page or the printout
    out = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="14" font-size="13" fill="{INK}" font-weight="bold">{escape(title)}</text>',
    ]
    if not points:
        out.append(f'<text x="0" y="40" font-size="12" fill="{MUTED}">尚无数据</text></svg>')
        return "".join(out)
    left, right, top_y, bottom = 48, width - 12, 26, height - 28
    days = sorted({d for d, _ in points})
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)
    high = max([v for _, v in points] + [limit or 0.0])
    high = 1.0 if percent and high <= 1.0 else max(high * 1.1, 1e-9)

    def xy(day: dt.date, value: float) -> tuple[float, float]:
        x = left + (right - left) * ((day - first).days / span if len(days) > 1 else 0.5)
        return x, bottom - (bottom - top_y) * value / high

    for frac in (0.0, 0.5, 1.0):
        y = bottom - (bottom - top_y) * frac
        label = f"{high * frac:.0%}" if percent else _num(high * frac) if high >= 10 else f"{high * frac:.2f}"
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}" '
            f'text-anchor="end">{label}</text>'
        )
    ends = ((first, "start"), (last, "end")) if len(days) > 1 else ((first, "middle"),)
    for day, anchor in ends:  # the end dates inside the plot, so neither is cut off
        x, _ = xy(day, 0.0)
        out.append(
            f'<text x="{x:.1f}" y="{height - 8}" font-size="11" fill="{MUTED}" text-anchor="{anchor}">'
            f"{day.year}年{day.month}月{day.day}日</text>"
        )
    if limit is not None:
        _, y = xy(first, limit)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{ALERT}" '
            f'stroke-dasharray="4 3"/>'
        )
    palette = [BAR, "#e67e22", "#27ae60", "#8e44ad"]
    for i, (name, values) in enumerate(series.items()):
        colour = palette[i % len(palette)]
        pts = [xy(d, v) for d, v in sorted(values)]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in pts)
        out.append(
            f'<text x="{left + 8 + 120 * i}" y="{top_y + 10}" font-size="11" '
            f'fill="{colour}">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
