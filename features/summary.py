"""A readable summary of a feature matrix: missingness per indicator (Chinese labels), flags, labels."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from features.rules import RULES
from features.spec import FeatureSpec


def missingness(df: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Share of rows where each indicator is unknown, in spec order."""
    rows = [
        {
            "indicator": i.name,
            "label_zh": i.label_zh,
            "family": spec.families[i.family],
            "missing": float(df[i.name].isna().mean()) if len(df) else 0.0,
        }
        for i in spec.indicators
    ]
    return pd.DataFrame(rows)


def print_summary(df: pd.DataFrame, spec: FeatureSpec, console: Console | None = None) -> None:
    console = console or Console()
    dates = df["as_of"].nunique()
    console.print(
        f"[bold]特征矩阵[/bold] {len(df):,} 行 · {dates} 个评估日 · {df['child_key'].nunique():,} 名儿童 · "
        f"规格 v{spec.version} ({spec.hash[:12]})"
    )
    table = Table(title="指标缺失情况", show_lines=False)
    for col, justify in (("指标", "left"), ("名称", "left"), ("类别", "left"), ("缺失率", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in missingness(df, spec).itertuples():
        style = "red" if r.missing > 0.5 else ("yellow" if r.missing > 0.1 else "")
        table.add_row(r.indicator, r.label_zh, r.family, f"{r.missing:.1%}", style=style)
    console.print(table)
    flags = Table(title="强制报告规则")
    flags.add_column("规则")
    flags.add_column("触发人次", justify="right")
    for rule in RULES:
        flags.add_row(rule.label_zh, f"{int(df[rule.column].sum()):,}")
    console.print(flags)
    observable = df[df["label_observable"]]
    rate = f"{observable['label'].mean():.2%}" if len(observable) else "—"
    console.print(f"标签（可观察窗口 {len(observable):,} 行）阳性率: {rate}")
