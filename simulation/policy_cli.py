"""`shouhu evaluate-policy`: the same simulated county under several visit policies, compared on what happened
to the children (docs/policy-evaluation.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def evaluate_policy(
    townships: Annotated[int, typer.Option(min=1, help="Townships in the county.")] = 2,
    villages: Annotated[int, typer.Option(min=1, help="Villages per township.")] = 3,
    children: Annotated[int, typer.Option(min=10, help="Registered children on the start date.")] = 1000,
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First simulated day.")] = datetime(
        2023, 1, 1
    ),
    end: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Last simulated day.")] = datetime(
        2024, 12, 31
    ),
    burn_in_days: Annotated[
        int, typer.Option(min=30, help="Days every arm visits by the tier rule (the model's training data).")
    ] = 365,
    seeds: Annotated[str, typer.Option(help="Comma-separated seeds; intervals are across them.")] = "1,2,3",
    policies: Annotated[
        str, typer.Option(help="Comma-separated: tier, checklist, random, oracle, model, model-retrained.")
    ] = "tier,checklist,random,oracle",
    effects: Annotated[
        str, typer.Option(help="Comma-separated visit-effect presets: none, current, modest, strong.")
    ] = "none,modest,strong",
    out: Annotated[
        Path | None, typer.Option(help="Folder for the arm table and plots [default: DATA_DIR/policy-eval].")
    ] = None,
    mlflow: Annotated[bool, typer.Option("--mlflow/--no-mlflow", help="Log an MLflow run.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress lines.")] = False,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes: arms run in parallel.")] = 1,
) -> None:
    """Compare visit policies in closed loop: paired arms (same seed, common random numbers), a tier-rule
    burn-in, then each policy; true and detected harm per 1,000 child-years with intervals across seeds."""
    from pydantic import ValidationError
    from rich.console import Console

    from shouhu.settings import get_settings
    from simulation.config import SimulationConfig
    from simulation.effects import PRESETS
    from simulation.policy_eval import POLICIES, evaluate
    from simulation.policy_report import log_mlflow, print_tables

    console = Console()
    try:
        config = SimulationConfig(
            townships=townships, villages=villages, children=children, start=start.date(), end=end.date()
        )
    except ValidationError as exc:
        raise typer.BadParameter(str(exc.errors()[0]["msg"])) from None
    pols, fxs = _names(policies), _names(effects)
    for p in pols:
        if p not in POLICIES:
            raise typer.BadParameter(f"unknown policy {p!r}; choose from {', '.join(POLICIES)}")
    for f in fxs:
        if f not in PRESETS:
            raise typer.BadParameter(f"unknown visit-effect preset {f!r}; choose from {', '.join(PRESETS)}")
    try:
        seed_list = [int(s) for s in _names(seeds)]
    except ValueError:
        raise typer.BadParameter(f"seeds must be whole numbers separated by commas, got {seeds!r}") from None
    settings = get_settings()
    folder = out or settings.data_dir / "policy-eval"
    ev = evaluate(
        config,
        policies=pols,
        seeds=seed_list,
        effects=fxs,
        burn_in_days=burn_in_days,
        work_dir=folder / "work",
        tracking_uri=settings.mlflow_tracking_uri,
        artifact_root=settings.mlflow_artifact_root,
        say=(lambda _m: None) if quiet else (lambda m: console.print(f"[dim]{m}[/]")),
        jobs=jobs,
    )
    print_tables(ev, console)
    if mlflow:
        params = {
            "townships": townships,
            "villages": villages,
            "children": children,
            "start": start.date(),
            "end": end.date(),
            "burn_in_days": burn_in_days,
            "seeds": seeds,
            "policies": policies,
            "effects": effects,
        }
        run_id = log_mlflow(ev, settings.mlflow_tracking_uri, settings.mlflow_artifact_root, params, folder)
        console.print(f"MLflow run {run_id} (experiment policy-evaluation); arm table and plots in {folder}")
