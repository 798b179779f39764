"""`simulate(config, out)`: a synthetic county written as feeds (OUT/feeds/), a hidden truth (OUT/truth/),
the faults manifest and OUT/simulation.json, in the layout of docs/architecture.md §1."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

from simulation.config import SimulationConfig, SimulationSummary
from simulation.engine import Engine
from simulation.policy import TierPolicy, VisitPolicy

LOOKAHEAD_DAYS = 120  # the calendar runs past the end so the truth can look 90 days ahead


@dataclass
class Built:
    """A county ready to run: the engine and the streams that write its files afterwards."""

    engine: Engine
    rng_rec: np.random.Generator
    rng_fault: np.random.Generator
    rng_extra: np.random.Generator


def build_engine(config: SimulationConfig, policy: VisitPolicy | None = None) -> Built:
    """The county, its calendar and population and the day loop, from the seed. Every arm of a paired
    evaluation calls this with the same config, so the arms share the population and the random streams."""
    from simulation.effects import preset
    from simulation.geography import build_county
    from simulation.population import build_population
    from simulation.school_calendar import build_calendar

    # independent streams, so adding draws in one part does not reshuffle the others; a new stream goes last
    # (spawned children depend only on their index, so the earlier streams stay as they were)
    seeds = np.random.SeedSequence(config.seed).spawn(6)
    rng_county, rng_pop, rng_loop, rng_rec, rng_fault, rng_extra = (np.random.default_rng(s) for s in seeds)
    county = build_county(config.townships, config.villages, config.start, rng_county)
    cal = build_calendar(config.start, config.end + timedelta(days=LOOKAHEAD_DAYS))
    pop = build_population(config.children, county, cal, config.start, config.end, rng_pop)
    effects = preset(config.visit_effects)
    engine = Engine(county, cal, pop, config.start, config.end, rng_loop, policy or TierPolicy(), effects)
    return Built(engine, rng_rec, rng_fault, rng_extra)


def simulate(
    config: SimulationConfig, out: Path, progress: bool = True, policy: VisitPolicy | None = None
) -> SimulationSummary:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from simulation import faults as F
    from simulation.records import build_feeds, build_truth
    from simulation.truth import validate_truth

    began = time.perf_counter()
    out = Path(out)
    built = build_engine(config, policy)
    engine = built.engine
    with Progress(
        TextColumn("[bold]simulating[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TimeElapsedColumn(),
        disable=not progress,
        transient=True,
    ) as bar:
        task = bar.add_task(f"{config.children} children", total=engine.n_days)
        records = engine.run(
            lambda t: bar.update(task, completed=t + 1) if t % 7 == 0 or t == engine.n_days - 1 else None
        )
    feeds = build_feeds(engine.state, records, built.rng_rec, built.rng_extra)
    risk, outcomes = build_truth(engine.state, records, feeds["incidents"])
    validate_truth(risk, outcomes)  # before anything is written: evaluation trusts these files

    files = F.plan_files(feeds, with_faults=config.faults > 0)
    manifest = F.inject(files, config.faults, built.rng_fault) if config.faults > 0 else []
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rows = F.write_files(files, out / "feeds")
    risk.to_parquet(out / "truth" / "child_risk.parquet", index=False)
    outcomes.to_parquet(out / "truth" / "outcomes.parquet", index=False)
    manifest_path = out / "faults_manifest.json"
    if config.faults > 0:
        F.write_manifest(manifest, manifest_path, config.faults)
    elif manifest_path.exists():
        manifest_path.unlink()  # a clean run over an old faulted folder must not leave a stale manifest
    by_type = outcomes["outcome_type"].value_counts().sort_index()
    summary = SimulationSummary(
        out=str(out),
        config=config,
        rows=rows,
        children_total=len(np.unique(np.concatenate([f["child_id"].to_numpy() for f in records.registry]))),
        outcomes_true=len(outcomes),
        outcomes_detected=int(outcomes["detected"].sum()),
        outcomes_by_type={str(k): int(v) for k, v in by_type.items()},
        faults_injected=len(manifest),
        seconds=round(time.perf_counter() - began, 2),
    )
    meta = {
        "config": json.loads(config.model_dump_json()),
        "window": {"start": config.start.isoformat(), "end": config.end.isoformat()},
        "seed": config.seed,
        "policy": type(policy or TierPolicy()).__name__,
        "rows": rows,
        "outcomes_true": summary.outcomes_true,
        "outcomes_detected": summary.outcomes_detected,
        "outcomes_by_type": summary.outcomes_by_type,
        "parameters": "simulation/params.py (sources: docs/simulator.md, DOMAIN.md §3)",
    }
    (out / "simulation.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary
