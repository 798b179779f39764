"""`shouhu train | retrain | promote | rollback | score | audit` (issue 5)."""

from __future__ import annotations

import typer


def _todo(name: str) -> None:
    typer.echo(f"shouhu {name}: not built yet (issue 5).", err=True)
    raise typer.Exit(2)


def train() -> None:
    """Train, evaluate and register a challenger."""
    _todo("train")


def retrain() -> None:
    """The monthly job: ingest, features, train, evaluate, promote through gates."""
    _todo("retrain")


def promote() -> None:
    """Challenger -> champion, only through the gates."""
    _todo("promote")


def rollback() -> None:
    """The previous champion back."""
    _todo("rollback")


def score() -> None:
    """Batch-score the cohort with the champion."""
    _todo("score")


def audit() -> None:
    """Fairness audit of any scored file."""
    _todo("audit")
